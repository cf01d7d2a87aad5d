import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { caseEvents, createBus, deadlineEvents, isolatedPrefix, on } from '@petition/bus';
import { type CaseEvent, ClockStage, type DeadlineEvent } from '@petition/contract';
import { stateCouncilTable } from '@petition/legal-calendar';
import { CaseRun, petition, realDirectory, unit } from '@petition/lifecycle/test-kit';
import { createLogger } from '@petition/logging';
import { waitFor as until } from '@petition/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWatchdog, type Watchdog } from './app.ts';
import { caseKey, packClock, unpackClock } from './codec.ts';
import { loadWatchdogConfig } from './config.ts';
import { sampleClock } from './sample-clock.ts';

// The watchdog against the real broker and Redis, on an injected clock. The test plays routing: it
// publishes real lifecycle events to case-events and reads what the watchdog writes to deadline-events.

const logger = createLogger({ service: 'watchdog-test', level: process.env.LOG_LEVEL ?? 'warn' });
const prefix = isolatedPrefix('watchdog');
const env = {
  ...process.env,
  TOPIC_PREFIX: prefix,
  WATCHDOG_HTTP_PORT: '0',
  WATCHDOG_HOST: '127.0.0.1',
  WATCHDOG_TICK: '100ms',
};
const bus = createBus({
  brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
  clientId: 'wd-test',
  logger,
  topicPrefix: prefix,
});
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const seen: DeadlineEvent[] = [];
let clock = Date.parse('2026-11-21T04:00:00Z');
let watchdog: Watchdog | undefined;
let tableFile = '';
const directory = realDirectory();

async function start(extra: Record<string, string> = {}) {
  watchdog = await startWatchdog(loadWatchdogConfig({ ...env, ...extra }), logger, { now: () => new Date(clock) });
  await watchdog.ready;
  return watchdog;
}
const of = (caseId: string, kind?: string) =>
  seen.filter((e) => e.envelope?.caseId === caseId && (!kind || e.payload?.$case === kind));
const publish = async (events: CaseEvent[]) => (await bus.publisher()).publish(caseEvents, events);
/** A case accepted by 330106-rsj on 21 Nov 2026 (its handling clock runs 60 days, into 2027). */
function acceptedCase() {
  const run = new CaseRun({ now: '2026-11-20T10:00:00+08:00', directory });
  run.ok(undefined, { $case: 'registerPetition', value: { petition: petition() } });
  run.ok(unit('330106-xfj'), {
    $case: 'forwardCase',
    value: { toUnitId: '330106-rsj', toHandlingUnit: true, reason: '' },
  });
  run.at('2026-11-21T09:00:00+08:00').ok(unit('330106-rsj'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } });
  return run;
}
/** A case forwarded to 330106-rsj on 20 Nov and never answered: its acceptance notice is due 7 Dec. */
function unansweredCase() {
  const run = new CaseRun({ now: '2026-11-20T10:00:00+08:00', directory });
  run.ok(undefined, { $case: 'registerPetition', value: { petition: petition() } });
  run.ok(unit('330106-xfj'), {
    $case: 'forwardCase',
    value: { toUnitId: '330106-rsj', toHandlingUnit: true, reason: '' },
  });
  return run;
}

beforeAll(async () => {
  await start();
  const watcher = bus.consumer({
    groupId: 'test-deadlines',
    fromBeginning: true,
    subscriptions: [on(deadlineEvents, async (r) => void seen.push(r.value))],
  });
  await watcher.start();
});

