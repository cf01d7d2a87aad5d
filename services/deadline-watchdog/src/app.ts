import { readFileSync } from 'node:fs';
import { caseEvents, deadlineEvents, onBatch, units } from '@petition/bus';
import type { ClockContext } from '@petition/clocks';
import type { DeadlineEvent } from '@petition/contract';
import { federationFrom } from '@petition/federation';
import {
  createLegalCalendar,
  defaultPolicy,
  type HolidayTableInput,
  holidayTable,
  stateCouncilTable,
} from '@petition/legal-calendar';
import type { Logger } from '@petition/logging';
import {
  claimEpochGroups,
  deleteOrphanGroups,
  rewoundFrom,
  type ServiceHooks,
  startRuntime,
  untilCommitted,
} from '@petition/runtime';
import { Counter } from 'prom-client';
import type { WatchdogConfig } from './config.ts';
import { createKeeper } from './keeper.ts';
import { createLeases } from './leases.ts';
import { createClockStore } from './store.ts';

// The deadline-watchdog: case-events in, clocks kept in Redis (store.ts), deadline-events out.
// 1. case-events (a shared group named after the Redis epoch) move the clocks of each case
//    (packages/clocks): the changes are published, then stored.
// 2. deadline-events (its own output, another group of the epoch) record which steps were taken, so that
//    a rebuild after a Redis flush or a crash after publishing says nothing twice.
// 3. Once both groups have caught up, every tick fires the due clocks of the partitions this instance
//    holds, a bounded batch at a time: publish the steps, record the progress, move the records. A full
//    batch is followed by the next at once (a backlog drains batch by batch, not one batch a tick).

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

/** The case groups of the earlier naming (`deadline-watchdog-<epoch>`, an epoch of eight base-36 digits). */
const caseGroupOfTheEarlierNaming = /^deadline-watchdog-[0-9a-z]{8}$/;

/** Per partition, the higher of two offsets. */
const highest = (a: ReadonlyMap<number, bigint>, b: ReadonlyMap<number, bigint>) => {
  const merged = new Map(a);
  for (const [p, at] of b) if (at > (merged.get(p) ?? -1n)) merged.set(p, at);
  return merged;
};

