import { AuthError } from './errors.ts';
import { isStaffRole, type StaffRole } from './roles.ts';

// What a staff token says, and the shape both the signer and the verifier hold it to. A signature proves
// who wrote a payload, not that the payload is sane: another node's software, or a bug in ours, can sign
// nonsense, so every member is checked before anything is decided on it.

export interface StaffClaims {
  /** `sub`: the member of staff. */
  readonly staffId: string;
  /** `unit`: the unit they act for. */
  readonly unitId: string;
  readonly roles: readonly StaffRole[];
  /** `iss`: the node that signed. */
  readonly issuer: string;
  readonly audience: readonly string[];
  /** Seconds since the epoch, as all the dates here. */
  readonly issuedAt: number;
  readonly notBefore: number;
  readonly expiresAt: number;
  /** `jti`: what a revocation names to withdraw this one token. */
  readonly tokenId: string;
}

export const staffTokenLimits = {
  /** Refused before parsing: a header that size is an attack or a mistake, not an identity. */
  tokenChars: 8 * 1024,
  unitIdChars: 64,
  staffIdChars: 128,
  tokenIdChars: 128,
} as const;

const bad = (message: string) => new AuthError('TOKEN_BAD_CLAIMS', message);

function text(value: unknown, claim: string, maxChars: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxChars) {
    throw bad(`"${claim}" must be a string of 1–${maxChars} characters`);
  }
  return value;
}

// JSON.parse turns `1e999` into Infinity: a token "valid forever" must not slip through as a number.
function seconds(value: unknown, claim: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw bad(`"${claim}" must be a finite number`);
  return value;
}

export function checkRoles(value: unknown): StaffRole[] {
  if (!Array.isArray(value) || value.length === 0) throw bad('"roles" must be a non-empty list of roles');
  const unknown = value.find((role) => !isStaffRole(role));
  if (unknown !== undefined) throw bad(`"roles" holds ${JSON.stringify(unknown)}, which is not a staff role`);
  return [...new Set(value as StaffRole[])];
}

/** The claims of a payload whose signature, issuer and audience have already been verified. */
export function staffClaimsFrom(payload: Readonly<Record<string, unknown>>): StaffClaims {
  const issuedAt = seconds(payload.iat, 'iat');
  const audience = typeof payload.aud === 'string' ? [payload.aud] : payload.aud;
  if (!Array.isArray(audience) || !audience.every((a) => typeof a === 'string')) {
    throw bad('"aud" must be a string or a list of strings');
  }
  return {
    staffId: text(payload.sub, 'sub', staffTokenLimits.staffIdChars),
    unitId: text(payload.unit, 'unit', staffTokenLimits.unitIdChars),
    roles: checkRoles(payload.roles),
    issuer: text(payload.iss, 'iss', 256),
    audience,
    issuedAt,
    // Another node's software may leave nbf out: then the token is valid from its issue.
    notBefore: payload.nbf === undefined ? issuedAt : seconds(payload.nbf, 'nbf'),
    expiresAt: seconds(payload.exp, 'exp'),
    tokenId: text(payload.jti, 'jti', staffTokenLimits.tokenIdChars),
  };
}
