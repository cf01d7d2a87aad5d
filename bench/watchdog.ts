// The deadline-watchdog's clock store (memory + a log per partition in Redis) against the two usual ways
// of keeping timers in Redis, all in the same run on the same Redis: BullMQ delayed jobs (addBulk, then a
// worker processing them) and a plain sorted set (ZADD, then ZRANGEBYSCORE + ZREM). For the watchdog:
// clocks scheduled/s (case events in, clocks derived, stored in memory and appended to the log), bytes per
// open clock at N clocks (the tables' typed arrays plus the Redis used_memory delta), clocks fired/s when
// all are due (each firing its breach, supervision and escalations), and the fire lag p99 of clocks
// falling due in real time (spread over 10 s) under a 100 ms tick. Publishing the deadline events to Kafka
// is left out here (the bus benchmark measures that) and counted instead.
import { randomUUID } from 'node:crypto';
import { type ClockContext, fire, onCaseEvent } from '@petition/clocks';
import { type CaseEvent, CaseState, Category, PetitionKind, UnitLevel } from '@petition/contract';
import {
  changeEvent,
  createClockStore,
  createKeeper,
  firedEvent,
  loadWatchdogConfig,
} from '@petition/deadline-watchdog';
import { buildNationalDirectory, nationalDirectory } from '@petition/directory';
import { createLegalCalendar, defaultPolicy, stateCouncilTable } from '@petition/legal-calendar';
import { type Logger, progress } from '@petition/logging';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

const partitions = 12;
const DAY = 86_400_000;
const seconds = (started: number) => (performance.now() - started) / 1000;
const perSec = (n: number, sec: number) => Math.round(n / sec);

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
}

async function dropKeys(redis: Redis, pattern: string) {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 5000);
    cursor = next;
    // DEL, not UNLINK: the memory must be back before the next measurement starts.
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}

function p99(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0);
}

const partitionOf = (caseId: string) => {
  let h = 0;
  for (let i = 0; i < caseId.length; i++) h = (h * 31 + caseId.charCodeAt(i)) >>> 0;
  return h % partitions;
};

/** One registration per case, received over the 60 days after `base`, across every county. */
function registrations(n: number, counties: string[], base: number): CaseEvent[] {
  return Array.from({ length: n }, (_, i) => {
    const at = new Date(base + ((i * 7_919) % (60 * DAY)));
    const region = counties[i % counties.length] ?? '110101';
    return {
      envelope: {
        eventId: randomUUID(),
        caseId: randomUUID(),
        caseVersion: 1,
        occurTime: at,
        actingUnitId: `${region}-xfj`,
        correlationId: '',
        causationId: '',
        trace: undefined,
        producer: 'bench',
      },
      state: CaseState.CASE_STATE_REGISTERED,
      custodyUnitId: `${region}-xfj`,
      payload: {
        $case: 'petitionRegistered',
        value: {
          petition: {
            caseNumber: `B${i}`,
            channel: 4,
            kind: PetitionKind.PETITION_KIND_COMPLAINT,
            category: Category.CATEGORY_LABOR_SOCIAL_SECURITY,
            regionCode: region,
            title: '',
            content: '',
            petitioner: undefined,
            representatives: [],
            groupSize: 0,
            accusedUnitId: '',
            attachments: [],
            registeringUnitId: `${region}-xfj`,
            receivedTime: at,
            queryCodeHash: '',
            anonymous: false,
            externalRef: '',
            concernedUnitId: '',
          },
          registrationDueTime: undefined,
        },
      },
    };
  });
}

