import { describe, expect, it } from 'vitest';
import { isSequenceReset } from './publisher.ts';

describe('isSequenceReset', () => {
  it('finds kafkajs’s sequence errors anywhere in the cause chain, and nothing else', () => {
    const protocol = Object.assign(new Error('The broker received an out of order sequence number'), {
      type: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
    });
    expect(isSequenceReset(protocol)).toBe(true);
    expect(isSequenceReset(Object.assign(new Error('retries exceeded'), { originalError: protocol }))).toBe(true);
    expect(isSequenceReset(new Error('wrapped', { cause: { type: 'UNKNOWN_PRODUCER_ID' } }))).toBe(true);
    expect(isSequenceReset(Object.assign(new Error('x'), { type: 'NOT_LEADER_FOR_PARTITION' }))).toBe(false);
    expect(isSequenceReset(undefined)).toBe(false);
  });
});
