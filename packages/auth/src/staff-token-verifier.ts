import {
  createLocalJWKSet,
  createRemoteJWKSet,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { AuthError } from './errors.ts';
import { joseRefusal } from './jose-refusal.ts';
import { publicKeySetOf } from './jwks-source.ts';
import { type StaffClaims, staffClaimsFrom, staffTokenLimits } from './staff-claims.ts';

// The signature and the registered claims (iss, aud, exp, nbf) are jose's, a library many eyes have read;
// what is ours comes after: the shape of our claims, a cap on lifetime (a node cannot hand out tokens good
// for a year), and revocation. Whatever goes wrong, the caller gets an AuthError with a closed code.

export interface StaffTokenVerifierOptions {
  /** The nodes whose staff are trusted here (`iss`). */
  readonly issuers: readonly string[];
  /** This deployment's name in `aud`; a token made for another is refused. */
  readonly audience: string;
  /** The issuers' public keys: a key set, or the URL one is published at. */
  readonly jwks: { readonly keys: JWK[] } | URL;
  /** The longest `exp - iat` accepted, whatever the issuer put in the token. */
  readonly maxLifetimeSeconds: number;
  /** Leeway for the clocks of different nodes, on exp, nbf and iat; default 30 s. */
  readonly clockToleranceSeconds?: number;
  readonly revoked?: (tokenId: string, staffId: string) => boolean;
  readonly now?: () => Date;
}

export interface StaffTokenVerifier {
  verify(token: string | undefined): Promise<StaffClaims>;
}

/** EdDSA is what our nodes sign with; ES256 lets a node whose key lives in an HSM or KMS take part. */
const algorithms = ['EdDSA', 'ES256'];

function keyResolver(jwks: StaffTokenVerifierOptions['jwks']): JWTVerifyGetKey {
  if (jwks instanceof URL) {
    const remote = createRemoteJWKSet(jwks);
    // A key set that cannot be fetched says nothing about the token: it is told apart (retryable) here,
    // where it is still known that the failure came from fetching keys.
    return async (header, token) => {
      try {
        return await remote(header, token);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') throw error;
        throw new AuthError('KEYS_UNAVAILABLE', `the key set at ${jwks.href} could not be had`, { cause: error });
      }
    };
  }
  const local = publicKeySetOf(jwks, 'the key set');
  try {
    return createLocalJWKSet(local);
  } catch (cause) {
    throw new AuthError('BAD_KEYS', 'the key set is not a JSON Web Key Set', { cause });
  }
}

function positive(value: number, name: string) {
  if (!Number.isFinite(value) || value <= 0) throw new AuthError('BAD_KEYS', `${name} must be a positive number`);
  return value;
}

export function createStaffTokenVerifier(options: StaffTokenVerifierOptions): StaffTokenVerifier {
  if (options.issuers.length === 0 || options.issuers.some((issuer) => !issuer)) {
    throw new AuthError('BAD_KEYS', 'name at least one trusted issuer, none empty');
  }
  if (!options.audience) throw new AuthError('BAD_KEYS', 'name the audience tokens must be made for');
  const maxLifetime = positive(options.maxLifetimeSeconds, 'maxLifetimeSeconds');
  const tolerance = options.clockToleranceSeconds ?? 30;
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new AuthError('BAD_KEYS', 'clockToleranceSeconds must be zero or more');
  }
  const key = keyResolver(options.jwks);
  const now = options.now ?? (() => new Date());
  const issuers = [...options.issuers];

  async function verifiedPayload(token: string, at: Date): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, key, {
      algorithms,
      issuer: issuers,
      audience: options.audience,
      currentDate: at,
      clockTolerance: tolerance,
      requiredClaims: ['iat', 'exp', 'sub', 'jti'],
    });
    return payload;
  }

  async function checked(token: string | undefined): Promise<StaffClaims> {
    if (token === undefined || token === '') throw new AuthError('TOKEN_MISSING', 'no staff token given');
    if (typeof token !== 'string' || token.length > staffTokenLimits.tokenChars) {
      throw new AuthError('TOKEN_MALFORMED', `a staff token has at most ${staffTokenLimits.tokenChars} characters`);
    }
    const at = now();
    const claims = staffClaimsFrom(await verifiedPayload(token, at));
    // jose checks iat only against a maximum age; a token dated ahead would outlive the lifetime cap.
    if (claims.issuedAt > at.getTime() / 1000 + tolerance) {
      throw new AuthError('TOKEN_NOT_YET_VALID', 'the token is dated after now (iat)');
    }
    if (claims.expiresAt <= claims.issuedAt) throw new AuthError('TOKEN_BAD_CLAIMS', '"exp" is not after "iat"');
    const lifetime = claims.expiresAt - claims.issuedAt;
    if (lifetime > maxLifetime) {
      throw new AuthError(
        'TOKEN_TOO_LONG_LIVED',
        `the token lives ${lifetime} s, more than the ${maxLifetime} s accepted`,
      );
    }
    let revoked: boolean | undefined;
    try {
      revoked = options.revoked?.(claims.tokenId, claims.staffId);
    } catch (cause) {
      // Unable to tell whether it was withdrawn, the token is not taken: retryable, like unreachable keys.
      throw new AuthError('KEYS_UNAVAILABLE', 'the revocation list could not be consulted', { cause });
    }
    if (revoked) throw new AuthError('TOKEN_REVOKED', `token ${claims.tokenId} of ${claims.staffId} has been revoked`);
    return claims;
  }

  return {
    async verify(token) {
      try {
        return await checked(token);
      } catch (error) {
        throw joseRefusal(error);
      }
    },
  };
}
