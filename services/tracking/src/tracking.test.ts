import { devQueryCodeSecret, queryCodeVerifier } from '@petition/auth';
import { caseEvents, createBus, deadlineEvents, isolatedPrefix } from '@petition/bus';
import { Category, ClockStage, ClockStopReason, DeadlineEvent, PetitionKind } from '@petition/contract';
import { CaseRun, petition, realDirectory, unit } from '@petition/lifecycle/test-kit';
import { createLogger } from '@petition/logging';
import { rewoundFrom } from '@petition/runtime';
import { testToken, waitFor } from '@petition/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracking, type Tracking } from './app.ts';
import { loadTrackingConfig } from './config.ts';

// Tracking against the real broker and Redis, over real HTTP: the test plays routing and the watchdog,
// publishing their events, and reads what a petitioner, a unit and a supervisor see — also after Redis
// lost tracking's keys and the read models were rebuilt from Kafka.

const logger = createLogger({ service: 'tracking-test', level: process.env.LOG_LEVEL ?? 'warn' });
const prefix = isolatedPrefix('tracking');
const bus = createBus({
  brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
  clientId: 'trk-test',
  logger,
  topicPrefix: prefix,
});
const env = {
  ...process.env,
  TOPIC_PREFIX: prefix,
  TRACKING_HTTP_PORT: '0',
  TRACKING_OPS_PORT: '0',
  TRACKING_HOST: '127.0.0.1',
  TRACKING_GUESS_LIMIT: '5',
};
let tracking: Tracking;
const caseNumber = `ZJ330106-20261120-${Date.now().toString(36).toUpperCase()}`;
const code = 'K7QZ-93MX';
const run = new CaseRun({ now: '2026-11-20T10:00:00+08:00', directory: realDirectory(), caseId: `trk-${Date.now()}` });
run.ok(undefined, {
  $case: 'registerPetition',
  value: { petition: petition({ caseNumber, queryCodeHash: queryCodeVerifier(devQueryCodeSecret, caseNumber, code) }) },
});
run.ok(unit('330106-xfj'), {
  $case: 'forwardCase',
  value: { toUnitId: '330106-rsj', toHandlingUnit: true, reason: '' },
});
run.ok(unit('330106-rsj'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } });
// A second case in 西湖区 runs late: its handling clock runs out and 杭州市信访局 supervises it.
const late = new CaseRun({
  now: '2026-11-20T11:00:00+08:00',
  directory: realDirectory(),
  caseId: `trk-late-${Date.now()}`,
});
late.ok(undefined, {
  $case: 'registerPetition',
  value: {
    petition: petition({
      caseNumber: `${caseNumber}-L`,
      queryCodeHash: queryCodeVerifier(devQueryCodeSecret, `${caseNumber}-L`, code),
    }),
  },
});
late.ok(unit('330106-xfj'), {
  $case: 'forwardCase',
  value: { toUnitId: '330106-rsj', toHandlingUnit: true, reason: '' },
});
late.ok(unit('330106-rsj'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } });
const lateClock = `${late.caseId}:handling:3`;
let sequence = 0;
const deadline = (
  caseId: string,
  clockId: string,
  stage: ClockStage,
  time: string,
  payload: DeadlineEvent['payload'],
) =>
  DeadlineEvent.fromPartial({
    envelope: { eventId: `d-${++sequence}`, caseId, caseVersion: 3, occurTime: new Date(time) },
    clockId,
    stage,
    responsibleUnitId: '330106-rsj',
    payload,
  });
const handling = (payload: DeadlineEvent['payload'], time: string) =>
  deadline(late.caseId, lateClock, ClockStage.CLOCK_STAGE_HANDLING, time, payload);
