export type SealErrorCode = 'BAD_KEYRING' | 'KEY_DESTROYED' | 'TAMPERED' | 'UNSUPPORTED';

export class SealError extends Error {
  readonly code: SealErrorCode;
  constructor(code: SealErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'SealError';
    this.code = code;
  }
}
