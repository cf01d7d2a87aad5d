import { isolatedPrefix } from '@petition/bus';
import { type Intake, loadIntakeConfig, startIntake } from '@petition/intake';
import { createLogger } from '@petition/logging';
import { loadRoutingConfig, type Routing, startRouting } from '@petition/routing';
import { testToken, waitFor } from '@petition/testing';
import { loadTrackingConfig, startTracking, type Tracking } from '@petition/tracking';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anyPorts, oneClientLoadEnv, servicesEnv } from '../scripts/network.ts';

// Repeat petitions (art 19) over real HTTP, the real broker and Redis: the same person's petitions are
// registered at 西湖区信访局 through intake; routing decides the link or the flag; what staff see is read back
// from tracking's case view. Texts from packages/repeats/data/pairs.jsonl (same-01, same-21, different-01).

const logger = createLogger({ service: 'repeats-test', level: process.env.LOG_LEVEL ?? 'warn' });
const prefix = isolatedPrefix('repeats');
const env = {
  ...servicesEnv(process.env, { brokers: (process.env.KAFKA_BROKERS ?? '').split(','), prefix, ports: anyPorts }),
  INTAKE_OUTCOME_WAIT: '10s',
  ...oneClientLoadEnv,
};
const registrar = '330106-xfj';
const auth = { authorization: `Bearer ${testToken(registrar)}` };

let routing: Routing;
let intake: Intake;
let tracking: Tracking;

beforeAll(async () => {
  routing = await startRouting(loadRoutingConfig(env), logger);
  intake = await startIntake(loadIntakeConfig(env), logger);
  tracking = await startTracking(loadTrackingConfig(env), logger);
});

afterAll(async () => {
  await tracking?.close();
  await intake?.close();
  await routing?.close();
});

type Json = Record<string, unknown>;
interface Candidate {
  caseId: string;
  caseNumber: string;
  score: number;
  verdict?: string;
}
interface Registered {
  caseId: string;
  caseNumber: string;
  repeatCandidates: Candidate[];
  linkedAsRepeatOf?: Candidate;
}
interface StaffView {
  state: string;
  holder: { unitId: string };
  timeline: { step: string; detail?: string }[];
  repeats: {
    original: { caseId: string } | null;
    candidates: (Candidate & { answer: string; dismissal?: { unitId: string; reason: string } })[];
  };
}

const wageArrears = {
  title: '建筑公司拖欠工资',
  content:
    '我在西湖区某小区项目做木工，承包方杭州某建筑公司从今年三月起拖欠我和十二名工友的工资共计十八万元，多次找项目经理均被推脱，请求劳动监察部门督促支付。',
};
const reworded = {
  title: '再次反映拖欠工资问题',
  content:
    '我在西湖区某小区项目做木工，承包方杭州某建筑公司从今年三月开始拖欠我和十二名工友工资共十八万元，多次找项目经理都被推脱，上次反映后至今没有结果，请求督促尽快支付。',
};
const trivialEdit = {
  title: '建筑公司拖欠工资',
  content:
    '我在西湖区某小区项目做木工，承包方杭州某建筑公司从今年3月起拖欠我和12名工友的工资共计18万元，多次找项目经理均被推脱，请求劳动监察部门督促支付！',
};
const otherMatter = {
  title: '小区夜间施工噪音扰民',
  content: '我家楼下的工地每天夜里十一点以后还在打桩施工，噪音很大，老人孩子无法休息，请求环保部门查处。',
};
const personA = { name: '王五', idNumber: '11010519491231002X', phone: '13800000000', address: '杭州市西湖区' };
const personB = { name: '李四', phone: '13900000001', address: '杭州市西湖区' };

