// MirrorMaker 2 between two real brokers: the run's broker (cluster a, KAFKA_BROKERS) and a second one
// started here on free ports (cluster b). Records go a → b only through MM2.
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { type Bus, type ConsumedRecord, createBus, defineTopic, isolatedPrefix, on } from '@petition/bus';
import { createLogger } from '@petition/logging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pinnedKafkaVersion } from './kafka-jars.ts';
import { type LocalKafkaOptions, startLocalKafka, stopLocalKafka } from './local-kafka.ts';
import {
  type MirrorMaker,
  type MirrorMakerOptions,
  renderMirrorMakerConfig,
  startMirrorMaker,
} from './mirror-maker.ts';
import { localDir } from './paths.ts';
import { parseProperties } from './properties.ts';

const logger = createLogger({ service: 'mirror-maker-test', level: process.env.LOG_LEVEL ?? 'warn' });
const quiet = logger.child({}, { level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const report = (line: string) => process.stderr.write(`[mirror-maker.test] ${line}\n`);

async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
  return Date.now() - started;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Records as they are: the value is the bytes. */
const raw = (name: string) =>
  defineTopic<Buffer>({
    name,
    codec: { encode: (b) => ({ finish: () => b }), decode: (u) => Buffer.from(u) },
    keyOf: () => '',
    typeOf: () => 'raw',
    schemaVersion: 1,
  });

const run = randomBytes(4).toString('hex');
const prefix = isolatedPrefix('mm2');
const linkTopic = raw('link.a-to-b');
const lateTopic = raw('link.a-to-b.late');
const brokerStateDir = localDir('kafka', `test-mm2-${run}`);
const mmStateDir = localDir('mirror-maker', `test-${run}`);
let clusterB: Pick<LocalKafkaOptions, 'port' | 'stateDir'> | undefined;
let busA: Bus;
let busB: Bus;
let mm: MirrorMaker | undefined;
let mmOptions: MirrorMakerOptions;

/** Everything that reaches cluster b on the link topics, in arrival order. */
const arrived: ConsumedRecord<Buffer>[] = [];
const arrivedIds = (tag: string) => arrived.map((r) => r.headers.id ?? '').filter((id) => id.startsWith(tag));

beforeAll(async () => {
  const brokersA = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
  if (brokersA.length === 0) throw new Error('KAFKA_BROKERS is not set: run the tests through vitest');
  const [port, controllerPort] = [await freePort(), await freePort()];
  const options: LocalKafkaOptions = {
    version: pinnedKafkaVersion(),
    port,
    controllerPort,
    heapMb: 512,
    stateDir: brokerStateDir,
    startTimeoutMs: 60_000,
  };
  clusterB = options;
  const ready = (brokers: string[], timeoutMs: number) =>
    createBus({ brokers, clientId: 'mm2-test-probe', logger: quiet })
      .waitUntilReady(timeoutMs)
      .then(() => undefined);
  const started = Date.now();
  const b = await startLocalKafka(options, ready, logger);
  report(`cluster b (second broker) on ${b.brokers.join(',')} in ${Date.now() - started} ms`);

  busA = createBus({ brokers: brokersA, clientId: 'mm2-test-a', logger, topicPrefix: prefix });
  busB = createBus({ brokers: b.brokers, clientId: 'mm2-test-b', logger, topicPrefix: prefix });
  await busA.ensureTopics([linkTopic], { partitions: 3 });
  mmOptions = {
    clusters: { a: brokersA, b: b.brokers },
    flows: [{ source: 'a', target: 'b', topics: [busA.topicName(linkTopic), busA.topicName(lateTopic)] }],
    targets: ['b'],
    stateDir: mmStateDir,
    heapMb: 256,
  };
}, 120_000);

afterAll(async () => {
  await mm?.stop().catch(() => undefined);
  await busB?.close().catch(() => undefined);
  await busA?.close().catch(() => undefined);
  await busA?.deleteOwnTopics().catch(() => undefined);
  if (clusterB) await stopLocalKafka(clusterB, logger);
  rmSync(brokerStateDir, { recursive: true, force: true });
  rmSync(mmStateDir, { recursive: true, force: true });
}, 60_000);

describe('renderMirrorMakerConfig', () => {
  it('writes a dedicated-mode file: identity names, records only, exact topics, replication factor 1', () => {
    const text = renderMirrorMakerConfig({
      clusters: { hz: ['localhost:9092'], 'sh-2': ['h1:9092', 'h2:9093'] },
      flows: [
        { source: 'hz', target: 'sh-2', topics: ['petition.link.hz-to-sh-2', 'petition.link.hz-to-sh-2'] },
        { source: 'sh-2', target: 'hz', topics: ['petition.link.sh-2-to-hz'] },
        { source: 'hz', target: 'sh-2', topics: ['other_topic'] },
      ],
    });
    const props = parseProperties(text);
    expect(Object.fromEntries(props)).toEqual({
      clusters: 'hz, sh-2',
      'replication.policy.class': 'org.apache.kafka.connect.mirror.IdentityReplicationPolicy',
      'emit.heartbeats.enabled': 'false',
      'emit.checkpoints.enabled': 'false',
      'emit.offset-syncs.enabled': 'false',
      'sync.group.offsets.enabled': 'false',
      'sync.topic.acls.enabled': 'false',
      'heartbeats.replication.enabled': 'false',
      'refresh.topics.interval.seconds': '2',
      'tasks.max': '1',
      'replication.factor': '1',
      'heartbeats.topic.replication.factor': '1',
      'checkpoints.topic.replication.factor': '1',
      'config.storage.replication.factor': '1',
      'offset.storage.replication.factor': '1',
      'status.storage.replication.factor': '1',
      'plugin.discovery': 'service_load',
      'hz.bootstrap.servers': 'localhost:9092',
      'hz.producer.acks': 'all',
      'hz.producer.enable.idempotence': 'true',
      'hz.consumer.auto.offset.reset': 'earliest',
      'hz.offset.flush.interval.ms': '5000',
      'hz.plugin.discovery': 'service_load',
      'sh-2.bootstrap.servers': 'h1:9092,h2:9093',
      'sh-2.producer.acks': 'all',
      'sh-2.producer.enable.idempotence': 'true',
      'sh-2.consumer.auto.offset.reset': 'earliest',
      'sh-2.offset.flush.interval.ms': '5000',
      'sh-2.plugin.discovery': 'service_load',
      'hz->sh-2.enabled': 'true',
      // In the file a backslash is written twice: MM2 reads `petition\.link\.hz-to-sh-2`, a regex that
      // matches that one name (the filter matches whole names).
      'hz->sh-2.topics': 'petition\\\\.link\\\\.hz-to-sh-2, other_topic',
      'sh-2->hz.enabled': 'true',
      'sh-2->hz.topics': 'petition\\\\.link\\\\.sh-2-to-hz',
    });
    // No offset-syncs.* key: MM2 refuses any while emit.offset-syncs.enabled=false.
    expect([...props.keys()].filter((k) => k.startsWith('offset-syncs.'))).toEqual([]);
    expect(
      Object.fromEntries(
        parseProperties(
          renderMirrorMakerConfig({
            clusters: { a: ['a:1'], b: ['b:1'] },
            flows: [{ source: 'a', target: 'b', topics: ['t'] }],
            replicationFactor: 3,
            tasksMax: 4,
          }),
        ),
      ),
    ).toMatchObject({ 'replication.factor': '3', 'status.storage.replication.factor': '3', 'tasks.max': '4' });
  });

  it('refuses what MM2 would misread or silently skip', () => {
    const clusters = { a: ['a:1'], b: ['b:1'] };
    const flow = (topics: string[], source = 'a', target = 'b') => ({ clusters, flows: [{ source, target, topics }] });
    expect(() => renderMirrorMakerConfig(flow(['t'], 'a', 'c'))).toThrow(/no cluster c/);
    expect(() => renderMirrorMakerConfig(flow(['t'], 'a', 'a'))).toThrow(/source is the target/);
    expect(() => renderMirrorMakerConfig(flow([]))).toThrow(/names no topic/);
    expect(() => renderMirrorMakerConfig(flow(['a topic']))).toThrow(/bad topic name/);
    for (const internal of ['__consumer_offsets', 'mm2-offsets.a.internal', 'x.replica', 'a.checkpoints.internal']) {
      expect(() => renderMirrorMakerConfig(flow([internal]))).toThrow(/never be mirrored/);
    }
    expect(() =>
      renderMirrorMakerConfig({
        clusters: { 'a.b': ['x:1'], c: ['y:1'] },
        flows: [{ source: 'a.b', target: 'c', topics: ['t'] }],
      }),
    ).toThrow(/alias/);
    expect(() => renderMirrorMakerConfig({ ...flow(['t']), clusters: { a: [], b: ['b:1'] } })).toThrow(/host:port/);
  });
});

describe('MirrorMaker 2 between two clusters', () => {
  /** Records on b of the topic, counted by its end offsets (waits for the topic to exist). */
  const onB = async (spec: { name: string }) => {
    let sum = 0n;
    for (const high of (await busB.endOffsets(spec)).values()) sum += high;
    return Number(sum);
  };
  const untilOnB = async (spec: { name: string }, count: number, timeoutMs: number) => {
    const started = Date.now();
    while ((await onB(spec)) < count) {
      if (Date.now() - started > timeoutMs) throw new Error(`fewer than ${count} records of ${spec.name} on b`);
      await sleep(50);
    }
  };
  const consumeOnB = (spec: ReturnType<typeof raw>) =>
    busB
      .consumer({
        groupId: `mm2-test-${run}-${spec.name}`,
        fromBeginning: true,
        subscriptions: [on(spec, async (r) => void arrived.push(r))],
      })
      .start();

  it('copies every record onto b under the same name, key, value, headers, partition and timestamp', async () => {
    const total = 200;
    const sent = Array.from({ length: total }, (_, i) => ({
      key: `case-${i % 17}`,
      value: Buffer.from(`value-${i}-${'x'.repeat(i % 50)}`),
      headers: {
        id: `b-${i}`,
        'event-type': 'CaseAccepted',
        traceparent: `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01`,
      },
    }));
    const publisher = await busA.publisher();
    await publisher.publishRaw(busA.topicName(linkTopic), sent);
    const producedBy = Date.now();

    const t0 = Date.now();
    mm = await startMirrorMaker(mmOptions, logger);
    const startMs = Date.now() - t0;
    await untilOnB(linkTopic, 1, 30_000);
    const firstMs = Date.now() - t0;
    await untilOnB(linkTopic, total, 30_000);
    report(
      `MM2 ready ${startMs} ms after spawn; first record on b at ${firstMs} ms, all ${total} at ${Date.now() - t0} ms`,
    );

    await consumeOnB(linkTopic);
    await waitFor(`${total} records read on b`, () => new Set(arrivedIds('b-')).size >= total, 30_000);
    const byId = new Map(
      sent.map((r) => [r.headers.id, { key: r.key, value: r.value.toString(), headers: r.headers }]),
    );
    const copies = arrived.filter((r) => r.headers.id?.startsWith('b-'));
    expect(copies.length).toBe(total);
    for (const copy of copies) {
      expect(copy.topic.name).toBe(linkTopic.name);
      expect({ key: copy.key, value: copy.value.toString(), headers: copy.headers }).toEqual(
        byId.get(copy.headers.id ?? ''),
      );
      // The producer's timestamp, not the time of the copy.
      expect(copy.timestamp).toBeLessThanOrEqual(producedBy);
    }
    // One partition per key (MM2 keeps the source partition), and each key's records in the order produced.
    for (let k = 0; k < 17; k++) {
      const ofKey = copies.filter((c) => c.key === `case-${k}`);
      expect(new Set(ofKey.map((c) => c.partition)).size).toBe(1);
      const order = ofKey.map((c) => Number(c.headers.id?.slice(2)));
      expect(order).toEqual([...order].sort((x, y) => x - y));
    }
  });

  it('picks up a topic created on a after it started', async () => {
    await busA.ensureTopics([lateTopic], { partitions: 2 });
    const publisher = await busA.publisher();
    await publisher.publishRaw(
      busA.topicName(lateTopic),
      Array.from({ length: 20 }, (_, i) => ({
        key: `late-${i}`,
        value: Buffer.from(`v${i}`),
        headers: { id: `late-${i}` },
      })),
    );
    const t0 = Date.now();
    await untilOnB(lateTopic, 20, 30_000);
    report(`topic created after the start: its 20 records on b ${Date.now() - t0} ms after they were written on a`);
    await consumeOnB(lateTopic);
    await waitFor('the late records read on b', () => new Set(arrivedIds('late-')).size >= 20, 30_000);
  });

  it('loses nothing when killed with SIGKILL mid-stream and restarted (at least once)', async () => {
    const running = mm;
    if (!running) throw new Error('MirrorMaker is not running');
    const batches = 60;
    const perBatch = 25;
    const total = batches * perBatch;
    const publisher = await busA.publisher();
    let copiedAtKill = -1;
    let killedAt = 0;
    let readyAfterKillMs = -1;
    let restart: Promise<MirrorMaker> | undefined;
    for (let batch = 0; batch < batches; batch++) {
      await publisher.publishRaw(
        busA.topicName(linkTopic),
        Array.from({ length: perBatch }, (_, i) => {
          const n = batch * perBatch + i;
          return { key: `case-${n % 23}`, value: Buffer.from(`stream-${n}`), headers: { id: `c-${n}` } };
        }),
      );
      if (batch === batches / 2) {
        copiedAtKill = new Set(arrivedIds('c-')).size;
        killedAt = Date.now();
        running.kill();
        // Restarted at once, while the stream goes on.
        restart = startMirrorMaker(mmOptions, logger).then((next) => {
          readyAfterKillMs = Date.now() - killedAt;
          return next;
        });
        restart.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
      }
      await sleep(40);
    }
    mm = await (restart as Promise<MirrorMaker>);
    await waitFor(`${total} distinct records read on b`, () => new Set(arrivedIds('c-')).size >= total, 60_000);
    const allAfterKillMs = Date.now() - killedAt;
    await sleep(1_000); // duplicates still on their way
    const ids = arrivedIds('c-');
    const distinct = new Set(ids).size;
    report(
      `SIGKILL with ${copiedAtKill}/${total} stream records read on b; restarted MM2 ready ${readyAfterKillMs} ms ` +
        `after the kill, all ${total} on b ${allAfterKillMs} ms after it; ${ids.length} read, ${distinct} distinct, ` +
        `${ids.length - distinct} duplicates (MM2 is at least once)`,
    );
    expect(distinct).toBe(total);
  });

  it('stops on SIGTERM', async () => {
    const running = mm;
    if (!running) throw new Error('MirrorMaker is not running');
    const t0 = Date.now();
    await running.stop();
    mm = undefined;
    report(`stopped on SIGTERM in ${Date.now() - t0} ms`);
    expect(() => process.kill(running.pid, 0)).toThrow();
  });
});
