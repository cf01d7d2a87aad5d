import { describe, expect, it } from 'vitest';
import { partitionLags } from './lag.ts';

describe('partitionLags', () => {
  it('is the end less the committed offset per partition, the whole end where nothing is committed', () => {
    const ends = new Map([
      [1, 10n],
      [0, 5n],
      [2, 7n],
    ]);
    const committed = new Map([
      [0, 5n],
      [1, 4n],
    ]);
    expect(partitionLags(ends, committed)).toEqual([
      { partition: 0, end: 5n, committed: 5n, lag: 0n },
      { partition: 1, end: 10n, committed: 4n, lag: 6n },
      { partition: 2, end: 7n, committed: 0n, lag: 7n },
    ]);
  });

  it('is never below 0 when a commit is ahead of the end offsets read a moment before', () => {
    expect(partitionLags(new Map([[0, 3n]]), new Map([[0, 4n]]))[0]?.lag).toBe(0n);
  });
});
