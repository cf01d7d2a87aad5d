/** Stable codes for what the directory refuses; callers branch on `code`. */
export type DirectoryErrorCode =
  | 'INVALID_UNIT'
  | 'UNKNOWN_UNIT'
  | 'UNIT_EXISTS'
  | 'UNIT_DISSOLVED'
  | 'MERGE_INTO_SELF'
  | 'SUCCESSOR_CYCLE';

export class DirectoryError extends Error {
  readonly code: DirectoryErrorCode;
  constructor(code: DirectoryErrorCode, message: string) {
    super(message);
    this.name = 'DirectoryError';
    this.code = code;
  }
}
