import { createBus, isolatedPrefix, units } from '@petition/bus';
import { loadWatchdogConfig, startWatchdog, type Watchdog } from '@petition/deadline-watchdog';
import { nationalDirectory, unitMerged } from '@petition/directory';
import { type Intake, loadIntakeConfig, startIntake } from '@petition/intake';
import { createLogger } from '@petition/logging';
import { loadRoutingConfig, type Routing, startRouting } from '@petition/routing';
import { seeded, startSimulator } from '@petition/simulator';
import { nextResidentId, testToken, waitFor } from '@petition/testing';
import { loadTrackingConfig, startTracking, type Tracking } from '@petition/tracking';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anyPorts, oneClientLoadEnv, servicesEnv } from '../scripts/network.ts';

// The whole pipeline over real HTTP against the real broker and Redis: petitions and actions enter at
// intake; routing decides; the watchdog keeps the clocks (on a clock the test moves); what petitioners,
// units and supervisors see is read back from tracking — nothing is looked up inside a service.

const logger = createLogger({ service: 'e2e-test', level: process.env.LOG_LEVEL ?? 'warn' });
const prefix = isolatedPrefix('e2e');
const env = {
  ...servicesEnv(process.env, { brokers: (process.env.KAFKA_BROKERS ?? '').split(','), prefix, ports: anyPorts }),
  INTAKE_OUTCOME_WAIT: '10s',
  WATCHDOG_TICK: '200ms',
  ...oneClientLoadEnv,
};
const auth = (unitId: string) => ({ authorization: `Bearer ${testToken(unitId)}` });
const DAY = 86_400_000;

let routing: Routing;
let watchdog: Watchdog;
let intake: Intake;
let tracking: Tracking;
/** The watchdog's time: real time until the late case moves it on. */
let shift = 0;

beforeAll(async () => {
  routing = await startRouting(loadRoutingConfig(env), logger);
  watchdog = await startWatchdog(loadWatchdogConfig(env), logger, { now: () => new Date(Date.now() + shift) });
  intake = await startIntake(loadIntakeConfig(env), logger);
  tracking = await startTracking(loadTrackingConfig(env), logger);
});

afterAll(async () => {
  await tracking?.close();
  await intake?.close();
  await watchdog?.close();
  await routing?.close();
});

interface Filed {
  caseId: string;
  caseNumber: string;
  queryCode: string;
}
type Json = Record<string, unknown>;

