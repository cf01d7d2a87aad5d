import { describe, expect, it } from 'vitest';
import { backoffDelayMs, isRetryable, PoisonRecordError } from './retry.ts';

describe('backoffDelayMs', () => {
  const policy = { maxAttempts: 6, initialDelayMs: 100, maxDelayMs: 1_000 };

  it('doubles the ceiling each attempt and caps it', () => {
    const top = () => 1;
    expect([1, 2, 3, 4, 5].map((a) => backoffDelayMs(policy, a, top))).toEqual([100, 200, 400, 800, 1000]);
  });

  it('jitters between half the ceiling and the ceiling', () => {
    expect(backoffDelayMs(policy, 3, () => 0)).toBe(200);
    expect(backoffDelayMs(policy, 3, () => 0.5)).toBe(300);
  });
});

describe('isRetryable', () => {
  it('parks poison at once and retries the rest', () => {
    expect(isRetryable(new PoisonRecordError('BAD', 'bad'))).toBe(false);
    expect(isRetryable(Object.assign(new Error('x'), { retryable: true }))).toBe(true);
    expect(isRetryable(new Error('connection reset'))).toBe(true);
    expect(isRetryable('string thrown')).toBe(true);
  });
});
