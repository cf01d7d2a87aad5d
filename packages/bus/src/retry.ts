/** Bounded retries with exponential backoff and full jitter, for transient faults in handlers. */
export interface RetryPolicy {
  /** Attempts in all, the first included; after the last one the record is parked in the DLQ. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 5_000 };

/**
 * Delay before attempt `attempt + 1` (attempt counts from 1). Full jitter keeps instances that failed
 * together from retrying together.
 */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}

/**
 * Errors say whether trying again can help. `retryable: false` (a bad record, a broken invariant)
 * parks the record at once; anything else is assumed transient and retried within the policy.
 */
export function isRetryable(err: unknown): boolean {
  if (err && typeof err === 'object' && 'retryable' in err) return (err as { retryable: unknown }).retryable !== false;
  return true;
}

/** A failure that retrying will not cure: the record goes to the DLQ with this reason. */
export class PoisonRecordError extends Error {
  readonly retryable = false;
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PoisonRecordError';
    this.code = code;
  }
}
