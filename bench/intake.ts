// Accepted petitions/s through intake (validation, case number, sealing, Redis limits, publish with
// acks=all) and its p50/p99 latency under autocannon (32 connections), beside a raw producer of the client
// the bus runs on publishing the very commands intake published (read back from its topic, bytes and
// headers as they were) with acks=all, in the same run: 32 senders, each sending one command and waiting
// for its acknowledgement before the next, as each connection waits for its answer. The same raw producer
// is also measured coalescing: whatever the 32 senders queued while a request was in flight leaves as
// the next request, as intake's own publisher does. Intake and the raw producer take turns three times;
// the medians are compared.
import { caseCommands, type KafkaClientName, resolveKafkaClient, topicName } from '@petition/bus';
import type { Logger } from '@petition/logging';
import { testStaffEnv } from '@petition/testing';
import { compatibilityPartitioner, ProduceAcks, Producer, stringSerializer } from '@platformatic/kafka';
import autocannon from 'autocannon';
import { Kafka, logLevel } from 'kafkajs';
import { oneClientLoadEnv } from '../scripts/network.ts';
import { cpuMsOf, startProcess, stopProcess } from './processes.ts';

const body = JSON.stringify({
  channel: 'WEB',
  petitioner: { name: '张三', idNumber: '11010519491231002X', phone: '13800000000' },
  regionCode: '330106',
  category: '劳动社保',
  kind: '申诉求决',
  title: '拖欠工资',
  content: '某公司拖欠工资三个月，请求处理。',
});

const connections = 32;

async function load(url: string, seconds: number) {
  const result = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration: seconds,
  });
  const ok = result['2xx'];
  return {
    acceptedPerSec: Math.round(ok / seconds),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

/** A record as intake published it. */
interface Captured {
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

/** Every record on `topic`, read back with a plain consumer (not timed). */
async function capture(kafka: Kafka, topic: string, groupId: string): Promise<Captured[]> {
  const admin = kafka.admin();
  await admin.connect();
  const total = (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  await admin.disconnect();
  const out: Captured[] = [];
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(m.headers ?? {})) if (v !== undefined) headers[k] = String(v);
        out.push({ key: m.key?.toString() ?? null, value: m.value ?? Buffer.alloc(0), headers });
      }
      if (out.length >= total) done();
    },
  });
  await Promise.race([all, new Promise((r) => setTimeout(r, 60_000))]);
  await consumer.disconnect();
  return out;
}

/** One send of records, resolving once every replica in sync has them, on the client the bus runs on. */
interface RawProducer {
  send(records: readonly Captured[]): Promise<void>;
  close(): Promise<void>;
}

// Configured as the bus configures its own producer: idempotent, acks=all, one request in flight.
async function rawProducer(client: KafkaClientName, kafka: Kafka, brokers: string[], topic: string) {
  if (client === 'kafkajs') {
    const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await p.connect();
    return {
      send: async (records) => void (await p.send({ topic, acks: -1, messages: records.map((r) => ({ ...r })) })),
      close: () => p.disconnect(),
    } satisfies RawProducer;
  }
  const p = new Producer<string, Buffer, string, string>({
    clientId: 'bench-intake-raw',
    bootstrapBrokers: brokers,
    idempotent: true,
    acks: ProduceAcks.ALL,
    autocreateTopics: false,
    partitioner: compatibilityPartitioner,
    serializers: { key: stringSerializer, headerKey: stringSerializer, headerValue: stringSerializer },
  });
  return {
    send: async (records) =>
      void (await p.send({
        messages: records.map((r) => ({
          topic,
          key: r.key ?? undefined,
          value: r.value,
          headers: new Map(Object.entries(r.headers)),
        })),
      })),
    close: () => p.close(),
  } satisfies RawProducer;
}

/** Sends queued while a request is in flight leave together as the next request, in order. */
function coalescing(producer: RawProducer) {
  const queue: { record: Captured; done: (err?: unknown) => void }[] = [];
  let flushing = false;
  async function flush() {
    flushing = true;
    while (queue.length > 0) {
      const batch = queue.splice(0, 500);
      const err = await producer.send(batch.map((b) => b.record)).then(
        () => undefined,
        (e: unknown) => e ?? new Error('send failed'),
      );
      for (const b of batch) b.done(err);
    }
    flushing = false;
  }
  return (record: Captured) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ record, done: (err) => (err ? reject(err) : resolve()) });
      if (!flushing) void flush();
    });
}

const quantile = (sorted: number[], q: number) =>
  Number((sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0).toFixed(1));

const perRecord = (cpuMs: number, n: number) => Number((cpuMs / Math.max(1, n)).toFixed(3));
const ownCpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/**
 * `connections` senders for `seconds`, each sending the next captured record and waiting for its ack; with
 * the CPU this process spent per record meanwhile (the client's, as nothing else runs here then).
 */
async function sendAtConcurrency(send: (r: Captured) => Promise<void>, records: Captured[], seconds: number) {
  const cpuBefore = ownCpuMs();
  let next = 0;
  let sent = 0;
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  const sender = async () => {
    while (performance.now() < until) {
      const record = records[next++ % records.length] as Captured;
      const started = performance.now();
      await send(record);
      latencies.push(performance.now() - started);
      sent++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: connections }, sender));
  const sec = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    recordsPerSec: Math.round(sent / sec),
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    cpuMsPerRecord: perRecord(ownCpuMs() - cpuBefore, sent),
  };
}

