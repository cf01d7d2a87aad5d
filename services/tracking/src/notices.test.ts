import { devQueryCodeSecret, queryCodeVerifier } from '@petition/auth';
import { caseEvents, createBus, inAppNotices, isolatedPrefix, noticeReads, on } from '@petition/bus';
import { InAppNoticeEvent, RecipientKind } from '@petition/contract';
import { CaseRun, petition, realDirectory, unit } from '@petition/lifecycle/test-kit';
import { createLogger } from '@petition/logging';
import { testToken, waitFor } from '@petition/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracking, type Tracking } from './app.ts';
import { loadTrackingConfig } from './config.ts';
import { type KeptNotices, noticeWrites } from './notices.ts';

// The in-app inbox over real HTTP against the real broker and Redis: the test plays notification, posting
// notices on in-app-notices (one of them twice), and reads them as a unit's staff and as a petitioner with
// the case number and query code; read marks go onto the topic, and come back the same after a flush.

const logger = createLogger({ service: 'notices-test', level: process.env.LOG_LEVEL ?? 'warn' });
const prefix = isolatedPrefix('notices');
const bus = createBus({
  brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
  clientId: 'notices-test',
  logger,
  topicPrefix: prefix,
});
const directory = realDirectory();
const stamp = Date.now().toString(36).toUpperCase();
const holder = '330106-rsj';
const person = `person-${stamp}`;

/** A case of `personId`, registered and held by 西湖区人社局, with its number and query code. */
function aCase(tag: string, personId: string, code: string) {
  const caseNumber = `ZJ330106-20261120-${stamp}${tag}`;
  const run = new CaseRun({ now: '2026-11-20T10:00:00+08:00', directory, caseId: `ntc-${stamp}-${tag}` });
  run.ok(undefined, {
    $case: 'registerPetition',
    value: {
      petition: petition({
        caseNumber,
        petitioner: { personId },
        queryCodeHash: queryCodeVerifier(devQueryCodeSecret, caseNumber, code),
      }),
    },
  });
  run.ok(unit('330106-xfj'), { $case: 'forwardCase', value: { toUnitId: holder, toHandlingUnit: true, reason: '' } });
  return { caseId: run.caseId, caseNumber, code, events: run.events };
}
// The person's two cases, and another petitioner's.
const mine = aCase('P', person, 'MINE-0001');
const mySecond = aCase('S', person, 'MINE-0002');
const theirs = aCase('T', `other-${stamp}`, 'THEIRS-001');

let minute = 0;
function posted(
  noticeId: string,
  to: { kind: RecipientKind; id: string },
  c: { caseId: string; caseNumber: string },
  subject: string,
  urgent = false,
) {
  return InAppNoticeEvent.fromPartial({
    payload: {
      $case: 'posted',
      value: {
        noticeId: `${stamp}-${noticeId}`,
        recipientKind: to.kind,
        recipientId: to.id,
        caseId: c.caseId,
        caseNumber: c.caseNumber,
        templateId: 'test.notice',
        subject,
        body: `${subject}：详见案件页`,
        postTime: new Date(Date.parse('2026-11-20T02:00:00Z') + ++minute * 60_000),
        sourceEventId: `ev-${noticeId}`,
        urgent,
      },
    },
  });
}
const toUnit = (id: string) => ({ kind: RecipientKind.RECIPIENT_KIND_UNIT, id });
const toPetitioner = (id: string) => ({ kind: RecipientKind.RECIPIENT_KIND_PETITIONER, id });
const id = (name: string) => `${stamp}-${name}`;
const notices = [
  posted('u1', toUnit(holder), mine, '新件待受理'),
  posted('u2', toUnit(holder), mySecond, '新件待受理'),
  posted('u3', toUnit(holder), theirs, '督办', true),
  posted('z1', toUnit('330106-zjj'), theirs, '另一单位的通知'),
  posted('p1', toPetitioner(person), mine, '您的信访事项已转送'),
  posted('p2', toPetitioner(person), mine, '您的信访事项已受理', true),
  posted('s1', toPetitioner(person), mySecond, '您的另一件信访事项已转送'),
  posted('t1', toPetitioner(`other-${stamp}`), theirs, '他人的通知'),
];
// Delivered again (a notification that restarted before it recorded the delivery): kept once.
const again = notices[0] as InAppNoticeEvent;

