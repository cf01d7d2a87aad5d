// Integrators' subscriptions (tracking's /v1/subscriptions) on the real broker and Redis, all in one run and
// one process (tracking, its 100 SSE clients, the publisher and the reference share the CPU):
// - fan-out: 100 subscribers over real HTTP with the client package (subscribeSse), each a subscription of its
//   own with a filter selecting a quarter of the events (50 by one of four districts of 杭州, 50 by one of four
//   categories; the cases are spread evenly over both), all connected and warm (each has had a warm-up event);
//   then N case events published (N = records/50, 500 to 5,000): events/s from the first publish until the last
//   subscriber has every event its filter selects (offersPerSec: the same times 100, the events the feed hub
//   put before the streams' filters together; idleCpuPct: this process's CPU, in % of a core, while the 100 streams are open and
//   nothing comes);
// - resume: one subscriber stops at the end of case-events, a gap of `records` events is published, and it
//   comes back with its resume token: ms to its first event and until it has every selected one of the gap;
// - reference: a raw bus consumer (the bus's Kafka client, a group whose offsets were set to the same start
//   position, as a feed's are) counting the same N events, then the same gap, timed the same;
// - lost:false only if every subscriber got exactly its selected events (each id checked: none missing, none
//   twice, none it should not have) and the raw consumer counted exactly N and the gap.
// The events: 64 registrations (decided by the lifecycle, applied by tracking first, since a feed looks up the
// facts of a later event in tracking's read model), then CaseUrged events over those cases.
import { type Bus, caseEvents, createBus, isolatedPrefix, on } from '@petition/bus';
import {
  CaseCommand,
  CaseEvent,
  Category,
  Channel,
  categoryToJSON,
  type DeepPartial,
  PetitionKind,
} from '@petition/contract';
import { buildNationalDirectory, nationalDirectory } from '@petition/directory';
import { createLegalCalendar, defaultPolicy, stateCouncilTable } from '@petition/legal-calendar';
import { decideAndEvolve } from '@petition/lifecycle';
import type { Logger } from '@petition/logging';
import { testStaffEnv } from '@petition/testing';
import { loadTrackingConfig, startTracking, type Tracking } from '@petition/tracking';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { subscribeSse, subscriptionsClient } from '../packages/client/src/index.ts';
import { decodePosition, type Position } from '../services/tracking/src/subscriptions/position.ts';
import { waitForCount } from './count.ts';

const partitions = 12;
const subscriberCount = 100;
const integratorCount = 4;
const caseCount = 64;
/** The four districts and four categories the filters choose from; case c is in district c%4, category ⌊c/4⌋%4. */
const districts = ['330102', '330105', '330106', '330108'] as const;
const categories = [
  Category.CATEGORY_LABOR_SOCIAL_SECURITY,
  Category.CATEGORY_EDUCATION,
  Category.CATEGORY_CIVIL_AFFAIRS,
  Category.CATEGORY_URBAN_RURAL_CONSTRUCTION,
] as const;
const integratorUnit = '330100-xfj';
const heartbeatMs = 250;
const waitLimitMs = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const day = 86_400_000;

type Phase = 'w' | 'f' | 'g';

/** Subscriber s: a district filter for the first half, a category filter for the second. */
const filterOf = (s: number) =>
  s < subscriberCount / 2
    ? { regionCodes: [districts[s % 4] ?? ''] }
    : { categories: [categoryToJSON(categories[s % 4] ?? Category.CATEGORY_EDUCATION)] };
/** Whether subscriber s's filter selects case c (the bench's own account of the workload, to check against). */
const selectsCase = (s: number, c: number) =>
  s < subscriberCount / 2 ? c % 4 === s % 4 : Math.floor(c / 4) % 4 === s % 4;
/** The case of the i-th event of a phase: round robin, the warm-up's four cover every district and category. */
const caseOfEvent = (phase: Phase, i: number) => (phase === 'w' ? i * 5 : i % caseCount);

