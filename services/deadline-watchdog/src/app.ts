import { readFileSync } from 'node:fs';
import {
  type BusConsumer,
  type ConsumedRecord,
  caseEvents,
  createBus,
  deadlineEvents,
  onBatch,
  units,
} from '@petition/bus';
import { type CaseInfo, type Clock, type ClockContext, fire, onCaseEvent, stepTime, withDue } from '@petition/clocks';
import { type CaseEvent, type DeadlineEvent, RecomputeReason } from '@petition/contract';
import { nationalDirectory } from '@petition/directory';
import { followDirectory } from '@petition/directory-feed';
import { epochHolds, indexEpoch } from '@petition/infra';
import {
  createLegalCalendar,
  defaultPolicy,
  type HolidayTableInput,
  holidayTable,
  stateCouncilTable,
} from '@petition/legal-calendar';
import { isTerminal } from '@petition/lifecycle';
import type { Logger } from '@petition/logging';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { Counter, collectDefaultMetrics, Registry } from 'prom-client';
import type { IndexEntry } from './codec.ts';
import type { WatchdogConfig } from './config.ts';
import { changeEvent, firedEvent, recomputedEvent } from './events.ts';
import { type CaseState, createClockStore, minuteOf, type StoredClock } from './store.ts';

// The deadline-watchdog: case-events in, clocks kept in Redis (store.ts), deadline-events out.
// 1. case-events (a shared group named after the Redis epoch) move the clocks of each case
//    (packages/clocks): the changes are published, then stored.
// 2. deadline-events (its own output, another group of the epoch) record which steps were taken, so that
//    a rebuild after a Redis flush or a crash after publishing says nothing twice.
// 3. Once both groups have caught up, every tick fires the due clocks of the partitions this instance
//    holds, a bounded batch at a time: publish the steps, record the progress, move the records.

export interface Watchdog {
  readonly httpUrl: string;
  readonly epoch: string;
  /** Resolves once the clocks of the partitions held have been caught up and firing has begun. */
  readonly ready: Promise<void>;
  /** Fires what is due now (the tick does this by itself; tests and benchmarks call it to wait for it). */
  tick(): Promise<number>;
  close(): Promise<void>;
}

function calendarOf(config: WatchdogConfig) {
  const base = stateCouncilTable();
  if (!config.holidayTable) return createLegalCalendar({ table: base });
  const extra = JSON.parse(readFileSync(config.holidayTable, 'utf8')) as HolidayTableInput;
  const years = [...new Set([...base.years, ...extra.years])];
  return createLegalCalendar({
    table: holidayTable({
      version: extra.version,
      years,
      restDays: [...base.restDays, ...extra.restDays],
      workdays: [...base.workdays, ...extra.workdays],
    }),
  });
}

