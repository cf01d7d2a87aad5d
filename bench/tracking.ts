// Tracking's read models on the real broker and Redis, all in one run:
// - catch-up: N case events (register, forward, accept, reply of N/4 cases spread over the counties and
//   three departments, decided by the real lifecycle) and the deadline events of their acceptance-notice and
//   handling clocks (from @petition/clocks), all published first; read-model updates per second from
//   starting tracking until it has applied every one;
// - rebuild: the same after deleting every tracking key in Redis (the epoch with them), and whether the
//   rebuilt read models equal the first (sample cases and inboxes, KPI totals of every unit and region);
// - event to visible: registrations published at a steady rate to a caught-up tracking, from publishing
//   each until its case number resolves in Redis;
// - reference: a raw kafkajs consumer group counting the same records from the beginning, timed the same.
import { type Bus, caseEvents, createBus, deadlineEvents, isolatedPrefix } from '@petition/bus';
import { type CaseClocks, type ClockChange, clockIdOf, onCaseEvent } from '@petition/clocks';
import {
  CaseCommand,
  type CaseEvent,
  Category,
  Channel,
  ClockStage,
  DeadlineEvent,
  type DeepPartial,
  PetitionKind,
  ReplyDisposition,
  UnitLevel,
} from '@petition/contract';
import { buildNationalDirectory, nationalDirectory } from '@petition/directory';
import { createLegalCalendar, defaultPolicy, stateCouncilTable } from '@petition/legal-calendar';
import { decideAndEvolve } from '@petition/lifecycle';
import type { Logger } from '@petition/logging';
import { testStaffEnv } from '@petition/testing';
import { loadTrackingConfig, startTracking, type Tracking } from '@petition/tracking';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { countRecords, waitForCount } from './count.ts';

const partitions = 12;
const day = 86_400_000;
const seconds = (started: number) => (performance.now() - started) / 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const handlers = [
  [Category.CATEGORY_LABOR_SOCIAL_SECURITY, 'rsj'],
  [Category.CATEGORY_EDUCATION, 'jyj'],
  [Category.CATEGORY_CIVIL_AFFAIRS, 'mzj'],
] as const;
const clocked = new Set<ClockStage>([ClockStage.CLOCK_STAGE_ACCEPTANCE_NOTICE, ClockStage.CLOCK_STAGE_HANDLING]);
const complaint = { channel: Channel.CHANNEL_WEB, kind: PetitionKind.PETITION_KIND_COMPLAINT, title: '工资拖欠' };
const reply = { opinion: { summary: '责令补发工资' }, disposition: ReplyDisposition.REPLY_DISPOSITION_SUPPORTED };
type Change = Extract<ClockChange, { kind: 'started' | 'stopped' }>;

/** The watchdog's ClockStarted / ClockStopped for a clock a case event started or stopped. */
function deadlineEvent(change: Change, cause: CaseEvent): DeadlineEvent {
  const { clock: c, kind } = change;
  const env = cause.envelope;
  const event: DeepPartial<DeadlineEvent> = {
    envelope: { ...env, eventId: `${clockIdOf(c)}:${kind}`, causationId: env?.eventId, producer: 'bench' },
    clockId: clockIdOf(c),
    stage: c.stage,
    responsibleUnitId: c.unitId,
    payload:
      kind === 'started'
        ? { $case: 'clockStarted', value: { startTime: c.startTime, dueTime: c.dueTime, periodDays: c.periodDays } }
        : {
            $case: 'clockStopped',
            value: { reason: change.reason, inTime: change.inTime, stoppingEventId: env?.eventId },
          },
  };
  return DeadlineEvent.fromPartial(event);
}

