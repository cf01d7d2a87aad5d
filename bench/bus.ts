// Produce + consume throughput of the bus beside raw kafkajs, same broker, same run, same records:
// both send the same protobuf bytes and headers in batches of 1,000 with 4 sends in flight on an
// idempotent producer; raw kafkajs counts records in eachBatch, the bus decodes each and calls a handler.
import { randomUUID } from 'node:crypto';
import { caseEvents, createBus, isolatedPrefix, on, toMessage } from '@petition/bus';
import { CaseEvent } from '@petition/contract';
import { pinnedKafkaVersion } from '@petition/infra';
import { type Logger, progress } from '@petition/logging';
import { Kafka, logLevel, type Message } from 'kafkajs';

const batchSize = 1_000;
const inFlight = 4;
const partitions = 12;

interface Figures {
  producePerSec: number;
  consumePerSec: number;
  recordsPerSec: number;
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

/** Sends `batches` with at most `inFlight` sends outstanding. */
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

async function runRaw(brokers: string[], events: CaseEvent[], logger: Logger) {
  const bus = createBus({ brokers, clientId: 'bench-raw', logger, topicPrefix: isolatedPrefix('bench-raw') });
  await bus.ensureTopics([caseEvents], { partitions });
  const topic = bus.topicName(caseEvents);
  const kafka = new Kafka({ clientId: 'bench-raw', brokers, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const messages: Message[] = events.map((e) => toMessage(caseEvents, e));
  const p = progress(logger, { label: 'raw kafkajs produce', total: events.length, everyMs: 2_000 });
  const produceSec = await sendAll(
    chunk(messages),
    (batch) => producer.send({ topic, messages: batch, acks: -1 }),
    () => p.add(batchSize),
  );
  p.finish();
  let seen = 0;
  // Timed from the connect, as the bus's consumer is (its start() connects, subscribes and joins).
  const started = performance.now();
  const consumer = kafka.consumer({ groupId: 'bench-raw' });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      seen += batch.messages.length;
    },
  });
  const complete = await waitCount(() => seen, events.length, 120_000);
  const consumeSec = (performance.now() - started) / 1000;
  await consumer.disconnect();
  await producer.disconnect();
  await bus.deleteOwnTopics();
  return { figures: figures(events.length, produceSec, consumeSec), lost: !complete };
}

async function runBus(brokers: string[], events: CaseEvent[], logger: Logger) {
  const bus = createBus({ brokers, clientId: 'bench-bus', logger, topicPrefix: isolatedPrefix('bench-bus') });
  await bus.ensureTopics([caseEvents], { partitions });
  const publisher = await bus.publisher();
  const p = progress(logger, { label: 'bus produce', total: events.length, everyMs: 2_000 });
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
  const best = { raw: undefined as Figures | undefined, bus: undefined as Figures | undefined };
  let lost = false;
  const keepBest = (which: 'raw' | 'bus', r: { figures: Figures; lost: boolean }) => {
    lost ||= r.lost;
    if (!best[which] || r.figures.recordsPerSec > (best[which]?.recordsPerSec ?? 0)) best[which] = r.figures;
    logger.info({ which, ...r.figures }, 'run done');
  };
  // Raw first, then the bus, twice over: the second round runs on a warm JVM and warm caches.
  for (let round = 0; round < 2; round++) {
    keepBest('raw', await runRaw(brokers, events, quiet));
    keepBest('bus', await runBus(brokers, events, quiet));
  }
  const raw = best.raw as Figures;
  const bus = best.bus as Figures;
  return {
    bench: 'bus',
    records,
    recordBytes: bytes,
    partitions,
    raw,
    bus,
    ratio: Number((bus.recordsPerSec / raw.recordsPerSec).toFixed(3)),
    target: 0.8,
    best: 'best of 2 runs each',
    kafka: pinnedKafkaVersion(),
    node: process.version,
    lost,
  };
}
