import { devQueryCodeSecret, queryCodeVerifier } from '@petition/auth';
import { caseEvents, createBus, deadlineEvents, isolatedPrefix } from '@petition/bus';
import { Category, ClockStage, DeadlineEvent, PetitionKind, SupervisionGround } from '@petition/contract';
import { CaseRun, payloadOf, petition, realDirectory, unit } from '@petition/lifecycle/test-kit';
import { createLogger } from '@petition/logging';
import { testToken, waitFor } from '@petition/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracking, type Tracking } from './app.ts';
import { adviceConfidenceFloor } from './category-advice.ts';
import { loadTrackingConfig } from './config.ts';
import { cursorOf, kpiCsv, matchesSearch, pageAfter, positionOf, searchWords } from './finding.ts';

// Finding things over real HTTP against the real broker and Redis: 西湖区人社局 (330106-rsj) holds 240 cases
// (more than a page of 200), some awaiting acceptance, some of another category, a few run out; the test plays
// routing and the watchdog. The inbox is paged by cursor, filtered and searched; the boards are filtered; the
// KPI tables come as CSV that parses back to the JSON's numbers.

const logger = createLogger({ service: 'finding-test', level: process.env.LOG_LEVEL ?? 'warn' });
const prefix = isolatedPrefix('finding');
const bus = createBus({
  brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
  clientId: 'finding-test',
  logger,
  topicPrefix: prefix,
});
const directory = realDirectory();
const holder = '330106-rsj';
const stamp = Date.now().toString(36).toUpperCase();
const numberOf = (i: number) => `ZJ330106-20261120-${stamp}${String(i).padStart(4, '0')}`;
const HELD = 240;
const titles = (i: number) =>
  i === 7 ? 'Ｆactory 夜间施工噪音扰民' : i === 8 ? '劳动合同纠纷 经济补偿金' : `工资拖欠 第${i}号 某公司`;
const categoryOf = (i: number) =>
  i % 3 === 0 ? Category.CATEGORY_URBAN_RURAL_CONSTRUCTION : Category.CATEGORY_LABOR_SOCIAL_SECURITY;
/** Every fifth case is forwarded but not accepted yet. */
const awaiting = (i: number) => i % 5 === 0;
/** These run out. */
const late = new Set([3, 50, 201]);

