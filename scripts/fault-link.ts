// The fault proof's second stage (`npm run fault`, after the services stage; alone: `-- --stage link`): a
// link between two nodes of the federation (DESIGN "Nodes") goes down and nothing is lost or written twice.
//
// Two nodes, each its own broker and its own routing as a supervised process: `national` on the fault
// proof's broker, `33` (Zhejiang) on a broker of its own (port 18692, state in .local/kafka/fault-node-33),
// with MirrorMaker 2 carrying both links. The load goes both ways: petitions registered at the national
// bureau for Zhejiang counties (handed down to node 33, which takes each to its county 人社局) and petitions
// filed at node 33 for Beijing districts (registered at the Zhejiang bureau, handed up to the national
// node, which hosts Beijing). It runs once without faults, then again while MirrorMaker 2 is killed and
// kept down for a while (the link down), each node's routing is killed (SIGKILL, restarted), and node 33's
// broker is stopped and started again. Then, per case, from both nodes' case-events: each handoff accepted
// exactly once at the receiver and its acknowledgement appended by the sender; versions 1..n on each node,
// none written twice; nothing written by the sender after its CaseHandedOff but the acknowledgement; the
// national node's copy of each case node 33 writes equal to 33's log, version by version; no refusal and
// nothing parked; and every case ending as it did without faults.
import { generateNodeKey, type JWK } from '@petition/auth';
import { caseCommands, caseEvents, createBus, deadlineEvents, linkTopic, on } from '@petition/bus';
import {
  CaseCommand,
  type CaseEvent,
  Category,
  Channel,
  InterconnectRecord,
  PetitionKind,
  UnitLevel,
} from '@petition/contract';
import { buildNationalDirectory, nationalNodeId } from '@petition/directory';
import { localDir, type MirrorMaker, pinnedKafkaVersion, startMirrorMaker, wipeLocalKafka } from '@petition/infra';
import type { Logger } from '@petition/logging';
import { superviseServices } from './network.ts';
import {
  federationDocument,
  type LocalNode,
  mirrorFlows,
  nodeEnv,
  nodePorts,
  startNodeBroker,
  stopNodeBroker,
} from './nodes.ts';

