import { AuthError, type AuthErrorCode } from './errors.ts';

// jose's errors carry a `code` (and `claim` for a failed claim check); callers of a verifier see only our
// closed set, so that an HTTP layer maps codes to statuses without knowing which library verified.

const byJoseCode = new Map<unknown, AuthErrorCode>(
  Object.entries({
    ERR_JWT_EXPIRED: 'TOKEN_EXPIRED',
    ERR_JWKS_NO_MATCHING_KEY: 'TOKEN_UNKNOWN_KEY',
    // Several keys fit a token that names no kid: which node signed cannot be told.
    ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'TOKEN_UNKNOWN_KEY',
    ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'TOKEN_BAD_SIGNATURE',
    // `none`, HS256 (a public key used as an HMAC secret) and the like prove nothing about who signed.
    ERR_JOSE_ALG_NOT_ALLOWED: 'TOKEN_BAD_SIGNATURE',
    ERR_JOSE_NOT_SUPPORTED: 'TOKEN_BAD_SIGNATURE',
    ERR_JWS_INVALID: 'TOKEN_MALFORMED',
    ERR_JWT_INVALID: 'TOKEN_MALFORMED',
    ERR_JWKS_TIMEOUT: 'KEYS_UNAVAILABLE',
    ERR_JWKS_INVALID: 'KEYS_UNAVAILABLE',
    ERR_JWK_INVALID: 'KEYS_UNAVAILABLE',
  } satisfies Record<string, AuthErrorCode>),
);

const byFailedClaim = new Map<unknown, AuthErrorCode>(
  Object.entries({
    iss: 'TOKEN_WRONG_ISSUER',
    aud: 'TOKEN_WRONG_AUDIENCE',
    nbf: 'TOKEN_NOT_YET_VALID',
    iat: 'TOKEN_NOT_YET_VALID',
  } satisfies Record<string, AuthErrorCode>),
);

/** The AuthError for whatever jwtVerify threw; anything unrecognised refuses the token as malformed. */
export function joseRefusal(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  const { code, claim, reason, message } = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    claim?: unknown;
    reason?: unknown;
    message?: unknown;
  };
  const why = typeof message === 'string' ? message : String(error);
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    // A claim that is missing or of the wrong type is a bad payload, whichever claim it is.
    const mapped = reason === 'check_failed' ? byFailedClaim.get(claim) : undefined;
    return new AuthError(mapped ?? 'TOKEN_BAD_CLAIMS', why, { cause: error });
  }
  return new AuthError(byJoseCode.get(code) ?? 'TOKEN_MALFORMED', why, { cause: error });
}