const runs: CaseRun[] = [];
for (let i = 0; i < HELD; i++) {
  const run = new CaseRun({ now: '2026-11-20T10:00:00+08:00', directory, caseId: `fnd-${stamp}-${i}` });
  const caseNumber = numberOf(i);
  run.ok(undefined, {
    $case: 'registerPetition',
    value: {
      petition: petition({
        caseNumber,
        title: titles(i),
        category: categoryOf(i),
        queryCodeHash: queryCodeVerifier(devQueryCodeSecret, caseNumber, 'K7QZ-93MX'),
      }),
    },
  });
  run.ok(unit('330106-xfj'), { $case: 'forwardCase', value: { toUnitId: holder, toHandlingUnit: true, reason: '' } });
  if (!awaiting(i)) run.ok(unit(holder), { $case: 'acceptCase', value: { noticeDocumentUri: '' } });
  runs.push(run);
}
// Another unit's case, and an accusation against 西湖区信访局 held by 西湖区纪委 (art 30: kept from the bureau).
const other = new CaseRun({ now: '2026-11-20T10:00:00+08:00', directory, caseId: `fnd-${stamp}-other` });
other.ok(undefined, {
  $case: 'registerPetition',
  value: { petition: petition({ caseNumber: `${numberOf(9999)}-O` }) },
});
other.ok(unit('330106-xfj'), {
  $case: 'forwardCase',
  value: { toUnitId: '330106-zjj', toHandlingUnit: true, reason: '' },
});
const accusation = new CaseRun({ now: '2026-11-20T10:00:00+08:00', directory, caseId: `fnd-${stamp}-acc` });
accusation.ok(undefined, {
  $case: 'registerPetition',
  value: {
    petition: petition({
      caseNumber: `${numberOf(9999)}-A`,
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
// A case at 杭州市人社局 (prefecture level) that runs out too.
const city = new CaseRun({ now: '2026-11-20T10:00:00+08:00', directory, caseId: `fnd-${stamp}-city` });
city.ok(undefined, {
  $case: 'registerPetition',
  value: { petition: petition({ caseNumber: `ZJ330100-20261120-${stamp}C`, regionCode: '330100' }) },
});
city.ok(unit('330100-xfj'), {
  $case: 'forwardCase',
  value: { toUnitId: '330100-rsj', toHandlingUnit: true, reason: '' },
});
city.ok(unit('330100-rsj'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } });

// 督办单: 杭州市信访局 supervises cases 1 (answered), 2 (closed) and 4 (open); 西湖区信访局 case 6 (open).
const reportDue = new Date('2026-12-05T16:00:00Z');
const issue = (run: CaseRun, by: string) => {
  const [event] = run.ok(unit(by, 'supervisor-1'), {
    $case: 'issueSupervision',
    value: {
      ground: SupervisionGround.SUPERVISION_GROUND_SENSITIVE,
      instructions: '限期报告',
      reportDueTime: reportDue,
    },
  });
  return payloadOf(event, 'supervisionIssued').supervisionId;
};
const supervised = (i: number) => runs[i] as CaseRun;
const answered = issue(supervised(1), '330100-xfj');
supervised(1).ok(unit(holder), {
  $case: 'answerSupervision',
  value: { supervisionId: answered, report: { summary: '已约谈企业' } },
});
const closed = issue(supervised(2), '330100-xfj');
supervised(2).ok(unit('330100-xfj'), {
  $case: 'closeSupervision',
  value: { supervisionId: closed, conclusion: '予以办结' },
});
const open = issue(supervised(4), '330100-xfj');
const byPlace = issue(supervised(6), '330106-xfj');

let sequence = 0;
function clock(run: CaseRun, unitId: string, payloads: DeadlineEvent['payload'][]) {
  const clockId = `${run.caseId}:handling:3`;
  return payloads.map((payload) =>
    DeadlineEvent.fromPartial({
      envelope: { eventId: `fd-${stamp}-${++sequence}`, caseId: run.caseId, caseVersion: 3, occurTime: new Date() },
      clockId,
      stage: ClockStage.CLOCK_STAGE_HANDLING,
      responsibleUnitId: unitId,
      payload,
    }),
  );
}
const started = (due: string): DeadlineEvent['payload'] => ({
  $case: 'clockStarted',
  value: { dueTime: new Date(due), periodDays: 60, workingDays: false, holidayTableVersion: '' },
});
const breached = (due: string): DeadlineEvent['payload'] => ({
  $case: 'deadlineBreached',
  value: { dueTime: new Date(due), late: false },
});
const deadlines = [
  // A few dated cases sort first; the rest share the undated score, ordered by id.
  ...[10, 11, 12, 13].flatMap((i) => clock(supervised(i), holder, [started(`2027-01-${10 + i}T16:00:00Z`)])),
  ...[...late].flatMap((i) =>
    clock(supervised(i), holder, [started('2026-11-25T16:00:00Z'), breached('2026-11-25T16:00:00Z')]),
  ),
  ...clock(city, '330100-rsj', [started('2026-11-24T16:00:00Z'), breached('2026-11-24T16:00:00Z')]),
  ...clock(accusation, '330106-jw', [started('2026-11-24T16:00:00Z'), breached('2026-11-24T16:00:00Z')]),
];

let tracking: Tracking;
const env = {
  ...process.env,
  TOPIC_PREFIX: prefix,
  TRACKING_HTTP_PORT: '0',
  TRACKING_OPS_PORT: '0',
  TRACKING_HOST: '127.0.0.1',
};
const get = (path: string, unitId?: string) =>
  fetch(`${tracking.httpUrl}${path}`, { headers: unitId ? { authorization: `Bearer ${testToken(unitId)}` } : {} });
type Row = {
  caseId: string;
  caseNumber: string;
  title: string;
  state: string;
  category: string;
  kind: number;
  dueTime: string | null;
  overdue: boolean;
  supervised: boolean;
  leader: string | null;
  urges: number;
  suggestedCategory: { category: string; confidence: number } | null;
};
type Inbox = { unit: { unitId: string }; cases: Row[]; next: string | null; total: number };
async function inbox(query: string, unitId = holder, viewer = holder): Promise<Inbox> {
  const r = await get(`/v1/units/${unitId}/inbox${query}`, viewer);
  expect(r.status).toBe(200);
  return (await r.json()) as Inbox;
}
/** Every page of a query, following `next`; the rows in order and how many pages it took. */
async function allPages(query: string, limit: number, viewer = holder) {
  const rows: Row[] = [];
  let pages = 0;
  let cursor: string | null = null;
  do {
    const sep = query ? '&' : '?';
    const page: Inbox = await inbox(`${query}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, holder, viewer);
    rows.push(...page.cases);
    cursor = page.next;
    pages++;
    expect(pages).toBeLessThan(100);
  } while (cursor);
  return { rows, pages };
}

beforeAll(async () => {
  tracking = await startTracking(loadTrackingConfig(env), logger);
  const publisher = await bus.publisher();
  await publisher.publish(caseEvents, [
    ...runs.flatMap((r) => r.events),
    ...other.events,
    ...accusation.events,
    ...city.events,
  ]);
  await publisher.publish(deadlineEvents, deadlines);
  await waitFor('every case and clock read', async () => {
    const [all, overdue, board] = await Promise.all([
      get(`/v1/units/${holder}/inbox?limit=1`, holder).then((r) => r.json() as Promise<Inbox>),
      get(`/v1/units/${holder}/inbox?limit=1&overdue=true`, holder).then((r) => r.json() as Promise<Inbox>),
      get('/v1/regions/330000/overdue', '330000-xfj').then((r) => r.json() as Promise<{ cases: unknown[] }>),
    ]);
    return all.total === HELD && overdue.total === late.size && board.cases.length === late.size + 2;
  });
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

describe('the inbox', () => {
  it('pages past 200 cases by cursor, visiting every case once, soonest due first', async () => {
    const heldIds = new Set(runs.map((r) => r.caseId));
    for (const limit of [200, 50, 7]) {
      const { rows, pages } = await allPages('', limit);
      expect(pages).toBe(Math.ceil(HELD / limit));
      expect(rows.map((r) => r.caseId).sort()).toEqual([...heldIds].sort());
    }
    const { rows } = await allPages('', 200);
    // Run out first (their due times passed; equal, so by case id), then the dated, then the rest by case id.
    const byId = (ids: number[]) => ids.map((i) => supervised(i).caseId).sort();
    expect(rows.slice(0, 7).map((r) => r.caseId)).toEqual([
      ...byId([...late]),
      ...[10, 11, 12, 13].map((i) => supervised(i).caseId),
    ]);
    expect(rows.slice(7).every((r) => r.dueTime === null)).toBe(true);
    expect(rows.slice(7).map((r) => r.caseId)).toEqual(
      rows
        .slice(7)
        .map((r) => r.caseId)
        .sort(),
    );
    const first = await inbox('?limit=200');
    expect([first.cases.length, first.total]).toEqual([200, HELD]);
    expect(first.next).not.toBeNull();
    const second = await inbox(`?limit=200&cursor=${first.next}`);
    expect([second.cases.length, second.total, second.next]).toEqual([HELD - 200, HELD, null]);
  });

  it('answers each row with what the workbench lists', async () => {
    const byNumber = new Map((await allPages('', 200)).rows.map((r) => [r.caseNumber, r]));
    // Case 3 is about wages (工资拖欠, 某公司拖欠工资三个月) but registered under 城乡建设: the classifier advises
    // 劳动社保; case 1, registered under 劳动社保, gets no advice.
    const advice = byNumber.get(numberOf(3))?.suggestedCategory;
    expect(advice?.category).toBe('CATEGORY_LABOR_SOCIAL_SECURITY');
    expect(advice?.confidence).toBeGreaterThanOrEqual(adviceConfidenceFloor);
    expect(advice?.confidence).toBeLessThanOrEqual(1);
    expect(byNumber.get(numberOf(1))?.suggestedCategory).toBeNull();
    expect(byNumber.get(numberOf(3))).toEqual({
      caseId: supervised(3).caseId,
      caseNumber: numberOf(3),
      title: titles(3),
      state: 'CASE_STATE_ACCEPTED',
      category: 'CATEGORY_URBAN_RURAL_CONSTRUCTION',
      kind: PetitionKind.PETITION_KIND_COMPLAINT,
      dueTime: '2026-11-25T16:00:00.000Z',
      overdue: true,
      warned: false,
      supervised: false,
      leader: null,
      urges: 0,
      repeatCandidates: 0,
      suggestedCategory: advice,
    });
    expect(byNumber.get(numberOf(5))).toMatchObject({ state: 'CASE_STATE_AWAITING_ACCEPTANCE', overdue: false });
    // An open 督办单 (or one answered, not yet closed) marks a case supervised; a closed one no longer does.
    expect([1, 2, 4, 6].map((i) => byNumber.get(numberOf(i))?.supervised)).toEqual([true, false, true, true]);
  });

  it('filters by state, category and overdue, each alone and together, with the total of what passes', async () => {
    const expected = (pass: (i: number) => boolean) =>
      Array.from({ length: HELD }, (_, i) => i)
        .filter(pass)
        .map(numberOf)
        .sort();
    const numbers = async (query: string) => {
      const { rows } = await allPages(query, 40);
      const { total } = await inbox(query);
      expect(total).toBe(rows.length);
      return rows.map((r) => r.caseNumber).sort();
    };
    expect(await numbers('?state=CASE_STATE_AWAITING_ACCEPTANCE')).toEqual(expected(awaiting));
    expect(await numbers('?state=CASE_STATE_ACCEPTED')).toEqual(expected((i) => !awaiting(i)));
    expect(await numbers('?state=CASE_STATE_CLOSED')).toEqual([]);
    expect(await numbers('?category=CATEGORY_URBAN_RURAL_CONSTRUCTION')).toEqual(
      expected((i) => categoryOf(i) === Category.CATEGORY_URBAN_RURAL_CONSTRUCTION),
    );
    expect(await numbers('?overdue=true')).toEqual(expected((i) => late.has(i)));
    expect(await numbers('?overdue=false')).toEqual(expected((i) => !late.has(i)));
    expect(
      await numbers('?state=CASE_STATE_AWAITING_ACCEPTANCE&category=CATEGORY_URBAN_RURAL_CONSTRUCTION&overdue=false'),
    ).toEqual(expected((i) => awaiting(i) && i % 3 === 0 && !late.has(i)));
  });

  it('finds a case by its number exactly, or by every word of its title, in any case and width', async () => {
    const found = async (q: string) =>
      (await inbox(`?q=${encodeURIComponent(q)}&limit=200`)).cases.map((c) => c.caseNumber).sort();
    expect(await found(numberOf(42))).toEqual([numberOf(42)]);
    expect(await found(` ${numberOf(42)} `)).toEqual([numberOf(42)]);
    // Not a part of a number.
    expect(await found(numberOf(42).slice(0, -1))).toEqual([]);
    expect(await found('factory')).toEqual([numberOf(7)]);
    expect(await found('ＦＡＣＴＯＲＹ 噪音')).toEqual([numberOf(7)]);
    expect(await found('合同 补偿')).toEqual([numberOf(8)]);
    expect(await found('合同 工资')).toEqual([]);
    expect(await found('第42号')).toEqual([numberOf(42)]);
    expect((await inbox('?q=%E5%B7%A5%E8%B5%84%20%E6%8B%96%E6%AC%A0&limit=1')).total).toBe(HELD - 2);
    // Only among the unit's own: another unit's case by its number is not found here.
    expect(await found(`${numberOf(9999)}-O`)).toEqual([]);
    // A search with a filter.
    expect((await inbox(`?q=${encodeURIComponent('工资')}&state=CASE_STATE_AWAITING_ACCEPTANCE&limit=200`)).total).toBe(
      Array.from({ length: HELD }, (_, i) => i).filter((i) => awaiting(i) && i !== 7 && i !== 8).length,
    );
  });

  it('refuses a bad filter value with 400 naming the parameter, never a 5xx', async () => {
    for (const [query, field] of [
      ['state=ACCEPTED', 'state'],
      ['state=', 'state'],
      ['category=CATEGORY_NOPE', 'category'],
      ['overdue=yes', 'overdue'],
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
      ['limit=ten', 'limit'],
      ['cursor=not-a-cursor', 'cursor'],
      [`cursor=${Buffer.from('12 ').toString('base64url')}`, 'cursor'],
      ['q=', 'q'],
      ['q=%20%20', 'q'],
      [`q=${'x'.repeat(101)}`, 'q'],
    ] as const) {
      const r = await get(`/v1/units/${holder}/inbox?${query}`, holder);
      expect([query, r.status, r.headers.get('content-type')]).toEqual([
        query,
        400,
        'application/problem+json; charset=utf-8',
      ]);
      const body = (await r.json()) as { errors: { field: string; in: string }[]; detail: string };
      expect(body.errors[0]).toMatchObject({ field, in: 'query' });
      expect(body.detail).toContain(field);
    }
  });

  it('is the unit’s own, or a supervisor’s over it: another unit gets 403, and an accusation stays kept from the accused', async () => {
    const refused = await get(`/v1/units/${holder}/inbox`, '330106-zjj');
    expect([refused.status, ((await refused.json()) as { code: string }).code]).toEqual([403, 'NOT_YOUR_UNIT']);
    expect((await get(`/v1/units/${holder}/inbox`)).status).toBe(401);
    // Its own inbox holds its own case only.
    const zjj = await inbox('', '330106-zjj', '330106-zjj');
    expect(zjj.cases.map((c) => c.caseNumber)).toEqual([`${numberOf(9999)}-O`]);
    // 杭州市信访局 sees 纪委's inbox with the accusation; 西湖区信访局, the accused, sees an empty one counting none.
    expect((await inbox('', '330106-jw', '330100-xfj')).total).toBe(1);
    expect(await inbox(`?q=${encodeURIComponent(`${numberOf(9999)}-A`)}`, '330106-jw', '330106-xfj')).toMatchObject({
      cases: [],
      total: 0,
      next: null,
    });
    expect((await inbox('', '330106-jw', '330106-xfj')).total).toBe(0);
  });
});

describe('the boards', () => {
  type Overdue = { cases: { caseNumber: string; category: string; unit: { level: string } }[] };
  const overdue = async (query: string, region = '330000', viewer = '330000-xfj') => {
    const r = await get(`/v1/regions/${region}/overdue${query}`, viewer);
    expect(r.status).toBe(200);
    return ((await r.json()) as Overdue).cases.map((c) => c.caseNumber).sort();
  };

  it('filter the overdue board by category and by the level of the unit the clock runs against', async () => {
    const countyLate = [...late].map(numberOf);
    const cityLate = `ZJ330100-20261120-${stamp}C`;
    const accused = `${numberOf(9999)}-A`;
    expect(await overdue('')).toEqual([...countyLate, cityLate, accused].sort());
    expect(await overdue('?level=county')).toEqual([...countyLate, accused].sort());
    expect(await overdue('?level=prefecture')).toEqual([cityLate]);
    expect(await overdue('?category=CATEGORY_DISCIPLINE_SUPERVISION')).toEqual([accused]);
    expect(await overdue('?category=CATEGORY_URBAN_RURAL_CONSTRUCTION&level=county')).toEqual(
      [3, 50, 201].filter((i) => i % 3 === 0).map(numberOf),
    );
    // Art 30: the accused bureau's board of its own region leaves the accusation out, filtered or not.
    expect(await overdue('?level=county', '330106', '330106-xfj')).toEqual(countyLate.sort());
    const row = ((await (await get('/v1/regions/330000/overdue?level=prefecture', '330000-xfj')).json()) as Overdue)
      .cases[0];
    expect(row).toMatchObject({ category: 'CATEGORY_LABOR_SOCIAL_SECURITY', unit: { level: 'prefecture' } });
  });

  type Supervisions = {
    supervisions: {
      supervisionId: string;
      caseNumber: string;
      state: string;
      late: boolean;
      supervisingUnit: { unitId: string };
      supervisedUnit: { unitId: string; level: string };
      report: { summary: string } | null;
      closing: { conclusion: string } | null;
    }[];
  };
  const board = async (query: string, region = '330100', viewer = '330100-xfj') => {
    const r = await get(`/v1/regions/${region}/supervisions${query}`, viewer);
    expect(r.status).toBe(200);
    return ((await r.json()) as Supervisions).supervisions;
  };

  it('list the 督办单 of the region and below, filtered by state, category and level', async () => {
    await waitFor('the four 督办单', async () => (await board('')).length === 4);
    const all = await board('');
    expect(all.map((s) => s.supervisionId).sort()).toEqual([answered, closed, open, byPlace].sort());
    expect(all.find((s) => s.supervisionId === answered)).toMatchObject({
      caseNumber: numberOf(1),
      state: 'answered',
      supervisingUnit: { unitId: '330100-xfj' },
      supervisedUnit: { unitId: holder, level: 'county' },
      report: { summary: '已约谈企业' },
      closing: null,
    });
    expect(all.find((s) => s.supervisionId === closed)).toMatchObject({
      state: 'closed',
      closing: { conclusion: '予以办结' },
    });
    const ids = async (query: string, region?: string, viewer?: string) =>
      (await board(query, region, viewer)).map((s) => s.supervisionId).sort();
    expect(await ids('?state=open')).toEqual([open, byPlace].sort());
    expect(await ids('?state=answered')).toEqual([answered]);
    expect(await ids('?state=closed')).toEqual([closed]);
    expect(await ids('?level=county&state=open')).toEqual([open, byPlace].sort());
    expect(await ids('?level=prefecture')).toEqual([]);
    // Of the cases 1, 2, 4 and 6 only 6 is of 城乡建设 (every third case is).
    expect(await ids('?category=CATEGORY_URBAN_RURAL_CONSTRUCTION')).toEqual([byPlace]);
    // The region's own bureau sees them too; a region elsewhere has none.
    expect(await ids('', '330106', '330106-xfj')).toEqual([answered, closed, open, byPlace].sort());
    expect(await ids('', '330200', '330200-xfj')).toEqual([]);
  });

  it('refuse a bad filter with 400 naming it, and anyone not over the region with 403', async () => {
    for (const [path, field] of [
      ['/v1/regions/330100/overdue?level=city', 'level'],
      ['/v1/regions/330100/overdue?category=LAND', 'category'],
      ['/v1/regions/330100/supervisions?state=pending', 'state'],
      ['/v1/regions/330100/supervisions?level=', 'level'],
      ['/v1/regions/330100/supervisions?category=7', 'category'],
    ] as const) {
      const r = await get(path, '330100-xfj');
      expect([path, r.status]).toEqual([path, 400]);
      expect(((await r.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe(field);
    }
    for (const viewer of ['330106-rsj', '330106-xfj', '330200-xfj']) {
      expect((await get('/v1/regions/330100/supervisions', viewer)).status).toBe(403);
    }
    expect((await get('/v1/regions/330100/supervisions')).status).toBe(401);
  });
});

describe('KPI tables as CSV', () => {
  const period = 'from=2026-11-01&to=2026-12-31';
  /** RFC 4180 as kpiCsv writes it (quoted cells may hold commas and doubled quotes). */
  const parse = (text: string) =>
    text
      .trimEnd()
      .split('\r\n')
      .map((line) => [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(?:,|$)/g)].map((m) => m[1] ?? '').slice(0, -1))
      .map((cells) => cells.map((c) => (c.startsWith('"') ? c.slice(1, -1).replaceAll('""', '"') : c)));
  type Table = { header: string[]; rows: Record<string, string>[] };
  async function csv(path: string, viewer: string): Promise<Table> {
    const r = await get(`${path}?${period}`, viewer);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename="kpis-.+-2026-11-01-2026-12-31\.csv"$/);
    const bytes = new Uint8Array(await r.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const [header = [], ...lines] = parse(new TextDecoder().decode(bytes.slice(3)));
    return { header, rows: lines.map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']))) };
  }
  type Kpis = { counts: Record<string, number>; kpis: Record<string, number | null> };
  /** The row's numbers as the JSON has them: every counter (0 where not counted) and every KPI (null when empty). */
  const numbersOf = (row: Record<string, string>, json: Kpis) => ({
    counts: Object.fromEntries(Object.keys(json.counts).map((c) => [c, Number(row[c])])),
    kpis: Object.fromEntries(Object.keys(json.kpis).map((n) => [n, row[n] === '' ? null : Number(row[n])])),
  });

  it('a unit’s: the JSON’s counters and KPIs in one line, the header in Chinese', async () => {
    const json = (await (await get(`/v1/units/${holder}/kpis?${period}`, holder)).json()) as Kpis;
    expect(json.counts.breached).toBe(late.size);
    const { header, rows } = await csv(`/v1/units/${holder}/kpis.csv`, holder);
    expect(header.slice(0, 8)).toEqual([
      '范围',
      '单位编码',
      '单位名称',
      '层级',
      '区划代码',
      '日期',
      '起始日期',
      '截止日期',
    ]);
    expect(header).toEqual(
      expect.arrayContaining(['items', 'received', 'supervisionsIssued', ...Object.keys(json.kpis)]),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      范围: '单位',
      单位编码: holder,
      单位名称: '杭州市西湖区人力资源和社会保障局',
      层级: '县级',
      区划代码: '330106',
      起始日期: '2026-11-01',
      截止日期: '2026-12-31',
    });
    expect(numbersOf(rows[0] ?? {}, json)).toEqual({ counts: json.counts, kpis: json.kpis });
    // Every counter has its column, 0 where nothing was counted.
    expect(header.filter((h) => /^[a-z]/.test(h)).every((c) => rows[0]?.[c] !== '')).toBe(true);
  });

  it('a region’s: the total, a line per region and unit, a line per day — each the JSON’s numbers', async () => {
    type Region = Kpis & {
      rows: (Kpis & { kind: string; unitId: string; regionCode: string })[];
      trend: (Kpis & { day: string })[];
    };
    const json = (await (await get(`/v1/regions/330100/kpis?${period}`, '330100-xfj')).json()) as Region;
    expect(json.counts.items).toBeGreaterThan(HELD);
    const { rows } = await csv('/v1/regions/330100/kpis.csv', '330100-xfj');
    expect(rows).toHaveLength(1 + json.rows.length + json.trend.length);
    const [total, ...rest] = rows;
    expect(total).toMatchObject({ 范围: '合计', 单位编码: '330100-xfj', 区划代码: '330100', 层级: '地市级' });
    expect(numbersOf(total ?? {}, json)).toEqual({ counts: json.counts, kpis: json.kpis });
    json.rows.forEach((row, i) => {
      const line = rest[i] ?? {};
      expect([line.范围, line.单位编码, line.区划代码]).toEqual([
        row.kind === 'region' ? '下级区划' : '本级单位',
        row.unitId,
        row.regionCode,
      ]);
      expect(numbersOf(line, row)).toEqual({ counts: row.counts, kpis: row.kpis });
    });
    json.trend.forEach((day, i) => {
      const line = rest[json.rows.length + i] ?? {};
      expect([line.范围, line.日期]).toEqual(['按日', day.day]);
      expect(numbersOf(line, day)).toEqual({ counts: day.counts, kpis: day.kpis });
    });
    expect(rest.find((l) => l.日期 === '2026-11-20')?.items).toBe(String(json.counts.items));
  });

  it('answers as the JSON does: a bad period 400, another unit 403', async () => {
    const bad = await get(`/v1/units/${holder}/kpis.csv?from=2026-13-01`, holder);
    expect([bad.status, ((await bad.json()) as { code: string }).code]).toEqual([400, 'BAD_PERIOD']);
    expect((await get(`/v1/units/${holder}/kpis.csv`, '330106-zjj')).status).toBe(403);
    expect((await get('/v1/regions/330100/kpis.csv', holder)).status).toBe(403);
  });
});

describe('the pure rules', () => {
  it('pageAfter keeps a position by value: ties in score by member bytes, a gone member skipped past', () => {
    const set = [
      { score: 1, id: 'a' },
      { score: 2, id: 'a' },
      { score: 2, id: 'b' },
      { score: 2, id: 'c' },
      { score: 3, id: 'a' },
    ];
    const first = pageAfter(set, undefined, 2);
    expect(first.page.map((e) => `${e.score}${e.id}`)).toEqual(['1a', '2a']);
    const second = pageAfter(set, positionOf(first.next ?? ''), 2);
    expect(second.page.map((e) => `${e.score}${e.id}`)).toEqual(['2b', '2c']);
    // 2c left meanwhile: the page after it still starts at 3a.
    const without = set.filter((e) => !(e.score === 2 && e.id === 'c'));
    expect(pageAfter(without, positionOf(second.next ?? ''), 2)).toEqual({ page: [{ score: 3, id: 'a' }], next: null });
    expect(positionOf(cursorOf({ score: 8e12, id: 'case 1' }))).toEqual({ score: 8e12, id: 'case 1' });
    expect(positionOf('%%%')).toBeUndefined();
  });

  it('matchesSearch: the number exactly, or every word somewhere in the title', () => {
    const c = { caseNumber: 'ZJ1', title: '劳动合同纠纷 Overtime' };
    expect(matchesSearch('ZJ1', searchWords('ZJ1'), c)).toBe(true);
    expect(matchesSearch('zj1', searchWords('zj1'), c)).toBe(false);
    expect(matchesSearch('合同 overtime', searchWords('合同 overtime'), c)).toBe(true);
    expect(matchesSearch('合同 加班', searchWords('合同 加班'), c)).toBe(false);
  });

  it('kpiCsv quotes what needs it and keeps a formula from running', () => {
    const text = kpiCsv(
      { from: '2026-11-01', to: '2026-11-30' } as never,
      ['率'],
      [{ scope: '单位', unit: { unitId: 'u', name: '=HYPERLINK("x"), 局' }, counts: { items: 2 }, kpis: { 率: null } }],
    );
    expect(text.startsWith('\uFEFF范围,')).toBe(true);
    expect(text.split('\r\n')[1]).toMatch(/^单位,u,"'=HYPERLINK\(""x""\), 局",,,,2026-11-01,2026-11-30,2,0,/);
    expect(text.split('\r\n')[1]?.endsWith(',')).toBe(true);
  });
});