export interface LinkStageOptions {
  /** The national node's broker (the fault proof's own). */
  readonly nationalBrokers: string[];
  /** The environment the services start from (without KAFKA_BROKERS). */
  readonly base: NodeJS.ProcessEnv;
  /** Petitions registered at the national bureau for Zhejiang counties. */
  readonly downCases: number;
  /** Petitions filed at node 33 for Beijing districts. */
  readonly upCases: number;
  /** One down case every paceMs (one up case every 3 × paceMs) in the run with faults. */
  readonly paceMs: number;
  readonly logger: Logger;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const kafka = { version: pinnedKafkaVersion(), heapMb: 512, startTimeoutMs: 120_000 };
const routingSpec = [{ name: 'routing', script: 'services/routing/src/main.ts' }] as const;
/** `FAULT_SERVICE_LOGS=inherit` shows the services' own logs (stdout); their stderr is always shown. */
const serviceStdout = process.env.FAULT_SERVICE_LOGS === 'inherit' ? 'inherit' : 'ignore';

interface Planned {
  readonly caseId: string;
  readonly region: string;
  /** down: national → 33; up: 33 → national. */
  readonly way: 'down' | 'up';
  readonly command: CaseCommand;
}

function plan(prefix: string, o: LinkStageOptions): Planned[] {
  const counties = buildNationalDirectory()
    .regions.filter((r) => r.level === UnitLevel.UNIT_LEVEL_COUNTY)
    .map((r) => r.code);
  const zhejiang = counties.filter((c) => c.startsWith('33'));
  const beijing = counties.filter((c) => c.startsWith('11'));
  const tag = prefix.replace(/\W+/g, '-');
  const petition = (i: number, way: 'down' | 'up'): Planned => {
    const region = (way === 'down' ? zhejiang[i % zhejiang.length] : beijing[i % beijing.length]) ?? '';
    const caseId = `${tag}${way}-${i}`;
    const command = CaseCommand.fromPartial({
      meta: { commandId: `${caseId}/register`, caseId, issueTime: new Date(), correlationId: caseId },
      command: {
        $case: 'registerPetition',
        value: {
          petition: {
            caseNumber: `F${way === 'down' ? 'D' : 'U'}${String(i).padStart(5, '0')}-${tag}`,
            channel: Channel.CHANNEL_WEB,
            kind: PetitionKind.PETITION_KIND_COMPLAINT,
            category: Category.CATEGORY_LABOR_SOCIAL_SECURITY,
            regionCode: region,
            title: '拖欠工资',
            content: '某公司拖欠工资三个月，请求处理。',
            petitioner: { personId: `p-${caseId}` },
            // Registered by the national bureau's staff; filed online at node 33 (its top bureau registers it).
            registeringUnitId: way === 'down' ? '000000-xfj' : '',
          },
        },
      },
    });
    return { caseId, region, way, command };
  };
  return [
    ...Array.from({ length: o.downCases }, (_, i) => petition(i, 'down')),
    ...Array.from({ length: o.upCases }, (_, i) => petition(i, 'up')),
  ];
}

/** One event as read from a node's case-events, with its bytes (re-encoded alike on both nodes). */
interface Logged {
  readonly event: CaseEvent;
  readonly bytes: string;
}

/** Every event of a prefix's case-events on one node, in log order per case; read whole before a verdict. */
function collector(brokers: string[], prefix: string, logger: Logger, label: string) {
  const bus = createBus({ brokers, clientId: `fault-link-read-${label}`, logger, topicPrefix: prefix });
  const byCase = new Map<string, Logged[]>();
  const seen = new Set<string>();
  const read = new Map<number, bigint>();
  const consumer = bus.consumer({
    groupId: `fault-link-read-${label}-${Date.now().toString(36)}`,
    fromBeginning: true,
    subscriptions: [
      on(caseEvents, async (r) => {
        read.set(r.partition, BigInt(r.offset) + 1n);
        if (seen.has(`${r.partition}:${r.offset}`)) return;
        seen.add(`${r.partition}:${r.offset}`);
        const caseId = r.value.envelope?.caseId ?? '';
        const list = byCase.get(caseId) ?? [];
        list.push({ event: r.value, bytes: Buffer.from(caseEventBytes(r.value)).toString('base64') });
        byCase.set(caseId, list);
      }),
    ],
  });
  return {
    bus,
    byCase,
    start: () => consumer.start(),
    /** Read to the end offsets of now; false when not within `ms`. */
    async caughtUp(ms: number) {
      const ends = await bus.endOffsets(caseEvents);
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        if ([...ends].every(([p, end]) => (read.get(p) ?? 0n) >= end)) return true;
        await sleep(100);
      }
      return false;
    },
    close: () => bus.close(),
  };
}

const caseEventBytes = (e: CaseEvent) => caseEvents.codec.encode(e).finish();

/**
 * What crossed each link: the records the sender's routing wrote on its own broker and those MirrorMaker 2
 * copied to the receiver's, with their distinct record ids (a repeat is a resend or a copy made again
 * after a crash, which the receiver must recognise).
 */
