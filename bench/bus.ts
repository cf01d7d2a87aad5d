// Produce + consume throughput of the bus beside the raw client it wraps, for each Kafka client, same
// broker, same run, same events. Both sides encode the same protobuf events with the same headers and
// send them in batches of 1,000 with 4 sends in flight on an idempotent producer (acks=all), then read
// them back in a fresh consumer group from the beginning, with the bus's fetch settings and an interval
// commit, decoding each record. The raw side is what a user of the bare client writes to do the same
// work; the difference is the bus's own cost (subscriptions, the header filter, retries, commits of
// processed offsets, its stream or batch handling).
import { randomUUID } from 'node:crypto';
import {
  caseEvents,
  consumerDefaults,
  createBus,
  isolatedPrefix,
  type KafkaClientName,
  kafkaClients,
  on,
  toMessage,
} from '@petition/bus';
import { CaseEvent } from '@petition/contract';
import { pinnedKafkaVersion } from '@petition/infra';
import { type Logger, progress } from '@petition/logging';
import {
  compatibilityPartitioner,
  Consumer as PlatformaticConsumer,
  Producer as PlatformaticProducer,
  stringSerializer,
} from '@platformatic/kafka';
import { Kafka, logLevel } from 'kafkajs';

const batchSize = 1_000;
const inFlight = 4;
const partitions = 12;
const rounds = 3;
const commitIntervalMs = consumerDefaults.commitIntervalMs;
const fetchMinBytes = consumerDefaults.fetchMinBytes;
const fetchMaxWaitMs = consumerDefaults.fetchMaxWaitMs;

interface Figures {
  producePerSec: number;
  consumePerSec: number;
  recordsPerSec: number;
}

interface Run {
  figures: Figures;
  lost: boolean;
}

function sampleEvents(n: number): CaseEvent[] {
  return Array.from({ length: n }, (_, i) =>
    CaseEvent.fromPartial({
      envelope: {
        eventId: randomUUID(),
        caseId: `case-${i % 5_000}`,
        caseVersion: Math.floor(i / 5_000) + 1,
        occurTime: new Date(),
        actingUnitId: `u-${330100 + (i % 90)}-renshe`,
        correlationId: randomUUID(),
        causationId: randomUUID(),
        trace: { traceparent: `00-${randomUUID().replace(/-/g, '')}-${'0'.repeat(15)}1-01`, tracestate: '' },
        producer: 'routing',
      },
      custodyUnitId: `u-${330100 + (i % 90)}-renshe`,
      payload: {
        $case: 'caseAccepted',
        value: {
          acceptingUnitId: `u-${330100 + (i % 90)}-renshe`,
          noticeTime: new Date(),
          handlingDueTime: new Date(Date.now() + 60 * 86_400_000),
          noticeDocumentUri: `https://docs.example.gov.cn/notices/${randomUUID()}.pdf`,
        },
      },
    }),
  );
}

/** Sends `batches` with at most `inFlight` sends outstanding; the seconds it took. */
async function sendAll<B>(batches: B[], send: (batch: B) => Promise<unknown>, tick: () => void): Promise<number> {
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < batches.length) {
      const batch = batches[next++] as B;
      await send(batch);
      tick();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return (performance.now() - started) / 1000;
}

const chunk = <T>(items: T[]) =>
  Array.from({ length: Math.ceil(items.length / batchSize) }, (_, i) =>
    items.slice(i * batchSize, (i + 1) * batchSize),
  );

const figures = (n: number, produceSec: number, consumeSec: number): Figures => ({
  producePerSec: Math.round(n / produceSec),
  consumePerSec: Math.round(n / consumeSec),
  recordsPerSec: Math.round(n / (produceSec + consumeSec)),
});

async function waitCount(count: () => number, n: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (count() < n) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

interface RawSide {
  produce(events: CaseEvent[][], tick: () => void): Promise<number>;
  /** Starts a consumer group handing every record's value to `take`; resolves once it is started. */
  consume(take: (value: Buffer | null | undefined) => void): Promise<void>;
  close(): Promise<void>;
}

function rawKafkajs(brokers: string[], topic: string, groupId: string): RawSide {
  const kafka = new Kafka({ clientId: 'bench-raw', brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId, minBytes: fetchMinBytes, maxWaitTimeInMs: fetchMaxWaitMs });
  let timer: NodeJS.Timeout | undefined;
  return {
    async produce(batches, tick) {
      await producer.connect();
      return sendAll(
        batches,
        (events) => producer.send({ topic, messages: events.map((e) => toMessage(caseEvents, e)), acks: -1 }),
        tick,
      );
    },
    async consume(take) {
      // kafkajs's autoCommit commits after every batch whatever its interval: off, and the last offsets
      // seen are committed on the bus's interval instead, as the bus does.
      const last = new Map<number, string>();
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) take(message.value);
          last.set(batch.partition, batch.lastOffset());
        },
      });
      timer = setInterval(() => {
        const offsets = [...last].map(([partition, offset]) => ({
          topic,
          partition,
          offset: (BigInt(offset) + 1n).toString(),
        }));
        last.clear();
        if (offsets.length > 0) consumer.commitOffsets(offsets).catch(() => {});
      }, commitIntervalMs);
    },
    async close() {
      clearInterval(timer);
      await consumer.disconnect();
      await producer.disconnect();
    },
  };
}

