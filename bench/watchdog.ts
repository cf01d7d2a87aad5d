// The deadline-watchdog's clock store (memory + a log per partition in Redis) against the two usual ways
// of keeping timers in Redis, all in the same run on the same Redis: BullMQ delayed jobs (addBulk, then a
// worker processing them) and a plain sorted set (ZADD, then ZRANGEBYSCORE + ZREM). For the watchdog:
// clocks scheduled/s (case events in, clocks derived, stored in memory and appended to the log) while one
// store takes in `--open-clocks` N of them, what holding N open clocks costs (the process's RSS and peak
// RSS, its heap, bytes per clock: the tables' typed arrays plus the Redis used_memory delta), how long a
// fresh instance takes to read them back from the logs, clocks fired/s when they are due (each firing its
// breach, supervision and escalations; at most `--records` of them), and the fire lag p99 of clocks
// falling due in real time (spread over 10 s) under a 100 ms tick. Publishing the deadline events to Kafka
// is left out here (the bus benchmark measures that) and counted instead.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UnitLevel } from '@petition/contract';
import { createClockStore, createKeeper, loadWatchdogConfig } from '@petition/deadline-watchdog';
import { buildNationalDirectory } from '@petition/directory';
import { type Logger, progress } from '@petition/logging';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import {
  assignment,
  byPartition,
  clockContext,
  DAY,
  domainParts,
  partitions,
  registrations,
} from './watchdog-clocks.ts';

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

const mib = (bytes: number) => Math.round(bytes / 104_857.6) / 10;

/** This process's memory now, and its peak resident set so far (VmHWM), in MiB. */
function processMemory() {
  const m = process.memoryUsage();
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return {
    rssMiB: mib(m.rss),
    peakRssMiB: Math.round(kib('VmHWM') / 102.4) / 10,
    heapUsedMiB: mib(m.heapUsed),
    heapTotalMiB: mib(m.heapTotal),
    arrayBuffersMiB: mib(m.arrayBuffers),
  };
}

function p99(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0);
}

/**
 * One clock store taking in `open` clocks (one registration per case), what holding them costs, firing at
 * most `fire` of them when due, and the fire lag of clocks due in real time.
 */