/** The cases' registrations, decided by the lifecycle. */
function registrations(run: string): CaseEvent[] {
  const national = buildNationalDirectory();
  const directory = nationalDirectory(national);
  const calendar = createLegalCalendar({ table: stateCouncilTable() });
  const ctx = { calendar, directory, policyFor: () => defaultPolicy };
  const events: CaseEvent[] = [];
  for (let c = 0; c < caseCount; c++) {
    const caseId = `bench-sub-${run}-${c}`;
    const now = new Date(Date.parse('2026-11-02T09:00:00+08:00') + (c % 30) * day);
    const petition = {
      channel: Channel.CHANNEL_WEB,
      kind: PetitionKind.PETITION_KIND_COMPLAINT,
      title: '工资拖欠',
      caseNumber: `BS-${run}-${c}`,
      category: categories[Math.floor(c / 4) % 4],
      regionCode: districts[c % 4],
      petitioner: {},
    };
    const partial: DeepPartial<CaseCommand> = {
      meta: { commandId: `${caseId}-register`, caseId, issueTime: now },
      command: { $case: 'registerPetition', value: { petition } },
    };
    const decided = decideAndEvolve(undefined, CaseCommand.fromPartial(partial), { ...ctx, now });
    if (decided.outcome.kind === 'refused') throw new Error(`${caseId}: ${decided.outcome.refusal.code}`);
    events.push(...decided.outcome.events);
  }
  return events;
}

/** Makes the case events of the phases cheaply: CaseUrged after each case's registration, versions rising. */
function urges(run: string, registered: CaseEvent[]) {
  const versions = registered.map((e) => e.envelope?.caseVersion ?? 1);
  const at = Date.parse('2026-12-01T09:00:00+08:00');
  return (phase: Phase, from: number, to: number): CaseEvent[] => {
    const out: CaseEvent[] = [];
    for (let i = from; i < to; i++) {
      const c = caseOfEvent(phase, i);
      const reg = registered[c];
      const version = (versions[c] ?? 1) + 1;
      versions[c] = version;
      out.push(
        CaseEvent.fromPartial({
          envelope: {
            eventId: `bs-${run}-${phase}-${i}`,
            caseId: reg?.envelope?.caseId,
            caseVersion: version,
            occurTime: new Date(at + version * 1_000),
            producer: 'bench',
          },
          state: reg?.state,
          custodyUnitId: reg?.custodyUnitId,
          payload: { $case: 'caseUrged', value: { note: '', times: version - 1 } },
        }),
      );
    }
    return out;
  };
}

interface Subscriber {
  readonly index: number;
  readonly subscriptionId: string;
  readonly credentials: { clientId: string; secret: string };
  /** Per phase: which of its events came (by index), how many, how many it should get, when it had them all. */
  readonly seen: Partial<Record<Phase, Uint8Array>>;
  readonly got: Record<Phase, number>;
  readonly expected: Record<Phase, number>;
  readonly firstAt: Partial<Record<Phase, number>>;
  readonly completeAt: Partial<Record<Phase, number>>;
  duplicates: number;
  unexpected: number;
  token: string;
  error?: string;
  stop?: AbortController;
  reading?: Promise<void>;
}

/** Per partition, whether `position` has reached `end`. */
const reached = (position: Position, end: ReadonlyMap<number, bigint>) =>
  [...end].every(([p, o]) => (position.get(p) ?? 0n) >= o);

async function until(check: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await sleep(10);
  return check();
}

/** A raw bus consumer from `start` counting `expected` records of case-events; ms to the first and to the last. */
async function rawRead(bus: Bus, start: ReadonlyMap<number, bigint>, expected: number, label: string, logger: Logger) {
  const groupId = `bench-raw-${label}`;
  await bus.setCommittedOffsets(groupId, caseEvents, start);
  let count = 0;
  let firstAt = 0;
  let lastAt = 0;
  const consumer = bus.consumer({
    groupId,
    fromBeginning: true,
    commitOffsets: false,
    subscriptions: [
      on(caseEvents, async () => {
        lastAt = performance.now();
        if (count++ === 0) firstAt = lastAt;
      }),
    ],
  });
  const started = performance.now();
  await consumer.start();
  const done = await waitForCount(() => count, expected, { logger, label: `raw consumer, ${label}` });
  await sleep(200);
  await consumer.stop();
  await bus.deleteGroups([groupId]);
  return { done, exact: count === expected, firstMs: firstAt - started, ms: lastAt - started };
}

