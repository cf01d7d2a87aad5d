import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

// Leases on partitions in Redis: one holder at a time, renewed while held, let go on rebalance and stop,
// running out by themselves if the holder dies.

const releaseScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const holdScript = `
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

export function createLeases(redis: Redis, prefix: string, ttlMs: number) {
  const me = randomUUID();
  const held = new Set<number>();
  return {
    /** The partitions of `wanted` whose lease this instance holds now (taken or renewed). */
    async hold(wanted: ReadonlySet<number>): Promise<number[]> {
      const mine: number[] = [];
      for (const p of wanted) {
        if (Number(await redis.eval(holdScript, 1, `${prefix}${p}`, me, String(ttlMs))) === 1) {
          held.add(p);
          mine.push(p);
        } else held.delete(p);
      }
      return mine;
    },
    /** Lets go of every lease but those of `kept`. */
    async releaseAllBut(kept: ReadonlySet<number>) {
      for (const p of [...held]) {
        if (kept.has(p)) continue;
        await redis.eval(releaseScript, 1, `${prefix}${p}`, me);
        held.delete(p);
      }
    },
  };
}
