import type { Redis } from 'ioredis';

// What a service keeps in Redis may be flushed at any time; Kafka keeps the truth. The service's consumer
// groups are named after an epoch kept beside its keys: when the epoch key is gone (a flush), a new epoch
// names new groups, which read their topics from the beginning and rebuild what was lost.

/** The epoch of the keys under `prefix`: the one stored, or a new one when none is. */
export async function indexEpoch(redis: Redis, prefix: string): Promise<string> {
  const key = epochKey(prefix);
  const fresh = Date.now().toString(36);
  await redis.set(key, fresh, 'NX');
  return (await redis.get(key)) ?? fresh;
}

/** True while the epoch key still holds `epoch` (false after a flush or a newer epoch). */
export async function epochHolds(redis: Redis, prefix: string, epoch: string): Promise<boolean> {
  return (await redis.get(epochKey(prefix))) === epoch;
}

export const epochKey = (prefix: string) => `${prefix}index-epoch`;
