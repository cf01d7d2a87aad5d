export type { JWK } from 'jose';
export { type CaseNumberSource, caseNumberSource, isCaseNumber } from './case-number.ts';
export { AuthError, type AuthErrorCode } from './errors.ts';
export { jwksFrom, type PublicKeySet, publicKeySetOf } from './jwks-source.ts';
export { generateNodeKey, type NodeKey, nodeKeyFrom, publicJwks } from './node-key.ts';
export {
  checkQueryCodeSecret,
  devQueryCodeSecret,
  federatedQueryCodeLength,
  newQueryCode,
  normalizeQueryCode,
  publicQueryCodeVerifier,
  queryCodeLength,
  queryCodeMatches,
  queryCodeVerifier,
} from './query-code.ts';
export {
  isRevokedBy,
  loadRevocationList,
  nothingRevoked,
  type RevocationList,
  type RevocationWatch,
  watchRevocationList,
} from './revocation.ts';
export { isStaffRole, parseRoles, permits, type StaffPermission, type StaffRole, staffRoles } from './roles.ts';
export { type StaffClaims, staffTokenLimits } from './staff-claims.ts';
export {
  defaultStaffTokenAudience,
  defaultStaffTokenTtlSeconds,
  type StaffTokenOptions,
  type StaffTokenSigner,
  type StaffTokenSubject,
  signStaffToken,
} from './staff-token.ts';
export { type StaffTokenConfig, staffTokenSchema, staffTokenVerifierFrom } from './staff-token-config.ts';
export {
  createStaffTokenVerifier,
  type StaffTokenVerifier,
  type StaffTokenVerifierOptions,
} from './staff-token-verifier.ts';
