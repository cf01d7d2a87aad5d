import { createPrivateKey, type KeyObject, randomUUID, sign } from 'node:crypto';
import type { JWK } from 'jose';
import { AuthError } from './errors.ts';
import type { StaffRole } from './roles.ts';
import { checkRoles, staffTokenLimits } from './staff-claims.ts';

// A staff token is a standard JWT (compact JWS, EdDSA over Ed25519) so that any JOSE library verifies it.
// It is signed here with node:crypto rather than jose because jose signs asynchronously (WebCrypto), and
// callers — request builders, tests writing headers inline — want the token as a value, not a promise.

export interface StaffTokenSigner {
  /** The node's private Ed25519 JWK, with its `kid`. */
  readonly privateJwk: JWK;
  /** `iss`: this node, as verifiers list it in STAFF_TOKEN_ISSUERS. */
  readonly issuer: string;
}

export interface StaffTokenSubject {
  readonly staffId: string;
  readonly unitId: string;
  readonly roles: readonly StaffRole[];
  /** Default `petition`. */
  readonly audience?: string | readonly string[];
}

export interface StaffTokenOptions {
  readonly now?: Date;
  /** Default 8 hours: a working day. */
  readonly ttlSeconds?: number;
  /** Default a random UUID. */
  readonly tokenId?: string;
}

export const defaultStaffTokenTtlSeconds = 8 * 3600;
export const defaultStaffTokenAudience = 'petition';

// Importing a JWK costs more than the signature itself; a signer signs many tokens with one key.
const imported = new WeakMap<JWK, KeyObject>();

function signingKey(jwk: JWK): KeyObject {
  const cached = imported.get(jwk);
  if (cached) return cached;
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.d !== 'string' || !jwk.kid) {
    throw new AuthError('BAD_KEYS', 'a staff token is signed with a private Ed25519 JWK that has a kid');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: jwk, format: 'jwk' });
  } catch (cause) {
    throw new AuthError('BAD_KEYS', `key ${jwk.kid} does not import as a private Ed25519 key`, { cause });
  }
  imported.set(jwk, key);
  return key;
}

const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function checkSubject(subject: StaffTokenSubject) {
  const { staffId, unitId } = subject;
  if (!staffId || staffId.length > staffTokenLimits.staffIdChars) {
    throw new AuthError('TOKEN_BAD_CLAIMS', `a staff id has 1–${staffTokenLimits.staffIdChars} characters`);
  }
  if (!unitId || unitId.length > staffTokenLimits.unitIdChars) {
    throw new AuthError('TOKEN_BAD_CLAIMS', `a unit id has 1–${staffTokenLimits.unitIdChars} characters`);
  }
  return checkRoles(subject.roles);
}

export function signStaffToken(
  signer: StaffTokenSigner,
  subject: StaffTokenSubject,
  options: StaffTokenOptions = {},
): string {
  const roles = checkSubject(subject);
  const ttlSeconds = options.ttlSeconds ?? defaultStaffTokenTtlSeconds;
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0) {
    throw new AuthError('TOKEN_BAD_CLAIMS', `ttlSeconds must be a positive whole number, not ${ttlSeconds}`);
  }
  const key = signingKey(signer.privateJwk);
  const issuedAt = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const header = { alg: 'EdDSA', typ: 'JWT', kid: signer.privateJwk.kid };
  const payload = {
    iss: signer.issuer,
    sub: subject.staffId,
    aud: subject.audience ?? defaultStaffTokenAudience,
    unit: subject.unitId,
    roles,
    iat: issuedAt,
    nbf: issuedAt,
    exp: issuedAt + ttlSeconds,
    jti: options.tokenId ?? randomUUID(),
  };
  const signingInput = `${segment(header)}.${segment(payload)}`;
  // Ed25519 hashes internally: node:crypto takes no digest name for it (null).
  return `${signingInput}.${sign(null, Buffer.from(signingInput), key).toString('base64url')}`;
}
