import { randomUUID } from 'node:crypto';
import { waitFor } from '@petition/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epochHolds, epochKey, indexEpoch } from './epoch.ts';
import { watchEpoch } from './epoch-watch.ts';

// Against the real Redis: the epoch a service's keys live under, and what a flush does to it.

let redis: Redis;
const prefix = () => `runtime-test-${randomUUID().slice(0, 8)}:`;
const quiet = { error: () => undefined };

beforeAll(() => {
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
});
afterAll(() => {
  redis?.disconnect();
});

describe('indexEpoch and epochHolds', () => {
  it('keeps the epoch it found, and says it no longer holds once the key is gone', async () => {
    const p = prefix();
    const epoch = await indexEpoch(redis, p);
    expect(await indexEpoch(redis, p)).toBe(epoch);
    expect(await epochHolds(redis, p, epoch)).toBe(true);
    await redis.del(epochKey(p));
    expect(await epochHolds(redis, p, epoch)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 2));
    expect(await indexEpoch(redis, p)).not.toBe(epoch);
  });
});

describe('watchEpoch', () => {
  it('tells once that the epoch was lost, then watches the one a rebuild installs', async () => {
    const p = prefix();
    let epoch = await indexEpoch(redis, p);
    const lost: string[] = [];
    const watch = watchEpoch({
      redis,
      prefix: p,
      epoch: () => epoch,
      everyMs: 20,
      logger: quiet,
      onLost: async (gone) => {
        lost.push(gone);
        epoch = await indexEpoch(redis, p);
      },
    });
    try {
      const first = epoch;
      await redis.del(epochKey(p));
      await waitFor('the lost epoch told', () => lost.length === 1);
      expect(lost).toEqual([first]);
      expect(epoch).not.toBe(first);
      // The new epoch is watched in turn.
      await redis.del(epochKey(p));
      await waitFor('the second loss told', () => lost.length === 2);
    } finally {
      watch.stop();
      await redis.del(epochKey(p));
    }
  });

  it('calls a failed rebuild again at the next check until it succeeds', async () => {
    const p = prefix();
    let epoch = await indexEpoch(redis, p);
    let calls = 0;
    const watch = watchEpoch({
      redis,
      prefix: p,
      epoch: () => epoch,
      everyMs: 20,
      logger: quiet,
      onLost: async () => {
        calls++;
        // The first two tries fail (a consumer that could not join); the third installs the new epoch.
        if (calls < 3) throw new Error('group not joined');
        epoch = await indexEpoch(redis, p);
      },
    });
    try {
      const first = epoch;
      await redis.del(epochKey(p));
      await waitFor('the rebuild tried until it succeeded', () => calls === 3);
      expect(epoch).not.toBe(first);
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Once rebuilt, nothing more is called while the new epoch holds.
      expect(calls).toBe(3);
    } finally {
      watch.stop();
      await redis.del(epochKey(p));
    }
  });
});