export async function startWatchdog(
  config: WatchdogConfig,
  logger: Logger,
  options: { now?: () => Date; onEpochLost?: () => void } = {},
): Promise<Watchdog> {
  const now = options.now ?? (() => new Date());
  const bus = createBus({
    brokers: config.brokers ?? [],
    clientId: 'deadline-watchdog',
    logger,
    topicPrefix: config.topicPrefix,
  });
  await bus.waitUntilReady();
  await bus.ensureTopics([caseEvents, deadlineEvents, units], { partitions: config.topicPartitions });
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3 });
  const prefix = `${config.topicPrefix}wd:`;
  const store = createClockStore(redis, prefix);
  // No epoch yet (first start, or the keys were flushed): the case events already in the topic were
  // announced before (or predate the watchdog); they rebuild the clocks without being announced again.
  const rebuilding = (await redis.exists(`${prefix}index-epoch`)) === 0;
  const epoch = await indexEpoch(redis, prefix);
  const directory = nationalDirectory();
  const calendar = calendarOf(config);
  const ctx: ClockContext = { calendar, policyFor: () => defaultPolicy, directory };
  const publisher = await bus.publisher();

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const written = new Counter({
    name: 'watchdog_deadline_events_total',
    help: 'Deadline events written',
    labelNames: ['kind'],
    registers: [registry],
  });
  const publish = async (events: DeadlineEvent[]) => {
    if (events.length === 0) return;
    await publisher.publish(deadlineEvents, events);
    for (const e of events) written.inc({ kind: e.payload?.$case ?? 'none' });
  };

  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = tail.then(work);
    tail = run.catch(() => undefined);
    return run;
  };

  /** Where a clock's record goes: the minute of its next step (0: nothing more to fire, or paused). */
  const stored = (clock: Clock, progress: number): StoredClock => ({
    clock,
    progress,
    minute: clock.paused ? 0 : minuteOf(stepTime(ctx, clock, progress + 1)),
  });
  const entryOf = (info: CaseInfo, version: number, clocks: StoredClock[]): IndexEntry => ({
    kind: info.kind,
    regionCode: info.regionCode,
    version,
    clocks: clocks.map((s) => ({ stage: s.clock.stage, minute: s.minute })),
  });

  // 1. Case events move clocks. A chunk of one partition is decided case by case (each case seeing the
  // chunk's earlier events), published at once, then stored.
  async function onCaseEvents(records: ConsumedRecord<CaseEvent>[], p: number) {
    const replayed = rebuilding ? (caseEnds.get(p) ?? 0n) : 0n;
    const loaded = new Map<string, CaseState>();
    const after = new Map<string, { entry?: IndexEntry; clocks: StoredClock[] }>();
    const out: DeadlineEvent[] = [];
    for (const { value: event, offset } of records) {
      const caseId = event.envelope?.caseId ?? '';
      if (!caseId) continue;
      if (!loaded.has(caseId)) loaded.set(caseId, await store.load(p, caseId));
      const current = after.get(caseId) ?? (loaded.get(caseId) as CaseState);
      const version = event.envelope?.caseVersion ?? 0;
      if (current.entry && version <= current.entry.version) continue;
      const info = current.entry && { kind: current.entry.kind, regionCode: current.entry.regionCode };
      const r = onCaseEvent({ info, open: current.clocks.map((s) => s.clock) }, event, ctx);
      if (BigInt(offset) >= replayed) out.push(...r.changes.map((c) => changeEvent(c, event, calendar.tableVersion)));
      const progress = new Map(current.clocks.map((s) => [store.progressField(s.clock).toString('hex'), s.progress]));
      const clocks = r.open.map((c) => stored(c, progress.get(store.progressField(c).toString('hex')) ?? 0));
      const keep = r.info && (clocks.length > 0 || !isTerminal(event.state));
      after.set(caseId, { entry: keep && r.info ? entryOf(r.info, version, clocks) : undefined, clocks });
    }
    await publish(out);
    for (const [caseId, next] of after) {
      await store.save(p, caseId, loaded.get(caseId) as CaseState, next.entry, next.clocks);
    }
  }

  // 2. What was already said: the step of each deadline event, recorded as the clock's progress.
  async function onDeadlineEvents(events: DeadlineEvent[], p: number) {
    for (const e of events) {
      if (!e.step || !e.envelope) continue;
      const startVersion = Number(e.clockId.split(':').pop());
      await store.mark(p, store.progressField({ caseId: e.envelope.caseId, stage: e.stage, startVersion }), e.step);
    }
  }

  // 3. Firing.
  let owned = new Set<number>();
  async function fireDue(): Promise<number> {
    const at = now();
    const minute = minuteOf(at);
    let fired = 0;
    for (const p of owned) {
      for (const m of await store.dueMinutes(p, minute, 4)) {
        const caseIds = (await store.casesAt(p, m)).slice(0, config.batch - fired);
        const out: DeadlineEvent[] = [];
        const updates: { caseId: string; before: CaseState; clocks: StoredClock[]; marks: StoredClock[] }[] = [];
        for (const caseId of caseIds) {
          const before = await store.load(p, caseId);
          const clocks: StoredClock[] = [];
          const marks: StoredClock[] = [];
          for (const s of before.clocks) {
            if (!s.minute || s.minute > minute) {
              clocks.push(s);
              continue;
            }
            const r = fire(ctx, s.clock, s.progress, at, config.lateAfterMs);
            for (const f of r.fired) if (f.payload) out.push(firedEvent(s.clock, f, at));
            const next = stored(s.clock, r.progress);
            clocks.push(next);
            if (r.progress > s.progress) marks.push(next);
          }
          updates.push({ caseId, before, clocks, marks });
        }
        await publish(out);
        for (const u of updates) {
          for (const s of u.marks) await store.mark(p, store.progressField(s.clock), s.progress);
          const entry = u.before.entry && {
            ...u.before.entry,
            clocks: u.clocks.map((s) => ({ stage: s.clock.stage, minute: s.minute })),
          };
          await store.save(p, u.caseId, u.before, entry, u.clocks);
        }
        fired += out.length;
        await store.dropMinuteIfEmpty(p, m);
        if (caseIds.length >= config.batch) return fired;
      }
    }
    return fired;
  }

  // A newer holiday table: provisional due times of the partitions held are computed again.
  async function recomputeProvisional() {
    for (const p of owned) {
      const key = `${prefix}t:${p}`;
      if ((await redis.get(key)) === calendar.tableVersion) continue;
      const out: DeadlineEvent[] = [];
      const updates: { caseId: string; before: CaseState; clocks: StoredClock[] }[] = [];
      for (const caseId of await store.provisionalCases(p)) {
        const before = await store.load(p, caseId);
        const clocks = before.clocks.map((s) => {
          if (!s.clock.provisional) return s;
          const moved = withDue(ctx, s.clock);
          if (moved.dueTime.getTime() !== s.clock.dueTime.getTime()) {
            out.push(
              recomputedEvent(
                moved,
                s.clock.dueTime,
                RecomputeReason.RECOMPUTE_REASON_HOLIDAY_TABLE_PUBLISHED,
                now(),
                `table:${calendar.tableVersion}:${store.progressField(moved).toString('hex')}`,
                moved.startVersion,
                '',
                calendar.tableVersion,
              ),
            );
          }
          return stored(moved, s.progress);
        });
        updates.push({ caseId, before, clocks });
      }
      await publish(out);
      for (const u of updates) {
        const entry = u.before.entry && {
          ...u.before.entry,
          clocks: u.clocks.map((s) => ({ stage: s.clock.stage, minute: s.minute })),
        };
        await store.save(p, u.caseId, u.before, entry, u.clocks);
      }
      await redis.set(key, calendar.tableVersion);
      if (out.length)
        logger.info(
          { partition: p, recomputed: out.length, table: calendar.tableVersion },
          'provisional due times recomputed',
        );
    }
  }

  const [caseEnds, stepEnds] = await Promise.all([bus.endOffsets(caseEvents), bus.endOffsets(deadlineEvents)]);
  const groups = { cases: `deadline-watchdog-${epoch}`, steps: `deadline-watchdog-steps-${epoch}` };
  const caseConsumer = bus.consumer({
    groupId: groups.cases,
    fromBeginning: true,
    onAssigned: (assigned) => {
      owned = new Set(assigned.get(caseEvents.name) ?? []);
      logger.info({ partitions: owned.size }, 'case partitions assigned');
    },
    subscriptions: [onBatch(caseEvents, (records) => serial(() => onCaseEvents(records, records[0]?.partition ?? 0)))],
  });
  const stepConsumer = bus.consumer({
    groupId: groups.steps,
    fromBeginning: true,
    subscriptions: [
      onBatch(deadlineEvents, (records) =>
        serial(() =>
          onDeadlineEvents(
            records.map((r) => r.value),
            records[0]?.partition ?? 0,
          ),
        ),
      ),
    ],
  });
  const consumers: BusConsumer[] = [
    followDirectory(bus, directory, { groupId: `deadline-watchdog-directory-${Date.now().toString(36)}`, logger }),
    caseConsumer,
    stepConsumer,
  ];

  // Firing waits until both groups have committed everything that was there when this instance started.
  const caughtUp = async () => {
    const [c, s] = await Promise.all([
      bus.committedOffsets(groups.cases, caseEvents),
      bus.committedOffsets(groups.steps, deadlineEvents),
    ]);
    const done = (ends: Map<number, bigint>, at: Map<number, bigint>) =>
      [...ends].every(([p, end]) => end === 0n || (at.get(p) ?? 0n) >= end);
    return done(caseEnds, c) && done(stepEnds, s);
  };
  await Promise.all(consumers.map((c) => c.start()));

  let closing = false;
  let timer: NodeJS.Timeout | undefined;
  const ready = (async () => {
    const started = Date.now();
    while (!closing && !(await caughtUp())) await new Promise((r) => setTimeout(r, 200));
    await serial(recomputeProvisional);
    logger.info({ epoch, ms: Date.now() - started }, 'clocks caught up; firing');
    let epochChecked = Date.now();
    const loop = async () => {
      if (closing) return;
      try {
        await serial(fireDue);
        if (Date.now() - epochChecked > 5_000) {
          epochChecked = Date.now();
          if (!(await epochHolds(redis, prefix, epoch))) {
            logger.error({ epoch }, 'the watchdog’s Redis keys were flushed: restart to rebuild them from Kafka');
            options.onEpochLost?.();
          }
        }
      } catch (err) {
        logger.error({ err }, 'firing failed; trying again next tick');
      }
      if (!closing) timer = setTimeout(loop, config.tickMs);
    };
    timer = setTimeout(loop, 0);
  })();

  const http = Fastify({ logger: false });
  let isReady = false;
  void ready.then(() => {
    isReady = true;
  });
  http.get('/healthz', async () => ({ status: 'ok' }));
  http.get('/readyz', async (_q, reply) => {
    const ok = isReady && !closing;
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', checks: { caughtUp: isReady } });
  });
  http.get('/metrics', async (_q, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  const httpUrl = await http.listen({ port: config.httpPort, host: config.host });
  logger.info({ http: httpUrl, epoch }, 'deadline-watchdog running');

  return {
    httpUrl,
    epoch,
    ready,
    tick: () => serial(fireDue),
    async close() {
      closing = true;
      clearTimeout(timer);
      await http.close();
      await bus.close();
      await tail.catch(() => undefined);
      redis.disconnect();
      logger.info('deadline-watchdog stopped');
    },
  };
}