async function linkRecords(nodes: readonly LocalNode[], prefix: string, log: Logger) {
  const out: Record<string, { sent: number; arrived: number; distinct: number; byKind: Record<string, number> }> = {};
  const count = async (n: LocalNode, topic: ReturnType<typeof linkTopic>) => {
    const bus = createBus({ brokers: n.brokers, clientId: 'fault-link-links', logger: log, topicPrefix: prefix });
    const ids: string[] = [];
    const read = new Map<number, bigint>();
    try {
      const ends = await bus.endOffsets(topic);
      const consumer = bus.consumer({
        groupId: `fault-link-links-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`,
        fromBeginning: true,
        subscriptions: [
          on(topic, async (r) => {
            if ((read.get(r.partition) ?? 0n) > BigInt(r.offset)) return;
            read.set(r.partition, BigInt(r.offset) + 1n);
            ids.push(InterconnectRecord.decode(r.value.bytes).recordId);
          }),
        ],
      });
      await consumer.start();
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && ![...ends].every(([p, end]) => (read.get(p) ?? 0n) >= end)) await sleep(100);
    } finally {
      await bus.close();
    }
    return ids;
  };
  await Promise.all(
    nodes.flatMap((from) =>
      nodes
        .filter((to) => to.id !== from.id)
        .map(async (to) => {
          const topic = linkTopic(from.id, to.id);
          const [sent, arrived] = await Promise.all([count(from, topic), count(to, topic)]);
          const byKind: Record<string, number> = {};
          for (const id of new Set(arrived)) {
            const kind = id.slice(0, id.indexOf(':'));
            byKind[kind] = (byKind[kind] ?? 0) + 1;
          }
          out[`${from.id}->${to.id}`] = {
            sent: sent.length,
            arrived: arrived.length,
            distinct: new Set(arrived).size,
            byKind,
          };
        }),
    ),
  );
  return out;
}

/** Routing's interconnect counters on a node (since its last start), as `direction/kind/outcome` → n. */
async function interconnectCounters(port: number) {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) }).then(
    (r) => r.text(),
    () => '',
  );
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^routing_interconnect_records_total\{([^}]*)\} (\d+)/.exec(line);
    if (!m?.[1]) continue;
    const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    out[`${labels.direction}/${labels.kind}/${labels.outcome}`] = Number(m[2]);
  }
  return out;
}

/** A case's log on one node by version: problems found on the way (two events at a version, a gap, …). */
function versions(log: readonly Logged[] | undefined) {
  const at = new Map<number, Logged>();
  const problems: string[] = [];
  let copies = 0;
  const refusals: string[] = [];
  const versionsOfId = new Map<string, Set<number>>();
  let highest = 0;
  for (const entry of log ?? []) {
    const env = entry.event.envelope;
    const v = env?.caseVersion ?? 0;
    const id = env?.eventId ?? '';
    if (v === 0) {
      const p = entry.event.payload;
      refusals.push(p?.$case === 'commandRefused' ? `${p.value.commandKind}: ${p.value.reasonCode}` : `${p?.$case}`);
      continue;
    }
    const ids = versionsOfId.get(id) ?? new Set();
    ids.add(v);
    versionsOfId.set(id, ids);
    const before = at.get(v);
    if (before) {
      const beforeId = before.event.envelope?.eventId;
      if (beforeId !== id) problems.push(`version ${v} written twice: ${beforeId} and ${id}`);
      else if (before.bytes !== entry.bytes) problems.push(`version ${v} written twice (event ${id}, other content)`);
      else copies++;
      continue;
    }
    if (v !== highest + 1) problems.push(`version ${v} follows version ${highest}`);
    highest = Math.max(highest, v);
    at.set(v, entry);
  }
  for (let v = 1; v <= highest; v++) if (!at.has(v)) problems.push(`version ${v} missing`);
  for (const [id, vs] of versionsOfId) {
    if (vs.size > 1) problems.push(`event ${id} at versions ${[...vs].join(', ')}`);
  }
  return { at, highest, problems, copies, refusals };
}

const kindOf = (l: Logged | undefined) => l?.event.payload?.$case ?? 'none';
const handedOff = (l: Logged | undefined) =>
  l?.event.payload?.$case === 'caseHandedOff' ? l.event.payload.value : undefined;
/** The versions at which a log holds a HandoffAccepted of `handoffId`. */
const acceptances = (at: ReadonlyMap<number, Logged>, handoffId: string) =>
  [...at].filter(
    ([, l]) => l.event.payload?.$case === 'handoffAccepted' && l.event.payload.value.handoffId === handoffId,
  );