/** `cases` cases decided by the lifecycle (each registered, or the whole way to a reply) and their clocks. */
function workload(national: ReturnType<typeof buildNationalDirectory>, cases: number, tag: string, whole: boolean) {
  const directory = nationalDirectory(national);
  const calendar = createLegalCalendar({ table: stateCouncilTable() });
  const clockCtx = { calendar, directory, policyFor: () => defaultPolicy };
  const counties = national.regions.filter((r) => r.level === UnitLevel.UNIT_LEVEL_COUNTY).map((r) => r.code);
  const events: CaseEvent[] = [];
  const deadlines: DeadlineEvent[] = [];
  for (let i = 0; i < cases; i++) {
    const county = counties[i % counties.length] ?? '';
    const [category, handler] = handlers[i % handlers.length] ?? handlers[0];
    const caseId = `bench-trk-${tag}-${i}`;
    let snapshot: Parameters<typeof decideAndEvolve>[0];
    let clocks: CaseClocks = { open: [] };
    let now = Date.parse('2026-11-02T09:00:00+08:00') + (i % 30) * day;
    const send = (unitId: string, days: number, command: DeepPartial<CaseCommand>['command']) => {
      now += days * day;
      const actor = unitId ? { $case: 'unit' as const, value: { unitId, staffId: 'bench' } } : undefined;
      const meta = { commandId: `${caseId}-${command?.$case}`, caseId, issueTime: new Date(now), actor };
      const partial: DeepPartial<CaseCommand> = { meta, command };
      const decided = decideAndEvolve(snapshot, CaseCommand.fromPartial(partial), { ...clockCtx, now: new Date(now) });
      if (decided.outcome.kind === 'refused') throw new Error(`${caseId}: ${decided.outcome.refusal.code}`);
      snapshot = decided.snapshot;
      for (const e of decided.outcome.events) {
        events.push(e);
        const moved = onCaseEvent(clocks, e, clockCtx);
        clocks = moved;
        for (const c of moved.changes)
          if (c.kind !== 'recomputed' && clocked.has(c.clock.stage)) deadlines.push(deadlineEvent(c, e));
      }
    };
    const petition = { ...complaint, caseNumber: `BT-${tag}-${i}`, category, regionCode: county, petitioner: {} };
    send('', 0, { $case: 'registerPetition', value: { petition } });
    if (!whole) continue;
    const handling = `${county}-${handler}`;
    send(`${county}-xfj`, 1, { $case: 'forwardCase', value: { toUnitId: handling, toHandlingUnit: true } });
    send(handling, 3, { $case: 'acceptCase', value: {} });
    send(handling, 30, { $case: 'replyCase', value: reply });
  }
  return { events, deadlines };
}

async function scanKeys(redis: Redis, pattern: string, each: (keys: string[]) => Promise<unknown>) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1_000);
    if (keys.length) await each(keys);
    cursor = next;
  } while (cursor !== '0');
}

/** What the read models hold for `sample` cases and the KPI totals over every unit and region, as JSON. */
async function readModels(redis: Redis, k: string, sample: string[]) {
  const sorted = <T>(h: Record<string, T>) =>
    Object.fromEntries(Object.entries(h).sort(([a], [b]) => (a < b ? -1 : 1)));
  const cases = [];
  for (const id of sample) {
    const c = await redis.hgetall(`${k}c:${id}`);
    cases.push({
      case: sorted(c),
      timeline: await redis.lrange(`${k}t:${id}`, 0, -1),
      clocks: sorted(await redis.hgetall(`${k}k:${id}`)),
      stops: sorted(await redis.hgetall(`${k}x:${id}`)),
      inbox: await redis.zscore(`${k}i:${c.holder}`, id),
    });
  }
  const totals: Record<string, number> = {};
  for (const kind of ['u', 'r'])
    await scanKeys(redis, `${k}${kind}:*`, async (keys) => {
      for (const [, h] of (await redis.pipeline(keys.map((key) => ['hgetall', key])).exec()) ?? [])
        for (const [field, n] of Object.entries(h as Record<string, string>))
          totals[`${kind}.${field}`] = (totals[`${kind}.${field}`] ?? 0) + Number(n);
    });
  // Each sample case the whole way through (4 steps), so that equal is not merely empty.
  return {
    json: JSON.stringify({ cases, totals: sorted(totals) }),
    whole: cases.every((c) => c.timeline.length === 4),
  };
}

/** Registrations published in batches of 10 at `perSec`; ms from publishing each until its number resolves. */
async function visibility(bus: Bus, redis: Redis, k: string, events: CaseEvent[], perSec: number) {
  const publisher = await bus.publisher();
  const pending = new Map<string, number>();
  const latencies: number[] = [];
  let publishing = true;
  const deadline = Date.now() + 120_000;
  const polling = (async () => {
    while ((publishing || pending.size) && Date.now() < deadline) {
      const asked = [...pending];
      const found = asked.length ? await redis.pipeline(asked.map(([n]) => ['exists', `${k}n:${n}`])).exec() : [];
      const at = performance.now();
      asked.forEach(([n, sent], i) => {
        if (found?.[i]?.[1] === 1 && pending.delete(n)) latencies.push(at - sent);
      });
      await sleep(2);
    }
  })();
  const started = performance.now();
  for (let i = 0; i < events.length; i += 10) {
    const batch = events.slice(i, i + 10);
    for (const e of batch)
      if (e.payload?.$case === 'petitionRegistered')
        pending.set(e.payload.value.petition?.caseNumber ?? '', performance.now());
    await publisher.publish(caseEvents, batch);
    await sleep(Math.max(0, started + ((i + 10) * 1000) / perSec - performance.now()));
  }
  publishing = false;
  await polling;
  const sec = seconds(started);
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Number((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? -1).toFixed(1));
  return { visible: latencies.length, p50: at(0.5), p99: at(0.99), perSec: Math.round(latencies.length / sec) };
}