/** An assignment whose report falls due `dueInMs` from now: a clock that breaches in real time. */
function assignment(registered: CaseEvent, dueAt: number): CaseEvent {
  const caseId = registered.envelope?.caseId ?? '';
  return {
    envelope: {
      eventId: randomUUID(),
      caseId,
      caseVersion: 2,
      occurTime: new Date(),
      actingUnitId: '330106-xfj',
      correlationId: '',
      causationId: '',
      trace: undefined,
      producer: 'bench',
    },
    state: CaseState.CASE_STATE_ASSIGNED,
    custodyUnitId: '330106-rsj',
    payload: {
      $case: 'caseAssigned',
      value: {
        assigningUnitId: '330106-xfj',
        assigneeUnitId: '330106-rsj',
        reportDueTime: new Date(dueAt),
        instructions: '',
      },
    },
  };
}

function byPartition(events: CaseEvent[]) {
  const parts = new Map<number, { value: CaseEvent; offset: string }[]>();
  for (const e of events) {
    const p = partitionOf(e.envelope?.caseId ?? '');
    const list = parts.get(p) ?? [];
    list.push({ value: e, offset: '0' });
    parts.set(p, list);
  }
  return parts;
}

const clockContext = (): ClockContext => ({
  calendar: createLegalCalendar({ table: stateCouncilTable() }),
  policyFor: () => defaultPolicy,
  directory: nationalDirectory(),
});
const usEach = (started: number, n: number) => Number((((performance.now() - started) * 1000) / n).toFixed(2));

/**
 * The pure work inside the watchdog's figures, in µs per clock, on clocks like the benchmark's and with no
 * store: deriving a clock from its case event (policy and legal calendar), announcing it (ClockStarted, its
 * id a SHA-256 digest), and firing it 200 days on (its steps and their events, each id a digest).
 */
function domainParts(n: number, counties: string[]) {
  const ctx = clockContext();
  const base = Date.parse('2026-11-23T00:00:00Z');
  const all = registrations(n, counties, base);
  const later = new Date(base + 200 * DAY);
  let ids = 0;
  let started = performance.now();
  const derived = all.map((e) => onCaseEvent({ open: [] }, e, ctx));
  const derive = usEach(started, n);
  started = performance.now();
  derived.forEach((d, i) => {
    for (const c of d.changes) ids += changeEvent(c, all[i] as CaseEvent, 'v').envelope?.eventId.length ?? 0;
  });
  const announce = usEach(started, n);
  started = performance.now();
  for (const d of derived) {
    for (const c of d.open) {
      for (const f of fire(ctx, c, 0, later).fired) {
        if (f.payload) ids += firedEvent(c, f, later).envelope?.eventId.length ?? 0;
      }
    }
  }
  return { derive, announce, fireWithEvents: usEach(started, n), ids };
}