async function scheduleAndFire(
  redis: Redis,
  prefix: string,
  o: { open: number; fire: number },
  counties: string[],
  logger: Logger,
) {
  const n = o.open;
  const ctx = clockContext();
  const store = createClockStore(redis, prefix);
  // The service's own batch (WATCHDOG_FIRE_BATCH): it fires batch after batch while batches come full.
  // (No broker here: the config only needs one named.)
  const batch = loadWatchdogConfig({ KAFKA_BROKERS: '127.0.0.1:9092', ...process.env }).batch;
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
  // Cases received from tomorrow on: none of the clocks left open falls due in real time below.
  const base = Math.max(Date.parse('2026-11-23T00:00:00Z'), Math.ceil(Date.now() / DAY) * DAY);

  // Schedule: the case events come a batch at a time, as the service decodes them (building them is not
  // timed; holding all of them at once would leave the heap ~1.7 KB a case larger than the service's).
  const memBefore = await usedMemory(redis);
  const p = progress(logger, { label: 'watchdog: schedule clocks', total: n, everyMs: 5_000 });
  let scheduleSec = 0;
  const loadStarted = performance.now();
  for (let i = 0; i < n; i += 6_000) {
    const chunk = byPartition(registrations(Math.min(6_000, n - i), counties, base, i));
    const started = performance.now();
    await Promise.all([...chunk].map(([part, records]) => keeper.applyCaseEvents(records, part)));
    scheduleSec += seconds(started);
    p.add(Math.min(6_000, n - i));
  }
  const loadSec = seconds(loadStarted);
  p.finish();
  // What an open clock costs: its record in the watchdog's memory and its share of the log in Redis.
  const redisBytes = (await usedMemory(redis)) - memBefore;
  const used = await store.bytesUsed();
  const memoryBytes = used.memory;
  const held = { openClocks: used.clocks, ...processMemory() };
  logger.info(held, 'watchdog: clocks held');
  const bytes = {
    bytesPerClock: Math.round((redisBytes + memoryBytes) / n),
    memoryBytesPerClock: Math.round(memoryBytes / n),
    redisBytesPerClock: Math.round(redisBytes / n),
  };

  // Fire: 200 days on, every clock has breached and climbs as far as it goes; `fire` cases of them.
  const f = progress(logger, { label: 'watchdog: fire clocks', total: o.fire, everyMs: 5_000 });
  const later = new Date(base + 200 * DAY);
  const parts = Array.from({ length: partitions }, (_, i) => i);
  const started = performance.now();
  events = 0;
  let fired = 0;
  while (fired < o.fire) {
    const { moved } = await keeper.fireDue(parts, later);
    if (moved === 0) break;
    fired += moved;
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
  return {
    openClocks: n,
    loadSec: Number(loadSec.toFixed(1)),
    schedulePerSec: perSec(n, scheduleSec),
    held,
    ...bytes,
    firedClocks: fired,
    fireClocksPerSec: perSec(fired, fireSec),
    fireEventsPerSec: perSec(firedEvents, fireSec),
    firedEvents,
    fireLagP99Ms: p99(lags),
    lagClocks: lags.length,
    lagDuePerSec: Math.round(lagClocks / 10),
    clocksLeft: (await store.bytesUsed()).clocks,
  };
}

/** The clocks scheduled and fired, then read back by a fresh store, as an instance taking every partition over does. */
async function benchWatchdog(redis: Redis, o: { open: number; fire: number }, counties: string[], logger: Logger) {
  const prefix = `bench-wd-${Date.now().toString(36)}:`;
  // The first store is let go before the second reads the logs, as when another instance takes over.
  const { clocksLeft, ...figures } = await scheduleAndFire(redis, prefix, o, counties, logger);
  const store = createClockStore(redis, prefix);
  const started = performance.now();
  for (let part = 0; part < partitions; part++) await store.loadMany(part, []);
  const reloadSec = seconds(started);
  const reloaded = (await store.bytesUsed()).clocks;
  await dropKeys(redis, `${prefix}*`);
  return {
    ...figures,
    reloadSec: Number(reloadSec.toFixed(1)),
    reloadClocksPerSec: perSec(reloaded, reloadSec),
    reloadedAll: reloaded === clocksLeft,
    peakRssMiB: processMemory().peakRssMiB,
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

/** `--open-clocks N`: the clocks one store holds at once (default: `--records`). */
function openClocksOption(records: number): number {
  const at = process.argv.indexOf('--open-clocks');
  if (at < 0) return records;
  const n = Number(process.argv[at + 1]);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--open-clocks takes a positive whole number of clocks`);
  return n;
}

export async function benchWatchdogStore(options: { logger: Logger; records: number; redisUrl: string }) {
  const logger = options.logger.child({ bench: 'watchdog' });
  const redis = new Redis(options.redisUrl);
  try {
    const n = options.records;
    const open = openClocksOption(n);
    const counties = buildNationalDirectory()
      .regions.filter((r) => r.level === UnitLevel.UNIT_LEVEL_COUNTY)
      .map((r) => r.code);
    const watchdog = await benchWatchdog(redis, { open, fire: n }, counties, logger);
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
    const peakRssMiB = watchdog.held.peakRssMiB;
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
      targets: { bytesPerClock: 150, scheduleAndFireVsBullmq: 10, openClocks: 10_000_000, peakRssMiB: 2_048 },
      met: {
        openClocksInPeakRss: open >= 10_000_000 && peakRssMiB <= 2_048,
        bytesPerClock: watchdog.bytesPerClock <= 150,
      },
      note:
        `deadline events counted, not published; bytes = watchdog memory + Redis; the watchdog schedules ` +
        `${open} clocks into one store and fires ${watchdog.firedClocks} of them, BullMQ adds ` +
        `${bullmq.jobs} jobs and processes ${bullmq.processed}, ZADD ${zadd.entries} entries; held = this ` +
        'process (peakRss: VmHWM) once the clocks are in',
      lost: watchdog.lagClocks === 0 || !watchdog.reloadedAll || bullmq.processed < Math.min(n, 50_000) || ids === 0,
    };
  } finally {
    redis.disconnect();
  }
}
