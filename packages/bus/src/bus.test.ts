import { CaseEvent } from '@petition/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, createBus } from './bus.ts';
import { kafkaClients } from './clients.ts';
import { type ConsumedRecord, on, onBatch } from './consumer.ts';
import { Header } from './headers.ts';
import { PoisonRecordError } from './retry.ts';
import { caseAccepted, caseForwarded, testBrokers, testLogger, waitFor } from './test-support.ts';
import { defineTopic, dlqSuffix, isolatedPrefix } from './topic.ts';
import { caseEvents } from './topics.ts';

// The DLQ holds raw bytes that may not decode, so it is read as a topic of plain buffers.
const rawDlq = defineTopic<Uint8Array>({
  name: caseEvents.name + dlqSuffix,
  codec: { encode: (b) => ({ finish: () => b }), decode: (b) => b },
  schemaVersion: 1,
  keyOf: () => '',
  typeOf: () => 'raw',
});

// Topics of their own for the commit tests, which compare committed offsets with the end of the topic.
const commitTopic = (name: string) => defineTopic<CaseEvent>({ ...caseEvents, name: `petition.${name}.v1` });
const filtered = commitTopic('bus-filter');
const intervals = commitTopic('bus-interval');
const rebalanced = commitTopic('bus-rebalance');

const total = (offsets: Map<number, bigint>) => [...offsets.values()].reduce((n, o) => n + o, 0n);