/** The run with the median of `rate`, and every run's rate (the spread). */
function median<T>(runs: T[], rate: (r: T) => number) {
  const sorted = [...runs].sort((x, y) => rate(x) - rate(y));
  return { ...(sorted[Math.floor(sorted.length / 2)] as T), rounds: runs.map(rate) };
}

export async function benchIntake(options: { brokers: string[]; logger: Logger; records: number }) {
  const logger = options.logger.child({ bench: 'intake' });
  const seconds = Math.max(3, Math.round(options.records / 2_000));
  // Intake and the raw producer take turns, three times each: a burst of other work on the machine then
  // moves one round, not the whole comparison.
  const rounds = 3;
  const client = resolveKafkaClient();
  const prefix = `t-bench-intake-${Date.now().toString(36)}.`;
  const env = {
    ...process.env,
    KAFKA_BROKERS: options.brokers.join(','),
    TOPIC_PREFIX: prefix,
    INTAKE_HTTP_PORT: '18182',
    INTAKE_OPS_PORT: '0',
    INTAKE_GRPC_PORT: '0',
    INTAKE_HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...oneClientLoadEnv,
    ...testStaffEnv(),
    ALLOW_DEVELOPMENT_SECRETS: 'true',
  };
  const kafka = new Kafka({ clientId: 'bench-intake', brokers: options.brokers, logLevel: logLevel.NOTHING });
  const intake = await startProcess(['services/intake/src/main.ts'], env, 'http://127.0.0.1:18182/readyz', logger);
  const intakeRuns: (Awaited<ReturnType<typeof load>> & { cpuMsPerPetition: number })[] = [];
  const perSendRuns: Awaited<ReturnType<typeof sendAtConcurrency>>[] = [];
  const coalescedRuns: Awaited<ReturnType<typeof sendAtConcurrency>>[] = [];
  let commands: Captured[] = [];
  let producer: RawProducer | undefined;
  try {
    const throughIntake = async () => {
      const cpuBefore = cpuMsOf(intake.pid);
      const result = await load('http://127.0.0.1:18182/v1/petitions', seconds);
      const cpuMs = cpuMsOf(intake.pid) - cpuBefore;
      intakeRuns.push({ ...result, cpuMsPerPetition: perRecord(cpuMs, result.acceptedPerSec * seconds) });
      logger.info(intakeRuns.at(-1), 'intake round done');
    };
    await load('http://127.0.0.1:18182/v1/petitions', 2); // warm-up: JIT, producer, topics
    await throughIntake();

    // The reference: intake's own commands, to a topic of as many partitions, by the raw client.
    const commandsTopic = topicName(prefix, caseCommands);
    commands = await capture(kafka, commandsTopic, `${prefix}capture`);
    const admin = kafka.admin();
    await admin.connect();
    const [meta] = (await admin.fetchTopicMetadata({ topics: [commandsTopic] })).topics;
    const rawTopic = `${prefix}raw-reference`;
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: rawTopic, numPartitions: meta?.partitions.length ?? 1, replicationFactor: 1 }],
    });
    await admin.disconnect();
    const raw = await rawProducer(client, kafka, options.brokers, rawTopic);
    producer = raw;
    const one = (r: Captured) => raw.send([r]);
    await sendAtConcurrency(one, commands, 1); // warm-up
    for (let round = 0; round < rounds; round++) {
      if (round > 0) await throughIntake();
      perSendRuns.push(await sendAtConcurrency(one, commands, seconds));
      logger.info(perSendRuns.at(-1), 'raw producer round, one command a send, done');
      coalescedRuns.push(await sendAtConcurrency(coalescing(raw), commands, seconds));
      logger.info(coalescedRuns.at(-1), 'raw producer round, coalescing, done');
    }
  } finally {
    await stopProcess(intake);
    await producer?.close();
  }
  const measured = median(intakeRuns, (r) => r.acceptedPerSec);
  const perSend = median(perSendRuns, (r) => r.recordsPerSec);
  const coalesced = median(coalescedRuns, (r) => r.recordsPerSec);
  const ratio = (n: number) => Number((measured.acceptedPerSec / n).toFixed(3));
  return {
    bench: 'intake',
    seconds,
    rounds,
    connections,
    client,
    intake: measured,
    reference:
      `raw ${client} producer (idempotent, acks=all) publishing the ${commands.length} commands intake ` +
      `published (read back from its topic), ${connections} senders each waiting for its ack, same broker, ` +
      'same run, taking turns with intake; medians of the rounds',
    commandBytes: Math.round(commands.reduce((n, c) => n + c.value.length, 0) / Math.max(1, commands.length)),
    rawProducer: perSend,
    rawProducerCoalescing: coalesced,
    ratio: ratio(perSend.recordsPerSec),
    ratioToCoalescing: ratio(coalesced.recordsPerSec),
    target: 0.7,
    met: ratio(perSend.recordsPerSec) >= 0.7,
    lost: commands.length === 0 || measured.acceptedPerSec === 0,
  };
}