afterAll(async () => {
  await watchdog?.close();
  await bus.deleteOwnTopics();
  await bus.close();
  const keys = await redis.keys(`${prefix}wd:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('deadline-watchdog', () => {
  const a = acceptedCase();
  const b = unansweredCase();
  let handlingDue = 0;

  it('keeps a clock in a few dozen bytes', () => {
    const c = sampleClock('6f1c2d3e-4b5a-4c6d-8e7f-901234567890', ClockStage.CLOCK_STAGE_HANDLING, {
      provisional: true,
    });
    const field = Buffer.concat([caseKey(c.caseId), Buffer.from([c.stage])]);
    const packed = packClock(c);
    expect(field.length + packed.length).toBeLessThan(60);
    expect(unpackClock(field, packed)).toEqual({ ...c, fixedDue: undefined, pausedSince: undefined });
  });

  it('starts and stops each stage’s clock as the case moves', async () => {
    await publish([...a.events, ...b.events]);
    await until('the handling clock', () => of(a.caseId, 'clockStarted').length === 4);
    const started = of(a.caseId, 'clockStarted').map((e) => e.stage);
    expect(started).toEqual([
      ClockStage.CLOCK_STAGE_FORWARDING,
      ClockStage.CLOCK_STAGE_ACCEPTANCE_NOTICE,
      ClockStage.CLOCK_STAGE_OBJECTION,
      ClockStage.CLOCK_STAGE_HANDLING,
    ]);
    await until('the stops', () => of(a.caseId, 'clockStopped').length === 3);
    const handling = of(a.caseId, 'clockStarted').at(-1);
    const payload = handling?.payload?.$case === 'clockStarted' ? handling.payload.value : undefined;
    // 21 Nov + 60 days = 20 Jan 2027, in a year whose holidays are not yet published.
    expect(payload?.dueTime?.toISOString()).toBe('2027-01-20T16:00:00.000Z');
    expect(payload?.holidayTableVersion).toMatch(/^provisional-/);
    handlingDue = payload?.dueTime?.getTime() ?? 0;
  });

  it('warns at the policy’s points, then breaches and opens supervision one level up', async () => {
    clock = handlingDue - 9 * 86_400_000;
    await watchdog?.tick();
    await until('the first warning', () => of(a.caseId, 'deadlineWarned').length === 1);
    clock = handlingDue - 2 * 86_400_000;
    await watchdog?.tick();
    await until('the second warning', () => of(a.caseId, 'deadlineWarned').length === 2);
    expect(of(b.caseId, 'deadlineBreached').some((e) => e.stage === ClockStage.CLOCK_STAGE_ACCEPTANCE_NOTICE)).toBe(
      true,
    );
    clock = handlingDue + 30_000;
    await watchdog?.tick();
    await until('the breach', () => of(a.caseId, 'supervisionOpened').length === 1);
    const opened = of(a.caseId, 'supervisionOpened')[0]?.payload;
    expect(opened).toMatchObject({ value: { supervisingUnitId: '330100-xfj', supervisedUnitId: '330106-rsj' } });
    expect(of(a.caseId, 'deadlineBreached')[0]?.payload).toMatchObject({ value: { late: false } });
  });

  it('fires on return what ran out while it was down, marked late, batch after batch, and nothing twice', async () => {
    await watchdog?.close();
    const d = unansweredCase();
    await publish(d.events); // while it is down: its acceptance notice runs out too
    clock = handlingDue + 16 * 86_400_000;
    // One case a batch and an hour between ticks: the second case fires only if a full batch is followed
    // by the next at once.
    await start({ WATCHDOG_FIRE_BATCH: '1', WATCHDOG_TICK: '1h' });
    await until('the escalation', () => of(a.caseId, 'supervisionEscalated').length === 1);
    await until('the other case’s breach', () => of(d.caseId, 'deadlineBreached').length === 1);
    expect(of(a.caseId, 'supervisionEscalated')[0]?.payload).toMatchObject({
      value: { fromSupervisingUnitId: '330100-xfj', toSupervisingUnitId: '330000-xfj' },
    });
    expect(of(d.caseId, 'deadlineBreached')[0]?.payload).toMatchObject({ value: { late: true } });
    expect(of(a.caseId, 'deadlineBreached')).toHaveLength(1);
  });

  it('after a flush of its Redis keys rebuilds from Kafka and says nothing twice', async () => {
    await watchdog?.close();
    const keys = await redis.keys(`${prefix}wd:*`);
    expect(keys.length).toBeGreaterThan(0);
    await redis.del(...keys);
    const before = seen.length;
    await start();
    await watchdog?.tick();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(seen.slice(before)).toEqual([]);
    const ids = seen.map((e) => e.envelope?.eventId);
    const twice = seen.filter((e, i) => ids.indexOf(e.envelope?.eventId) !== i);
    expect(twice.map((e) => `${e.clockId} ${e.payload?.$case} ${e.step}`)).toEqual([]);
    // Still firing: the next escalation, to the national bureau.
    clock = handlingDue + 31 * 86_400_000;
    await watchdog?.tick();
    await until('the second escalation', () => of(a.caseId, 'supervisionEscalated').length === 2);
  });

  it('after a flush announces the case events its earlier epoch never took in, and only those', async () => {
    await watchdog?.close();
    const c = unansweredCase();
    await publish(c.events); // while it is down: its last epoch never read them
    const keys = await redis.keys(`${prefix}wd:*`);
    await redis.del(...keys);
    const before = seen.length;
    await start();
    // Its clocks' changes (steps it has missed since fire too, late: the test's clock is weeks ahead).
    const changes = () => of(c.caseId).filter((e) => e.step === 0);
    await until('the new case’s clocks', () => changes().length === 4);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(seen.slice(before).every((e) => e.envelope?.caseId === c.caseId)).toBe(true);
    expect(changes().map((e) => `${e.payload?.$case} ${e.stage}`)).toEqual([
      `clockStarted ${ClockStage.CLOCK_STAGE_FORWARDING}`,
      `clockStopped ${ClockStage.CLOCK_STAGE_FORWARDING}`,
      `clockStarted ${ClockStage.CLOCK_STAGE_ACCEPTANCE_NOTICE}`,
      `clockStarted ${ClockStage.CLOCK_STAGE_OBJECTION}`,
    ]);
  });

  it('recomputes provisional due times when the next year’s holidays are published', async () => {
    await watchdog?.close();
    const run = acceptedCase();
    clock = Date.parse('2026-11-21T04:00:00Z');
    await start();
    await publish(run.events);
    await until('the new case’s clocks', () => of(run.caseId, 'clockStarted').length === 4);
    await watchdog?.close();
    const base = stateCouncilTable();
    const file = join(mkdtempSync(join(tmpdir(), 'wd-')), 'table.json');
    tableFile = file;
    // A made-up 2027 arrangement in which 20 January is a day off: the handling period ends a day later.
    writeFileSync(
      file,
      JSON.stringify({ version: 'cn-2027-test', years: [2027], restDays: ['2027-01-01', '2027-01-20'], workdays: [] }),
    );
    expect(base.years).not.toContain(2027);
    await start({ WATCHDOG_HOLIDAY_TABLE: file });
    await until('the recomputation', () => of(run.caseId, 'clockRecomputed').length === 1);
    expect(of(run.caseId, 'clockRecomputed')[0]?.payload).toMatchObject({
      value: { newDueTime: new Date('2027-01-21T16:00:00Z'), holidayTableVersion: 'cn-2027-test' },
    });
  });

  it('shares its partitions with a second instance and, across the rebalance, fires each step once', async () => {
    const table = { WATCHDOG_HOLIDAY_TABLE: tableFile };
    const runs = Array.from({ length: 40 }, () => acceptedCase());
    await publish(runs.flatMap((r) => r.events));
    await until('every handling clock', () => runs.every((r) => of(r.caseId, 'clockStarted').length === 4));
    const second = await startWatchdog(loadWatchdogConfig({ ...env, ...table }), logger, {
      now: () => new Date(clock),
    });
    try {
      await second.ready;
      const due = of(runs[0]?.caseId ?? '', 'clockStarted').at(-1)?.payload;
      clock = (due?.$case === 'clockStarted' ? (due.value.dueTime?.getTime() ?? 0) : 0) + 30_000;
      // Both fire; then the first goes away and the second takes its partitions over.
      await Promise.all([watchdog?.tick(), second.tick()]);
      await watchdog?.close();
      watchdog = undefined;
      await until('every breach', () => runs.every((r) => of(r.caseId, 'deadlineBreached').length >= 1), 90_000);
      await new Promise((r) => setTimeout(r, 1_000));
      for (const r of runs) expect(of(r.caseId, 'deadlineBreached')).toHaveLength(1);
      const ids = seen.map((e) => e.envelope?.eventId);
      expect(new Set(ids).size).toBe(ids.length);
    } finally {
      watchdog = second;
    }
  });
});