interface Verdict {
  failures: string[];
  /** Per case (by its place in the plan): what its writer's log says, for the runs to be compared. */
  outcomes: string[];
  counts: {
    handoffsAcceptedOnce: number;
    acknowledged: number;
    copiesEqualVersionByVersion: number;
    eventsChecked: number;
    redeliveredCopiesSameEvent: number;
    refusals: number;
    parked: number;
  };
}

/** Every check of one run, from both nodes' logs (read whole). */
function verify(cases: readonly Planned[], national: Map<string, Logged[]>, zj: Map<string, Logged[]>): Verdict {
  const failures: string[] = [];
  const outcomes: string[] = [];
  const counts = {
    handoffsAcceptedOnce: 0,
    acknowledged: 0,
    copiesEqualVersionByVersion: 0,
    eventsChecked: 0,
    redeliveredCopiesSameEvent: 0,
    refusals: 0,
    parked: 0,
  };
  for (const c of cases) {
    const fail = (what: string) => failures.push(`${c.caseId} (${c.way} ${c.region}): ${what}`);
    const n = versions(national.get(c.caseId));
    const z = versions(zj.get(c.caseId));
    for (const [node, v] of [
      ['national', n],
      ['33', z],
    ] as const) {
      for (const p of v.problems) fail(`at ${node}: ${p}`);
      for (const r of v.refusals) fail(`at ${node}: refused (${r})`);
      counts.redeliveredCopiesSameEvent += v.copies;
      counts.refusals += v.refusals.length;
      counts.eventsChecked += v.at.size;
    }
    // The sender, the receiver, and the version of the sender's CaseHandedOff.
    const [sender, receiver, to] = c.way === 'down' ? [n, z, '33'] : [z, n, nationalNodeId];
    const handoff = handedOff(sender.at.get(2));
    if (kindOf(sender.at.get(1)) !== 'petitionRegistered' || handoff?.toNodeId !== to) {
      fail(
        `the sender's log does not begin with its registration and a handoff to ${to}: ${kindOf(sender.at.get(1))}, ${kindOf(sender.at.get(2))}`,
      );
      outcomes.push('not handed off');
      continue;
    }
    const accepted = acceptances(receiver.at, handoff.handoffId);
    if (accepted.length === 1) counts.handoffsAcceptedOnce++;
    else
      fail(
        `handoff ${handoff.handoffId} accepted ${accepted.length} times at ${to} (versions ${accepted.map(([v]) => v).join(', ')})`,
      );
    const ack = acceptances(sender.at, handoff.handoffId);
    if (ack.length === 1 && ack[0]?.[1].event.envelope?.eventId === accepted[0]?.[1].event.envelope?.eventId)
      counts.acknowledged++;
    else fail(`the acknowledgement of handoff ${handoff.handoffId} reached the sender ${ack.length} times`);
    const holder = receiver.at.get(receiver.highest)?.event.custodyUnitId ?? '';
    if (holder !== `${c.region}-rsj`) fail(`ends with ${holder || 'nobody'} at ${to}, not ${c.region}-rsj`);
    // Up to the acknowledgement both logs are the same; after it, the sender holds nothing of its own.
    const same = (v: number) => n.at.get(v)?.bytes === z.at.get(v)?.bytes;
    if (c.way === 'down') {
      // The national node reads every event node 33 writes: its copy is 33's log.
      const differing = Array.from({ length: Math.max(n.highest, z.highest) }, (_, i) => i + 1).filter((v) => !same(v));
      if (differing.length === 0) counts.copiesEqualVersionByVersion++;
      else
        fail(
          `national's copy differs from 33's log at versions ${differing.join(', ')} (national ${n.highest} versions, 33 ${z.highest})`,
        );
      const written = [...n.at.keys()].filter(
        (v) => v > 2 && n.at.get(v)?.event.envelope?.eventId !== z.at.get(v)?.event.envelope?.eventId,
      );
      if (written.length) fail(`national wrote versions ${written.join(', ')} after handing the case off`);
    } else {
      const after = [...z.at.keys()].filter((v) => v > 3);
      if (after.length) fail(`33 wrote versions ${after.join(', ')} after handing the case off`);
      const differing = [1, 2, 3].filter((v) => !same(v));
      if (differing.length === 0) counts.copiesEqualVersionByVersion++;
      else fail(`33's log and national's differ at versions ${differing.join(', ')}`);
    }
    outcomes.push(
      [...receiver.at.values()]
        .map((l) => `${l.event.envelope?.caseVersion}:${kindOf(l)}@${l.event.custodyUnitId}:${l.event.state}`)
        .join(' '),
    );
  }
  return { failures, outcomes, counts };
}

