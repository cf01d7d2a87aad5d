// Handoffs between two nodes of the federation (DESIGN "Nodes"), over real brokers and real MirrorMaker 2,
// beside MirrorMaker's own replication of the same bytes in the same run.
//
// Two nodes, as scripts/nodes.ts lays them out: Zhejiang (33, the sender) and Ningxia (64, the receiver),
// each on a broker of its own started here, with its own key and an in-process routing (the only service a
// handoff needs); one MirrorMaker 2 carrying the links both ways. The national node is a member of the
// federation (every federation has one) but runs nothing here: what the provinces send it stays on their
// own brokers. The run's broker is left alone: consumer group ids are not under the topic prefix, so a
// routing there would share its `routing` group with any other run's routing on that broker (a routing
// test running alongside took half of the sender's command partitions, and they were never answered).
//
// Load: N + M petitions registered at a Zhejiang county bureau that routes by hand, then transfers of them
// to the Ningxia provincial bureau: N published at once (throughput), then M (up to 100, about 5 s) at
// half the throughput seen (latency). A handoff is timed on the sender's own case-events, from its CaseHandedOff
// (occurTime) to the HandoffAccepted that comes back (that record's timestamp): the handoff record crosses
// 33 → 64, 64 imports the case and accepts it, and its acceptance crosses 64 → 33. The records along the
// way say where the time went (stagesMs).
// Reference: the very bytes of those handoff records (read back from the link), produced the same way (N
// at once, then M at the same rate) on a plain topic of 33's broker that MirrorMaker carries to 64; a raw
// consumer there takes the arrival (one way) and echoes each as the bytes of its case's acknowledgement on
// a topic MirrorMaker carries back to 33 (round trip, the shape of the acknowledgement's path).
import { generateKeyPairSync } from 'node:crypto';
import { caseCommands, caseEvents, createBus, isolatedPrefix, linkTopic, onBatch } from '@petition/bus';
import { CaseCommand, CaseEvent, Category, Channel, PetitionKind, TransferReason } from '@petition/contract';
import { nationalNodeId } from '@petition/directory';
import { localDir, type MirrorMaker, pinnedKafkaVersion, startMirrorMaker, wipeLocalKafka } from '@petition/infra';
import { type Logger, progress } from '@petition/logging';
import { loadRoutingConfig, type Routing, startRouting } from '@petition/routing';
import { Kafka, type KafkaMessage, logLevel, Partitioners } from 'kafkajs';
import {
  federationDocument,
  type LocalNode,
  mirrorFlows,
  nodeEnv,
  nodePorts,
  startNodeBroker,
  stopNodeBroker,
} from '../scripts/nodes.ts';
import { cpuMsOf } from './processes.ts';

const sender = '33';
const receiver = '64';
const fromUnit = '330102-xfj';
const toUnit = '640000-xfj';
// The nodes' brokers (and KRaft controllers, one port up): clear of the run's (9092/9093) and of
// test/federation-support.ts's (19300-19321).
const kafkaPorts: Record<string, number> = { [sender]: 19_500, [receiver]: 19_510 };
const kafka = { version: pinnedKafkaVersion(), heapMb: 512, startTimeoutMs: 120_000 };
// A handoff that is not acknowledged after this long without any acknowledgement arriving is lost.
const stallMs = 60_000;

