import { caseEvents, createBus, isolatedPrefix, type KafkaClientName, on } from '@petition/bus';
import { CaseEvent } from '@petition/contract';
import { createLogger } from '@petition/logging';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteOrphanGroups, orphanGroups } from './orphan-groups.ts';

// Against the real broker: the groups a service named after an earlier Redis epoch are deleted at its
// start; its current ones, other names and groups with members stay.

const logger = createLogger({ service: 'orphan-groups-test', level: process.env.LOG_LEVEL ?? 'warn' });
const brokers = () => (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

describe('orphanGroups', () => {
  it('picks the groups of the names with another epoch, not other names or longer names', () => {
    const old = Date.UTC(2025, 5, 1).toString(36);
    const current = Date.UTC(2026, 10, 1).toString(36);
    const groups = [
      `tracking-${old}`,
      `tracking-${current}`,
      `tracking-deadlines-${old}`,
      `tracking-deadlines-${current}`,
      `tracking-workspace-${old}`,
      'tracking',
      'tracking-subscriptions',
      // Eight letters, but as a time in base 36 years ahead: a name, not an epoch.
      'tracking-trackers',
      'routing',
      `routing-${old}`,
      `xtracking-${old}`,
      `tracking-${old}-extra`,
    ];
    expect(orphanGroups(groups, ['tracking', 'tracking-deadlines'], current)).toEqual([
      `tracking-${old}`,
      `tracking-deadlines-${old}`,
    ]);
    expect(orphanGroups(groups, ['a.b'], 'x')).toEqual([]);
  });
});

describe.each(['platformatic', 'kafkajs'] as KafkaClientName[])('deleteOrphanGroups on %s', (client) => {
  it('deletes a group of an old epoch with committed offsets, keeps the current one and one with a member', async () => {
    const prefix = isolatedPrefix(`orphans-${client}`);
    const bus = createBus({ brokers: brokers(), clientId: 'orphan-groups-test', logger, topicPrefix: prefix, client });
    cleanups.push(
      () => bus.deleteOwnTopics(),
      () => bus.close(),
    );
    await bus.ensureTopics([caseEvents], { partitions: 2 });
    const epochOf = (at: number) => at.toString(36);
    const oldEpoch = epochOf(Date.UTC(2026, 0, 1));
    const busyEpoch = epochOf(Date.UTC(2026, 2, 1));
    const currentEpoch = epochOf(Date.UTC(2026, 5, 1));
    const old = `tracking-${oldEpoch}`;
    const oldDeadlines = `tracking-deadlines-${oldEpoch}`;
    const current = `tracking-${currentEpoch}`;
    const busy = `tracking-${busyEpoch}`;
    const otherName = `routing-${oldEpoch}`;
    const events = ['a', 'b', 'c', 'd'].map((id) =>
      CaseEvent.fromPartial({ envelope: { eventId: `e-${id}`, caseId: `case-${id}`, caseVersion: 1 } }),
    );
    await (await bus.publisher()).publish(caseEvents, events);
    const committed = await bus.endOffsets(caseEvents);
    expect([...committed.values()].reduce((a, b) => a + b)).toBe(4n);
    for (const group of [old, oldDeadlines, current, otherName]) {
      await bus.setCommittedOffsets(group, caseEvents, committed);
    }
    // An instance of an old epoch still running: its group has a member.
    const member = bus.consumer({ groupId: busy, subscriptions: [on(caseEvents, async () => undefined)] });
    await member.start();
    cleanups.push(() => bus.deleteGroups([busy]));
    expect(await bus.listGroups()).toEqual(expect.arrayContaining([old, oldDeadlines, current, busy, otherName]));

    const result = await deleteOrphanGroups(bus, ['tracking', 'tracking-deadlines'], currentEpoch, logger);

    expect(result.deleted.sort()).toEqual([oldDeadlines, old].sort());
    expect(result.left).toEqual([busy]);
    const after = await bus.listGroups();
    expect(after).not.toContain(old);
    expect(after).not.toContain(oldDeadlines);
    expect(after).toEqual(expect.arrayContaining([current, busy, otherName]));
    expect(await bus.committedOffsets(current, caseEvents)).toEqual(committed);

    // Once the old instance is gone, the next start deletes its group too.
    await member.stop();
    const again = await deleteOrphanGroups(bus, ['tracking', 'tracking-deadlines'], currentEpoch, logger);
    expect(again).toEqual({ deleted: [busy], left: [] });
    expect(await bus.listGroups()).not.toContain(busy);
  });
});