export async function benchSubscriptions(options: { brokers: string[]; logger: Logger; records: number }) {
  const logger = options.logger.child({ bench: 'subscriptions' });
  const quiet = logger.child({}, { level: 'warn' });
  const prefix = isolatedPrefix('bench-subs');
  const run = Date.now().toString(36);
  const gap = Math.max(100, options.records);
  // The fan-out's N: a fiftieth of the gap, 500 to 5,000. Each feed reads every event of the topic (a consumer
  // and a read-model look-up per event per subscriber), so N events cost 100 N feed reads: 2,000 by default.
  const fanout = Math.min(5_000, Math.max(500, Math.floor(gap / 50)));
  const integrators = Array.from({ length: integratorCount }, (_, i) => ({
    clientId: `bench-integrator-${i}`,
    secret: `bench-integrator-secret-${i}-${run}`,
  }));
  const config = loadTrackingConfig({
    ...process.env,
    ...testStaffEnv(),
    KAFKA_BROKERS: options.brokers.join(','),
    TOPIC_PREFIX: prefix,
    TOPIC_PARTITIONS: String(partitions),
    TRACKING_HTTP_PORT: '0',
    TRACKING_OPS_PORT: '0',
    TRACKING_HOST: '127.0.0.1',
    TRACKING_STREAM_HEARTBEAT: `${heartbeatMs}ms`,
    TRACKING_INTEGRATORS: JSON.stringify(
      integrators.map((c) => ({ ...c, name: c.clientId, unitId: integratorUnit, scopes: ['events'] })),
    ),
  });
  const bus = createBus({ brokers: options.brokers, clientId: 'bench-subs', logger: quiet, topicPrefix: prefix });
  const kafka = new Kafka({ clientId: 'bench-subs-admin', brokers: options.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const redis = new Redis(config.redisUrl);
  let tracking: Tracking | undefined;
  const subscribers: Subscriber[] = [];
  try {
    await bus.ensureTopics([caseEvents], { partitions });
    await admin.connect();
    const publisher = await bus.publisher();
    const registered = registrations(run);
    const eventsOf = urges(run, registered);
    const t = await startTracking(config, quiet);
    tracking = t;
    await publisher.publish(caseEvents, registered);
    if (!(await waitForCount(t.applied, registered.length, { logger, label: 'registrations applied' })))
      throw new Error('tracking did not apply the registrations');

    // The subscriptions (they start at the end of case-events, after the registrations) and what each selects.
    const phaseSize: Record<Phase, number> = { w: 4, f: fanout, g: gap };
    for (let s = 0; s < subscriberCount; s++) {
      const credentials = integrators[s % integratorCount] ?? integrators[0];
      if (!credentials) throw new Error('no integrator');
      const made = await subscriptionsClient(t.httpUrl, credentials).create({
        name: `bench ${s}`,
        filter: filterOf(s),
      });
      const expected = { w: 0, f: 0, g: 0 };
      for (const phase of ['w', 'f', 'g'] as const)
        for (let i = 0; i < phaseSize[phase]; i++) if (selectsCase(s, caseOfEvent(phase, i))) expected[phase]++;
      subscribers.push({
        index: s,
        subscriptionId: made.id,
        credentials,
        seen: {},
        got: { w: 0, f: 0, g: 0 },
        expected,
        firstAt: {},
        completeAt: {},
        duplicates: 0,
        unexpected: 0,
        token: '',
      });
    }
    const idPrefix = `bs-${run}-`;
    const take = (sub: Subscriber, eventId: string) => {
      const dash = eventId.lastIndexOf('-');
      const phase = eventId.slice(idPrefix.length, dash) as Phase;
      const i = Number(eventId.slice(dash + 1));
      if (!eventId.startsWith(idPrefix) || !(phase in phaseSize) || !(i >= 0 && i < phaseSize[phase])) {
        sub.unexpected++;
        return;
      }
      if (!selectsCase(sub.index, caseOfEvent(phase, i))) {
        sub.unexpected++;
        return;
      }
      const seen = sub.seen[phase] ?? new Uint8Array(phaseSize[phase]);
      sub.seen[phase] = seen;
      if (seen[i]) {
        sub.duplicates++;
        return;
      }
      seen[i] = 1;
      const now = performance.now();
      sub.firstAt[phase] ??= now;
      if (++sub.got[phase] === sub.expected[phase]) sub.completeAt[phase] = now;
    };
    const follow = (sub: Subscriber, resumeToken?: string) => {
      const stop = new AbortController();
      sub.stop = stop;
      sub.reading = (async () => {
        try {
          for await (const event of subscribeSse(t.httpUrl, {
            ...sub.credentials,
            subscriptionId: sub.subscriptionId,
            resumeToken,
            signal: stop.signal,
            reconnect: false,
            onPosition: (token) => {
              sub.token = token;
            },
          }))
            take(sub, event.eventId);
          if (!stop.signal.aborted) sub.error = 'the stream ended';
        } catch (err) {
          if (!stop.signal.aborted) sub.error = (err as Error).message;
        }
      })();
    };
    const stopAll = async (subs: Subscriber[]) => {
      for (const sub of subs) sub.stop?.abort();
      await Promise.all(subs.map((sub) => sub.reading));
    };
    const feedGroups = async () =>
      (await admin.listGroups()).groups.filter((g) => g.groupId.startsWith(`${prefix}tracking-feed-`)).length;
    const sum = (phase: Phase, of: (s: Subscriber) => number) =>
      subscribers.reduce((n, s) => n + (s.expected[phase] ? of(s) : 0), 0);

    // Fan-out: every subscriber connected and warm (its warm-up event came, so its feed's group has joined).
    logger.info({ subscribers: subscriberCount, fanout, gap }, 'subscriptions made; connecting');
    for (const sub of subscribers) follow(sub);
    await publisher.publish(caseEvents, eventsOf('w', 0, phaseSize.w));
    const warm = await waitForCount(
      () => sum('w', (s) => s.got.w),
      sum('w', (s) => s.expected.w),
      { logger, label: 'subscribers warm' },
    );
    if (!warm) throw new Error(`subscribers not warm: ${subscribers.filter((s) => s.error).length} failed`);
    // What 100 open, idle streams cost this process (each feed a consumer polling the broker): CPU over 2 s.
    const cpuBefore = process.cpuUsage();
    await sleep(2_000);
    const cpuIdle = process.cpuUsage(cpuBefore);
    const idleCpuPct = Math.round((cpuIdle.user + cpuIdle.system) / 20_000);
    const fanoutStart = await bus.endOffsets(caseEvents);
    const started = performance.now();
    for (let i = 0; i < fanout; i += 1_000)
      await publisher.publish(caseEvents, eventsOf('f', i, Math.min(fanout, i + 1_000)));
    const publishMs = performance.now() - started;
    const fanned = await waitForCount(
      () => sum('f', (s) => s.got.f),
      sum('f', (s) => s.expected.f),
      { logger, label: `${subscriberCount} subscribers` },
    );
    const fanoutMs = Math.max(...subscribers.map((s) => s.completeAt.f ?? Number.POSITIVE_INFINITY)) - started;
    const fanoutEnd = await bus.endOffsets(caseEvents);
    // The resuming subscriber stops where case-events ends (its position heartbeat passed the end); the rest
    // stop too, and the feeds' groups are gone before anything else is timed.
    const resumer = subscribers[0];
    if (!resumer) throw new Error('no subscriber');
    const atEnd = await until(
      () => !!resumer.token && reached(decodePosition(resumer.subscriptionId, resumer.token), fanoutEnd),
      waitLimitMs,
    );
    await sleep(2 * heartbeatMs); // anything more (twice, or not selected) would come now
    await stopAll(subscribers);
    const deadline = Date.now() + waitLimitMs;
    while ((await feedGroups()) > 0 && Date.now() < deadline) await sleep(200);
    const groupsGone = (await feedGroups()) === 0;
    logger.info({ fanoutMs: Math.round(fanoutMs), atEnd, groupsGone }, 'fan-out done; raw consumer');
    const rawFanout = await rawRead(bus, fanoutStart, fanout, 'fan-out', logger);

    // Resume after a gap: published while it is away, then it comes back with its token.
    const gapStart = await bus.endOffsets(caseEvents);
    const token = resumer.token;
    const sameStart =
      atEnd &&
      [...gapStart].every(([p, o]) => decodePosition(resumer.subscriptionId, token).get(p) === o) &&
      decodePosition(resumer.subscriptionId, token).size === gapStart.size;
    for (let i = 0; i < gap; i += 1_000)
      await publisher.publish(caseEvents, eventsOf('g', i, Math.min(gap, i + 1_000)));
    const gapEnd = await bus.endOffsets(caseEvents);
    logger.info({ gap, selected: resumer.expected.g }, 'gap published; resuming');
    const resumed = performance.now();
    follow(resumer, token);
    const caughtUp = await waitForCount(() => resumer.got.g, resumer.expected.g, { logger, label: 'resume' });
    const resumeFirstMs = (resumer.firstAt.g ?? Number.NaN) - resumed;
    const resumeCaughtUpMs = (resumer.completeAt.g ?? Number.NaN) - resumed;
    const resumeAtEnd = await until(
      () => reached(decodePosition(resumer.subscriptionId, resumer.token), gapEnd),
      waitLimitMs,
    );
    await sleep(2 * heartbeatMs);
    await stopAll([resumer]);
    const rawGap = await rawRead(bus, gapStart, gap, 'gap', logger);

    // Exactly what each filter selects: none missing, none twice, none else, no stream broken.
    const missing =
      sum('w', (s) => s.expected.w - s.got.w) +
      sum('f', (s) => s.expected.f - s.got.f) +
      (resumer.expected.g - resumer.got.g);
    const duplicates = subscribers.reduce((n, s) => n + s.duplicates, 0);
    const unexpected = subscribers.reduce((n, s) => n + s.unexpected, 0);
    const broken = subscribers.filter((s) => s.error).map((s) => `${s.index}: ${s.error}`);
    const deliveries = sum('f', (s) => s.expected.f);
    const eventsPerSec = Math.round((fanout * 1000) / fanoutMs);
    const rawPerSec = Math.round((fanout * 1000) / rawFanout.ms);
    const rawGapMs = Math.round(rawGap.ms);
    return {
      bench: 'subscriptions',
      client: bus.client,
      subscribers: subscriberCount,
      filters: '50 by region (1 of 4 districts), 50 by category (1 of 4)',
      selectedShare: Number((deliveries / (fanout * subscriberCount)).toFixed(4)),
      records: gap,
      fanoutEvents: fanout,
      partitions,
      publishPerSec: Math.round((fanout * 1000) / publishMs),
      eventsPerSec,
      deliveredPerSec: Math.round((deliveries * 1000) / fanoutMs),
      offersPerSec: Math.round((fanout * subscriberCount * 1000) / fanoutMs),
      deliveries,
      idleCpuPct,
      rawPerSec,
      ratio: Number((eventsPerSec / rawPerSec).toFixed(3)),
      resumeGap: gap,
      resumeSelected: resumer.expected.g,
      resumeFirstMs: Math.round(resumeFirstMs),
      resumeCaughtUpMs: Math.round(resumeCaughtUpMs),
      resumePerSec: Math.round((gap * 1000) / resumeCaughtUpMs),
      rawGapFirstMs: Math.round(rawGap.firstMs),
      rawGapMs,
      rawGapPerSec: Math.round((gap * 1000) / rawGap.ms),
      resumeRatio: Number((rawGapMs / resumeCaughtUpMs).toFixed(3)),
      sameStart,
      missing,
      duplicates,
      unexpected,
      ...(broken.length ? { broken: broken.slice(0, 5) } : {}),
      lost:
        !fanned ||
        !caughtUp ||
        !resumeAtEnd ||
        !sameStart ||
        missing !== 0 ||
        duplicates !== 0 ||
        unexpected !== 0 ||
        broken.length > 0 ||
        !rawFanout.exact ||
        !rawGap.exact,
    };
  } finally {
    for (const sub of subscribers) sub.stop?.abort();
    await Promise.all(subscribers.map((sub) => sub.reading));
    await tracking?.close();
    await bus.deleteOwnTopics();
    await bus.close();
    const own = (await admin.listGroups().catch(() => ({ groups: [] as { groupId: string }[] }))).groups
      .map((g) => g.groupId)
      .filter((g) => g.startsWith(prefix));
    if (own.length) await admin.deleteGroups(own).catch((err) => logger.warn({ err }, 'groups not deleted'));
    await admin.disconnect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1_000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
  }
}
