import { describe, expect, it } from 'vitest';
import { createReadPositions, reached } from './catch-up.ts';

describe('reached', () => {
  it('holds once every partition is read up to its end; an empty partition is reached at once', () => {
    const ends = new Map([
      [0, 3n],
      [1, 0n],
    ]);
    expect(reached(ends, new Map())).toBe(false);
    expect(reached(ends, new Map([[0, 2n]]))).toBe(false);
    expect(reached(ends, new Map([[0, 3n]]))).toBe(true);
    expect(reached(ends, new Map([[0, 9n]]))).toBe(true);
  });
});

describe('createReadPositions', () => {
  it('wakes a waiter once each of its partitions is read far enough, not before', async () => {
    const read = createReadPositions();
    let woken = false;
    const waiting = read
      .until(
        new Map([
          [0, 2n],
          [1, 1n],
        ]),
      )
      .then(() => {
        woken = true;
      });
    read.advance(0, 2n);
    await Promise.resolve();
    expect(woken).toBe(false);
    expect(read.waiting).toBe(1);
    read.advance(1, 1n);
    await waiting;
    expect(woken).toBe(true);
    expect(read.waiting).toBe(0);
  });

  it('never goes back, and answers at once what is already read', async () => {
    const read = createReadPositions();
    read.advance(3, 10n);
    read.advance(3, 4n);
    expect(read.next(3)).toBe(10n);
    expect(read.next(4)).toBe(0n);
    await read.until(new Map([[3, 10n]]));
    expect(read.reached(new Map([[3, 11n]]))).toBe(false);
  });
});