const pct = (sorted: readonly number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const perSecond = (n: number, ms: number) => (ms > 0 ? Math.round((n * 1000) / ms) : 0);

/** A node's private Ed25519 key as a JWK, as generateNodeKey (@petition/auth) makes it. */
function nodeKey(kid: string): LocalNode['privateJwk'] {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { ...(privateKey.export({ format: 'jwk' }) as object), kid, use: 'sig', alg: 'EdDSA' };
}

const meta = (commandId: string, caseId: string, unitId?: string) => ({
  commandId,
  caseId,
  issueTime: new Date(),
  actor: unitId ? { $case: 'unit' as const, value: { unitId, staffId: 'bench' } } : undefined,
});

const registration = (caseId: string) =>
  CaseCommand.fromPartial({
    meta: meta(`${caseId}/reg`, caseId),
    command: {
      $case: 'registerPetition',
      value: {
        petition: {
          caseNumber: `N-${caseId}`,
          channel: Channel.CHANNEL_WEB,
          kind: PetitionKind.PETITION_KIND_COMPLAINT,
          category: Category.CATEGORY_LABOR_SOCIAL_SECURITY,
          regionCode: '330102',
          title: '工资拖欠',
          content: '某公司拖欠工资三个月，多次协商未果，当事人现居宁夏',
          petitioner: { personId: `p-${caseId}` },
        },
      },
    },
  });

const transfer = (caseId: string) =>
  CaseCommand.fromPartial({
    meta: meta(`${caseId}/transfer`, caseId, fromUnit),
    command: {
      $case: 'transferCase',
      value: { toUnitId: toUnit, reason: TransferReason.TRANSFER_REASON_MANUAL, note: '当事人现居宁夏' },
    },
  });

/** Every record of `topic` (a full name) now on the cluster, read from the beginning by a raw consumer. */
async function readAll(client: Kafka, topic: string, label: string): Promise<KafkaMessage[]> {
  const admin = client.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const total = ends.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  const out: KafkaMessage[] = [];
  const consumer = client.consumer({ groupId: `bench-nodes-read-${label}-${Date.now().toString(36)}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) out.push(m);
    },
  });
  const deadline = Date.now() + 60_000;
  while (out.length < total && Date.now() < deadline) await sleep(20);
  await consumer.disconnect();
  if (out.length < total) throw new Error(`read ${out.length} of the ${total} records of ${topic}`);
  return out;
}

/** The timestamp of each key's first record. */
function firstByKey(messages: readonly KafkaMessage[]): Map<string, number> {
  const at = new Map<string, number>();
  for (const m of messages) {
    const key = m.key?.toString() ?? '';
    if (!at.has(key)) at.set(key, Number(m.timestamp));
  }
  return at;
}

/** When the receiver wrote each case's HandoffAccepted on its own case-events (the record's timestamp). */
async function acceptancesAt(client: Kafka, topic: string, wanted: ReadonlySet<string>) {
  const at = new Map<string, number>();
  for (const m of await readAll(client, topic, 'receiver-events')) {
    if (!m.value) continue;
    const event = CaseEvent.decode(m.value);
    const caseId = event.envelope?.caseId ?? '';
    if (event.payload?.$case === 'handoffAccepted' && wanted.has(caseId) && !at.has(caseId))
      at.set(caseId, Number(m.timestamp));
  }
  return at;
}

type Times = ReadonlyMap<string, number>;

/** Per case of `ids` with both times, `end - start`, sorted. */
const durations = (ids: readonly string[], start: Times, end: Times) =>
  ids
    .flatMap((id) => {
      const a = start.get(id);
      const b = end.get(id);
      return a === undefined || b === undefined ? [] : [b - a];
    })
    .sort((x, y) => x - y);

const p50p99 = (sorted: readonly number[]) => ({ p50: pct(sorted, 0.5), p99: pct(sorted, 0.99) });

/**
 * Where a handoff's time goes, from timestamps along its way (one machine, one clock): the sender's
 * routing sending the handoff record after its CaseHandedOff; MirrorMaker 33 → 64 plus the receiver's
 * routing importing and accepting it; the receiver's routing sending its acceptance back; MirrorMaker
 * 64 → 33 plus the sender's routing appending it. p50 and p99 of each, in ms.
 */
function stagesOf(ids: readonly string[], t: Record<'handedOff' | 'sent' | 'accepted' | 'ackSent' | 'acked', Times>) {
  return {
    senderOut: p50p99(durations(ids, t.handedOff, t.sent)),
    acrossAndAccepted: p50p99(durations(ids, t.sent, t.accepted)),
    receiverOut: p50p99(durations(ids, t.accepted, t.ackSent)),
    backAndAppended: p50p99(durations(ids, t.ackSent, t.acked)),
  };
}

/** Calls `send(i)` for i < count at `rate` per second, on a fixed schedule (catching up if late). */
async function paced(count: number, rate: number, send: (i: number) => Promise<void>) {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait > 0) await sleep(wait);
    await send(i);
  }
}

/** A raw consumer group that has joined (so that nothing it times waits on the join). */
async function joined(
  client: Kafka,
  groupId: string,
  topic: string,
  handle: (messages: KafkaMessage[]) => Promise<void>,
) {
  const consumer = client.consumer({ groupId, maxWaitTimeInMs: 100 });
  const join = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({ eachBatch: async ({ batch }) => handle(batch.messages) });
  await join;
  return consumer;
}

/** Waits until `count()` reaches `expected`, or until it has not moved for `stallMs`; whether it did. */
async function waitFor(count: () => number, expected: number, logger: Logger, label: string) {
  const p = progress(logger, { label, total: expected, everyMs: 2_000 });
  let last = 0;
  let movedAt = Date.now();
  for (;;) {
    const now = count();
    if (now !== last) {
      p.add(now - last);
      last = now;
      movedAt = Date.now();
    }
    if (now >= expected || Date.now() - movedAt >= stallMs) break;
    await sleep(5);
  }
  p.finish();
  return last >= expected;
}

export async function benchNodes(options: { brokers: string[]; logger: Logger; records: number }) {
  const logger = options.logger.child({ bench: 'nodes' });
  const quiet = logger.child({}, { level: 'warn' });
  const n = options.records;
  const prefix = isolatedPrefix('bench-nodes');
  const run = Date.now().toString(36);
  // N cases for the burst, up to 100 more for the paced run (as many as it sends in about 5 s).
  const caseIds = Array.from({ length: n + Math.min(n, 100) }, (_, i) => `bn-${run}-${i}`);
  const burstIds = caseIds.slice(0, n);

  const national = { id: nationalNodeId, privateJwk: nodeKey(`bench-national-${run}`) };
  const nodes: LocalNode[] = [sender, receiver].map((id, index) => {
    const kafkaPort = kafkaPorts[id] ?? 0;
    return {
      id,
      kafkaPort,
      controllerPort: kafkaPort + 1,
      brokers: [`localhost:${kafkaPort}`],
      redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      ports: { ...nodePorts(0, index), grpc: 0 },
      privateJwk: nodeKey(`bench-${id}-${run}`),
      stateDir: localDir('kafka', `bench-nodes-${id}`),
    };
  });
  const [from, to] = nodes as [LocalNode, LocalNode];
  const federation = JSON.stringify(federationDocument([national, ...nodes]));
  const routeModes: Record<string, string> = { [sender]: `${fromUnit}=manual`, [receiver]: `${receiver}=manual` };

  const fromKafka = new Kafka({ clientId: 'bench-nodes', brokers: from.brokers, logLevel: logLevel.NOTHING });
  const toKafka = new Kafka({ clientId: 'bench-nodes', brokers: to.brokers, logLevel: logLevel.NOTHING });
  const fromBus = createBus({ brokers: from.brokers, clientId: 'bench-nodes', logger: quiet, topicPrefix: prefix });
  const toBus = createBus({ brokers: to.brokers, clientId: 'bench-nodes', logger: quiet, topicPrefix: prefix });
  const routings: Routing[] = [];
  let mirrorMaker: MirrorMaker | undefined;
  const started = Date.now();
  try {
    // 1. The nodes' brokers, their routings, and MirrorMaker 2 on the links plus the reference's topics.
    const brokers = await Promise.all(nodes.map((node) => startNodeBroker(node, kafka, quiet)));
    logger.info({ brokers: nodes.map((n) => n.brokers[0]), ms: Date.now() - started }, 'node brokers up');
    // The links (as routing makes them) and the reference's topics exist before MirrorMaker starts, so
    // that its flows copy them from the first record on, and it starts alongside the routings.
    const partitions = loadRoutingConfig(nodeEnv(process.env, from, { prefix, federation })).topicPartitions;
    const there = fromBus.topicName({ name: `bench.mirror.${sender}.${receiver}.v1` });
    const back = toBus.topicName({ name: `bench.mirror.${receiver}.${sender}.v1` });
    const links = [linkTopic(sender, receiver), linkTopic(receiver, sender)];
    await Promise.all([
      fromBus.ensureTopics([...links, { name: `bench.mirror.${sender}.${receiver}.v1` }], { partitions }),
      toBus.ensureTopics([...links, { name: `bench.mirror.${receiver}.${sender}.v1` }], { partitions }),
    ]);
    const mirror = mirrorFlows(nodes, prefix);
    const flows = mirror.flows.map((f) => ({ ...f, topics: [...f.topics, f.source.endsWith(sender) ? there : back] }));
    const starts = await Promise.allSettled([
      startMirrorMaker({ clusters: mirror.clusters, flows, stateDir: localDir('mirror-maker', 'bench-nodes') }, quiet),
      ...nodes.map(async (node) => {
        const env = {
          ...nodeEnv(process.env, node, { prefix, federation }),
          ROUTING_ROUTE_MODES: routeModes[node.id] ?? '',
        };
        routings.push(await startRouting(loadRoutingConfig(env), quiet.child({ node: node.id })));
      }),
    ]);
    if (starts[0].status === 'fulfilled') mirrorMaker = starts[0].value;
    for (const s of starts) if (s.status === 'rejected') throw s.reason;
    if (!mirrorMaker) throw new Error('MirrorMaker 2 did not start');
    logger.info({ ms: Date.now() - started, partitions }, 'two nodes and MirrorMaker 2 running');

    // 2. The sender's case-events, watched: registrations, handoffs and their acknowledgements.
    const wanted = new Set(caseIds);
    const handedOffAt = new Map<string, number>();
    const ackedAt = new Map<string, number>();
    let registered = 0;
    const refused: string[] = [];
    const watcher = fromBus.consumer({
      groupId: `bench-nodes-watch-${run}`,
      fromBeginning: true,
      subscriptions: [
        onBatch(caseEvents, async (records) => {
          for (const r of records) {
            const env = r.value.envelope;
            const p = r.value.payload;
            if (!env || !wanted.has(env.caseId) || !p) continue;
            if (p.$case === 'petitionRegistered') registered++;
            else if (p.$case === 'caseHandedOff') handedOffAt.set(env.caseId, env.occurTime?.getTime() ?? r.timestamp);
            else if (p.$case === 'handoffAccepted') ackedAt.set(env.caseId, r.timestamp);
            else if (p.$case === 'commandRefused' || p.$case === 'handoffRefused')
              refused.push(`${env.caseId}: ${p.$case} ${JSON.stringify(p.value).slice(0, 200)}`);
          }
        }),
      ],
    });
    await watcher.start();
    const publisher = await fromBus.publisher();
    const publishAll = async (commands: CaseCommand[]) => {
      for (let i = 0; i < commands.length; i += 500) await publisher.publish(caseCommands, commands.slice(i, i + 500));
    };

    await publishAll(caseIds.map(registration));
    const allRegistered = await waitFor(() => registered, caseIds.length, logger, 'registrations at node 33');
    // Let the sender's outbound finish copying the registrations upward before the handoffs start.
    const upward = async () =>
      [...(await fromBus.endOffsets(linkTopic(sender, nationalNodeId))).values()].reduce((s, o) => s + Number(o), 0);
    for (const deadline = Date.now() + 60_000; (await upward()) < caseIds.length && Date.now() < deadline; )
      await sleep(100);

    // 3. The transfers: a burst of all N at once (throughput), then M at half that rate (latency).
    const mm = mirrorMaker;
    const jvmMs = () => ({
      mirrorMaker: cpuMsOf(mm.pid),
      senderBroker: cpuMsOf(brokers[0]?.pid),
      receiverBroker: cpuMsOf(brokers[1]?.pid),
    });
    const perItem = (ms: number, items: number) => Number((ms / items).toFixed(3));
    const cpu0 = process.cpuUsage();
    const jvm0 = jvmMs();
    await publishAll(burstIds.map(transfer));
    const burstAcked = await waitFor(() => ackedAt.size, n, logger, 'handoffs acknowledged (burst)');
    const cpu1 = process.cpuUsage(cpu0);
    const jvm1 = jvmMs();
    const handoffCpu = {
      benchMs: perItem((cpu1.user + cpu1.system) / 1000, n),
      mirrorMakerMs: perItem(jvm1.mirrorMaker - jvm0.mirrorMaker, n),
      senderBrokerMs: perItem(jvm1.senderBroker - jvm0.senderBroker, n),
      receiverBrokerMs: perItem(jvm1.receiverBroker - jvm0.receiverBroker, n),
    };
    const burstLatencies = durations(burstIds, handedOffAt, ackedAt);
    const firstHandoff = Math.min(...burstIds.map((id) => handedOffAt.get(id) ?? Number.POSITIVE_INFINITY));
    const lastAck = Math.max(...burstIds.map((id) => ackedAt.get(id) ?? 0));
    const handoffsPerSecond = perSecond(burstLatencies.length, lastAck - firstHandoff);
    logger.info({ handoffsPerSecond, ...p50p99(burstLatencies) }, 'burst of handoffs done');

    const rate = Math.min(200, Math.max(2, Math.round(handoffsPerSecond / 2)));
    // Each transfer's produce (acks=all, on the sender's broker) is timed too: what one write costs there now.
    const writes: number[] = [];
    const pacedIds = caseIds.slice(n, n + Math.max(20, rate * 5));
    const m = pacedIds.length;
    await paced(m, rate, async (i) => {
      const t = performance.now();
      await publisher.publish(caseCommands, [transfer(pacedIds[i] ?? '')]);
      writes.push(performance.now() - t);
    });
    writes.sort((a, b) => a - b);
    const pacedAcked = await waitFor(() => ackedAt.size, n + m, logger, 'handoffs acknowledged (paced)');
    const latencies = durations(pacedIds, handedOffAt, ackedAt);
    const writeMs = { p50: Math.round(pct(writes, 0.5)), p99: Math.round(pct(writes, 0.99)) };
    logger.info({ rate, ...p50p99(latencies), writeMs }, 'paced handoffs done');

    // 4. Where the time went, from the records along the way.
    const [handoffs, ackRecords, accepted] = await Promise.all([
      readAll(fromKafka, fromBus.topicName(linkTopic(sender, receiver)), 'handoffs'),
      readAll(toKafka, `${prefix}${linkTopic(receiver, sender).name}`, 'acks'),
      acceptancesAt(toKafka, `${prefix}${caseEvents.name}`, wanted),
    ]);
    const times = {
      handedOff: handedOffAt,
      sent: firstByKey(handoffs),
      accepted,
      ackSent: firstByKey(ackRecords),
      acked: ackedAt,
    };
    const stagesMs = { burst: stagesOf(burstIds, times), paced: stagesOf(pacedIds, times) };
    logger.info(stagesMs, 'where a handoff spends its time (ms)');
    const meanBytes = (records: readonly KafkaMessage[]) =>
      Math.round(records.reduce((sum, r) => sum + (r.value?.length ?? 0), 0) / (records.length || 1));

    // 5. The reference: the same bytes, MirrorMaker alone, burst then paced alike; a raw echo at the
    // receiver sends each back as its case's acknowledgement (the bytes 64 sent back) for the round trip.
    const handoffOf = new Map(handoffs.map((r) => [r.key?.toString() ?? '', r]));
    const ackOf = new Map(ackRecords.map((r) => [r.key?.toString() ?? '', r]));
    let sink = { oneWay: [] as number[], roundTrip: [] as number[], lastArrival: 0 };
    const echoProducer = toKafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await echoProducer.connect();
    const echoing = joined(toKafka, `bench-nodes-echo-${run}`, there, async (messages) => {
      const now = Date.now();
      for (const r of messages) sink.oneWay.push(now - Number(r.timestamp));
      sink.lastArrival = now;
      await echoProducer.send({
        topic: back,
        acks: -1,
        messages: messages.map((r) => {
          const ack = ackOf.get(r.key?.toString() ?? '');
          return {
            key: r.key,
            value: ack?.value ?? r.value,
            headers: ack?.headers ?? r.headers,
            timestamp: r.timestamp,
          };
        }),
      });
    });
    const homing = joined(fromKafka, `bench-nodes-home-${run}`, back, async (messages) => {
      const now = Date.now();
      for (const r of messages) sink.roundTrip.push(now - Number(r.timestamp));
    });
    const [echo, home] = await Promise.all([echoing, homing]);
    const producer = fromKafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    const copies = (ids: readonly string[]) =>
      ids.flatMap((id) => {
        const r = handoffOf.get(id);
        return r ? [{ key: r.key, value: r.value, headers: r.headers }] : [];
      });

    const burstCopies = copies(burstIds);
    const cpu2 = process.cpuUsage();
    const jvm2 = jvmMs();
    const producedAt = Date.now();
    for (let i = 0; i < burstCopies.length; i += 500) {
      const timestamp = String(Date.now());
      const messages = burstCopies.slice(i, i + 500).map((r) => ({ ...r, timestamp }));
      await producer.send({ topic: there, acks: -1, messages });
    }
    const burstMirrored = await waitFor(() => sink.roundTrip.length, burstCopies.length, logger, 'mirrored (burst)');
    const cpu3 = process.cpuUsage(cpu2);
    const jvm3 = jvmMs();
    const mirrorCpu = {
      benchMs: perItem((cpu3.user + cpu3.system) / 1000, burstCopies.length),
      mirrorMakerMs: perItem(jvm3.mirrorMaker - jvm2.mirrorMaker, burstCopies.length),
      senderBrokerMs: perItem(jvm3.senderBroker - jvm2.senderBroker, burstCopies.length),
      receiverBrokerMs: perItem(jvm3.receiverBroker - jvm2.receiverBroker, burstCopies.length),
    };
    const burstSink = sink;
    const mirrorRecordsPerSecond = perSecond(burstSink.oneWay.length, burstSink.lastArrival - producedAt);

    sink = { oneWay: [], roundTrip: [], lastArrival: 0 };
    const pacedCopies = copies(pacedIds);
    await paced(pacedCopies.length, rate, async (i) => {
      const r = pacedCopies[i];
      if (r) await producer.send({ topic: there, acks: -1, messages: [{ ...r, timestamp: String(Date.now()) }] });
    });
    const pacedMirrored = await waitFor(() => sink.roundTrip.length, pacedCopies.length, logger, 'mirrored (paced)');
    await Promise.all([echo.disconnect(), home.disconnect(), producer.disconnect(), echoProducer.disconnect()]);
    for (const list of [burstSink.oneWay, burstSink.roundTrip, sink.oneWay, sink.roundTrip]) list.sort((a, b) => a - b);

    const lost = !allRegistered || !burstAcked || !pacedAcked || !burstMirrored || !pacedMirrored || refused.length > 0;
    if (lost) {
      logger.error(
        { registered, acknowledged: ackedAt.size, of: n + m, refused: refused.slice(0, 5), refusals: refused.length },
        'not everything arrived',
      );
    }
    return {
      bench: 'nodes',
      records: n,
      link: `${sender}->${receiver}`,
      partitions,
      // Throughput: N handoffs at once, first CaseHandedOff to last acknowledgement at the sender; beside
      // N records of the same bytes at once through MirrorMaker, first produced to last arrived (one way).
      handoffsPerSecond,
      mirrorRecordsPerSecond,
      ratio: mirrorRecordsPerSecond > 0 ? Number((handoffsPerSecond / mirrorRecordsPerSecond).toFixed(3)) : 0,
      // Latency: M more at half the handoff throughput, CaseHandedOff to acknowledgement (a round trip over
      // two links); beside as many records of the same bytes at the same rate, one way and there and back.
      paced: m,
      pacedPerSecond: rate,
      ackP50Ms: pct(latencies, 0.5),
      ackP99Ms: pct(latencies, 0.99),
      ackMaxMs: latencies.at(-1) ?? 0,
      mirrorP50Ms: pct(sink.oneWay, 0.5),
      mirrorP99Ms: pct(sink.oneWay, 0.99),
      mirrorRoundTripP50Ms: pct(sink.roundTrip, 0.5),
      mirrorRoundTripP99Ms: pct(sink.roundTrip, 0.99),
      // The same during the burst (mostly time spent queueing).
      burst: {
        ackP50Ms: pct(burstLatencies, 0.5),
        ackP99Ms: pct(burstLatencies, 0.99),
        mirrorP50Ms: pct(burstSink.oneWay, 0.5),
        mirrorP99Ms: pct(burstSink.oneWay, 0.99),
        mirrorRoundTripP50Ms: pct(burstSink.roundTrip, 0.5),
        mirrorRoundTripP99Ms: pct(burstSink.roundTrip, 0.99),
      },
      stagesMs,
      handoffBytes: meanBytes(handoffs),
      ackBytes: meanBytes(ackRecords),
      // CPU per handoff of the burst, and per record of the reference's burst (carried there and back).
      cpuMsPerHandoff: handoffCpu,
      cpuMsPerMirrored: mirrorCpu,
      lost,
    };
  } finally {
    await Promise.all([
      mirrorMaker?.stop().catch((err) => logger.warn({ err }, 'stopping MirrorMaker failed')),
      ...routings.map((r) => r.close().catch((err) => logger.warn({ err }, 'closing routing failed'))),
      fromBus.close(),
      toBus.close(),
    ]);
    // Started here or not (a crashed run's broker is reused), each node's broker is stopped and emptied.
    await Promise.all(
      nodes.map(async (node) => {
        await stopNodeBroker(node, quiet);
        wipeLocalKafka({ port: node.kafkaPort, stateDir: node.stateDir });
      }),
    );
    logger.info({ ms: Date.now() - started }, 'two nodes stopped');
  }
}