async function post(url: string, body: Json, unitId = registrar) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${testToken(unitId)}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function file(matter: { title: string; content: string }, petitioner: Json = personA): Promise<Registered> {
  const r = await post(`${intake.httpUrl}/v1/petitions`, {
    channel: 'VISIT',
    petitioner,
    regionCode: '330106',
    category: '劳动社保',
    kind: '申诉求决',
    ...matter,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as unknown as Registered;
}

async function staffView(caseId: string): Promise<StaffView | undefined> {
  const res = await fetch(`${tracking.httpUrl}/v1/cases/${caseId}`, { headers: auth });
  return res.status === 200 ? ((await res.json()) as StaffView) : undefined;
}
/** How many repeat candidates the holder's inbox marks on the case (its workbench's 疑似重复). */
async function inboxMark(unitId: string, caseId: string): Promise<number | undefined> {
  const res = await fetch(`${tracking.httpUrl}/v1/units/${unitId}/inbox?limit=200`, {
    headers: { authorization: `Bearer ${testToken(unitId)}` },
  });
  expect(res.status).toBe(200);
  const { cases } = (await res.json()) as { cases: { caseId: string; repeatCandidates: number }[] };
  return cases.find((c) => c.caseId === caseId)?.repeatCandidates;
}

async function seen(caseId: string, what: string, ready: (v: StaffView) => boolean): Promise<StaffView> {
  let last: StaffView | undefined;
  await waitFor(what, async () => {
    last = await staffView(caseId);
    return last !== undefined && ready(last);
  });
  return last as StaffView;
}

describe('repeat petitions of one person (art 19)', () => {
  let first: Registered;
  let again: Registered;
  /** Where routing sent the reworded case: its staff answer the candidates. */
  let holder = '';

  it('a first petition finds nothing', async () => {
    first = await file(wageArrears);
    expect(first.repeatCandidates).toEqual([]);
    await seen(first.caseId, 'the first case registered', () => true);
  });

  it('the same matter reworded by the same person is flagged with the earlier case as candidate', async () => {
    again = await file(reworded);
    expect(again.repeatCandidates).toHaveLength(1);
    const [candidate] = again.repeatCandidates;
    expect(candidate).toMatchObject({ caseId: first.caseId, caseNumber: first.caseNumber, verdict: 'candidate' });
    expect(candidate?.score).toBeGreaterThanOrEqual(0.27);
    expect(candidate?.score).toBeLessThan(0.8);
    expect(again.linkedAsRepeatOf).toBeUndefined();
    const v = await seen(again.caseId, 'the candidate on the case view', (x) => x.repeats.candidates.length > 0);
    // Flagging moves nothing: the case went on as routing sends it (to the county's 人社局).
    expect(v.state).toBe('CASE_STATE_AWAITING_ACCEPTANCE');
    holder = v.holder.unitId;
    await waitFor('the inbox mark', async () => (await inboxMark(holder, again.caseId)) === 1);
    expect(v.repeats.candidates).toEqual([
      expect.objectContaining({ caseId: first.caseId, caseNumber: first.caseNumber, answer: 'open' }),
    ]);
    expect(v.timeline.map((e) => e.step)).toContain('repeatCandidatesFlagged');
  });

  it('a resubmission with trivial edits is linked to the earlier case automatically', async () => {
    const resubmitted = await file(trivialEdit);
    expect(resubmitted.linkedAsRepeatOf).toMatchObject({ caseId: first.caseId, verdict: 'exact' });
    const v = await seen(resubmitted.caseId, 'the link', (x) => x.state === 'CASE_STATE_LINKED_AS_REPEAT');
    expect(v.repeats.original?.caseId).toBe(first.caseId);
    expect(v.timeline.find((e) => e.step === 'caseLinkedAsRepeat')?.detail).toContain(first.caseNumber);
  });

  it('a different matter by the same person is no repeat', async () => {
    const other = await file(otherMatter);
    expect(other.repeatCandidates).toEqual([]);
  });

  it('the same text from another person is no repeat', async () => {
    const someoneElse = await file(wageArrears, personB);
    expect(someoneElse.repeatCandidates).toEqual([]);
  });

  it('an exact repeat of a case not accepted is put before staff, not linked (whatever intake knew then)', async () => {
    const personC = { name: '孙七', phone: '13900000007', address: '杭州市西湖区' };
    const closed = await file(wageArrears, personC);
    const v = await seen(
      closed.caseId,
      'the case at its handling unit',
      (x) => x.state === 'CASE_STATE_AWAITING_ACCEPTANCE',
    );
    const refusedToAccept = await post(
      `${intake.httpUrl}/v1/cases/${closed.caseId}/not-accept`,
      { reason: 'NOT_ACCEPTED_REASON_OUTSIDE_PETITION_SCOPE', reasonText: '属于劳动仲裁范围' },
      v.holder.unitId,
    );
    expect(refusedToAccept.status, JSON.stringify(refusedToAccept.body)).toBe(200);
    // At once: intake's index may not have seen the closing yet, then it asks for a link, routing refuses it
    // (the original is not in progress) and intake flags the candidate instead.
    const resubmitted = await file(trivialEdit, personC);
    expect(resubmitted.repeatCandidates.map((c) => c.caseId)).toEqual([closed.caseId]);
    const after = await seen(resubmitted.caseId, 'the candidate flagged', (x) => x.repeats.candidates.length > 0);
    expect(after.state).not.toBe('CASE_STATE_LINKED_AS_REPEAT');
    expect(after.repeats.candidates).toEqual([expect.objectContaining({ caseId: closed.caseId, answer: 'open' })]);
  });

  it('staff dismiss the candidate; the answer is kept on the timeline and given once', async () => {
    const url = `${intake.httpUrl}/v1/cases/${again.caseId}/dismiss-repeat-candidate`;
    const dismissed = await post(url, { candidateCaseId: first.caseId, reason: '前案为另一工地' }, holder);
    expect(dismissed.status, JSON.stringify(dismissed.body)).toBe(200);
    expect(dismissed.body.event).toMatchObject({
      repeatCandidateDismissed: { candidateCaseId: first.caseId, unitId: holder, reason: '前案为另一工地' },
    });
    const v = await seen(again.caseId, 'the dismissal', (x) => x.repeats.candidates[0]?.answer === 'dismissed');
    expect(v.repeats.candidates[0]?.dismissal).toMatchObject({ unitId: holder, reason: '前案为另一工地' });
    expect(v.timeline.map((e) => e.step)).toEqual(
      expect.arrayContaining(['repeatCandidatesFlagged', 'repeatCandidateDismissed']),
    );
    await waitFor('the inbox mark gone', async () => (await inboxMark(holder, again.caseId)) === 0);
    const twice = await post(url, { candidateCaseId: first.caseId, reason: '再次排除' }, holder);
    expect(twice.body.code, JSON.stringify(twice.body)).toBe('NOT_A_REPEAT_CANDIDATE');
    expect(twice.status).toBeGreaterThanOrEqual(400);
  });
});
