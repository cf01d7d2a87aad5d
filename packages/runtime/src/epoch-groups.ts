import type { Bus } from '@petition/bus';
import type { Logger } from '@petition/logging';
import type { Redis } from 'ioredis';
import { indexEpoch } from './epoch.ts';

// A service that keeps in Redis what it rebuilds from Kafka reads with consumer groups of stable names
// (`tracking`, `notification-deadlines`, …): operators and KEDA follow a group's lag by its name. Their
// committed offsets belong to the Redis epoch (epoch.ts) they were committed under. When the keys are new —
// flushed, or never written — the groups must read from the beginning again: before any instance joins
// them under the new epoch, one instance (holding a lock in Redis) waits until the groups are empty — the
// instances of the old epoch leave them once they notice the flush — notes what each had committed, and
// deletes them. The epoch whose groups were rewound so is kept beside the keys; an instance joins only once
// it names the current epoch.
//
// Keys (under the service's prefix, flushed with the rest):
//   groups-epoch                      the epoch whose groups have been rewound
//   groups-rewind-lock                the instance rewinding them now (expires)
//   rewound-from:<group>:<topic>      hash partition → offset the group had committed before the rewind

export const epochGroupKeys = (prefix: string) => ({
  groupsEpoch: `${prefix}groups-epoch`,
  rewindLock: `${prefix}groups-rewind-lock`,
  rewoundFrom: (groupId: string, topic: string) => `${prefix}rewound-from:${groupId}:${topic}`,
});

export interface EpochGroup {
  readonly groupId: string;
  /** Topics whose committed offsets are noted before the rewind (rewoundFrom answers them). */
  readonly topics?: readonly { name: string }[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves with the current epoch once the service's stable groups belong to it: at once when they were
 * rewound for it already, else after this instance or another has rewound them. Never gives up while the
 * groups still have members (instances of the old epoch not yet gone); `stopped` ends the wait.
 */
export async function claimEpochGroups(o: {
  redis: Redis;
  prefix: string;
  bus: Pick<Bus, 'listGroups' | 'deleteGroups' | 'committedOffsets'>;
  groups: readonly EpochGroup[];
  instance: string;
  logger: Logger;
  pollMs?: number;
  lockMs?: number;
  stopped?: () => boolean;
}): Promise<string> {
  const keys = epochGroupKeys(o.prefix);
  const pollMs = o.pollMs ?? 500;
  const lockMs = o.lockMs ?? 30_000;
  const epoch = await indexEpoch(o.redis, o.prefix);
  let waitingSince = Date.now();
  for (;;) {
    if ((await o.redis.get(keys.groupsEpoch)) === epoch) return epoch;
    if (o.stopped?.()) throw new Error('closing while waiting for the consumer groups of the new epoch');
    if ((await o.redis.set(keys.rewindLock, o.instance, 'PX', lockMs, 'NX')) === 'OK') {
      try {
        if (await rewind(o, epoch, lockMs)) {
          await o.redis.set(keys.groupsEpoch, epoch);
          o.logger.info(
            { epoch, groups: o.groups.map((g) => g.groupId) },
            'consumer groups rewound for a new epoch: they read their topics from the beginning',
          );
          return epoch;
        }
      } finally {
        // Let go only of a lock still ours.
        if ((await o.redis.get(keys.rewindLock)) === o.instance) await o.redis.del(keys.rewindLock);
      }
    }
    if (Date.now() - waitingSince > 10_000) {
      o.logger.warn({ epoch }, 'still waiting for the consumer groups of the new epoch (members of the old one left?)');
      waitingSince = Date.now();
    }
    await sleep(pollMs);
  }
}

/** One attempt, within the lock's time: true once every group is gone (or never was). */
async function rewind(o: Parameters<typeof claimEpochGroups>[0], epoch: string, lockMs: number): Promise<boolean> {
  const keys = epochGroupKeys(o.prefix);
  const until = Date.now() + lockMs / 2;
  let existing = new Set(await o.bus.listGroups());
  for (const group of o.groups) {
    while (existing.has(group.groupId)) {
      for (const topic of group.topics ?? []) {
        const committed = await o.bus.committedOffsets(group.groupId, topic);
        const key = keys.rewoundFrom(group.groupId, topic.name);
        if (committed.size > 0)
          await o.redis.hset(key, Object.fromEntries([...committed].map(([p, at]) => [String(p), at.toString()])));
      }
      try {
        await o.bus.deleteGroups([group.groupId]);
        break;
      } catch (err) {
        // Members of the old epoch still in it: they leave once they notice the flush.
        if (Date.now() > until) {
          o.logger.debug({ err, group: group.groupId, epoch }, 'group not empty yet');
          return false;
        }
        await sleep(o.pollMs ?? 500);
        existing = new Set(await o.bus.listGroups());
      }
    }
  }
  return true;
}

/** What `groupId` had committed on `topic` before the last rewind (empty when it never was rewound). */
export async function rewoundFrom(redis: Redis, prefix: string, groupId: string, topic: { name: string }) {
  const stored = await redis.hgetall(epochGroupKeys(prefix).rewoundFrom(groupId, topic.name));
  return new Map(Object.entries(stored).map(([p, at]) => [Number(p), BigInt(at)]));
}