export async function startWatchdog(
  config: WatchdogConfig,
  logger: Logger,
  hooks: ServiceHooks = {},
): Promise<Watchdog> {
  const now = hooks.now ?? (() => new Date());
  const rt = await startRuntime({
    service: 'deadline-watchdog',
    config,
    logger,
    topics: [caseEvents, deadlineEvents, units],
  });
  const { bus, directory, registry } = rt;
  const redis = await rt.connectRedis();
  const prefix = `${config.topicPrefix}wd:`;
  const store = createClockStore(redis, prefix);
  // Stable group names; their offsets belong to the epoch of the keys (runtime epoch-groups.ts). What the
  // case group had committed before a rewind is noted: it was announced.
  const groups = { cases: 'deadline-watchdog', steps: 'deadline-watchdog-steps' };
  const epoch = await claimEpochGroups({
    redis,
    prefix,
    bus,
    groups: [{ groupId: groups.cases, topics: [caseEvents] }, { groupId: groups.steps }],
    instance: rt.instance,
    logger,
    stopped: () => rt.closing,
  });
  const calendar = calendarOf(config);
  const federation = federationFrom(config, directory);
  const ctx: ClockContext = {
    calendar,
    policyFor: () => defaultPolicy,
    directory,
    stopsAtHandoffTo: federation.copyEndsAtHandoffTo,
  };
  const publisher = await bus.publisher();

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

  // Case events, their own steps and the firing touch the same clocks: one at a time.
  const { run: serial } = rt.serialQueue();
  const keeper = createKeeper({ store, ctx, publish, batch: config.batch, lateAfterMs: config.lateAfterMs });
  let owned = new Set<number>();
  // A partition is fired by the instance that holds it in the case group and its lease in Redis: after a
  // rebalance the new holder waits until the old one has let go (or its lease ran out), so a batch the
  // old one is still firing is not fired again beside it.
  const leases = createLeases(redis, `${prefix}lease:`, Math.max(10_000, config.tickMs * 5));
  const fireDue = async () => keeper.fireDue(await leases.hold(owned), now());
  // A newer holiday table: provisional due times of the partitions held are computed again, once per table.
  async function recomputeProvisional() {
    for (const p of owned) {
      const key = `${prefix}t:${p}`;
      if ((await redis.get(key)) === calendar.tableVersion) continue;
      const recomputed = await keeper.recomputeProvisional(p, now());
      await redis.set(key, calendar.tableVersion);
      if (recomputed)
        logger.info({ partition: p, recomputed, table: calendar.tableVersion }, 'provisional due times recomputed');
    }
  }

  const [caseEnds, stepEnds] = await Promise.all([bus.endOffsets(caseEvents), bus.endOffsets(deadlineEvents)]);
  // What the case group had committed before the keys were flushed was announced: it rebuilds the clocks
  // quietly. What came after it is announced — it may have been published by a watchdog that died before
  // committing, and is then said again under the same ids. (A case group of the earlier naming,
  // `deadline-watchdog-<epoch>`, counts as well, once, when a version before stable names is replaced.)
  const announced = highest(
    await rewoundFrom(redis, prefix, groups.cases, caseEvents),
    await bus.highestCommitted(caseGroupOfTheEarlierNaming, caseEvents),
  );
  const caseConsumer = rt.consumer({
    groupId: groups.cases,
    fromBeginning: true,
    onAssigned: (assigned) => {
      owned = new Set(assigned.get(caseEvents.name) ?? []);
      void serial(() => leases.releaseAllBut(owned));
      logger.info({ partitions: owned.size }, 'case partitions assigned');
    },
    subscriptions: [
      onBatch(caseEvents, (records) =>
        serial(() => {
          const p = records[0]?.partition ?? 0;
          return keeper.applyCaseEvents(records, p, announced.get(p) ?? 0n);
        }),
      ),
    ],
  });
  const stepConsumer = rt.consumer({
    groupId: groups.steps,
    fromBeginning: true,
    subscriptions: [
      onBatch(deadlineEvents, (records) =>
        serial(() =>
          keeper.applyDeadlineEvents(
            records.map((r) => r.value),
            records[0]?.partition ?? 0,
          ),
        ),
      ),
    ],
  });
  const consumers = [rt.followDirectory(), caseConsumer, stepConsumer];

  await Promise.all(consumers.map((c) => c.start()));

  // Firing waits until both groups have committed everything that was there when this instance started.
  const ready = (async () => {
    const started = Date.now();
    const caughtUp = await untilCommitted(
      bus,
      [
        { groupId: groups.cases, topic: caseEvents, ends: caseEnds },
        { groupId: groups.steps, topic: deadlineEvents, ends: stepEnds },
      ],
      { stopped: () => rt.closing },
    );
    if (!caughtUp) return;
    await serial(async () => {
      store.dropPending();
      await recomputeProvisional();
    });
    logger.info({ epoch, ms: Date.now() - started }, 'clocks caught up; firing');
    // A full batch is followed by the next at once.
    rt.repeat('firing', async () => (await serial(fireDue)).moved >= config.batch, config.tickMs);
    // Only now: until the case group had read past them, groups of the earlier naming said what was announced.
    await deleteOrphanGroups(bus, Object.values(groups), '', logger);
  })();
  let isReady = false;
  void ready.then(() => {
    isReady = true;
  });
  // Running on after a flush would fire from an empty table: exit, to be restarted and rebuild.
  rt.watchEpoch({
    redis,
    prefix,
    epoch: () => epoch,
    everyMs: 5_000,
    onLost: () => {
      logger.error({ epoch }, 'the watchdog’s Redis keys were flushed: restart to rebuild them from Kafka');
      hooks.onEpochLost?.();
    },
  });
  // Its leases go after the work queued before (a firing round in hand) is done.
  rt.onClose('work', 'leases', () => serial(() => leases.releaseAllBut(new Set())));

  const httpUrl = await rt.listenOps({
    port: config.httpPort,
    host: config.host,
    checks: rt.checks(() => ({ caughtUp: isReady })),
  });
  logger.info({ http: httpUrl, epoch }, 'deadline-watchdog running');

  return {
    httpUrl,
    epoch,
    ready,
    tick: async () => (await serial(fireDue)).written,
    close: () => rt.close(),
  };
}
