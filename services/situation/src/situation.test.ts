import { caseEvents, createBus, deadlineEvents, isolatedPrefix, on, situationEvents } from '@petition/bus';
import {
  type CaseEvent,
  Category,
  ClockStage,
  ClockStopReason,
  DeadlineEvent,
  PetitionKind,
  type SituationEvent,
} from '@petition/contract';
import { CaseRun, petition, realDirectory } from '@petition/lifecycle/test-kit';
import { createLogger } from '@petition/logging';
import { type TestTokenOptions, testToken, waitFor } from '@petition/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SituationService, startSituation } from './app.ts';
import { loadSituationConfig } from './config.ts';
import { loadThresholds } from './thresholds.ts';

// Situation against the real broker: case events as routing writes them (the lifecycle's own rules, over the
// real directory) go on case-events; a burst of wage-arrears petitions from 西湖区 raises a SURGE there and at
// 杭州市, none at its neighbouring counties, and it clears once quiet hours pass on the service's clock; five
// near-identical petitions from 滨江区 within the hour are a CLUSTER; the read API shows a supervisor of the
// subtree what is open; and a restart, which reads the whole log again, writes no Detected twice.

const logger = createLogger({ service: 'situation-test', level: process.env.LOG_LEVEL ?? 'warn' });
const prefix = isolatedPrefix('situation');
const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');
const bus = createBus({ brokers, clientId: 'situation-test', logger, topicPrefix: prefix });
const directory = realDirectory();
const thresholds = loadThresholds();
const hourMs = 3_600_000;
const labour = Category.CATEGORY_LABOR_SOCIAL_SECURITY;
const xihu = '330106';
const neighbours = ['330105', '330108', '330110'];
/** The service's clock: the test moves it. */
let nowMs = Math.floor(Date.now() / hourMs) * hourMs + 5 * 60_000;
const config = (over: Record<string, string> = {}) =>
  loadSituationConfig({
    ...process.env,
    TOPIC_PREFIX: prefix,
    SITUATION_HTTP_PORT: '0',
    SITUATION_OPS_PORT: '0',
    SITUATION_HOST: '127.0.0.1',
    // The test moves the clock itself (tick()).
    SITUATION_TICK: '1h',
    ...over,
  });
const start = () => startSituation(config(), logger, { now: () => new Date(nowMs) });
const written: SituationEvent[] = [];
/** The reader's position on situation-events, per partition. */
const readUpTo = new Map<number, bigint>();
let service: SituationService | undefined;
/** What GET /v1/hotspots answers, as far as the test reads it. */
type HotspotList = {
  hotspots: { hotspotId: string; regionName: string; evidence: { regionCode: string; category: string } }[];
  regions: { code: string; name: string; score: number }[];
};
let cases = 0;

async function publish(
  at: number,
  over: Parameters<typeof petition>[0],
): Promise<{ caseId: string; events: CaseEvent[] }> {
  const run = new CaseRun({ now: new Date(at).toISOString(), directory, caseId: `sit-${++cases}` });
  const events = run.ok(undefined, { $case: 'registerPetition', value: { petition: petition(over) } });
  await (await publisher()).publish(caseEvents, events);
  return { caseId: run.caseId, events };
}
let pub: Awaited<ReturnType<typeof bus.publisher>> | undefined;
const publisher = async () => {
  pub ??= await bus.publisher();
  return pub;
};

const detected = (kind: string) =>
  written.filter((e) => e.payload?.$case === 'hotspotDetected' && e.hotspotId.startsWith(kind));
const surgeAt = (region: string, step: 'hotspotDetected' | 'hotspotCleared') =>
  written.filter(
    (e) =>
      e.payload?.$case === step &&
      e.payload.value.evidence?.regionCode === region &&
      e.payload.value.evidence.category === labour &&
      e.hotspotId.startsWith('surge:hour:'),
  );

