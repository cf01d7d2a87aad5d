export type AuthErrorCode =
  | 'TOKEN_MISSING'
  | 'TOKEN_MALFORMED'
  | 'TOKEN_UNKNOWN_KEY'
  | 'TOKEN_BAD_SIGNATURE'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_NOT_YET_VALID'
  | 'TOKEN_WRONG_ISSUER'
  | 'TOKEN_WRONG_AUDIENCE'
  | 'TOKEN_TOO_LONG_LIVED'
  | 'TOKEN_REVOKED'
  | 'TOKEN_BAD_CLAIMS'
  /** The keys or the revocation list could not be had (a key set URL timed out…): worth retrying. */
  | 'KEYS_UNAVAILABLE'
  /** Configuration: keys, issuers, audience or lifetime given to a signer or verifier are unusable. */
  | 'BAD_KEYS'
  | 'BAD_ROLES'
  | 'BAD_REVOCATION_LIST'
  | 'BAD_CASE_NUMBER_SOURCE';

export class AuthError extends Error {
  readonly code: AuthErrorCode;
  constructor(code: AuthErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'AuthError';
    this.code = code;
  }

  /** Only keys or a revocation list out of reach may come back by themselves; other refusals are the token's. */
  get retryable(): boolean {
    return this.code === 'KEYS_UNAVAILABLE';
  }
}