/** How far the run's cases have got (for the progress log and to know when to stop waiting). */
function progress(cases: readonly Planned[], national: Map<string, Logged[]>, zj: Map<string, Logged[]>) {
  const last = (log: Logged[] | undefined) =>
    log?.reduce<Logged | undefined>(
      (a, l) => ((l.event.envelope?.caseVersion ?? 0) > (a?.event.envelope?.caseVersion ?? 0) ? l : a),
      undefined,
    );
  const p = { downAtUnit: 0, downCopied: 0, upAtUnit: 0, upAcknowledged: 0 };
  for (const c of cases) {
    const n = last(national.get(c.caseId));
    const z = last(zj.get(c.caseId));
    const [receiver, sender] = c.way === 'down' ? [z, n] : [n, z];
    const done = receiver?.event.custodyUnitId === `${c.region}-rsj`;
    if (c.way === 'down') {
      if (done) p.downAtUnit++;
      if (done && sender?.event.envelope?.eventId === receiver?.event.envelope?.eventId) p.downCopied++;
    } else {
      if (done) p.upAtUnit++;
      if (kindOf(sender) === 'handoffAccepted') p.upAcknowledged++;
    }
  }
  const downs = cases.filter((c) => c.way === 'down').length;
  const ups = cases.length - downs;
  return {
    ...p,
    complete: p.downAtUnit === downs && p.downCopied === downs && p.upAtUnit === ups && p.upAcknowledged === ups,
  };
}