async function hotspots(region: string, unitId: string, roles?: TestTokenOptions['roles']) {
  const token = testToken(unitId, { now: new Date(nowMs), ...(roles ? { roles } : {}) });
  const res = await fetch(`${service?.httpUrl}/v1/hotspots?region=${region}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: (await res.json()) as HotspotList & { code?: string },
  };
}

beforeAll(async () => {
  await bus.ensureTopics([caseEvents, deadlineEvents, situationEvents], { partitions: config().topicPartitions });
  // A week of background over Hangzhou's counties: about one petition every three hours, of many categories.
  const counties = ['330102', '330105', xihu, '330108', '330109', '330110'];
  const backgroundFrom = nowMs - 7 * 24 * hourMs;
  for (let h = 0; h < 7 * 24 - 2; h += 3) {
    await publish(backgroundFrom + h * hourMs, {
      regionCode: counties[(h / 3) % counties.length],
      category: (((h / 3) % 18) + 1) as Category,
      title: `背景事项${h}`,
      content: `第${h}小时的一件普通事项，内容编号${h * 7919}`,
    });
  }
  const reader = bus.consumer({
    groupId: `${prefix}reader`,
    fromBeginning: true,
    subscriptions: [
      on(situationEvents, async (r) => {
        written.push(r.value);
        readUpTo.set(r.partition, BigInt(r.offset) + 1n);
      }),
    ],
  });
  await reader.start();
  service = await start();
  await service.ready;
}, 100_000);

afterAll(async () => {
  await service?.close();
  await pub?.close();
  await bus.close();
});

describe('situation service', () => {
  const burstAt = () => nowMs;

  it('raises a wage-arrears burst from one county there and at its prefecture, not at its neighbours', async () => {
    const from = burstAt();
    const titles = ['拖欠工资', '工资被拖欠三个月', '讨薪无门', '欠薪未付', '包工头卷款跑路', '年底工钱不结'];
    for (const [i, title] of titles.entries()) {
      await publish(from + i * 120_000, {
        regionCode: xihu,
        category: labour,
        title,
        content: `第${i}家：${title}，请求处理。编号${i * 31}`,
      });
    }
    nowMs = from + 15 * 60_000;
    await waitFor('a surge at 西湖区', () => surgeAt(xihu, 'hotspotDetected').length > 0);
    await waitFor('a surge at 杭州市', () => surgeAt('330100', 'hotspotDetected').length > 0);
    const event = surgeAt(xihu, 'hotspotDetected')[0];
    const value = event?.payload?.$case === 'hotspotDetected' ? event.payload.value : undefined;
    expect(value?.evidence?.count).toBe(thresholds.surge.hour.minCount);
    expect(value?.evidence?.sampleCaseIds).toHaveLength(thresholds.surge.hour.minCount);
    expect(value?.evidence?.score).toBeGreaterThanOrEqual(thresholds.surge.hour.detectScore);
    expect(value?.supervisingUnitId).toBe(directory.bureauOf(xihu)?.unitId);
    expect(event?.envelope?.producer).toBe('situation');
    for (const n of neighbours) expect(surgeAt(n, 'hotspotDetected')).toEqual([]);

    // The province's supervisor sees it in the subtree; 拱墅区's bureau does not supervise 西湖区.
    const seen = await hotspots('330000', directory.bureauOf('330000')?.unitId ?? '');
    expect(seen.status).toBe(200);
    expect(seen.body.hotspots.map((h) => h.evidence.regionCode)).toEqual(expect.arrayContaining([xihu, '330100']));
    expect(seen.body.hotspots.find((h) => h.evidence.regionCode === xihu)?.evidence.category).toBe(
      'CATEGORY_LABOR_SOCIAL_SECURITY',
    );
    expect(seen.body.hotspots.find((h) => h.evidence.regionCode === xihu)?.regionName).toBe('杭州市西湖区');
    // The grid: the province's prefectures, 杭州市 hot and 宁波市 not.
    const grid = new Map(seen.body.regions.map((r) => [r.name, r.score]));
    expect(grid.get('杭州市')).toBeGreaterThanOrEqual(thresholds.surge.hour.detectScore);
    expect(grid.get('宁波市')).toBe(0);
    const other = await hotspots(xihu, directory.bureauOf('330105')?.unitId ?? '');
    expect([other.status, other.body.code]).toEqual([403, 'NOT_SUPERVISOR']);
    expect(other.type).toMatch(/^application\/problem\+json/);
    const handler = await hotspots(xihu, directory.bureauOf(xihu)?.unitId ?? '', ['handler']);
    expect([handler.status, handler.body.code]).toEqual([403, 'ROLE_REQUIRED']);
    const bad = await fetch(`${service?.httpUrl}/v1/hotspots?region=33`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe('region');
    const anonymous = await fetch(`${service?.httpUrl}/v1/hotspots?region=${xihu}`);
    expect(anonymous.status).toBe(401);
  });

  it('answers a trend only to a supervisor of the region, and names what a query gets wrong', async () => {
    const trend = (query: string, unitId?: string, roles?: TestTokenOptions['roles']) =>
      fetch(`${service?.httpUrl}/v1/trend?${query}`, {
        headers: unitId
          ? { authorization: `Bearer ${testToken(unitId, { now: new Date(nowMs), ...(roles ? { roles } : {}) })}` }
          : {},
      });
    const good = `region=${xihu}&category=CATEGORY_LABOR_SOCIAL_SECURITY`;
    const bureau = directory.bureauOf(xihu)?.unitId ?? '';
    expect((await trend(good, bureau)).status).toBe(200);
    // A neighbouring county's bureau, a handler of the county's own, and nobody at all.
    const neighbour = await trend(good, directory.bureauOf('330105')?.unitId ?? '');
    expect([neighbour.status, ((await neighbour.json()) as { code: string }).code]).toEqual([403, 'NOT_SUPERVISOR']);
    const handler = await trend(good, bureau, ['handler']);
    expect([handler.status, ((await handler.json()) as { code: string }).code]).toEqual([403, 'ROLE_REQUIRED']);
    expect((await trend(good)).status).toBe(401);
    // Hostile queries: each refused 400 as problem+json naming the parameter, never a 5xx.
    for (const [query, field] of [
      [`region=${xihu}&category=CATEGORY_WEATHER`, 'category'],
      [`region=${xihu}&category=CATEGORY_LABOR_SOCIAL_SECURITY&window=minute`, 'window'],
      [`region=33'%20OR%201=1&category=CATEGORY_OTHER`, 'region'],
      [`region=${xihu}`, 'category'],
    ] as const) {
      const res = await trend(query, bureau);
      expect(res.status, query).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const body = (await res.json()) as { errors?: { field: string }[] };
      expect(JSON.stringify(body.errors), query).toContain(field);
    }
    expect((await trend(`region=999999&category=CATEGORY_OTHER`, bureau)).status).toBe(404);
  });

  it('clears the surge once the hold period of quiet hours has passed on its clock', async () => {
    const burstHourEnd = Math.floor(burstAt() / hourMs) * hourMs + hourMs;
    nowMs = burstHourEnd + (thresholds.surge.hour.clearHoldBuckets - 1) * hourMs + 60_000;
    await service?.tick();
    expect(surgeAt(xihu, 'hotspotCleared')).toEqual([]);
    nowMs = burstHourEnd + thresholds.surge.hour.clearHoldBuckets * hourMs + 60_000;
    await service?.tick();
    await waitFor('the surge at 西湖区 cleared', () => surgeAt(xihu, 'hotspotCleared').length > 0);
    const cleared = surgeAt(xihu, 'hotspotCleared')[0];
    expect(cleared?.hotspotId).toBe(surgeAt(xihu, 'hotspotDetected')[0]?.hotspotId);
    const after = await hotspots(xihu, directory.bureauOf(xihu)?.unitId ?? '');
    expect(after.body.hotspots.filter((h) => h.hotspotId.startsWith('surge:hour:'))).toEqual([]);
  });

  it('flags near-identical petitions from one place within the hour as a cluster', async () => {
    const from = nowMs;
    const binjiang = '330108';
    const members: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { caseId } = await publish(from + i * 8 * 60_000, {
        regionCode: binjiang,
        category: Category.CATEGORY_URBAN_RURAL_CONSTRUCTION,
        title: '某小区业主反映开发商逾期交房',
        content: `我们是某小区业主，开发商承诺去年年底交房，至今逾期一年仍未交房，请求政府督促开发商尽快交房并赔偿（业主${i}）`,
        // The first is an accusation against 滨江区's petition bureau, which the cluster is told to (art 30).
        ...(i === 0 ? { kind: PetitionKind.PETITION_KIND_ACCUSATION, accusedUnitId: `${binjiang}-xfj` } : {}),
      });
      members.push(caseId);
    }
    nowMs = from + 40 * 60_000;
    await waitFor('a cluster at 滨江区', () => detected('cluster:330108:').length > 0);
    const found = detected('cluster:330108:')[0];
    const value = found?.payload?.value;
    expect(value?.evidence?.count).toBe(thresholds.cluster.minSize);
    expect(value?.evidence?.similarity).toBeGreaterThanOrEqual(thresholds.cluster.similarity);
    expect(value?.supervisingUnitId).toBe(`${binjiang}-xfj`);
    // The accusation is named nowhere: not a sample, not in the id; the others are the samples (which of
    // them joined depends on their signatures).
    expect(value?.evidence?.sampleCaseIds.length).toBeGreaterThan(0);
    for (const id of value?.evidence?.sampleCaseIds ?? []) expect(members.slice(1)).toContain(id);
    expect(JSON.stringify(found)).not.toContain(members[0]);
  });

  it('raises a unit’s clocks running out in a row, told to the bureau above it, and clears on steps met in time', async () => {
    const unitId = '330106-rsj';
    const clock = (i: number, payload: DeadlineEvent['payload']) =>
      DeadlineEvent.fromPartial({
        envelope: { eventId: `dl-${i}`, caseId: `streak-${i}`, occurTime: new Date(nowMs + i * 60_000) },
        clockId: `streak-${i}:4:1`,
        stage: ClockStage.CLOCK_STAGE_HANDLING,
        responsibleUnitId: unitId,
        step: payload?.$case === 'deadlineBreached' ? 3 : 0,
        payload,
      });
    const breached = (i: number) =>
      clock(i, { $case: 'deadlineBreached', value: { dueTime: new Date(nowMs), late: false } });
    const met = (i: number) =>
      clock(i, {
        $case: 'clockStopped',
        value: { reason: ClockStopReason.CLOCK_STOP_REASON_STEP_DONE, stoppingEventId: `s-${i}`, inTime: true },
      });
    const dl = await publisher();
    await dl.publish(deadlineEvents, [breached(1), breached(2), breached(3)]);
    await waitFor('a breach streak at 330106-rsj', () => detected(`breach-streak:${unitId}:`).length > 0);
    const value = detected(`breach-streak:${unitId}:`)[0]?.payload?.value;
    expect(value?.evidence?.unitId).toBe(unitId);
    expect(value?.evidence?.count).toBe(thresholds.breachStreak.streak);
    // The three cases' records lie in partitions of their own: the order they were read in is not theirs.
    expect([...(value?.evidence?.sampleCaseIds ?? [])].sort()).toEqual(['streak-1', 'streak-2', 'streak-3']);
    expect(value?.supervisingUnitId).toBe(directory.bureauAbove(unitId)?.unitId);
    await dl.publish(deadlineEvents, [met(4), met(5)]);
    await waitFor('the streak cleared', () =>
      written.some((e) => e.payload?.$case === 'hotspotCleared' && e.hotspotId.startsWith(`breach-streak:${unitId}:`)),
    );
  });

  it('writes no Detected twice when restarted: it reads its own events back before the log', async () => {
    const before = written.length;
    await service?.close();
    service = await start();
    await service.ready;
    await service.tick();
    // Whatever the restart wrote was published (acks=all) before `ready`: read the topic up to its end now.
    const ends = await bus.endOffsets(situationEvents);
    await waitFor('the reader at the end of situation-events', () =>
      [...ends].every(([partition, end]) => (readUpTo.get(partition) ?? 0n) >= end),
    );
    const ids = written.filter((e) => e.payload?.$case === 'hotspotDetected').map((e) => e.envelope?.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(written.length).toBe(before);
    // And its state came back: the cluster is still open.
    const open = await hotspots('330100', directory.bureauOf('330100')?.unitId ?? '');
    expect(open.body.hotspots.map((h) => h.hotspotId)).toContain(detected('cluster:330108:')[0]?.hotspotId);
  });

  it('reads at a start only what was written within SITUATION_LOOKBACK', async () => {
    /** The day counts of a series, as GET /v1/trend answers them to 杭州市信访局 from a given service. */
    const dayCounts = async (from: SituationService, region: string, category: string) => {
      const token = testToken(directory.bureauOf('330100')?.unitId ?? '', { now: new Date(nowMs) });
      const res = await fetch(`${from.httpUrl}/v1/trend?region=${region}&category=${category}&window=day`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      const { buckets } = (await res.json()) as { buckets: { count: number }[] };
      return buckets.reduce((sum, b) => sum + b.count, 0);
    };
    // Everything so far was written more than three seconds before the two petitions that follow.
    await new Promise((resolve) => setTimeout(resolve, 3_500));
    const education = 'CATEGORY_EDUCATION';
    for (let i = 0; i < 2; i++)
      await publish(nowMs + i * 60_000, {
        regionCode: '330109',
        category: Category.CATEGORY_EDUCATION,
        title: '学位分配',
        content: `学位分配问题${i}`,
      });
    const sourceGroups = async () =>
      (await bus.listGroups()).filter((g) => /^situation-(deadlines-)?[0-9a-f]{8}$/.test(g)).sort();
    const groupsBefore = await sourceGroups();
    const recent = await startSituation(config({ SITUATION_LOOKBACK: '3s' }), logger, { now: () => new Date(nowMs) });
    try {
      await recent.ready;
      expect(await dayCounts(recent, '330109', education)).toBe(2);
      // The burst at 西湖区 was written before the look-back: this instance never read it; the other did.
      expect(await dayCounts(recent, xihu, 'CATEGORY_LABOR_SOCIAL_SECURITY')).toBe(0);
      if (!service) throw new Error('the service is not running');
      expect(await dayCounts(service, xihu, 'CATEGORY_LABOR_SOCIAL_SECURITY')).toBeGreaterThan(5);
    } finally {
      await recent.close();
    }
    // Its source groups, whose offsets it set, went with it.
    expect(await sourceGroups()).toEqual(groupsBefore);
  });
});
