import type { CaseEvent } from '@petition/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, createBus } from './bus.ts';
import { kafkaClients } from './clients.ts';
import { type ConsumedRecord, on, onBatch } from './consumer.ts';
import { Header } from './headers.ts';
import { PoisonRecordError } from './retry.ts';
import { caseAccepted, testBrokers, testLogger, waitFor } from './test-support.ts';
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
    await bus.ensureTopics([caseEvents], { partitions: 12 });
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

  it('finds per partition the first record written at or after a time, the end where none was', async () => {
    const before = await bus.endOffsets(caseEvents);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const from = new Date();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const [published] = await (await bus.publisher()).publish(caseEvents, [
      caseAccepted('case-at-1', 1),
      caseAccepted('case-at-1', 2),
    ]);
    const partition = published?.partition ?? -1;
    const at = await bus.offsetsAt(caseEvents, from);
    expect(at.get(partition)).toBe(before.get(partition));
    // Elsewhere nothing was written after `from`: the end.
    const ends = await bus.endOffsets(caseEvents);
    expect(ends.get(partition)).toBe((before.get(partition) ?? 0n) + 2n);
    for (const [p, offset] of at) if (p !== partition) expect(offset).toBe(ends.get(p));
    expect(await bus.offsetsAt(caseEvents, new Date(Date.now() + 3_600_000))).toEqual(ends);
    expect([...(await bus.offsetsAt(caseEvents, new Date(0))).values()].every((offset) => offset === 0n)).toBe(true);
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