async function routingReady(port: number, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(3_000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`routing on port ${port} not ready within ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

/** Publishes until the broker takes it (routing recognises a command it has answered: a repeat is harmless). */
async function publishCommand(bus: ReturnType<typeof createBus>, command: CaseCommand, log: Logger) {
  for (let attempt = 1; ; attempt++) {
    try {
      await (await bus.publisher()).publish(caseCommands, [command]);
      return attempt - 1;
    } catch (err) {
      if (attempt % 10 === 1) log.warn({ err, caseId: command.meta?.caseId, attempt }, 'command not taken; again');
      await sleep(500);
    }
  }
}

/** The two nodes' layout: national on the fault proof's broker, 33 on a broker of its own. */
function layoutOf(o: LinkStageOptions): LocalNode[] {
  const redisUrl = o.base.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const kafkaPort = Number(process.env.FAULT_NODE_KAFKA_PORT ?? 18_692);
  return [
    {
      id: nationalNodeId,
      kafkaPort: 0,
      controllerPort: 0,
      brokers: o.nationalBrokers,
      redisUrl,
      ports: { ...nodePorts(18_500, 0), grpc: nodePorts(18_500, 0).grpc },
      privateJwk: generateNodeKey(`fault-${nationalNodeId}`).privateJwk as JWK,
      stateDir: '',
    },
    {
      id: '33',
      kafkaPort,
      controllerPort: Number(process.env.FAULT_NODE_KAFKA_CONTROLLER_PORT ?? 18_693),
      brokers: [`localhost:${kafkaPort}`],
      redisUrl,
      ports: { ...nodePorts(18_500, 1), grpc: nodePorts(18_500, 1).grpc },
      privateJwk: generateNodeKey('fault-33').privateJwk as JWK,
      stateDir: localDir('kafka', 'fault-node-33'),
    },
  ];
}

async function run(label: string, withFaults: boolean, o: LinkStageOptions, nodes: LocalNode[]) {
  const [national, zj] = nodes as [LocalNode, LocalNode];
  const log = o.logger.child({ stage: 'link', run: label });
  const prefix = `t-fault-link-${label}-${Date.now().toString(36)}.`;
  const federation = JSON.stringify(federationDocument(nodes));
  const started = Date.now();
  const timings: Record<string, number> = {};
  const since = (t: number) => Date.now() - t;
  const networks = new Map(
    nodes.map((n) => [
      n.id,
      superviseServices(
        routingSpec,
        { ...nodeEnv(o.base, n, { prefix, federation }), LOG_LEVEL: process.env.FAULT_SERVICE_LOG_LEVEL ?? 'error' },
        log.child({ node: n.id }),
        serviceStdout,
      ),
    ]),
  );
  const network = (id: string) => networks.get(id) as ReturnType<typeof superviseServices>;
  const mirror = {
    ...mirrorFlows(nodes, prefix),
    stateDir: localDir('mirror-maker', 'fault-link'),
    startTimeoutMs: 150_000,
  };
  let mirrorMaker: MirrorMaker | undefined;
  const buses = new Map(
    nodes.map((n) => [
      n.id,
      createBus({ brokers: n.brokers, clientId: `fault-link-load-${n.id}`, logger: log, topicPrefix: prefix }),
    ]),
  );
  const readers: ReturnType<typeof collector>[] = [];
  try {
    await Promise.all(nodes.map((n) => routingReady(n.ports.routing)));
    timings.routingReadyMs = since(started);
    let t = Date.now();
    mirrorMaker = await startMirrorMaker(mirror, log);
    timings.mirrorMakerStartMs = since(t);
    const cases = plan(prefix, o);
    const paceMs = withFaults ? o.paceMs : Math.min(o.paceMs, 200);
    log.info({ down: o.downCases, up: o.upCases, paceMs, faults: withFaults }, 'link load starts');
    const loadStarted = Date.now();
    let clientRetries = 0;
    const send = async (way: 'down' | 'up', every: number) => {
      const mine = cases.filter((c) => c.way === way);
      const bus = buses.get(way === 'down' ? national.id : zj.id) as ReturnType<typeof createBus>;
      for (const [i, c] of mine.entries()) {
        await sleep(Math.max(0, loadStarted + i * every - Date.now()));
        clientRetries += await publishCommand(bus, c.command, log);
      }
    };
    const loading = Promise.all([send('down', paceMs), send('up', paceMs * 3)]).then(() => {
      timings.loadMs = since(loadStarted);
    });

    const injected: string[] = [];
    if (withFaults) {
      // The link down: MirrorMaker 2 killed (no offsets committed since its last flush) and kept down.
      await sleep(3_000);
      mirrorMaker.kill();
      const linkDown = Date.now();
      log.warn('fault: MirrorMaker 2 SIGKILL; the link is down');
      // While the link is down, the national node's routing is killed too (its outbound consumer resends).
      await sleep(5_000);
      t = Date.now();
      network(national.id).kill('routing', 'SIGKILL');
      log.warn({ node: national.id }, 'fault: routing SIGKILL');
      await sleep(1_500);
      await routingReady(national.ports.routing);
      timings.nationalRoutingBackMs = since(t);
      injected.push('SIGKILL routing at national (link down)');
      await sleep(Math.max(0, linkDown + 20_000 - Date.now()));
      t = Date.now();
      mirrorMaker = await startMirrorMaker(mirror, log);
      timings.mirrorMakerRestartMs = since(t);
      timings.linkDownMs = since(linkDown);
      injected.push(`MirrorMaker 2 SIGKILL, link down ${Math.round(timings.linkDownMs / 1000)} s`);
      // The backlog crosses: node 33's routing is killed in the middle of taking it.
      await sleep(1_000);
      t = Date.now();
      network(zj.id).kill('routing', 'SIGKILL');
      log.warn({ node: zj.id }, 'fault: routing SIGKILL');
      await sleep(1_500);
      await routingReady(zj.ports.routing);
      timings.zjRoutingBackMs = since(t);
      injected.push('SIGKILL routing at 33 (backlog arriving)');
      // Node 33's broker stopped and started again, with MirrorMaker 2 and both routings running.
      await sleep(3_000);
      t = Date.now();
      log.warn({ node: zj.id }, 'fault: broker stopped');
      if (!(await stopNodeBroker(zj, log))) throw new Error(`no broker of node 33 on port ${zj.kafkaPort} to stop`);
      await sleep(5_000);
      await startNodeBroker(zj, kafka, log);
      await routingReady(zj.ports.routing);
      timings.zjBrokerDownAndBackMs = since(t);
      injected.push(`broker of node 33 stopped and restarted (${Math.round(timings.zjBrokerDownAndBackMs / 1000)} s)`);
    }
    await loading;

    // Wait for the cases to arrive (bounded), reading both nodes' case-events.
    const settleStarted = Date.now();
    for (const n of nodes) readers.push(collector(n.brokers, prefix, log, `${label}-${n.id}`));
    await Promise.all(readers.map((r) => r.start()));
    const [nRead, zRead] = readers as [ReturnType<typeof collector>, ReturnType<typeof collector>];
    let last = '';
    let completeSince: number | undefined;
    let lastLog = 0;
    for (const deadline = Date.now() + 240_000; Date.now() < deadline; await sleep(1_000)) {
      const p = progress(cases, nRead.byCase, zRead.byCase);
      const now = JSON.stringify(p);
      if (now !== last) completeSince = undefined;
      last = now;
      if (Date.now() - lastLog > 5_000) {
        lastLog = Date.now();
        log.info(
          { ...p, down: o.downCases, up: o.upCases, waitedS: Math.round(since(settleStarted) / 1000) },
          'link: cases arriving',
        );
      }
      if (p.complete) {
        completeSince ??= Date.now();
        // Copies that MirrorMaker or a restarted routing still has in flight land within a few seconds.
        if (Date.now() - completeSince > 5_000) break;
      }
    }
    timings.settleMs = since(settleStarted);
    const caughtUp = (await Promise.all(readers.map((r) => r.caughtUp(60_000)))).every(Boolean);
    const verdict = verify(cases, nRead.byCase, zRead.byCase);
    if (!caughtUp) verdict.failures.push('case-events not read to the end within 60 s');
    // Nothing parked on either node: no record of a link, no command, no event.
    for (const n of nodes) {
      const bus = buses.get(n.id) as ReturnType<typeof createBus>;
      const peers = nodes.filter((p) => p.id !== n.id).map((p) => p.id);
      for (const topic of [
        caseCommands,
        caseEvents,
        deadlineEvents,
        ...peers.flatMap((p) => [linkTopic(p, n.id), linkTopic(n.id, p)]),
      ]) {
        const dlq = { name: `${topic.name}.dlq` };
        let parked = 0n;
        for (const end of (await bus.endOffsets(dlq)).values()) parked += end;
        if (parked > 0n) verdict.failures.push(`at ${n.id}: ${parked} record(s) parked in ${bus.topicName(dlq)}`);
        verdict.counts.parked += Number(parked);
      }
    }
    const links = await linkRecords(nodes, prefix, log);
    const counters = Object.fromEntries(
      await Promise.all(nodes.map(async (n) => [n.id, await interconnectCounters(n.ports.routing)] as const)),
    );
    timings.runMs = since(started);
    const restarts = Object.fromEntries(nodes.map((n) => [n.id, Object.fromEntries(network(n.id).restarts)]));
    log.info({ failures: verdict.failures.length, timings }, 'link run checked');
    return { prefix, cases, verdict, injected, timings, restarts, clientRetries, links, counters };
  } finally {
    for (const r of readers) await r.close().catch(() => undefined);
    for (const b of buses.values()) await b.close().catch(() => undefined);
    await mirrorMaker?.stop().catch(() => undefined);
    for (const n of networks.values()) await n.stop();
  }
}

/** The link stage: the same two-way load without and with faults; a JSON report and whether it passed. */
export async function linkStage(o: LinkStageOptions) {
  const started = Date.now();
  const nodes = layoutOf(o);
  const zj = nodes[1] as LocalNode;
  // A broker of its own, from nothing (a leftover of a crashed run is stopped and wiped).
  await stopNodeBroker(zj, o.logger);
  wipeLocalKafka({ port: zj.kafkaPort, stateDir: zj.stateDir });
  let t = Date.now();
  await startNodeBroker(zj, kafka, o.logger);
  const brokerStartMs = Date.now() - t;
  try {
    t = Date.now();
    const clean = await run('clean', false, o, nodes);
    const faulty = await run('faulty', true, o, nodes);
    const differing: string[] = [];
    for (const [i, c] of faulty.cases.entries()) {
      const a = clean.verdict.outcomes[i];
      const b = faulty.verdict.outcomes[i];
      if (a !== b) differing.push(`${c.way} ${c.region}: ${a} ≠ ${b}`);
    }
    const failures = [
      ...clean.verdict.failures.map((f) => `clean: ${f}`),
      ...faulty.verdict.failures.map((f) => `faulty: ${f}`),
      ...differing.map((d) => `clean ≠ faulty: ${d}`),
    ];
    const report = {
      fault: failures.length === 0 ? 'passed' : 'FAILED',
      stage: 'link',
      nodes: nodes.map((n) => `${n.id}@${n.brokers.join(',')}`),
      cases: { down: o.downCases, up: o.upCases },
      faultsInjected: faulty.injected,
      serviceRestarts: faulty.restarts,
      // What crossed the links, and (since routing's last start) what the receiving routing made of it.
      linkRecords: { clean: clean.links, faulty: faulty.links },
      interconnectSinceLastStart: { faulty: faulty.counters },
      checked: {
        handoffsAcceptedExactlyOnce: {
          clean: clean.verdict.counts.handoffsAcceptedOnce,
          faulty: faulty.verdict.counts.handoffsAcceptedOnce,
        },
        acknowledgementsAtSender: {
          clean: clean.verdict.counts.acknowledged,
          faulty: faulty.verdict.counts.acknowledged,
        },
        logsEqualAcrossNodes: {
          clean: clean.verdict.counts.copiesEqualVersionByVersion,
          faulty: faulty.verdict.counts.copiesEqualVersionByVersion,
        },
        versionedEventsChecked: {
          clean: clean.verdict.counts.eventsChecked,
          faulty: faulty.verdict.counts.eventsChecked,
        },
        redeliveredCopiesSameEvent: {
          clean: clean.verdict.counts.redeliveredCopiesSameEvent,
          faulty: faulty.verdict.counts.redeliveredCopiesSameEvent,
        },
        refusals: { clean: clean.verdict.counts.refusals, faulty: faulty.verdict.counts.refusals },
        parked: { clean: clean.verdict.counts.parked, faulty: faulty.verdict.counts.parked },
        sameOutcomeAsClean: faulty.cases.length - differing.length,
        clientRetries: { clean: clean.clientRetries, faulty: faulty.clientRetries },
      },
      timingsMs: {
        node33BrokerStart: brokerStartMs,
        clean: clean.timings,
        faulty: faulty.timings,
        stage: Date.now() - started,
      },
      failures: failures.slice(0, 20),
      failureCount: failures.length,
    };
    return { passed: failures.length === 0, report };
  } finally {
    await stopNodeBroker(zj, o.logger);
    wipeLocalKafka({ port: zj.kafkaPort, stateDir: zj.stateDir });
  }
}