export async function benchTracking(options: { brokers: string[]; logger: Logger; records: number }) {
  const logger = options.logger.child({ bench: 'tracking' });
  const quiet = logger.child({}, { level: 'warn' });
  const prefix = isolatedPrefix('bench-trk');
  const config = loadTrackingConfig({
    ...process.env,
    ...testStaffEnv(),
    KAFKA_BROKERS: options.brokers.join(','),
    TOPIC_PREFIX: prefix,
    TOPIC_PARTITIONS: String(partitions),
    TRACKING_HTTP_PORT: '0',
    TRACKING_OPS_PORT: '0',
    TRACKING_HOST: '127.0.0.1',
  });
  const k = `${prefix}trk:`;
  const national = buildNationalDirectory();
  const run = Date.now().toString(36);
  const cases = Math.max(1, Math.floor(options.records / 4));
  const { events, deadlines } = workload(national, cases, run, true);
  const fresh = workload(national, Math.min(2_000, options.records), `${run}v`, false).events;
  const total = events.length + deadlines.length;
  logger.info({ caseEvents: events.length, deadlineEvents: deadlines.length }, 'workload decided');
  const bus = createBus({ brokers: options.brokers, clientId: 'bench-trk', logger: quiet, topicPrefix: prefix });
  const redis = new Redis(config.redisUrl);
  let tracking: Tracking | undefined;
  try {
    await bus.ensureTopics([caseEvents, deadlineEvents], { partitions });
    const publisher = await bus.publisher();
    for (let i = 0; i < total; i += 1_000) {
      await publisher.publish(caseEvents, events.slice(i, i + 1_000));
      await publisher.publish(deadlineEvents, deadlines.slice(i, i + 1_000));
    }

    const kafka = new Kafka({ clientId: 'bench-trk-pass', brokers: options.brokers, logLevel: logLevel.NOTHING });
    const started = performance.now();
    const topics = [bus.topicName(caseEvents), bus.topicName(deadlineEvents)];
    const counter = await countRecords(kafka, topics, `${prefix}pass`);
    const passed = await waitForCount(counter.seen, total, { logger, label: 'raw pass-through' });
    const passSec = seconds(started);
    await counter.close();

    const catchUp = async (label: string) => {
      const started = performance.now();
      const t = await startTracking(config, quiet);
      tracking = t;
      return { done: await waitForCount(t.applied, total, { logger, label }), sec: seconds(started) };
    };
    const first = await catchUp('tracking catch-up');
    const sample = Array.from({ length: 20 }, (_, i) => `bench-trk-${run}-${Math.floor((i * cases) / 20)}`);
    const before = await readModels(redis, k, sample);
    await tracking?.close();
    tracking = undefined;
    await scanKeys(redis, `${k}*`, (keys) => redis.del(...keys));
    const rebuilt = await catchUp('tracking rebuild');
    const after = await readModels(redis, k, sample);
    const rebuildSame = before.whole && after.json === before.json;
    logger.info({ rebuildSame }, 'rebuilt; now event to visible');
    const seen = await visibility(bus, redis, k, fresh, 500);

    const updatesPerSec = Math.round(total / first.sec);
    const passThroughPerSec = Math.round(total / passSec);
    return {
      bench: 'tracking',
      records: events.length,
      cases,
      deadlineEvents: deadlines.length,
      updates: total,
      partitions,
      updatesPerSec,
      rebuildPerSec: Math.round(total / rebuilt.sec),
      rebuildSame,
      visibleEvents: fresh.length,
      visibleP50Ms: seen.p50,
      visibleP99Ms: seen.p99,
      visibleRatePerSec: seen.perSec,
      passThroughPerSec,
      ratio: Number((updatesPerSec / passThroughPerSec).toFixed(3)),
      lost: !passed || !first.done || !rebuilt.done || !rebuildSame || seen.visible !== fresh.length,
    };
  } finally {
    await tracking?.close();
    await bus.deleteOwnTopics();
    await bus.close();
    await scanKeys(redis, `${k}*`, (keys) => redis.del(...keys));
    redis.disconnect();
  }
}
