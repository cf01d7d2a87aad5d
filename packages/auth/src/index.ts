export { type CaseNumberSource, caseNumberSource, isCaseNumber } from './case-number.ts';
export { AuthError, type AuthErrorCode } from './errors.ts';
export { newQueryCode, normalizeQueryCode, queryCodeHash, queryCodeMatches } from './query-code.ts';
export {
  devTokenKeys,
  parseTokenKeys,
  signUnitToken,
  type TokenKeys,
  type UnitClaims,
  verifyUnitToken,
} from './unit-token.ts';