const lateStarted = handling(
  {
    $case: 'clockStarted',
    value: { dueTime: new Date('2026-12-01T16:00:00Z'), periodDays: 10, workingDays: false, holidayTableVersion: '' },
  },
  '2026-11-20T11:00:00+08:00',
);
const lateBreached = handling(
  { $case: 'deadlineBreached', value: { dueTime: new Date('2026-12-01T16:00:00Z'), late: false } },
  '2026-12-02T00:00:01+08:00',
);
const supervised = handling(
  {
    $case: 'supervisionOpened',
    value: {
      supervisingUnitId: '330100-xfj',
      level: 3,
      supervisedUnitId: '330106-rsj',
      escalationDueTime: new Date('2026-12-10T16:00:00Z'),
    },
  },
  '2026-12-02T00:00:02+08:00',
);
const lateAnswered = handling(
  {
    $case: 'clockStopped',
    value: { reason: ClockStopReason.CLOCK_STOP_REASON_STEP_DONE, stoppingEventId: 'late-reply', inTime: false },
  },
  '2026-12-05T10:00:00+08:00',
);
const period = '?from=2026-11-01&to=2026-12-31';

const get = (path: string, token?: string) =>
  fetch(`${tracking.httpUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
const tokenOf = (unitId: string) => testToken(unitId);
/** The petitioner's view: the query code in its header, never in the URL. */
const lookUp = (number: string, queryCode: string) =>
  fetch(`${tracking.httpUrl}/v1/cases/${number}`, { headers: { 'x-query-code': queryCode } });

beforeAll(async () => {
  tracking = await startTracking(loadTrackingConfig(env), logger);
  const publisher = await bus.publisher();
  await publisher.publish(caseEvents, [...run.events, ...late.events]);
  await publisher.publish(deadlineEvents, [
    DeadlineEvent.fromPartial({
      envelope: { eventId: 'd-1', caseId: run.caseId, caseVersion: 3 },
      clockId: `${run.caseId}:handling:3`,
      stage: ClockStage.CLOCK_STAGE_HANDLING,
      responsibleUnitId: '330106-rsj',
      payload: { $case: 'clockStarted', value: { dueTime: new Date('2027-01-19T16:00:00Z'), periodDays: 60 } },
    }),
    // Published twice, as a watchdog that restarted before committing would: counted once.
    lateStarted,
    lateBreached,
    supervised,
    lateBreached,
    supervised,
  ]);
});

afterAll(async () => {
  await tracking?.close();
  await bus.deleteOwnTopics();
  await bus.close();
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const keys = await redis.keys(`${prefix}trk:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('tracking', () => {
  it('shows the petitioner each step, the holder and the clocks, with the case number and query code', async () => {
    await waitFor('the case and its clock', async () => {
      const r = await lookUp(caseNumber, code);
      return r.ok && ((await r.json()) as { clocks: unknown[] }).clocks.length === 1;
    });
    const view = (await (await lookUp(caseNumber, code)).json()) as Record<string, unknown>;
    expect(view).toMatchObject({
      caseNumber,
      state: 'CASE_STATE_ACCEPTED',
      holder: { unitId: '330106-rsj', name: '杭州市西湖区人力资源和社会保障局', level: 'county', regionCode: '330106' },
      clocks: [{ stage: 'CLOCK_STAGE_HANDLING', dueTime: '2027-01-19T16:00:00.000Z', state: 'running' }],
    });
    expect((view.timeline as { label: string }[]).map((t) => t.label)).toEqual(['登记', '转送', '受理']);
    // No one else's personal data: the view carries no petitioner at all.
    expect(JSON.stringify(view)).not.toContain('petitioner');
  });

  it('answers a wrong query code like an unknown number, and turns a guesser away', async () => {
    const wrong = await lookUp(caseNumber, 'WRONG');
    expect(wrong.status).toBe(404);
    expect(wrong.headers.get('content-type')).toContain('application/problem+json');
    expect((await get(`/v1/cases/${caseNumber}`)).status).toBe(400);
    for (let i = 0; i < 5; i++) await lookUp(`NOPE-${i}`, 'x');
    expect((await lookUp(caseNumber, code)).status).toBe(429);
  });

  it('shows a unit the cases it holds, by due time, and a supervisor its subtree — no one else', async () => {
    const inbox = await get('/v1/units/330106-rsj/inbox', tokenOf('330106-rsj'));
    expect(inbox.status).toBe(200);
    const body = (await inbox.json()) as { cases: { caseNumber: string; dueTime?: string }[] };
    expect(body.cases).toContainEqual(expect.objectContaining({ caseNumber, dueTime: '2027-01-19T16:00:00.000Z' }));
    expect((await get('/v1/units/330106-rsj/inbox', tokenOf('330100-zf'))).status).toBe(200);
    expect((await get('/v1/units/330106-rsj/inbox', tokenOf('330106-jyj'))).status).toBe(403);
    expect((await get('/v1/units/330106-rsj/inbox')).status).toBe(401);
    expect(await (await get('/v1/me', tokenOf('330100-xfj'))).json()).toMatchObject({
      name: '杭州市信访局',
      supervisor: true,
    });
    expect(await (await get('/v1/me', tokenOf('330106-rsj'))).json()).toMatchObject({ supervisor: false });
    expect((await get('/v1/me', tokenOf('no-such-unit'))).status).toBe(404);
  });

  it('describes units and the directory', async () => {
    expect(await (await get('/v1/units/330106-rsj')).json()).toMatchObject({ level: 'county', regionCode: '330106' });
    expect((await get('/v1/units/nope')).status).toBe(404);
    expect(await (await get('/v1/directory/stats')).json()).toMatchObject({
      byLevel: { national: 28, county: 83_272 },
    });
  });

  const board = async (region: string, unitId: string) => {
    const r = await get(`/v1/regions/${region}/overdue`, tokenOf(unitId));
    return (await r.json()) as { cases: { caseNumber: string; supervisedBy?: { unitId: string }; stage: string }[] };
  };
  const lateNumber = `${caseNumber}-L`;

  it('puts a case that ran out on the boards of its region and those above, with who supervises it', async () => {
    await waitFor('the late case on 杭州市’s board', async () =>
      (await board('330100', '330100-xfj')).cases.some((c) => c.caseNumber === lateNumber && c.supervisedBy),
    );
    expect((await board('330100', '330100-xfj')).cases.find((c) => c.caseNumber === lateNumber)).toMatchObject({
      stage: 'CLOCK_STAGE_HANDLING',
      unit: { unitId: '330106-rsj' },
      supervisedBy: { unitId: '330100-xfj', name: '杭州市信访局' },
    });
    expect((await board('330000', '330000-zf')).cases.map((c) => c.caseNumber)).toContain(lateNumber);
    expect((await board('330200', '330200-xfj')).cases.map((c) => c.caseNumber)).not.toContain(lateNumber);
    const inbox = (await (await get('/v1/units/330106-rsj/inbox', tokenOf('330106-rsj'))).json()) as {
      cases: { caseNumber: string; overdue: boolean }[];
    };
    expect(inbox.cases.find((c) => c.caseNumber === lateNumber)?.overdue).toBe(true);
    // Only the bureaus, governments and party committees over a region see its board.
    const refused = await get('/v1/regions/330100/overdue', tokenOf('330106-rsj'));
    expect([refused.status, ((await refused.json()) as { code: string }).code]).toEqual([403, 'NOT_SUPERVISOR']);
    expect((await get('/v1/regions/330100/overdue', tokenOf('330106-xfj'))).status).toBe(403);
    expect((await get('/v1/regions/330100/overdue')).status).toBe(401);
    expect((await get('/v1/regions/999999/overdue', tokenOf('000000-xfj'))).status).toBe(404);
    expect((await get('/v1/regions/33x/overdue', tokenOf('000000-xfj'))).status).toBe(400);
  });

  it('counts each fact once for its unit and rolls it up by region, over the period asked', async () => {
    const kpis = async (path: string, unitId: string) => {
      const r = await get(`${path}${period}`, tokenOf(unitId));
      expect(r.status).toBe(200);
      return (await r.json()) as {
        counts: Record<string, number>;
        kpis: Record<string, number | null>;
        rows?: { unitId: string; counts: Record<string, number> }[];
        trend?: { day: string; counts: Record<string, number> }[];
      };
    };
    await waitFor(
      'the supervision counted',
      async () => (await kpis('/v1/units/330106-rsj/kpis', '330106-rsj')).counts.supervised === 1,
    );
    // Delivered twice, counted once.
    expect((await kpis('/v1/units/330106-rsj/kpis', '330106-rsj')).counts).toMatchObject({
      breached: 1,
      replyDue: 1,
      supervised: 1,
    });
    expect((await kpis('/v1/units/330106-xfj/kpis', '330106-xfj')).counts).toMatchObject({ items: 2 });
    const region = await kpis('/v1/regions/330100/kpis', '330100-xfj');
    expect(region.counts).toMatchObject({ items: 2, breached: 1, replyDue: 1 });
    expect(region.kpis).toMatchObject({ 按期答复率: 0, 重复信访率: 0, 满意率: null });
    expect(region.rows?.find((r) => r.unitId === '330106-xfj')?.counts).toMatchObject({ items: 2, breached: 1 });
    expect(region.rows?.find((r) => r.unitId === '330105-xfj')?.counts).toEqual({});
    expect(region.trend).toHaveLength(61);
    expect(region.trend?.find((t) => t.day === '2026-12-02')?.counts).toMatchObject({ breached: 1, supervised: 1 });
    // Outside the period, nothing.
    const before = await get('/v1/units/330106-rsj/kpis?from=2026-01-01&to=2026-01-31', tokenOf('330106-rsj'));
    expect(((await before.json()) as { counts: object }).counts).toEqual({});
  });

  it('keeps a day’s counts 800 days after it, and none of a day already further back', async () => {
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    try {
      // 2026-11-20 + 800 days = 2029-01-28, whose end in Beijing is 16:00 UTC.
      const kept = await redis.call('PEXPIRETIME', `${prefix}trk:u:330106-xfj:2026-11-20`);
      expect(kept).toBe(Date.parse('2029-01-28T16:00:00Z'));
      expect(await redis.call('PEXPIRETIME', `${prefix}trk:r:330100:2026-11-20`)).toBe(kept);
      const old = new CaseRun({ now: '2024-01-02T10:00:00+08:00', directory: realDirectory() });
      old.ok(undefined, { $case: 'registerPetition', value: { petition: petition() } });
      await (await bus.publisher()).publish(caseEvents, old.events);
      await waitFor('the old case', async () => (await redis.exists(`${prefix}trk:c:${old.caseId}`)) === 1);
      expect(await redis.exists(`${prefix}trk:u:330106-xfj:2024-01-02`, `${prefix}trk:r:330100:2024-01-02`)).toBe(0);
    } finally {
      redis.disconnect();
    }
  });

  it('names a bad period', async () => {
    for (const [query, detail] of [
      ['?from=2026-13-01', /from must be a date/],
      ['?from=2026-12-02&to=2026-12-01', /after to/],
      ['?from=2025-01-01&to=2026-12-31', /at most 366 days/],
      ['?from=2024-01-01&to=2024-01-31', /KPI counts are kept 800 days: from may be \d{4}-\d{2}-\d{2} at the earliest/],
    ] as const) {
      const r = await get(`/v1/units/330106-rsj/kpis${query}`, tokenOf('330106-rsj'));
      expect(r.status).toBe(400);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect((await r.json()) as { code: string; detail: string }).toMatchObject({
        code: 'BAD_PERIOD',
        detail: expect.stringMatching(detail),
      });
    }
  });

  it('never shows an accusation to the accused: not in an inbox it supervises, not on its region’s board (art 30)', async () => {
    // An accusation against 西湖区信访局, held and run late by 西湖区纪委, which the bureau supervises by place.
    const accusation = new CaseRun({
      now: '2026-11-20T12:00:00+08:00',
      directory: realDirectory(),
      caseId: `trk-acc-${Date.now()}`,
    });
    const number = `${caseNumber}-A`;
    accusation.ok(undefined, {
      $case: 'registerPetition',
      value: {
        petition: petition({
          caseNumber: number,
          kind: PetitionKind.PETITION_KIND_ACCUSATION,
          category: Category.CATEGORY_DISCIPLINE_SUPERVISION,
          accusedUnitId: '330106-xfj',
        }),
      },
    });
    accusation.ok(unit('330100-xfj'), {
      $case: 'forwardCase',
      value: { toUnitId: '330106-jw', toHandlingUnit: true, reason: '' },
    });
    accusation.ok(unit('330106-jw'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } });
    const clock = (payload: DeadlineEvent['payload'], time: string) => ({
      ...deadline(accusation.caseId, `${accusation.caseId}:handling:3`, ClockStage.CLOCK_STAGE_HANDLING, time, payload),
      responsibleUnitId: '330106-jw',
    });
    const publisher = await bus.publisher();
    await publisher.publish(caseEvents, accusation.events);
    await publisher.publish(deadlineEvents, [
      clock(
        {
          $case: 'clockStarted',
          value: {
            dueTime: new Date('2026-12-01T16:00:00Z'),
            periodDays: 10,
            workingDays: false,
            holidayTableVersion: '',
          },
        },
        '2026-11-20T12:00:00+08:00',
      ),
      clock(
        { $case: 'deadlineBreached', value: { dueTime: new Date('2026-12-01T16:00:00Z'), late: false } },
        '2026-12-02T00:00:01+08:00',
      ),
    ]);
    const inbox = async (unitId: string, viewer: string) => {
      const r = await get(`/v1/units/${unitId}/inbox`, tokenOf(viewer));
      expect(r.status).toBe(200);
      return ((await r.json()) as { cases: { caseNumber: string }[] }).cases.map((c) => c.caseNumber);
    };
    const numbers = async (region: string, viewer: string) =>
      (await board(region, viewer)).cases.map((c) => c.caseNumber);
    await waitFor('the accusation on 杭州市信访局’s board of 西湖区', async () =>
      (await numbers('330106', '330100-xfj')).includes(number),
    );
    // Its holder and the bureaus over the accused see it ...
    expect(await inbox('330106-jw', '330106-jw')).toEqual([number]);
    expect(await inbox('330106-jw', '330100-xfj')).toEqual([number]);
    expect(await numbers('330100', '330100-xfj')).toContain(number);
    // ... the accused bureau, which supervises 西湖区 by place, sees neither it nor a trace of it.
    expect(await inbox('330106-jw', '330106-xfj')).toEqual([]);
    const seen = await numbers('330106', '330106-xfj');
    expect(seen).not.toContain(number);
    expect(seen).toContain(lateNumber);
    // Nor in the KPIs: 西湖区纪委's breach counts for the bureaus over the accused, not for the accused.
    type Kpis = { counts: Record<string, number>; rows: { unitId: string; counts: Record<string, number> }[] };
    const kpis = async (path: string, viewer: string) =>
      (await (await get(`${path}${period}`, tokenOf(viewer))).json()) as Kpis;
    await waitFor(
      'the breach counted',
      async () => (await kpis('/v1/units/330106-jw/kpis', '330100-xfj')).counts.breached === 1,
    );
    expect((await kpis('/v1/units/330106-jw/kpis', '330106-jw')).counts).toMatchObject({ breached: 1 });
    expect((await kpis('/v1/units/330106-jw/kpis', '330106-xfj')).counts).toEqual({});
    const above = await kpis('/v1/regions/330106/kpis', '330100-xfj');
    const accused = await kpis('/v1/regions/330106/kpis', '330106-xfj');
    expect(above.counts.breached).toBe(2);
    expect(above.rows.find((r) => r.unitId === '330106-jw')?.counts).toMatchObject({ breached: 1 });
    expect(accused.counts.breached).toBe(1);
    expect(accused.rows.find((r) => r.unitId === '330106-jw')).toBeUndefined();
    expect(accused.rows.find((r) => r.unitId === '330106-rsj')?.counts).toMatchObject({ breached: 1 });
  });

  it('takes a case off the boards once the late answer stops its clock', async () => {
    const publisher = await bus.publisher();
    await publisher.publish(deadlineEvents, [lateAnswered]);
    await waitFor('the late case off the board', async () =>
      (await board('330100', '330100-xfj')).cases.every((c) => c.caseNumber !== lateNumber),
    );
    const r = await get(`/v1/units/330106-rsj/kpis${period}`, tokenOf('330106-rsj'));
    const { counts } = (await r.json()) as { counts: Record<string, number> };
    // Due once (when it ran out), not answered in time.
    expect(counts).toMatchObject({ replyDue: 1, breached: 1 });
    expect(counts.repliedInTime).toBeUndefined();
  });

  it('rebuilds the same read models from Kafka after Redis lost them', async () => {
    const views = async () => ({
      case: await (await lookUp(caseNumber, code)).json(),
      inbox: await (await get('/v1/units/330106-rsj/inbox', tokenOf('330106-rsj'))).json(),
      region: await (await get(`/v1/regions/330100/kpis${period}`, tokenOf('330100-xfj'))).json(),
      board: await board('330100', '330100-xfj'),
    });
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    // The guessing test above used up this client's tries.
    await redis.del(`${prefix}trk:g:127.0.0.1`, `${prefix}trk:g:::ffff:127.0.0.1`);
    const before = await views();
    expect(before.case).toMatchObject({ caseNumber });
    // Stable group names (KEDA follows them), with the offsets of the keys' epoch committed.
    const stable = ['tracking', 'tracking-deadlines', 'tracking-workspace'];
    expect(
      (await bus.listGroups()).filter((g) => /^tracking(-deadlines|-workspace)?(-[0-9a-z]{8})?$/.test(g)).sort(),
    ).toEqual(stable);
    await tracking.close();
    const committedBefore = await bus.committedOffsets('tracking', caseEvents);
    expect([...committedBefore.values()].some((at) => at > 0n)).toBe(true);
    const keys = await redis.keys(`${prefix}trk:*`);
    expect(keys.length).toBeGreaterThan(10);
    await redis.del(...keys);
    redis.disconnect();
    tracking = await startTracking(loadTrackingConfig(env), logger);
    await waitFor('the rebuild', async () => {
      const r = await get(`/v1/regions/330100/kpis${period}`, tokenOf('330100-xfj'));
      return r.ok && JSON.stringify(await r.json()) === JSON.stringify(before.region);
    });
    expect(await views()).toEqual(before);
    // The same groups, rewound for the new epoch: what they had committed before was noted, and they read
    // case-events again from the beginning up to where they had been.
    expect(
      (await bus.listGroups()).filter((g) => /^tracking(-deadlines|-workspace)?(-[0-9a-z]{8})?$/.test(g)).sort(),
    ).toEqual(stable);
    const check = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    expect(await rewoundFrom(check, `${prefix}trk:`, 'tracking', caseEvents)).toEqual(committedBefore);
    check.disconnect();
    await waitFor('the rebuilt group committed as far as before', async () => {
      const now = await bus.committedOffsets('tracking', caseEvents);
      return [...committedBefore].every(([p, at]) => (now.get(p) ?? 0n) >= at);
    });
  });

  it('flushed while running, writes nothing more under the old epoch and asks to be restarted', async () => {
    await tracking.close();
    let lost = 0;
    tracking = await startTracking(loadTrackingConfig(env), logger, { onEpochLost: () => lost++ });
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const keys = await redis.keys(`${prefix}trk:*`);
    await redis.del(...keys);
    // A case that comes after the flush: applying it now would leave it without its registration, which
    // the rebuild would then skip as already applied.
    const after = new CaseRun({ now: '2026-11-20T10:00:00+08:00', directory: realDirectory() });
    after.ok(undefined, { $case: 'registerPetition', value: { petition: petition() } });
    await (await bus.publisher()).publish(caseEvents, after.events);
    await waitFor('the lost epoch', () => lost > 0);
    expect(await redis.exists(`${prefix}trk:c:${after.caseId}`)).toBe(0);
    redis.disconnect();
  });
});
