import { caseEvents, createBus, isolatedPrefix, on } from '@petition/bus';
import { CaseEvent } from '@petition/contract';
import { createLogger } from '@petition/logging';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epochKey } from './epoch.ts';
import { claimEpochGroups, epochGroupKeys, rewoundFrom } from './epoch-groups.ts';

// Against the real broker and Redis: a service's stable consumer groups are rewound — deleted with what
// they had committed noted — once for each new epoch of its keys, only when no member of the old epoch is
// left in them, by one instance however many start at once; a restart within the epoch keeps them.

const logger = createLogger({ service: 'epoch-groups-test', level: process.env.LOG_LEVEL ?? 'warn' });
const brokers = () => (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const topicPrefix = isolatedPrefix('epoch-groups');
const bus = createBus({ brokers: brokers(), clientId: 'epoch-groups-test', logger, topicPrefix });
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `${topicPrefix}svc:`;
let committed: Map<number, bigint>;

const claim = (instance: string) =>
  claimEpochGroups({
    redis,
    prefix,
    bus,
    groups: [{ groupId: 'svc', topics: [caseEvents] }, { groupId: 'svc-other' }],
    instance,
    logger,
    pollMs: 100,
  });

const flush = async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
};

beforeAll(async () => {
  await bus.ensureTopics([caseEvents], { partitions: 2 });
  const events = ['a', 'b', 'c'].map((id) =>
    CaseEvent.fromPartial({ envelope: { eventId: `e-${id}`, caseId: `case-${id}`, caseVersion: 1 } }),
  );
  await (await bus.publisher()).publish(caseEvents, events);
  committed = await bus.endOffsets(caseEvents);
});

afterAll(async () => {
  await flush();
  redis.disconnect();
  await bus.deleteGroups(['svc', 'svc-other']).catch(() => undefined);
  await bus.deleteOwnTopics();
  await bus.close();
});

describe('claimEpochGroups', () => {
  it('rewinds the groups once for a new epoch, by one instance of several starting together', async () => {
    await bus.setCommittedOffsets('svc', caseEvents, committed);
    await bus.setCommittedOffsets('svc-other', caseEvents, committed);
    const epochs = await Promise.all([claim('one'), claim('two'), claim('three')]);
    expect(new Set(epochs).size).toBe(1);
    expect(await redis.get(epochKey(prefix))).toBe(epochs[0]);
    expect(await redis.get(epochGroupKeys(prefix).groupsEpoch)).toBe(epochs[0]);
    const groups = await bus.listGroups();
    expect(groups).not.toContain('svc');
    expect(groups).not.toContain('svc-other');
    expect(await rewoundFrom(redis, prefix, 'svc', caseEvents)).toEqual(committed);
  });

  it('keeps the groups and their offsets on a restart within the epoch', async () => {
    const epoch = await redis.get(epochKey(prefix));
    await bus.setCommittedOffsets('svc', caseEvents, committed);
    expect(await claim('four')).toBe(epoch);
    expect(await bus.committedOffsets('svc', caseEvents)).toEqual(committed);
  });

  it('after a flush waits until the members of the old epoch have left, then rewinds', async () => {
    const oldEpoch = await redis.get(epochKey(prefix));
    const member = bus.consumer({ groupId: 'svc', subscriptions: [on(caseEvents, async () => undefined)] });
    await member.start();
    await flush();
    let claimed: string | undefined;
    const claiming = claim('five').then((epoch) => {
      claimed = epoch;
    });
    // The member of the old epoch is still in the group: nothing is rewound meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(claimed).toBeUndefined();
    expect(await redis.get(epochGroupKeys(prefix).groupsEpoch)).toBeNull();
    expect(await bus.listGroups()).toContain('svc');
    await member.stop();
    await claiming;
    expect(claimed).toBeDefined();
    expect(claimed).not.toBe(oldEpoch);
    expect(await bus.listGroups()).not.toContain('svc');
    expect(await redis.get(epochGroupKeys(prefix).rewindLock)).toBeNull();
  });
});