async function post(url: string, body: Json, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

/** A petition as a petitioner files it online, or as a unit registers it (with its token). */
async function file(over: Json = {}, unitId?: string): Promise<Filed> {
  const r = await post(
    `${intake.httpUrl}/v1/petitions`,
    {
      channel: 'WEB',
      petitioner: { name: '王五', idNumber: nextResidentId(), phone: '13800000000', address: '杭州市西湖区' },
      regionCode: '330106',
      category: '劳动社保',
      kind: '申诉求决',
      title: '拖欠工资',
      content: '某公司拖欠工资三个月，请求处理。',
      ...over,
    },
    unitId ? auth(unitId) : {},
  );
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as unknown as Filed;
}

/** A unit's action through intake: the resulting event's state and holder, or routing's refusal code. */
async function act(unitId: string, c: Filed, path: string, body: Json = {}) {
  const r = await post(`${intake.httpUrl}/v1/cases/${c.caseId}/${path}`, body, auth(unitId));
  const event = r.body.event as { state?: string; custodyUnitId?: string } | undefined;
  return { status: r.status, state: event?.state, holder: event?.custodyUnitId, code: r.body.code as string };
}

async function asPetitioner(c: Filed, path: string, body: Json = {}) {
  const r = await post(`${intake.httpUrl}/v1/petitioner/${path}`, {
    caseNumber: c.caseNumber,
    queryCode: c.queryCode,
    ...body,
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return (r.body.event as { state: string }).state;
}

interface View {
  state: string;
  holder?: { unitId: string };
  timeline: { step: string; unitId: string }[];
  clocks: { stage: string; state: string; unitId: string; warned?: boolean }[];
}
/** The case as its petitioner follows it on tracking. */
async function view(c: Filed): Promise<View | undefined> {
  const res = await fetch(`${tracking.httpUrl}/v1/cases/${c.caseNumber}`, { headers: { 'x-query-code': c.queryCode } });
  return res.status === 200 ? ((await res.json()) as View) : undefined;
}
/** Waits until tracking shows the case as `ready` says. */
async function seen(c: Filed, what: string, ready: (v: View) => boolean): Promise<View> {
  let last: View | undefined;
  await waitFor(what, async () => {
    last = await view(c);
    return last !== undefined && ready(last);
  });
  return last as View;
}
const heldBy = (unitId: string) => (v: View) => v.holder?.unitId === unitId;

async function inbox(unitId: string): Promise<string[]> {
  const res = await fetch(`${tracking.httpUrl}/v1/units/${unitId}/inbox?limit=200`, { headers: auth(unitId) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { cases: { caseNumber: string }[] }).cases.map((x) => x.caseNumber);
}

describe('end to end, over HTTP', () => {
  it('a petition registered at the national bureau travels down each level to the county department', async () => {
    const c = await file({}, '000000-xfj');
    const v = await seen(c, 'the county department to hold it', heldBy('330106-rsj'));
    const forwards = v.timeline.filter((e) => e.step === 'caseForwarded').map((e) => e.unitId);
    expect(forwards).toEqual(['000000-xfj', '330000-xfj', '330100-xfj', '330106-xfj']);
    await waitFor('the unit’s inbox', async () => (await inbox('330106-rsj')).includes(c.caseNumber));
    // The forwarding legs' clocks stopped as each leg arrived; the acceptance notice clock runs at the holder.
    await seen(c, 'the acceptance clock', (x) =>
      x.clocks.some((k) => k.stage === 'CLOCK_STAGE_ACCEPTANCE_NOTICE' && k.state === 'running'),
    );
  });

  it('a county that objects to a wrong forward sends it back, and its bureau routes it again', async () => {
    const c = await file();
    await seen(c, 'the first forward', heldBy('330106-rsj'));
    const objected = await act('330106-rsj', c, 'object', {
      reasons: '不属本单位职责',
      suggestedUnitId: '330106-zjj',
    });
    expect(objected).toMatchObject({ status: 200, state: 'CASE_STATE_FORWARD_OBJECTED', holder: '330106-xfj' });
    const moved = await act('330106-xfj', c, 'transfer', {
      toUnitId: '330106-zjj',
      reason: 'TRANSFER_REASON_OBJECTION_UPHELD',
    });
    expect(moved).toMatchObject({ status: 200, holder: '330106-zjj' });
    await waitFor('the new holder’s inbox', async () => (await inbox('330106-zjj')).includes(c.caseNumber));
    await waitFor('off the old one’s', async () => !(await inbox('330106-rsj')).includes(c.caseNumber));
  });

  it('review by the handling unit’s superior, re-review by the reviewer’s superior, then final', async () => {
    const c = await file();
    await seen(c, 'the forward', heldBy('330106-rsj'));
    expect((await act('330106-rsj', c, 'accept')).state).toBe('CASE_STATE_ACCEPTED');
    const replied = await act('330106-rsj', c, 'reply', {
      opinion: { summary: '责令补发工资' },
      disposition: 'REPLY_DISPOSITION_SUPPORTED',
    });
    expect(replied.status).toBe(200);
    expect(await asPetitioner(c, 'request-review', { reason: '不服处理意见' })).toBe('CASE_STATE_UNDER_REVIEW');
    await seen(c, 'the reviewer', heldBy('330106-zf'));
    // Only the reviewer decides; the handler is told only that the case is not its to act on.
    expect(
      (
        await act('330106-rsj', c, 'decide-review', {
          decision: 'REVIEW_DECISION_UPHELD',
          opinion: { summary: '维持' },
        })
      ).status,
    ).toBe(404);
    const reviewed = await act('330106-zf', c, 'decide-review', {
      decision: 'REVIEW_DECISION_UPHELD',
      opinion: { summary: '维持' },
    });
    expect(reviewed.status).toBe(200);
    expect(await asPetitioner(c, 'request-re-review', { reason: '不服复查意见' })).toBe('CASE_STATE_UNDER_RE_REVIEW');
    await seen(c, 'the re-reviewer', heldBy('330100-zf'));
    const final = await act('330100-zf', c, 'decide-re-review', {
      decision: 'REVIEW_DECISION_UPHELD',
      opinion: { summary: '维持' },
    });
    expect(final.state).toBe('CASE_STATE_FINAL');
    // Final on the petitioner's page, with the re-review clock stopped by the watchdog.
    const v = await seen(
      c,
      'final, no clock running',
      (x) => x.state === 'CASE_STATE_FINAL' && x.clocks.every((k) => k.state !== 'running'),
    );
    expect(v.timeline.map((e) => e.step)).toEqual(
      expect.arrayContaining(['reviewRequested', 'reviewDecided', 'reReviewRequested', 'reReviewDecided']),
    );
    expect(v.clocks.find((k) => k.stage === 'CLOCK_STAGE_RE_REVIEW')?.unitId).toBe('330100-zf');
  });

  it('a 检举控告 case goes to the discipline body and never reaches the accused unit', async () => {
    const c = await file(
      {
        kind: '检举控告',
        category: '纪检监察',
        accusedUnitId: '330106-zf',
        title: '举报',
        content: '举报某局长违规。',
      },
      '000000-xfj',
    );
    const v = await seen(c, 'the discipline body', heldBy('330100-jw'));
    const directory = nationalDirectory();
    for (const e of v.timeline) expect(directory.isWithin(e.unitId, '330106-zf')).toBe(false);
    expect(await inbox('330106-zf')).not.toContain(c.caseNumber);
    // The accused can neither act on it nor learn of it through intake.
    const tried = await act('330106-zf', c, 'accept');
    expect(tried.status).toBe(404);
    expect(JSON.stringify(tried)).not.toMatch(/王五|330100-jw|caseVersion/);
  });

  it('a 检举控告 against a county bureau passes it by to the discipline body, and stays out of the bureau’s view', async () => {
    const c = await file(
      {
        kind: '检举控告',
        category: '纪检监察',
        accusedUnitId: '330106-xfj',
        title: '举报',
        content: '举报信访局工作人员违规。',
      },
      '000000-xfj',
    );
    const v = await seen(c, 'the discipline body', heldBy('330106-jw'));
    const forwards = v.timeline.filter((e) => e.step === 'caseForwarded').map((e) => e.unitId);
    expect(forwards).toEqual(['000000-xfj', '330000-xfj', '330100-xfj']);
    for (const e of v.timeline) expect(e.unitId).not.toBe('330106-xfj');
    await waitFor('the discipline body’s inbox', async () => (await inbox('330106-jw')).includes(c.caseNumber));
    // 西湖区信访局 supervises 西湖区纪委's inbox by place, but not this case.
    const asAccused = await fetch(`${tracking.httpUrl}/v1/units/330106-jw/inbox`, { headers: auth('330106-xfj') });
    expect(asAccused.status).toBe(200);
    expect(JSON.stringify(await asAccused.json())).not.toContain(c.caseNumber);
  });

  it('a repeat petition is linked to its original, never accepted again', async () => {
    const original = await file();
    await seen(original, 'the original forwarded', heldBy('330106-rsj'));
    expect((await act('330106-rsj', original, 'accept')).status).toBe(200);
    const repeat = await file();
    await seen(repeat, 'the repeat forwarded', heldBy('330106-rsj'));
    const linked = await act('330106-rsj', repeat, 'link-as-repeat', {
      originalCaseId: original.caseId,
      basis: 'REPEAT_BASIS_IN_PROGRESS',
      reason: '同一事项正在办理',
    });
    expect(linked).toMatchObject({ status: 200, state: 'CASE_STATE_LINKED_AS_REPEAT' });
    const again = await act('330106-rsj', repeat, 'accept');
    expect(again.status).not.toBe(200);
    expect(again.code).toBe('CASE_CLOSED');
    await seen(repeat, 'the link on the petitioner’s page', (x) => x.state === 'CASE_STATE_LINKED_AS_REPEAT');
  });

  it('a merged unit’s open cases move to the survivor, and new ones go there too', async () => {
    const open = await file({ regionCode: '330102' });
    await seen(open, 'the forward', heldBy('330102-rsj'));
    const bus = createBus({
      brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
      clientId: 'e2e',
      logger,
      topicPrefix: prefix,
    });
    try {
      await (await bus.publisher()).publish(
        units,
        unitMerged(nationalDirectory(), '330102-rsj', '330102-mzj', new Date()),
      );
    } finally {
      await bus.close();
    }
    const v = await seen(open, 'the survivor to hold it', heldBy('330102-mzj'));
    expect(v.timeline.at(-1)?.step).toBe('custodyTransferred');
    await waitFor('the survivor’s inbox', async () => (await inbox('330102-mzj')).includes(open.caseNumber));
    const later = await file({ regionCode: '330102' });
    await seen(later, 'a new petition at the survivor', heldBy('330102-mzj'));
  });

  it('the simulator files petitions from all over and plays units and petitioners without a failure', async () => {
    const sim = startSimulator({
      intakeUrl: intake.httpUrl,
      trackingUrl: tracking.httpUrl,
      rate: 10,
      staffToken: testToken,
      logger,
      durationMs: 6_000,
      rand: seeded(42),
    });
    const stats = await sim.done;
    expect(stats.failed).toBe(0);
    expect(stats.filed).toBeGreaterThanOrEqual(50);
    expect(stats.moves.accept ?? 0).toBeGreaterThan(0);
  });

  // Last: it moves the watchdog's time two months on.
  it('a case that runs late: warning, breach, supervision one level up, then escalation', async () => {
    const c = await file();
    await seen(c, 'the forward', heldBy('330106-rsj'));
    expect((await act('330106-rsj', c, 'accept')).status).toBe(200);
    const handling = await seen(c, 'the handling clock', (x) =>
      x.clocks.some((k) => k.stage === 'CLOCK_STAGE_HANDLING' && k.state === 'running'),
    );
    const due = Date.parse(
      (handling.clocks.find((k) => k.stage === 'CLOCK_STAGE_HANDLING') as { dueTime?: string }).dueTime ?? '',
    );
    shift = due - 9 * DAY - Date.now();
    await seen(c, 'the warning', (x) => x.clocks.some((k) => k.stage === 'CLOCK_STAGE_HANDLING' && k.warned === true));
    shift = due + 60_000 - Date.now();
    await seen(c, 'the breach', (x) =>
      x.clocks.some((k) => k.stage === 'CLOCK_STAGE_HANDLING' && k.state === 'breached'),
    );
    type Row = { caseNumber: string; supervisedBy?: { unitId: string } };
    const row = async () => {
      const res = await fetch(`${tracking.httpUrl}/v1/regions/330100/overdue`, { headers: auth('330100-xfj') });
      expect(res.status).toBe(200);
      return ((await res.json()) as { cases: Row[] }).cases.find((r) => r.caseNumber === c.caseNumber);
    };
    const supervisedBy = async (who: string) => (await row())?.supervisedBy?.unitId === who;
    await waitFor('supervision by the prefecture’s bureau', () => supervisedBy('330100-xfj'));
    shift = due + 16 * DAY - Date.now();
    await waitFor('escalation to the province’s bureau', () => supervisedBy('330000-xfj'));
    // The late answer takes it off the board.
    expect(
      (
        await act('330106-rsj', c, 'reply', {
          opinion: { summary: '已处理' },
          disposition: 'REPLY_DISPOSITION_SUPPORTED',
        })
      ).status,
    ).toBe(200);
    await waitFor('off the board', async () => (await row()) === undefined);
  });
});
