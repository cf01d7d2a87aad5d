import type { Redis } from 'ioredis';

// The case index lives in Redis, which may be flushed at any time; Kafka keeps the truth. The index's
// consumer group is named after an epoch kept beside the index: when the epoch key is gone (a flush),
// a new epoch names a new group, which reads case-events from the beginning and rebuilds the index.

export async function indexEpoch(redis: Redis, prefix: string): Promise<string> {
  const key = `${prefix}index-epoch`;
  const fresh = Date.now().toString(36);
  await redis.set(key, fresh, 'NX');
  return (await redis.get(key)) ?? fresh;
}

/** True while the epoch key still holds `epoch` (false after a flush or a newer epoch). */
export async function epochHolds(redis: Redis, prefix: string, epoch: string): Promise<boolean> {
  return (await redis.get(`${prefix}index-epoch`)) === epoch;
}