async function benchWatchdog(redis: Redis, n: number, counties: string[], logger: Logger) {
  const ctx = clockContext();
  const prefix = `bench-wd-${Date.now().toString(36)}:`;
  const store = createClockStore(redis, prefix);
  // The service's own batch (WATCHDOG_FIRE_BATCH): it fires batch after batch while batches come full.
  const batch = loadWatchdogConfig(process.env).batch;
  let events = 0;
  const lags: number[] = [];
  const keeper = createKeeper({
    store,
    ctx,
    publish: async (out) => {
      events += out.length;
      const now = Date.now();
      for (const e of out) {
        if (e.payload?.$case === 'deadlineBreached') lags.push(now - (e.payload.value.dueTime?.getTime() ?? now));
      }
    },
    batch,
    lateAfterMs: 60_000,
  });
  const base = Date.parse('2026-11-23T00:00:00Z');
  const all = registrations(n, counties, base);

  // Schedule.
  const memBefore = await usedMemory(redis);
  const p = progress(logger, { label: 'watchdog: schedule clocks', total: n, everyMs: 2_000 });
  let started = performance.now();
  for (let i = 0; i < n; i += 6_000) {
    const chunk = byPartition(all.slice(i, i + 6_000));
    await Promise.all([...chunk].map(([part, records]) => keeper.applyCaseEvents(records, part)));
    p.add(Math.min(6_000, n - i));
  }
  const scheduleSec = seconds(started);
  p.finish();
  // What an open clock costs: its record in the watchdog's memory and its share of the log in Redis.
  const redisBytes = (await usedMemory(redis)) - memBefore;
  const memoryBytes = (await store.bytesUsed()).memory;
  const bytes = {
    bytesPerClock: Math.round((redisBytes + memoryBytes) / n),
    memoryBytesPerClock: Math.round(memoryBytes / n),
    redisBytesPerClock: Math.round(redisBytes / n),
  };

  // Fire everything: 200 days on, every clock has breached and climbed as far as it goes.
  const f = progress(logger, { label: 'watchdog: fire clocks', total: n, everyMs: 2_000 });
  const later = new Date(base + 200 * DAY);
  const parts = Array.from({ length: partitions }, (_, i) => i);
  started = performance.now();
  events = 0;
  for (;;) {
    const { moved } = await keeper.fireDue(parts, later);
    if (moved === 0) break;
    f.add(moved);
  }
  const fireSec = seconds(started);
  f.finish();
  const firedEvents = events;
  lags.length = 0;

  // Fire lag in real time: clocks falling due over the next few seconds, a 100 ms tick firing them.
  const lagClocks = Math.min(20_000, n);
  const now = Date.now();
  const soon = registrations(lagClocks, counties, now).flatMap((r, i) => [
    r,
    assignment(r, now + 2_000 + (i % 10_000)),
  ]);
  await Promise.all([...byPartition(soon)].map(([part, records]) => keeper.applyCaseEvents(records, part)));
  const deadline = Date.now() + 60_000;
  lags.length = 0;
  while (lags.length < lagClocks && Date.now() < deadline) {
    // As the service does: the next batch at once after a full one, else the next tick.
    const { moved } = await keeper.fireDue(parts, new Date());
    if (moved < batch) await new Promise((r) => setTimeout(r, 100));
  }
  await dropKeys(redis, `${prefix}*`);
  return {
    clocks: n,
    schedulePerSec: perSec(n, scheduleSec),
    ...bytes,
    fireClocksPerSec: perSec(n, fireSec),
    fireEventsPerSec: perSec(firedEvents, fireSec),
    firedEvents,
    fireLagP99Ms: p99(lags),
    lagClocks: lags.length,
    lagDuePerSec: Math.round(lagClocks / 10),
  };
}

async function benchBullmq(redis: Redis, n: number, logger: Logger) {
  const connection = { host: redis.options.host, port: redis.options.port };
  const name = `bench-wd-${Date.now().toString(36)}`;
  const queue = new Queue(name, { connection });
  await queue.waitUntilReady();
  const memBefore = await usedMemory(redis);
  const p = progress(logger, { label: 'bullmq: addBulk delayed jobs', total: n, everyMs: 2_000 });
  let started = performance.now();
  for (let i = 0; i < n; i += 1_000) {
    const jobs = Array.from({ length: Math.min(1_000, n - i) }, (_, k) => ({
      name: 'clock',
      data: { clockId: `${randomUUID()}:handling:3`, unitId: '330106-rsj' },
      opts: { delay: (((i + k) * 7_919) % (60 * DAY)) + DAY, jobId: randomUUID() },
    }));
    await queue.addBulk(jobs);
    p.add(jobs.length);
  }
  const addSec = seconds(started);
  p.finish();
  const bytesPerJob = Math.round(((await usedMemory(redis)) - memBefore) / n);
  await queue.obliterate({ force: true });

  // Processing: the same number of delayed jobs, due almost at once, through a worker.
  const processed = Math.min(n, 50_000);
  for (let i = 0; i < processed; i += 1_000) {
    await queue.addBulk(
      Array.from({ length: Math.min(1_000, processed - i) }, () => ({
        name: 'clock',
        data: { clockId: `${randomUUID()}:handling:3` },
        opts: { delay: 1 },
      })),
    );
  }
  let done = 0;
  started = performance.now();
  const worker = new Worker(
    name,
    async () => {
      done++;
    },
    { connection, concurrency: 100 },
  );
  const w = progress(logger, { label: 'bullmq: process jobs', total: processed, everyMs: 2_000 });
  let reported = 0;
  const deadline = Date.now() + 300_000;
  while (done < processed && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    w.add(done - reported);
    reported = done;
  }
  const processSec = seconds(started);
  w.finish();
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return {
    jobs: n,
    addBulkPerSec: perSec(n, addSec),
    bytesPerJob,
    processed: done,
    processPerSec: perSec(done, processSec),
  };
}

