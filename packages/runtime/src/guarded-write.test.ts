import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { epochKey, indexEpoch } from './epoch.ts';
import { writeWhileEpochHolds } from './guarded-write.ts';

// Real Redis: a batch of writes is made whole while the epoch holds, and not at all once it is gone.

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `t-guarded-${randomUUID()}:`;

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('writeWhileEpochHolds', () => {
  it('makes every recorded command while the epoch holds, in order', async () => {
    const epoch = await indexEpoch(redis, prefix);
    const made = await writeWhileEpochHolds(redis, prefix, epoch, (batch) =>
      batch
        .hset(`${prefix}h`, { state: 'open', version: 3 })
        .hset(`${prefix}h`, 'holder', 'u-1')
        .rpush(`${prefix}l`, 'a', 'b')
        .zadd(`${prefix}z`, 5, 'm')
        .zadd(`${prefix}z`, 'XX', 7, 'm')
        .zadd(`${prefix}z`, 'XX', 9, 'absent')
        .hincrby(`${prefix}c`, 'n', 2)
        .hincrby(`${prefix}c`, 'n', 3)
        .sadd(`${prefix}s`, 'x', 'y')
        .set(`${prefix}k`, 'v', 'EX', 60),
    );
    expect(made).toBe(true);
    expect(await redis.hgetall(`${prefix}h`)).toEqual({ state: 'open', version: '3', holder: 'u-1' });
    expect(await redis.lrange(`${prefix}l`, 0, -1)).toEqual(['a', 'b']);
    expect(await redis.zrange(`${prefix}z`, 0, -1, 'WITHSCORES')).toEqual(['m', '7']);
    expect(await redis.hget(`${prefix}c`, 'n')).toBe('5');
    expect((await redis.smembers(`${prefix}s`)).sort()).toEqual(['x', 'y']);
    expect(await redis.ttl(`${prefix}k`)).toBeGreaterThan(0);
  });

  it('writes nothing once the epoch key is gone (a flush) or names another epoch', async () => {
    const epoch = await indexEpoch(redis, prefix);
    await redis.del(epochKey(prefix));
    expect(await writeWhileEpochHolds(redis, prefix, epoch, (batch) => batch.set(`${prefix}after-flush`, '1'))).toBe(
      false,
    );
    await redis.set(epochKey(prefix), 'a-newer-epoch');
    expect(await writeWhileEpochHolds(redis, prefix, epoch, (batch) => batch.set(`${prefix}after-flush`, '1'))).toBe(
      false,
    );
    expect(await redis.exists(`${prefix}after-flush`)).toBe(0);
  });

  it('sends nothing for an empty batch', async () => {
    expect(await writeWhileEpochHolds(redis, prefix, 'any', () => undefined)).toBe(true);
  });
});
