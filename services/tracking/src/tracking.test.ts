import { devTokenKeys, parseTokenKeys, queryCodeHash, signUnitToken } from '@petition/auth';
import { caseEvents, createBus, deadlineEvents, isolatedPrefix } from '@petition/bus';
import { ClockStage, DeadlineEvent } from '@petition/contract';
import { CaseRun, petition, realDirectory, unit } from '@petition/lifecycle/test-kit';
import { createLogger } from '@petition/logging';
import { waitFor } from '@petition/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracking, type Tracking } from './app.ts';
import { loadTrackingConfig } from './config.ts';

// Tracking against the real broker and Redis, over real HTTP: the test plays routing and the watchdog,
// publishing their events, and reads what a petitioner and a unit see.

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
  TRACKING_HOST: '127.0.0.1',
  TRACKING_GUESS_LIMIT: '5',
};
let tracking: Tracking;
const caseNumber = `ZJ330106-20261120-${Date.now().toString(36).toUpperCase()}`;
const code = 'K7QZ-93MX';
const run = new CaseRun({ now: '2026-11-20T10:00:00+08:00', directory: realDirectory(), caseId: `trk-${Date.now()}` });
run.ok(undefined, {
  $case: 'registerPetition',
  value: { petition: petition({ caseNumber, queryCodeHash: queryCodeHash(caseNumber, code) }) },
});
run.ok(unit('330106-xfj'), {
  $case: 'forwardCase',
  value: { toUnitId: '330106-rsj', toHandlingUnit: true, reason: '' },
});
run.ok(unit('330106-rsj'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } });
const get = (path: string, token?: string) =>
  fetch(`${tracking.httpUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
const tokenOf = (unitId: string) => signUnitToken(parseTokenKeys(devTokenKeys), { unitId, staffId: 't' });

beforeAll(async () => {
  tracking = await startTracking(loadTrackingConfig(env), logger);
  const publisher = await bus.publisher();
  await publisher.publish(caseEvents, run.events);
  await publisher.publish(deadlineEvents, [
    DeadlineEvent.fromPartial({
      envelope: { eventId: 'd-1', caseId: run.caseId, caseVersion: 3 },
      clockId: `${run.caseId}:handling:3`,
      stage: ClockStage.CLOCK_STAGE_HANDLING,
      responsibleUnitId: '330106-rsj',
      payload: { $case: 'clockStarted', value: { dueTime: new Date('2027-01-19T16:00:00Z'), periodDays: 60 } },
    }),
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
    const path = `/v1/cases/${caseNumber}?queryCode=${code}`;
    await waitFor('the case and its clock', async () => {
      const r = await get(path);
      return r.ok && ((await r.json()) as { clocks: unknown[] }).clocks.length === 1;
    });
    const view = (await (await get(path)).json()) as Record<string, unknown>;
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
    const wrong = await get(`/v1/cases/${caseNumber}?queryCode=WRONG`);
    expect(wrong.status).toBe(404);
    expect(wrong.headers.get('content-type')).toContain('application/problem+json');
    expect((await get(`/v1/cases/${caseNumber}`)).status).toBe(400);
    for (let i = 0; i < 5; i++) await get(`/v1/cases/NOPE-${i}?queryCode=x`);
    expect((await get(`/v1/cases/${caseNumber}?queryCode=${code}`)).status).toBe(429);
  });

  it('shows a unit the cases it holds, by due time, and a supervisor its subtree — no one else', async () => {
    const inbox = await get('/v1/units/330106-rsj/inbox', tokenOf('330106-rsj'));
    expect(inbox.status).toBe(200);
    const body = (await inbox.json()) as { cases: { caseNumber: string; dueTime?: string }[] };
    expect(body.cases).toContainEqual(expect.objectContaining({ caseNumber, dueTime: '2027-01-19T16:00:00.000Z' }));
    expect((await get('/v1/units/330106-rsj/inbox', tokenOf('330100-zf'))).status).toBe(200);
    expect((await get('/v1/units/330106-rsj/inbox', tokenOf('330106-jyj'))).status).toBe(403);
    expect((await get('/v1/units/330106-rsj/inbox')).status).toBe(401);
  });

  it('describes units and the directory', async () => {
    expect(await (await get('/v1/units/330106-rsj')).json()).toMatchObject({ level: 'county', regionCode: '330106' });
    expect((await get('/v1/units/nope')).status).toBe(404);
    expect(await (await get('/v1/directory/stats')).json()).toMatchObject({
      byLevel: { national: 28, county: 83_272 },
    });
  });
});
