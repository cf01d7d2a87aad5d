import { createHmac, timingSafeEqual } from 'node:crypto';
import { AuthError } from './errors.ts';

// A unit's staff carry `<keyId>.<payload>.<signature>`: the payload (base64url JSON) names the unit, the
// staff member and the validity; the signature is HMAC-SHA256 over `<keyId>.<payload>` under the key with
// that id. Several keys are accepted so that they can rotate; new tokens use the first.

export interface UnitClaims {
  readonly unitId: string;
  readonly staffId: string;
  /** Seconds since the epoch. */
  readonly issuedAt: number;
  readonly expiresAt: number;
}

export interface TokenKeys {
  readonly signingKeyId: string;
  secret(keyId: string): Buffer | undefined;
}

const keyIdPattern = /^[A-Za-z0-9_-]{1,32}$/;

/** `kid:secret,kid2:secret` — secrets of at least 32 characters; the first signs. */
export function parseTokenKeys(spec: string): TokenKeys {
  const keys = new Map<string, Buffer>();
  for (const entry of spec
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const at = entry.indexOf(':');
    const keyId = entry.slice(0, Math.max(at, 0));
    if (!keyIdPattern.test(keyId))
      throw new AuthError('BAD_KEYS', `entry "${keyId}": key id must be 1–32 of [A-Za-z0-9_-] before ':'`);
    const secret = entry.slice(at + 1);
    if (secret.length < 32)
      throw new AuthError('BAD_KEYS', `key ${keyId}: the secret must have at least 32 characters`);
    keys.set(keyId, Buffer.from(secret, 'utf8'));
  }
  const [signingKeyId] = keys.keys();
  if (!signingKeyId) throw new AuthError('BAD_KEYS', 'no key given');
  return { signingKeyId, secret: (id) => keys.get(id) };
}

const mac = (secret: Buffer, data: string) => createHmac('sha256', secret).update(data).digest();

export function signUnitToken(
  keys: TokenKeys,
  claims: { unitId: string; staffId?: string },
  options: { now?: Date; ttlSeconds?: number } = {},
): string {
  const issuedAt = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const payload: UnitClaims = {
    unitId: claims.unitId,
    staffId: claims.staffId ?? '',
    issuedAt,
    expiresAt: issuedAt + (options.ttlSeconds ?? 12 * 3600),
  };
  const body = `${keys.signingKeyId}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${body}.${mac(keys.secret(keys.signingKeyId) as Buffer, body).toString('base64url')}`;
}

export function verifyUnitToken(keys: TokenKeys, token: string | undefined, now: Date = new Date()): UnitClaims {
  if (!token) throw new AuthError('TOKEN_MISSING', 'no unit token given');
  const parts = token.split('.');
  if (parts.length !== 3) throw new AuthError('TOKEN_MALFORMED', 'a token has three dot-separated parts');
  const [keyId = '', payload = '', signature = ''] = parts;
  const secret = keys.secret(keyId);
  if (!secret) throw new AuthError('TOKEN_UNKNOWN_KEY', `key ${keyId} is not accepted`);
  const expected = mac(secret, `${keyId}.${payload}`);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new AuthError('TOKEN_BAD_SIGNATURE', 'the signature does not match');
  }
  let claims: UnitClaims;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as UnitClaims;
  } catch {
    throw new AuthError('TOKEN_MALFORMED', 'the payload is not JSON');
  }
  if (typeof claims.unitId !== 'string' || !claims.unitId || typeof claims.expiresAt !== 'number') {
    throw new AuthError('TOKEN_MALFORMED', 'the payload names no unit or no expiry');
  }
  if (claims.expiresAt * 1000 <= now.getTime()) throw new AuthError('TOKEN_EXPIRED', 'the token has expired');
  return claims;
}

/** The development key `npm start` signs unit tokens with when UNIT_TOKEN_KEYS is not set: never for real use. */
export const devTokenKeys = 'dev:development-only-unit-token-secret-0000';