function rawPlatformatic(brokers: string[], topic: string, groupId: string): RawSide {
  const base = { clientId: 'bench-raw', bootstrapBrokers: brokers };
  const producer = new PlatformaticProducer<string, Buffer, string, string>({
    ...base,
    idempotent: true,
    partitioner: compatibilityPartitioner,
    serializers: { key: stringSerializer, headerKey: stringSerializer, headerValue: stringSerializer },
  });
  const consumer = new PlatformaticConsumer({ ...base, groupId });
  let stream: Awaited<ReturnType<typeof consumer.consume>> | undefined;
  return {
    produce: (batches, tick) =>
      sendAll(
        batches,
        (events) =>
          producer.send({
            messages: events.map((e) => {
              const r = toMessage(caseEvents, e);
              return { topic, key: r.key, value: r.value, headers: r.headers };
            }),
          }),
        tick,
      ),
    async consume(take) {
      stream = await consumer.consume({
        topics: [topic],
        mode: 'committed',
        fallbackMode: 'earliest',
        autocommit: commitIntervalMs,
        minBytes: fetchMinBytes,
        maxWaitTime: fetchMaxWaitMs,
      });
      stream.on('data', (message) => take(message.value));
    },
    async close() {
      await stream?.close();
      await consumer.close();
      await producer.close();
    },
  };
}

async function runRaw(client: KafkaClientName, brokers: string[], events: CaseEvent[], logger: Logger): Promise<Run> {
  const bus = createBus({ brokers, clientId: 'bench-raw', logger, topicPrefix: isolatedPrefix('bench-raw'), client });
  await bus.ensureTopics([caseEvents], { partitions });
  const topic = bus.topicName(caseEvents);
  const raw = (client === 'kafkajs' ? rawKafkajs : rawPlatformatic)(brokers, topic, `${bus.prefix}bench-raw`);
  const p = progress(logger, { label: `raw ${client} produce`, total: events.length, everyMs: 2_000 });
  const produceSec = await raw.produce(chunk(events), () => p.add(batchSize));
  p.finish();
  let seen = 0;
  // Timed from the connect, as the bus's consumer is (its start() connects, subscribes and joins).
  const started = performance.now();
  await raw.consume((value) => {
    if (value && CaseEvent.decode(value).envelope) seen++;
  });
  const complete = await waitCount(() => seen, events.length, 120_000);
  const consumeSec = (performance.now() - started) / 1000;
  await raw.close();
  await bus.deleteOwnTopics();
  return { figures: figures(events.length, produceSec, consumeSec), lost: !complete };
}

async function runBus(client: KafkaClientName, brokers: string[], events: CaseEvent[], logger: Logger): Promise<Run> {
  const bus = createBus({ brokers, clientId: 'bench-bus', logger, topicPrefix: isolatedPrefix('bench-bus'), client });
  await bus.ensureTopics([caseEvents], { partitions });
  const publisher = await bus.publisher();
  const p = progress(logger, { label: `bus on ${client} produce`, total: events.length, everyMs: 2_000 });
  const produceSec = await sendAll(
    chunk(events),
    (batch) => publisher.publish(caseEvents, batch),
    () => p.add(batchSize),
  );
  p.finish();
  let seen = 0;
  const consumer = bus.consumer({
    groupId: 'bench-bus',
    subscriptions: [
      on(caseEvents, async (r) => {
        if (r.value.envelope) seen++;
      }),
    ],
  });
  const started = performance.now();
  await consumer.start();
  const complete = await waitCount(() => seen, events.length, 120_000);
  const consumeSec = (performance.now() - started) / 1000;
  await bus.close();
  await bus.deleteOwnTopics();
  return { figures: figures(events.length, produceSec, consumeSec), lost: !complete };
}

export async function benchBus(options: { brokers: string[]; logger: Logger; records: number }) {
  const { brokers, records } = options;
  const logger = options.logger.child({ bench: 'bus' });
  const quiet = logger.child({}, { level: 'warn' });
  const events = sampleEvents(records);
  const bytes = CaseEvent.encode(events[0] as CaseEvent).finish().length;
  let lost = false;
  const clients: Record<string, { raw: Figures; bus: Figures; ratio: number }> = {};
  for (const client of kafkaClients) {
    const best: { raw?: Figures; bus?: Figures } = {};
    const keepBest = (which: 'raw' | 'bus', r: Run) => {
      lost ||= r.lost;
      if (!best[which] || r.figures.recordsPerSec > (best[which]?.recordsPerSec ?? 0)) best[which] = r.figures;
      logger.info({ client, which, ...r.figures }, 'run done');
    };
    // Raw first, then the bus, three times over: later rounds run on a warm JVM and warm caches, and the
    // best of three keeps a burst of other work on the machine from deciding the ratio.
    for (let round = 0; round < rounds; round++) {
      keepBest('raw', await runRaw(client, brokers, events, quiet));
      keepBest('bus', await runBus(client, brokers, events, quiet));
    }
    const raw = best.raw as Figures;
    const bus = best.bus as Figures;
    clients[client] = { raw, bus, ratio: Number((bus.recordsPerSec / raw.recordsPerSec).toFixed(3)) };
  }
  return {
    bench: 'bus',
    records,
    recordBytes: bytes,
    partitions,
    clients,
    target: 0.9,
    met: Object.values(clients).every((c) => c.ratio >= 0.9),
    best: `best of ${rounds} runs each`,
    consumer: { commitIntervalMs, fetchMinBytes, fetchMaxWaitMs },
    kafka: pinnedKafkaVersion(),
    node: process.version,
    lost,
  };
}