describe.each(kafkaClients)('bus on %s against the real broker', (client) => {
  let bus: Bus;

  beforeAll(async () => {
    bus = createBus({
      brokers: testBrokers(),
      clientId: 'bus-test',
      logger: testLogger(),
      topicPrefix: isolatedPrefix(`bus-${client}`),
      client,
    });
    await bus.ensureTopics([caseEvents, filtered, intervals, rebalanced], { partitions: 12 });
  });

  afterAll(async () => {
    await bus.close();
    await bus.deleteOwnTopics();
  });

  it('runs on the client it was asked for', () => {
    expect(bus.client).toBe(client);
  });

  it('publishes protobuf records and consumes them decoded, with headers', async () => {
    const sent = [caseAccepted('case-rt-1', 1), caseAccepted('case-rt-2', 1), caseAccepted('case-rt-1', 2)];
    const got: ConsumedRecord<CaseEvent>[] = [];
    const consumer = bus.consumer({
      groupId: 'rt',
      subscriptions: [on(caseEvents, async (r) => void got.push(r))],
    });
    await consumer.start();
    const published = await (await bus.publisher()).publish(caseEvents, sent);
    expect(published.length).toBeGreaterThan(0);
    await waitFor('three records', () => got.length >= 3);
    await consumer.stop();

    const ids = sent.map((e) => e.envelope?.eventId);
    expect(got.map((r) => r.value.envelope?.eventId).sort()).toEqual([...ids].sort());
    const first = got.find((r) => r.value.envelope?.eventId === ids[0]);
    expect(first?.key).toBe('case-rt-1');
    expect(first?.value).toEqual(sent[0]);
    expect(first?.headers[Header.eventType]).toBe('petition.v1.CaseAccepted');
    expect(first?.headers[Header.schemaVersion]).toBe('1');
  });

  it('keeps two deployments on one broker apart even in groups of the same name (the prefix is in the group id)', async () => {
    const other = createBus({
      brokers: testBrokers(),
      clientId: 'bus-test-other',
      logger: testLogger(),
      topicPrefix: isolatedPrefix('bus-other'),
      client,
    });
    try {
      await other.ensureTopics([caseEvents], { partitions: 12 });
      const mine: string[] = [];
      const theirs: string[] = [];
      const a = bus.consumer({
        groupId: 'same-name',
        subscriptions: [on(caseEvents, async (r) => void (r.key.startsWith('case-apart-') && mine.push(r.key)))],
      });
      const b = other.consumer({
        groupId: 'same-name',
        subscriptions: [on(caseEvents, async (r) => void (r.key.startsWith('case-apart-') && theirs.push(r.key)))],
      });
      await Promise.all([a.start(), b.start()]);
      const keys = Array.from({ length: 24 }, (_, i) => `case-apart-${i}`);
      await (await bus.publisher()).publish(
        caseEvents,
        keys.map((k) => caseAccepted(k, 1)),
      );
      await (await other.publisher()).publish(
        caseEvents,
        keys.map((k) => caseAccepted(k, 1)),
      );
      // Each is given every partition of its own topic: nothing of either is left unread.
      await waitFor('both deployments to read all their records', () => mine.length >= 24 && theirs.length >= 24);
      expect(new Set(mine)).toEqual(new Set(keys));
      expect(new Set(theirs)).toEqual(new Set(keys));
      await a.stop();
    } finally {
      await other.close();
      await other.deleteOwnTopics();
    }
  });

  it('keeps the order of each key across partitions', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `case-order-${i}`);
    const perKey = 50;
    const events = Array.from({ length: perKey }, (_, v) => keys.map((k) => caseAccepted(k, v + 1))).flat();
    const seen = new Map<string, number[]>();
    const partitionOf = new Map<string, Set<number>>();
    const consumer = bus.consumer({
      groupId: 'order',
      subscriptions: [
        on(caseEvents, async (r) => {
          const key = r.value.envelope?.caseId ?? '';
          if (!key.startsWith('case-order-')) return;
          seen.set(key, [...(seen.get(key) ?? []), r.value.envelope?.caseVersion ?? 0]);
          partitionOf.set(key, (partitionOf.get(key) ?? new Set()).add(r.partition));
        }),
      ],
    });
    await consumer.start();
    const publisher = await bus.publisher();
    // Several sends in flight at once: order must hold per key even so.
    for (let i = 0; i < events.length; i += 250) await publisher.publish(caseEvents, events.slice(i, i + 250));
    await waitFor('every record', () => [...seen.values()].reduce((n, v) => n + v.length, 0) >= events.length);
    await consumer.stop();

    const expected = Array.from({ length: perKey }, (_, v) => v + 1);
    for (const key of keys) expect(seen.get(key), key).toEqual(expected);
    for (const key of keys) expect(partitionOf.get(key)?.size, key).toBe(1);
    expect(new Set([...partitionOf.values()].map((s) => [...s][0])).size).toBeGreaterThan(1);
  });

  it('parks poison in the DLQ with the reason, retries transient faults, and goes on', async () => {
    const prefix = 'case-dlq-';
    const good = caseAccepted(`${prefix}good`, 1);
    const refused = caseAccepted(`${prefix}refused`, 1);
    const flaky = caseAccepted(`${prefix}flaky`, 1);
    const after = caseAccepted(`${prefix}good`, 2);
    const handled: string[] = [];
    let flakyFailures = 0;
    const consumer = bus.consumer({
      groupId: 'dlq',
      retry: { maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 50 },
      subscriptions: [
        on(caseEvents, async (r) => {
          const id = r.value.envelope?.eventId ?? '';
          if (!r.value.envelope?.caseId.startsWith(prefix)) return;
          if (id === refused.envelope?.eventId) throw new PoisonRecordError('CASE_UNKNOWN', 'no such case');
          if (id === flaky.envelope?.eventId && flakyFailures++ < 2) throw new Error('redis went away');
          handled.push(id);
        }),
      ],
    });
    const parked: ConsumedRecord<Uint8Array>[] = [];
    const dlqReader = bus.consumer({
      groupId: 'dlq-reader',
      // Earlier tests of this file may have parked records of their own in the same DLQ.
      subscriptions: [on(rawDlq, async (r) => void (r.key.startsWith(prefix) && parked.push(r)))],
    });
    await consumer.start();
    await dlqReader.start();

    const publisher = await bus.publisher();
    await publisher.publish(caseEvents, [good, refused, flaky]);
    // Bytes that are no protobuf CaseEvent at all, on the same key as the good records.
    await publisher.publishRaw(bus.topicName(caseEvents), [
      { key: `${prefix}good`, value: Buffer.from([0xff, 0xff, 0xff, 0x0f]) },
    ]);
    await publisher.publish(caseEvents, [after]);

    await waitFor('good, flaky and after handled', () => handled.length >= 3);
    const parkedCodes = () => new Set(parked.map((r) => r.headers[Header.dlqErrorCode]));
    await waitFor(
      'the poison and the garbage parked',
      () => parkedCodes().has('CASE_UNKNOWN') && parkedCodes().has('Error'),
    );
    await Promise.all([consumer.stop(), dlqReader.stop()]);

    expect(handled).toEqual(expect.arrayContaining([good, flaky, after].map((e) => e.envelope?.eventId)));
    expect(handled).not.toContain(refused.envelope?.eventId);
    expect(handled.indexOf(after.envelope?.eventId ?? '')).toBeGreaterThan(
      handled.indexOf(good.envelope?.eventId ?? ''),
    );
    expect(flakyFailures).toBe(3);
    expect(consumer.stats.retried).toBeGreaterThanOrEqual(2);
    expect([...parkedCodes()].sort()).toEqual(['CASE_UNKNOWN', 'Error']);

    const byCode = new Map(parked.map((r) => [r.headers[Header.dlqErrorCode], r]));
    const poison = byCode.get('CASE_UNKNOWN');
    expect(poison?.headers[Header.dlqReason]).toBe('no such case');
    expect(poison?.headers[Header.dlqAttempts]).toBe('1');
    expect(poison?.headers[Header.eventType]).toBe('petition.v1.CaseAccepted');
    expect(poison?.headers[Header.dlqSourceTopic]).toBe(bus.topicName(caseEvents));
    expect(poison?.key).toBe(`${prefix}refused`);
    const garbage = byCode.get('Error');
    expect(garbage?.headers[Header.dlqReason]).toMatch(/^undecodable record/);
    expect(Buffer.from(garbage?.value ?? [])).toEqual(Buffer.from([0xff, 0xff, 0xff, 0x0f]));
    expect(consumer.stats.parked).toBe(parked.length);
  });

  it('hands a batch handler consecutive records of a partition; on a poison record, one by one so only it is parked', async () => {
    const prefix = 'case-batch-';
    const records = Array.from({ length: 40 }, (_, i) => caseAccepted(`${prefix}k`, i + 1));
    const poisonId = records[17]?.envelope?.eventId;
    const calls: number[] = [];
    const handled = new Set<string>();
    const consumer = bus.consumer({
      groupId: 'batch',
      retry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 20 },
      subscriptions: [
        onBatch(
          caseEvents,
          async (batch) => {
            const mine = batch.filter((r) => r.value.envelope?.caseId.startsWith(prefix));
            if (mine.length === 0) return;
            calls.push(mine.length);
            if (mine.some((r) => r.value.envelope?.eventId === poisonId)) {
              throw new PoisonRecordError('BAD', 'poison in the batch');
            }
            for (const r of mine) handled.add(r.value.envelope?.eventId ?? '');
          },
          { max: 16 },
        ),
      ],
    });
    await consumer.start();
    await (await bus.publisher()).publish(caseEvents, records);
    await waitFor('all but the poison handled', () => handled.size >= 39);
    await consumer.stop();
    expect(handled.has(poisonId ?? '')).toBe(false);
    expect(Math.max(...calls)).toBeGreaterThan(1);
    expect(Math.max(...calls)).toBeLessThanOrEqual(16);
    expect(handled.size).toBe(39);
    // The poison, plus the undecodable record the test before left on the topic.
    expect(consumer.stats.parked).toBe(2);
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

describe('both clients together', () => {
  it('send each key to the same partition (murmur2 as Java partitions), so a deployment can switch clients', async () => {
    const prefix = isolatedPrefix('bus-partitions');
    const buses = kafkaClients.map((client) =>
      createBus({
        brokers: testBrokers(),
        clientId: `bus-test-${client}`,
        logger: testLogger(),
        topicPrefix: prefix,
        client,
      }),
    );
    const [first] = buses as [Bus];
    try {
      await first.ensureTopics([caseEvents], { partitions: 12 });
      const keys = ['', ...Array.from({ length: 200 }, (_, i) => `case-${i}-${(i * 7919).toString(36)}`)];
      const partitionsBy = new Map<string, Set<number>>();
      const consumer = first.consumer({
        groupId: 'partitions',
        subscriptions: [
          on(
            caseEvents,
            async (r) => void partitionsBy.set(r.key, (partitionsBy.get(r.key) ?? new Set()).add(r.partition)),
          ),
        ],
      });
      await consumer.start();
      for (const bus of buses)
        await (await bus.publisher()).publish(
          caseEvents,
          keys.map((k) => caseAccepted(k, 1)),
        );
      let seen = 0;
      await waitFor('every record from both', () => {
        seen = [...partitionsBy.values()].reduce((n, s) => n + s.size, 0);
        return partitionsBy.size === keys.length;
      });
      await consumer.stop();
      for (const key of keys) expect(partitionsBy.get(key)?.size, `key '${key}'`).toBe(1);
      expect(seen).toBe(keys.length);
    } finally {
      for (const bus of buses) await bus.close();
      await first.deleteOwnTopics();
    }
  });
});