let tracking: Tracking;
const env = {
  ...process.env,
  TOPIC_PREFIX: prefix,
  TRACKING_HTTP_PORT: '0',
  TRACKING_OPS_PORT: '0',
  TRACKING_HOST: '127.0.0.1',
  TRACKING_GUESS_LIMIT: '6',
};
type Page = {
  notices: { noticeId: string; caseNumber: string; subject: string; urgent: boolean; read: boolean }[];
  unread: number;
  next: string | null;
};
const staff = (unitId: string) => ({ authorization: `Bearer ${testToken(unitId, { staffId: `clerk@${unitId}` })}` });
const call = (path: string, headers: Record<string, string> = {}, body?: unknown) =>
  fetch(`${tracking.httpUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
async function ok<T>(res: Response | Promise<Response>): Promise<T> {
  const r = await res;
  expect(r.status).toBe(200);
  return (await r.json()) as T;
}
const unitPage = (query = '', unitId = holder) => ok<Page>(call(`/v1/units/${unitId}/notices${query}`, staff(unitId)));
const petitionerPage = (c: { caseNumber: string; code: string }, query = '') =>
  ok<Page & { caseNumber: string }>(call(`/v1/cases/${c.caseNumber}/notices${query}`, { 'x-query-code': c.code }));
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
/** Every case read (a petitioner's call before would count as a wrong guess). */
const casesKnown = async () =>
  (await redis.exists(...[mine, mySecond, theirs].map((c) => `${prefix}trk:n:${c.caseNumber}`))) === 3;

beforeAll(async () => {
  tracking = await startTracking(loadTrackingConfig(env), logger);
  const publisher = await bus.publisher();
  await publisher.publish(caseEvents, [...mine.events, ...mySecond.events, ...theirs.events]);
  await publisher.publish(inAppNotices, [...notices, again]);
  await waitFor(
    'the notices and the cases',
    async () =>
      (await casesKnown()) &&
      (await unitPage()).unread === 3 &&
      (await unitPage('', '330106-zjj')).unread === 1 &&
      (await petitionerPage(mine)).unread === 2 &&
      (await petitionerPage(mySecond)).unread === 1 &&
      (await petitionerPage(theirs)).unread === 1,
  );
});

afterAll(async () => {
  await tracking?.close();
  await bus.deleteOwnTopics();
  await bus.close();
  const keys = await redis.keys(`${prefix}trk:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('a unit’s notices', () => {
  it('lists its own, newest first, each once however often delivered, a page at a time', async () => {
    const all = await unitPage();
    expect(all).toEqual({
      notices: [
        expect.objectContaining({
          noticeId: id('u3'),
          caseId: theirs.caseId,
          caseNumber: theirs.caseNumber,
          subject: '督办',
          body: '督办：详见案件页',
          time: '2026-11-20T02:03:00.000Z',
          urgent: true,
          read: false,
        }),
        expect.objectContaining({ noticeId: id('u2'), caseNumber: mySecond.caseNumber, urgent: false }),
        expect.objectContaining({ noticeId: id('u1'), caseNumber: mine.caseNumber }),
      ],
      unread: 3,
      next: null,
    });
    expect(Object.keys(all.notices[0] ?? {}).sort()).toEqual(
      ['noticeId', 'caseId', 'caseNumber', 'subject', 'body', 'time', 'urgent', 'read'].sort(),
    );
    const first = await unitPage('?limit=2');
    expect(first.notices.map((n) => n.noticeId)).toEqual([id('u3'), id('u2')]);
    expect(first.next).not.toBeNull();
    const second = await unitPage(`?limit=2&cursor=${first.next}`);
    expect([second.notices.map((n) => n.noticeId), second.next, second.unread]).toEqual([[id('u1')], null, 3]);
  });

  it('is its own staff’s only: another unit, a supervisor above it and no token are refused', async () => {
    for (const other of ['330106-zjj', '330106-xfj', '330100-xfj']) {
      const r = await call(`/v1/units/${holder}/notices`, staff(other));
      expect([other, r.status, ((await r.json()) as { code: string }).code]).toEqual([other, 403, 'NOT_YOUR_UNIT']);
      const marking = await call(`/v1/units/${holder}/notices/read`, staff(other), { all: true });
      expect([other, marking.status]).toEqual([other, 403]);
    }
    expect((await call(`/v1/units/${holder}/notices`)).status).toBe(401);
    // 住建局 reads its own, which 人社局 never sees.
    expect((await unitPage('', '330106-zjj')).notices.map((n) => n.noticeId)).toEqual([id('z1')]);
    expect((await unitPage()).notices.map((n) => n.noticeId)).not.toContain(id('z1'));
    // Nothing was marked by the refused calls.
    expect((await unitPage()).unread).toBe(3);
  });

  it('marks the notices named read, or all; the unread filter and count follow', async () => {
    const marked = await ok<{ marked: string[]; unread: number }>(
      call(`/v1/units/${holder}/notices/read`, staff(holder), { noticeIds: [id('u1'), id('u1')] }),
    );
    expect(marked).toEqual({ marked: [id('u1')], unread: 2 });
    // At once, without waiting for the topic.
    const page = await unitPage();
    expect(page.notices.map((n) => [n.noticeId, n.read])).toEqual([
      [id('u3'), false],
      [id('u2'), false],
      [id('u1'), true],
    ]);
    expect((await unitPage('?unread=true')).notices.map((n) => n.noticeId)).toEqual([id('u3'), id('u2')]);
    // Marking one already read marks nothing again.
    expect(await ok(call(`/v1/units/${holder}/notices/read`, staff(holder), { noticeIds: [id('u1')] }))).toEqual({
      marked: [],
      unread: 2,
    });
    // Another unit's notice is none of this inbox's: refused naming it, nothing marked.
    const foreign = await call(`/v1/units/${holder}/notices/read`, staff(holder), {
      noticeIds: [id('u2'), id('z1')],
    });
    expect(foreign.status).toBe(400);
    expect(((await foreign.json()) as { errors: unknown[] }).errors).toEqual([
      { field: '/noticeIds/1', message: 'is no notice of this inbox' },
    ]);
    expect((await unitPage('', '330106-zjj')).unread).toBe(1);
    expect((await unitPage()).unread).toBe(2);
    const all = await ok<{ marked: string[]; unread: number }>(
      call(`/v1/units/${holder}/notices/read`, staff(holder), { all: true }),
    );
    expect([all.marked.sort(), all.unread]).toEqual([[id('u2'), id('u3')].sort(), 0]);
    expect((await unitPage('?unread=true')).notices).toEqual([]);
  });

  it('puts each read mark on notice-reads, by whom and for which recipient', async () => {
    const seen: InAppNoticeEvent[] = [];
    const reader = bus.consumer({
      groupId: `notices-test-reader-${stamp}`,
      fromBeginning: true,
      subscriptions: [
        on(noticeReads, async (r) => {
          seen.push(r.value);
        }),
      ],
    });
    await reader.start();
    try {
      await waitFor('the marks on the topic', () => seen.filter((e) => e.payload?.$case === 'read').length >= 2);
      const marks = seen.flatMap((e) => (e.payload?.$case === 'read' ? [e.payload.value] : []));
      expect(marks.map((m) => [m.recipientKind, m.recipientId, m.reader, [...m.noticeIds].sort()])).toEqual([
        [RecipientKind.RECIPIENT_KIND_UNIT, holder, `clerk@${holder}`, [id('u1')]],
        [RecipientKind.RECIPIENT_KIND_UNIT, holder, `clerk@${holder}`, [id('u2'), id('u3')].sort()],
      ]);
    } finally {
      await reader.stop();
    }
  });

  it('refuses a body that names nothing to mark, or too much, with 400', async () => {
    for (const body of [
      {},
      { noticeIds: [] },
      { all: false },
      { noticeIds: [id('u1')], all: true },
      { noticeIds: 'x' },
    ]) {
      const r = await call(`/v1/units/${holder}/notices/read`, staff(holder), body);
      expect([JSON.stringify(body), r.status]).toEqual([JSON.stringify(body), 400]);
    }
    const tooMany = Array.from({ length: 501 }, (_, i) => `n${i}`);
    expect((await call(`/v1/units/${holder}/notices/read`, staff(holder), { noticeIds: tooMany })).status).toBe(400);
    for (const query of ['?limit=0', '?limit=201', '?cursor=abc', '?unread=yes']) {
      expect([query, (await call(`/v1/units/${holder}/notices${query}`, staff(holder))).status]).toEqual([query, 400]);
    }
  });
});

describe('a petitioner’s notices', () => {
  it('are those to the case’s petitioner about that case — not their other case’s, not anyone else’s', async () => {
    const page = await petitionerPage(mine);
    expect(page).toMatchObject({ caseNumber: mine.caseNumber, unread: 2, next: null });
    expect(page.notices.map((n) => [n.noticeId, n.subject, n.urgent])).toEqual([
      [id('p2'), '您的信访事项已受理', true],
      [id('p1'), '您的信访事项已转送', false],
    ]);
    expect(Object.keys(page.notices[0] ?? {}).sort()).toEqual(
      ['noticeId', 'caseNumber', 'subject', 'body', 'time', 'urgent', 'read'].sort(),
    );
    expect((await petitionerPage(mySecond)).notices.map((n) => n.noticeId)).toEqual([id('s1')]);
    expect((await petitionerPage(theirs)).notices.map((n) => n.noticeId)).toEqual([id('t1')]);
  });

  it('are marked read with the query code only, and only theirs', async () => {
    const refused = await call(
      `/v1/cases/${mine.caseNumber}/notices/read`,
      { 'x-query-code': mine.code },
      { noticeIds: [id('t1')] },
    );
    expect(refused.status).toBe(400);
    const marked = await ok<{ marked: string[]; unread: number }>(
      call(`/v1/cases/${mine.caseNumber}/notices/read`, { 'x-query-code': mine.code }, { noticeIds: [id('p1')] }),
    );
    expect(marked).toEqual({ marked: [id('p1')], unread: 1 });
    expect((await petitionerPage(mine, '?unread=true')).notices.map((n) => n.noticeId)).toEqual([id('p2')]);
    // The same person's other case, and the other petitioner's, are untouched.
    expect([(await petitionerPage(mySecond)).unread, (await petitionerPage(theirs)).unread]).toEqual([1, 1]);
  });

  it('give nothing to a wrong or missing query code, or one in the URL; guessing is limited as for the case', async () => {
    const wrong = await call(`/v1/cases/${mine.caseNumber}/notices`, { 'x-query-code': theirs.code });
    expect([wrong.status, ((await wrong.json()) as { code: string }).code]).toEqual([404, 'CASE_NOT_FOUND']);
    const wrongMark = await call(
      `/v1/cases/${mine.caseNumber}/notices/read`,
      { 'x-query-code': 'NOPE' },
      { all: true },
    );
    expect(wrongMark.status).toBe(404);
    expect((await call(`/v1/cases/${mine.caseNumber}/notices`)).status).toBe(400);
    const inUrl = await call(`/v1/cases/${mine.caseNumber}/notices?queryCode=${mine.code}`, {
      'x-query-code': mine.code,
    });
    expect([inUrl.status, ((await inUrl.json()) as { code: string }).code]).toEqual([400, 'QUERY_CODE_IN_URL']);
    // A staff token opens no petitioner's notices.
    expect((await call(`/v1/cases/${mine.caseNumber}/notices`, staff(holder))).status).toBe(400);
    expect((await petitionerPage(mine)).unread).toBe(1);
  });
});

describe('after a flush', () => {
  it('rebuilds the notices and their read marks from the topic', async () => {
    const views = async () => ({
      unit: await unitPage(),
      other: await unitPage('', '330106-zjj'),
      mine: await petitionerPage(mine),
      second: await petitionerPage(mySecond),
    });
    const before = await views();
    expect([before.unit.unread, before.mine.unread]).toEqual([0, 1]);
    await tracking.close();
    const keys = await redis.keys(`${prefix}trk:*`);
    expect(keys.length).toBeGreaterThan(10);
    await redis.del(...keys);
    tracking = await startTracking(loadTrackingConfig(env), logger);
    await waitFor(
      'the rebuild',
      async () => (await casesKnown()) && JSON.stringify(await views()) === JSON.stringify(before),
    );
    expect(await views()).toEqual(before);
  });

  it('then turns a guesser away (429) from the notices as from the case', async () => {
    for (let i = 0; i < 6; i++) await call(`/v1/cases/${mine.caseNumber}/notices`, { 'x-query-code': `WRONG-${i}` });
    const r = await call(`/v1/cases/${mine.caseNumber}/notices`, { 'x-query-code': mine.code });
    expect(r.status).toBe(429);
    expect((await call(`/v1/cases/${mine.caseNumber}`, { 'x-query-code': mine.code })).status).toBe(429);
  });
});

describe('noticeWrites', () => {
  it('posts a notice once, and reads only the notices kept, on their shelf', () => {
    const kept: KeptNotices = new Map();
    const [first, , , , mineP1] = notices as [InAppNoticeEvent, ...InAppNoticeEvent[]];
    const read = (to: { kind: RecipientKind; id: string }, ids: string[]) =>
      InAppNoticeEvent.fromPartial({
        payload: { $case: 'read', value: { recipientKind: to.kind, recipientId: to.id, noticeIds: ids } },
      });
    const writes = noticeWrites(
      [
        { value: first, offset: '5' },
        { value: first, offset: '9' },
        { value: mineP1 as InAppNoticeEvent, offset: '6' },
        { value: read(toUnit(holder), [id('u1'), id('nothing')]) },
        { value: read(toPetitioner(person), [id('p1')]) },
        // A subscriber's notice is no inbox's.
        { value: posted('w1', { kind: RecipientKind.RECIPIENT_KIND_SUBSCRIBER, id: 'sub-1' }, mine, 'x'), offset: '7' },
      ],
      kept,
    );
    expect(writes.map((w) => ('post' in w ? `post ${w.shelf} ${w.score}` : `read ${w.shelf} ${w.read}`))).toEqual([
      `post unit:${holder} 5`,
      `post petitioner:${person}:${mine.caseId} 6`,
      `read unit:${holder} ${id('u1')}`,
      // A mark of a notice not kept (yet) is kept for its recipient, on no shelf.
      `read undefined ${id('nothing')}`,
      `read petitioner:${person}:${mine.caseId} ${id('p1')}`,
    ]);
  });

  it('keeps a notice whose mark came first (notice-reads is read apart) off the unread', () => {
    const [first] = notices as [InAppNoticeEvent, ...InAppNoticeEvent[]];
    const markFirst = InAppNoticeEvent.fromPartial({
      payload: {
        $case: 'read',
        value: { recipientKind: toUnit(holder).kind, recipientId: holder, noticeIds: [id('u1')] },
      },
    });
    const marks = new Map<string, Set<string>>();
    const [mark] = noticeWrites([{ value: markFirst }], new Map(), marks);
    expect(mark).toEqual({ read: id('u1'), recipient: `unit:${holder}` });
    const [post] = noticeWrites([{ value: first, offset: '5' }], new Map(), marks);
    expect(post && 'post' in post && post.read).toBe(true);
    const [unmarked] = noticeWrites([{ value: first, offset: '5' }], new Map(), new Map());
    expect(unmarked && 'post' in unmarked && unmarked.read).toBe(false);
  });
});