async function benchZadd(redis: Redis, n: number) {
  const key = `bench-wd-zset-${Date.now().toString(36)}`;
  const memBefore = await usedMemory(redis);
  let started = performance.now();
  for (let i = 0; i < n; i += 1_000) {
    const pipe = redis.pipeline();
    for (let k = i; k < Math.min(n, i + 1_000); k++)
      pipe.zadd(key, ((k * 7_919) % (60 * DAY)) + DAY, `${randomUUID()}:handling:3`);
    await pipe.exec();
  }
  const addSec = seconds(started);
  const bytesPerEntry = Math.round(((await usedMemory(redis)) - memBefore) / n);
  started = performance.now();
  let fired = 0;
  for (;;) {
    const due = await redis.zrangebyscore(key, 0, 100 * DAY, 'LIMIT', 0, 1_000);
    if (due.length === 0) break;
    await redis.zrem(key, ...due);
    fired += due.length;
  }
  const fireSec = seconds(started);
  await redis.del(key);
  return { entries: n, zaddPerSec: perSec(n, addSec), bytesPerEntry, firePerSec: perSec(fired, fireSec) };
}

export async function benchWatchdogStore(options: { logger: Logger; records: number; redisUrl: string }) {
  const logger = options.logger.child({ bench: 'watchdog' });
  const redis = new Redis(options.redisUrl);
  try {
    const n = options.records;
    const counties = buildNationalDirectory()
      .regions.filter((r) => r.level === UnitLevel.UNIT_LEVEL_COUNTY)
      .map((r) => r.code);
    const watchdog = await benchWatchdog(redis, n, counties, logger);
    logger.info(watchdog, 'watchdog done');
    const zadd = await benchZadd(redis, n);
    logger.info(zadd, 'zadd done');
    const bullmq = await benchBullmq(redis, Math.min(n, 200_000), logger);
    logger.info(bullmq, 'bullmq done');
    const { ids, ...parts } = domainParts(Math.min(n, 100_000), counties);
    // What 10x BullMQ leaves for each clock, beside what the watchdog takes and the pure work inside it.
    const perClockUs = {
      budgetAt10xBullmq: {
        schedule: Number((1e6 / (10 * bullmq.addBulkPerSec)).toFixed(2)),
        fire: Number((1e6 / (10 * bullmq.processPerSec)).toFixed(2)),
      },
      watchdog: {
        schedule: Number((1e6 / watchdog.schedulePerSec).toFixed(2)),
        fire: Number((1e6 / watchdog.fireClocksPerSec).toFixed(2)),
      },
      pureWork: parts,
    };
    return {
      bench: 'watchdog',
      watchdog,
      bullmq,
      zadd,
      vsBullmq: {
        schedule: Number((watchdog.schedulePerSec / bullmq.addBulkPerSec).toFixed(2)),
        fire: Number((watchdog.fireClocksPerSec / bullmq.processPerSec).toFixed(2)),
        bytes: Number((watchdog.bytesPerClock / bullmq.bytesPerJob).toFixed(3)),
      },
      perClockUs,
      targets: { bytesPerClock: 150, scheduleAndFireVsBullmq: 10 },
      note: 'deadline events counted, not published; bytes = watchdog memory + Redis',
      lost: watchdog.lagClocks === 0 || bullmq.processed < Math.min(n, 50_000) || ids === 0,
    };
  } finally {
    redis.disconnect();
  }
}
