import type { CaseEvent } from '@petition/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, createBus } from './bus.ts';
import { kafkaClients } from './clients.ts';
import { on } from './consumer.ts';
import { caseAccepted, testBrokers, testLogger, waitFor } from './test-support.ts';
import { defineTopic, isolatedPrefix } from './topic.ts';
import { caseEvents } from './topics.ts';

// Readers of what a process keeps in memory (a directory, a case state): they commit nothing, so nothing is
// left behind on the broker, and once caught up they pause — no fetches — until something needs them again.

const readTopic = defineTopic<CaseEvent>({ ...caseEvents, name: 'petition.bus-reader.v1' });
const sum = (offsets: Map<number, bigint>) => [...offsets.values()].reduce((n, o) => n + o, 0n);

describe.each(kafkaClients)('a reader on %s', (client) => {
  let bus: Bus;

  beforeAll(async () => {
    bus = createBus({
      brokers: testBrokers(),
      clientId: 'bus-reader-test',
      logger: testLogger(),
      topicPrefix: isolatedPrefix(`bus-reader-${client}`),
      client,
    });
    await bus.ensureTopics([readTopic], { partitions: 3 });
  });

  afterAll(async () => {
    await bus.close();
    await bus.deleteOwnTopics();
  });

  it('commits nothing with commitOffsets: false, and reads from the beginning again when started again', async () => {
    const keys = Array.from({ length: 9 }, (_, i) => `case-uncommitted-${i}`);
    await (await bus.publisher()).publish(
      readTopic,
      keys.map((k) => caseAccepted(k, 1)),
    );
    for (const round of [1, 2]) {
      const seen: string[] = [];
      const reader = bus.consumer({
        groupId: 'reader-uncommitted',
        commitOffsets: false,
        commitIntervalMs: 50,
        subscriptions: [on(readTopic, async (r) => void seen.push(r.key))],
      });
      await reader.start();
      await waitFor(`round ${round} to read every record`, () => seen.length >= keys.length);
      await reader.stop();
      expect(new Set(seen)).toEqual(new Set(keys));
      expect(sum(await bus.committedOffsets('reader-uncommitted', readTopic))).toBe(0n);
    }
  });

  it('takes nothing while paused, then everything from where it stopped once resumed', async () => {
    const seen: string[] = [];
    const reader = bus.consumer({
      groupId: 'reader-paused',
      commitOffsets: false,
      subscriptions: [on(readTopic, async (r) => void (r.key.startsWith('case-paused-') && seen.push(r.key)))],
    });
    await reader.start();
    const publisher = await bus.publisher();
    await publisher.publish(readTopic, [caseAccepted('case-paused-before', 1)]);
    await waitFor('the record before the pause', () => seen.length === 1);
    reader.pause();
    const later = Array.from({ length: 6 }, (_, i) => `case-paused-${i}`);
    await publisher.publish(
      readTopic,
      later.map((k) => caseAccepted(k, 1)),
    );
    // Several fetch waits go by: a paused reader takes none of what was written after it paused.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(seen).toEqual(['case-paused-before']);
    reader.resume();
    await waitFor('the records written while paused', () => seen.length === 1 + later.length);
    expect(new Set(seen.slice(1))).toEqual(new Set(later));
    await reader.stop();
  });

  it('starts where setCommittedOffsets put its group, and deleteGroups leaves nothing of it on the broker', async () => {
    const keys = Array.from({ length: 12 }, (_, i) => `case-positioned-${i}`);
    const publisher = await bus.publisher();
    await publisher.publish(readTopic, [caseAccepted('case-positioned-before', 1)]);
    const start = await bus.endOffsets(readTopic);
    await publisher.publish(
      readTopic,
      keys.map((k) => caseAccepted(k, 1)),
    );
    const groupId = `reader-positioned-${client}`;
    await bus.setCommittedOffsets(groupId, readTopic, start);
    const seen: string[] = [];
    const reader = bus.consumer({
      groupId,
      commitOffsets: false,
      subscriptions: [on(readTopic, async (r) => void (r.key.startsWith('case-positioned') && seen.push(r.key)))],
    });
    await reader.start();
    await waitFor('the records after the position', () => seen.length >= keys.length);
    await reader.stop();
    // Everything after the position, once each, and nothing before it.
    expect(seen.toSorted()).toEqual(keys.toSorted());
    await bus.deleteGroups([groupId]);
    expect(sum(await bus.committedOffsets(groupId, readTopic))).toBe(0n);
  });
});
