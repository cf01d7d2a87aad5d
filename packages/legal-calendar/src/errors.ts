export type CalendarErrorCode = 'INVALID_DATE' | 'INVALID_PERIOD' | 'INVALID_POLICY' | 'INVALID_TABLE';

/** A calendar question that has no answer: a bad date, a bad period, a bad policy or table. */
export class CalendarError extends Error {
  readonly code: CalendarErrorCode;
  constructor(code: CalendarErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'CalendarError';
    this.code = code;
  }
}
