import { CaseEvent } from '@petition/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, createBus } from './bus.ts';
import { kafkaClients } from './clients.ts';
import { type ConsumedRecord, on, onBatch } from './consumer.ts';
import { caseAccepted, caseForwarded, testBrokers, testLogger, waitFor } from './test-support.ts';
import { defineTopic, isolatedPrefix } from './topic.ts';
import { caseEvents } from './topics.ts';

// How a consumer's committed offsets move on, on each client: past records it skips by header, on its
// interval rather than per batch, everything on stop, and what it processed before a rebalance. Each test
// has a topic of its own, as it compares committed offsets with the end of the topic.

const commitTopic = (name: string) => defineTopic<CaseEvent>({ ...caseEvents, name: `petition.${name}.v1` });
const filtered = commitTopic('bus-filter');
const intervals = commitTopic('bus-interval');
const rebalanced = commitTopic('bus-rebalance');

const total = (offsets: Map<number, bigint>) => [...offsets.values()].reduce((n, o) => n + o, 0n);

describe.each(kafkaClients)('offset commits on %s against the real broker', (client) => {
  let bus: Bus;

  beforeAll(async () => {
    bus = createBus({
      brokers: testBrokers(),
      clientId: 'bus-commits-test',
      logger: testLogger(),
      topicPrefix: isolatedPrefix(`bus-commits-${client}`),
      client,
    });
    await bus.ensureTopics([filtered, intervals, rebalanced], { partitions: 12 });
  });

  afterAll(async () => {
    await bus.close();
    await bus.deleteOwnTopics();
  });

  it('skips records of unwanted cases by header, undecoded, and still commits past them', async () => {
    const accepted = Array.from({ length: 30 }, (_, i) => caseAccepted(`case-filter-${i % 7}`, i + 1));
    const forwarded = Array.from({ length: 45 }, (_, i) => caseForwarded(`case-filter-${i % 9}`, i + 1));
    // The same bytes as a CaseForwarded record but without headers: an older writer's, decoded and handed over.
    const unlabelled = caseForwarded('case-filter-old', 1);
    const got: ConsumedRecord<CaseEvent>[] = [];
    const gotBatched: ConsumedRecord<CaseEvent>[] = [];
    const one = bus.consumer({
      groupId: 'filter-one',
      commitIntervalMs: 60_000,
      subscriptions: [on(filtered, async (r) => void got.push(r), { only: ['caseAccepted'] })],
    });
    const batched = bus.consumer({
      groupId: 'filter-batch',
      commitIntervalMs: 60_000,
      subscriptions: [onBatch(filtered, async (rs) => void gotBatched.push(...rs), { only: ['caseAccepted'], max: 4 })],
    });
    await Promise.all([one.start(), batched.start()]);
    const publisher = await bus.publisher();
    // Interleaved, and ending with skipped records, so that the end of the topic is one the filter passed over.
    await publisher.publish(filtered, [...accepted.slice(0, 15), ...forwarded.slice(0, 20)]);
    await publisher.publishRaw(bus.topicName(filtered), [
      { key: 'case-filter-old', value: Buffer.from(CaseEvent.encode(unlabelled).finish()) },
    ]);
    await publisher.publish(filtered, [...accepted.slice(15), ...forwarded.slice(20)]);
    const wanted = accepted.length + 1;
    await waitFor('every wanted record', () => got.length >= wanted && gotBatched.length >= wanted);
    await waitFor('every unwanted one skipped', () => one.stats.skipped + batched.stats.skipped >= 2 * 45);
    await Promise.all([one.stop(), batched.stop()]);

    for (const records of [got, gotBatched]) {
      const ids = records.map((r) => r.value.envelope?.eventId);
      expect(new Set(ids)).toEqual(new Set([...accepted, unlabelled].map((e) => e.envelope?.eventId)));
      expect(ids.length).toBe(wanted);
    }
    expect(one.stats).toMatchObject({ processed: wanted, skipped: 45, parked: 0 });
    expect(batched.stats).toMatchObject({ processed: wanted, skipped: 45, parked: 0 });
    const end = await bus.endOffsets(filtered);
    expect(total(end)).toBe(BigInt(accepted.length + forwarded.length + 1));
    expect(await bus.committedOffsets('filter-one', filtered)).toEqual(end);
    expect(await bus.committedOffsets('filter-batch', filtered)).toEqual(end);
  });

  it('commits processed offsets on its interval, not per batch, and all of them on stop', async () => {
    const records = Array.from({ length: 200 }, (_, i) => caseAccepted(`case-interval-${i % 13}`, i + 1));
    const publisher = await bus.publisher();
    let seen = 0;
    const slow = bus.consumer({
      groupId: 'interval-long',
      commitIntervalMs: 60_000,
      subscriptions: [on(intervals, async () => void seen++)],
    });
    let seenOften = 0;
    const often = bus.consumer({
      groupId: 'interval-short',
      commitIntervalMs: 100,
      subscriptions: [on(intervals, async () => void seenOften++)],
    });
    await Promise.all([slow.start(), often.start()]);
    for (let i = 0; i < records.length; i += 20) await publisher.publish(intervals, records.slice(i, i + 20));
    await waitFor('every record', () => seen >= records.length && seenOften >= records.length);
    const end = await bus.endOffsets(intervals);

    // The short interval has committed everything while running; the long one nothing yet, though
    // every record is handled: there was no commit per batch.
    await waitFor(
      'the short interval to commit everything',
      async () => total(await bus.committedOffsets('interval-short', intervals)) === total(end),
    );
    expect(await bus.committedOffsets('interval-short', intervals)).toEqual(end);
    expect(total(await bus.committedOffsets('interval-long', intervals))).toBe(0n);

    await Promise.all([slow.stop(), often.stop()]);
    expect(await bus.committedOffsets('interval-long', intervals)).toEqual(end);
  });

  it('commits what it processed before a rebalance hands its partitions to a new member', async () => {
    const records = Array.from({ length: 120 }, (_, i) => caseAccepted(`case-rebalance-${i % 11}`, i + 1));
    let first = 0;
    let second = 0;
    const a = bus.consumer({
      groupId: 'rebalance',
      commitIntervalMs: 60_000,
      sessionTimeoutMs: 10_000,
      subscriptions: [on(rebalanced, async () => void first++)],
    });
    await a.start();
    await (await bus.publisher()).publish(rebalanced, records);
    await waitFor('the first member to handle every record', () => first >= records.length);
    const end = await bus.endOffsets(rebalanced);
    expect(total(await bus.committedOffsets('rebalance', rebalanced))).toBe(0n);

    // A second member joins: the group re-forms, and the first commits what it has done on the way.
    const b = bus.consumer({
      groupId: 'rebalance',
      commitIntervalMs: 60_000,
      sessionTimeoutMs: 10_000,
      subscriptions: [on(rebalanced, async () => void second++)],
    });
    await b.start();
    await waitFor(
      'the commit at the rebalance',
      async () => total(await bus.committedOffsets('rebalance', rebalanced)) === total(end),
    );
    await Promise.all([a.stop(), b.stop()]);
    expect(await bus.committedOffsets('rebalance', rebalanced)).toEqual(end);
    expect(first + second).toBeGreaterThanOrEqual(records.length);
  });
});
