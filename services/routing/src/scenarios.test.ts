import { deadlineEvents, units } from '@petition/bus';
import {
  type CaseEvent,
  CaseState,
  Category,
  ClockStage,
  CoUnitBasis,
  DeadlineEvent,
  LegalChannel,
  PetitionKind,
  RepeatBasis,
  ReplyDisposition,
  ReviewDecision,
  TransferReason,
  UnitLevel,
} from '@petition/contract';
import { nationalDirectory, unitMerged } from '@petition/directory';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Routing, startRouting } from './app.ts';
import { loadRoutingConfig } from './config.ts';
import {
  command,
  type Harness,
  logger,
  petitioner,
  refusalOf,
  register,
  routingHarness,
  unit,
  until,
} from './test-support.ts';

// Every routing rule through the real broker over the real directory, routing on an injected clock.
// Bureaus route down the chain by default; Beijing's go straight to the unit, Guangdong's only by hand.

let h: Harness;
let routing: Routing;
let clock = Date.parse('2026-11-20T02:00:00Z');
const day = 86_400_000;

beforeAll(async () => {
  h = await routingHarness('scenarios', {
    ROUTING_ROUTE_MODE: 'chain',
    ROUTING_ROUTE_MODES: '110000=direct,44=manual',
  });
  routing = await startRouting(loadRoutingConfig(h.env), logger, { now: () => new Date(clock) });
  await h.watch();
});

afterAll(async () => {
  await routing?.close();
  await h.close();
});

let cases = 0;
const newCase = () => `sc-${++cases}-${Date.now()}`;
const forwards = (events: CaseEvent[]) =>
  events.flatMap((e) => (e.payload?.$case === 'caseForwarded' ? [e.payload.value] : []));
/** Registers and waits until routing has passed the case on as far as it goes by itself. */
async function registered(caseId: string, over: Parameters<typeof register>[1], settled: (e?: CaseEvent) => boolean) {
  await h.answer(register(caseId, over));
  await until('routing to settle', () => settled(h.last(caseId)));
  return h.caseOf(caseId);
}
const heldBy = (unitId: string, state?: CaseState) => (e?: CaseEvent) =>
  e?.custodyUnitId === unitId && (state === undefined || e.state === state);

describe('jurisdiction for a new petition', () => {
  it('属地管理, chain: from the national bureau down each level’s bureau to the county department', async () => {
    const caseId = newCase();
    const events = await registered(caseId, { registeringUnitId: '000000-xfj' }, heldBy('330106-rsj'));
    const legs = forwards(events);
    expect(legs.map((l) => [l.fromUnitId, l.toUnitId])).toEqual([
      ['000000-xfj', '330000-xfj'],
      ['330000-xfj', '330100-xfj'],
      ['330100-xfj', '330106-xfj'],
      ['330106-xfj', '330106-rsj'],
    ]);
    expect(legs.map((l) => l.legLevel)).toEqual([
      UnitLevel.UNIT_LEVEL_NATIONAL,
      UnitLevel.UNIT_LEVEL_PROVINCIAL,
      UnitLevel.UNIT_LEVEL_PREFECTURE,
      UnitLevel.UNIT_LEVEL_COUNTY,
    ]);
    expect(legs.map((l) => l.toHandlingUnit)).toEqual([false, false, false, true]);
    // Each leg due within its level's share, never past the 15 days of art 22.
    for (const l of legs) expect(l.legDueTime?.getTime()).toBeLessThanOrEqual(l.registrationDueTime?.getTime() ?? 0);
    expect(legs[0]?.legDueTime?.toISOString()).toBe('2026-11-25T16:00:00.000Z'); // Fri 20 Nov + 5 days
    expect(h.last(caseId)?.state).toBe(CaseState.CASE_STATE_AWAITING_ACCEPTANCE);
    // Each automatic leg is the bureau's own act, caused by the registration.
    expect(events.slice(1).map((e) => e.envelope?.actingUnitId)).toEqual(legs.map((l) => l.fromUnitId));
  });

  it('a bureau configured `direct` forwards straight to the unit with authority', async () => {
    const caseId = newCase();
    const events = await registered(
      caseId,
      { registeringUnitId: '110000-xfj', regionCode: '110101', category: Category.CATEGORY_EDUCATION },
      heldBy('110101-jyj'),
    );
    expect(forwards(events).map((l) => [l.fromUnitId, l.toUnitId])).toEqual([['110000-xfj', '110101-jyj']]);
  });

  it('a bureau configured `manual` keeps the case for its staff, who forward or assign it (交办)', async () => {
    const caseId = newCase();
    await registered(caseId, { regionCode: '440106' }, heldBy('440106-xfj', CaseState.CASE_STATE_REGISTERED));
    const assign = await h.answer(
      command(caseId, unit('440106-xfj'), {
        $case: 'assignCase',
        value: { assigneeUnitId: '440106-rsj', reportDueTime: new Date(clock + 10 * day), instructions: '限期报结' },
      }),
    );
    expect(assign[0]).toMatchObject({ state: CaseState.CASE_STATE_ASSIGNED, custodyUnitId: '440106-rsj' });
    const report = await h.answer(
      command(caseId, unit('440106-rsj'), { $case: 'reportCompletion', value: { report: { summary: '已补发' } } }),
    );
    expect(report[0]?.state).toBe(CaseState.CASE_STATE_COMPLETION_REPORTED);
  });

  it('分级负责: a matter about a higher unit’s own decision goes to that level', async () => {
    const caseId = newCase();
    await registered(caseId, { concernedUnitId: '330100-zf' }, heldBy('330100-rsj'));
    expect(h.last(caseId)?.state).toBe(CaseState.CASE_STATE_AWAITING_ACCEPTANCE);
  });

  it('检举控告 goes to the discipline body over the accused, and never to or under the accused (art 30)', async () => {
    const caseId = newCase();
    const events = await registered(
      caseId,
      {
        kind: PetitionKind.PETITION_KIND_ACCUSATION,
        category: Category.CATEGORY_DISCIPLINE_SUPERVISION,
        accusedUnitId: '330106-zf',
        registeringUnitId: '000000-xfj',
      },
      heldBy('330100-jw'),
    );
    const directory = nationalDirectory();
    for (const e of events) expect(directory.isWithin(e.custodyUnitId, '330106-zf')).toBe(false);
    expect(forwards(events).at(-1)).toMatchObject({ fromUnitId: '330100-xfj', toHandlingUnit: true });
  });

  it('检举控告 against a county bureau: the chain skips the accused and reaches the discipline body by itself', async () => {
    const caseId = newCase();
    const events = await registered(
      caseId,
      {
        kind: PetitionKind.PETITION_KIND_ACCUSATION,
        category: Category.CATEGORY_DISCIPLINE_SUPERVISION,
        accusedUnitId: '330106-xfj',
        registeringUnitId: '000000-xfj',
      },
      heldBy('330106-jw', CaseState.CASE_STATE_AWAITING_ACCEPTANCE),
    );
    expect(forwards(events).map((l) => [l.fromUnitId, l.toUnitId, l.toHandlingUnit])).toEqual([
      ['000000-xfj', '330000-xfj', false],
      ['330000-xfj', '330100-xfj', false],
      ['330100-xfj', '330106-jw', true],
    ]);
    for (const e of events) expect(e.custodyUnitId).not.toBe('330106-xfj');
  });

  it('诉访分离: the unit with authority guides a matter for the courts to its legal channel (art 31)', async () => {
    const caseId = newCase();
    await registered(caseId, { category: Category.CATEGORY_POLITICAL_LEGAL }, heldBy('330106-gaj'));
    const guided = await h.answer(
      command(caseId, unit('330106-gaj'), {
        $case: 'guideToLegalChannel',
        value: {
          legalChannel: LegalChannel.LEGAL_CHANNEL_LITIGATION,
          channelDetail: '西湖区人民法院',
          reason: '民事纠纷',
        },
      }),
    );
    expect(guided[0]?.state).toBe(CaseState.CASE_STATE_GUIDED_TO_LEGAL_CHANNEL);
  });
});

describe('after the forward', () => {
  it('an objection sends the case back to the forwarding bureau, which routes it again (art 23)', async () => {
    const caseId = newCase();
    await registered(caseId, {}, heldBy('330106-rsj'));
    const objected = await h.answer(
      command(caseId, unit('330106-rsj'), {
        $case: 'objectToForward',
        value: { reasons: '不属本单位职责', suggestedUnitId: '330106-zjj' },
      }),
    );
    expect(objected[0]).toMatchObject({ state: CaseState.CASE_STATE_FORWARD_OBJECTED, custodyUnitId: '330106-xfj' });
    // Not sent automatically to the same unit again: the bureau decides.
    await new Promise((r) => setTimeout(r, 500));
    expect(h.last(caseId)?.state).toBe(CaseState.CASE_STATE_FORWARD_OBJECTED);
    const upheld = await h.answer(
      command(caseId, unit('330106-xfj'), {
        $case: 'transferCase',
        value: {
          toUnitId: '330106-zjj',
          reason: TransferReason.TRANSFER_REASON_OBJECTION_UPHELD,
          directoryEventId: '',
          note: '',
        },
      }),
    );
    expect(upheld[0]).toMatchObject({ state: CaseState.CASE_STATE_AWAITING_ACCEPTANCE, custodyUnitId: '330106-zjj' });
  });

  it('several units: their common superior names the lead and the co-units (art 24)', async () => {
    const caseId = newCase();
    await registered(caseId, {}, heldBy('330106-rsj'));
    const designate = (by: string) =>
      command(caseId, unit(by), {
        $case: 'designateCoUnits',
        value: {
          leadUnitId: '330106-zjj',
          coUnitIds: ['330106-rsj'],
          basis: CoUnitBasis.CO_UNIT_BASIS_SUPERIOR_DECIDED,
        },
      });
    expect(refusalOf(await h.answer(designate('330100-zf')))).toBe('NOT_COMMON_SUPERIOR');
    const decided = await h.answer(designate('330106-zf'));
    expect(decided[0]?.custodyUnitId).toBe('330106-zjj');
  });

  it('review by the handling unit’s superior, re-review by the reviewer’s superior, then final; a repeat is linked, never accepted again (arts 35, 36, 19)', async () => {
    const caseId = newCase();
    await registered(caseId, {}, heldBy('330106-rsj'));
    const number = `N-${caseId}`;
    const opinion = (summary: string) => ({ summary });
    const steps = [
      command(caseId, unit('330106-rsj'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } }),
      command(caseId, unit('330106-rsj'), {
        $case: 'replyCase',
        value: { opinion: opinion('责令补发工资'), disposition: ReplyDisposition.REPLY_DISPOSITION_SUPPORTED },
      }),
      command(caseId, petitioner(number), { $case: 'requestReview', value: { reason: '不服处理意见' } }),
    ];
    for (const c of steps) expect(refusalOf(await h.answer(c))).toBeUndefined();
    expect(h.last(caseId)).toMatchObject({ state: CaseState.CASE_STATE_UNDER_REVIEW, custodyUnitId: '330106-zf' });
    const review = await h.answer(
      command(caseId, unit('330106-zf'), {
        $case: 'decideReview',
        value: { decision: ReviewDecision.REVIEW_DECISION_UPHELD, opinion: opinion('维持') },
      }),
    );
    expect(refusalOf(review)).toBeUndefined();
    await h.answer(command(caseId, petitioner(number), { $case: 'requestReReview', value: { reason: '不服复查' } }));
    expect(h.last(caseId)).toMatchObject({ state: CaseState.CASE_STATE_UNDER_RE_REVIEW, custodyUnitId: '330100-zf' });
    await h.answer(
      command(caseId, unit('330100-zf'), {
        $case: 'decideReReview',
        value: { decision: ReviewDecision.REVIEW_DECISION_UPHELD, opinion: opinion('维持'), publicize: false },
      }),
    );
    expect(h.last(caseId)?.state).toBe(CaseState.CASE_STATE_FINAL);

    const repeat = newCase();
    await registered(repeat, {}, heldBy('330106-rsj'));
    const link = await h.answer(
      command(repeat, unit('330106-rsj'), {
        $case: 'linkAsRepeat',
        value: { originalCaseId: caseId, basis: RepeatBasis.REPEAT_BASIS_FINAL, reason: '同一事项已复核终结' },
      }),
    );
    expect(link[0]?.state).toBe(CaseState.CASE_STATE_LINKED_AS_REPEAT);
    const again = command(repeat, unit('330106-rsj'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } });
    expect(refusalOf(await h.answer(again))).toBe('CASE_CLOSED');
  });
});

describe('what routing does on its own', () => {
  it('a WindowExpired deadline event closes a case whose evaluation window ran out; a second copy changes nothing', async () => {
    const caseId = newCase();
    await registered(caseId, { kind: PetitionKind.PETITION_KIND_SUGGESTION }, heldBy('330106-rsj'));
    await h.answer(command(caseId, unit('330106-rsj'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } }));
    await h.answer(
      command(caseId, unit('330106-rsj'), {
        $case: 'replyCase',
        value: { opinion: { summary: '建议已采纳' }, disposition: 4 },
      }),
    );
    expect(h.last(caseId)?.state).toBe(CaseState.CASE_STATE_AWAITING_EVALUATION);
    clock += 40 * day;
    const expired = DeadlineEvent.fromPartial({
      envelope: { eventId: `dl-${caseId}`, caseId, caseVersion: 1, occurTime: new Date(clock), producer: 'test' },
      clockId: `${caseId}:evaluation:1`,
      stage: ClockStage.CLOCK_STAGE_EVALUATION_WINDOW,
      payload: { $case: 'windowExpired', value: { dueTime: new Date(clock - day), late: false } },
    });
    await h.publisher.publish(deadlineEvents, [expired, expired]);
    await until('the case to close', () => h.last(caseId)?.state === CaseState.CASE_STATE_CLOSED);
    const answer = h.of(`dl-${caseId}`);
    expect(answer.map((e) => e.payload?.$case)).toEqual(['caseWindowLapsed', 'caseClosedAsFinal']);
    expect(answer[0]?.envelope?.producer).toBe('routing');
  });

  it('a merged unit’s open cases move to the survivor, live, with an event (art 25)', async () => {
    const open = newCase();
    const done = newCase();
    await registered(open, { regionCode: '330102' }, heldBy('330102-rsj'));
    await registered(done, { regionCode: '330102' }, heldBy('330102-rsj'));
    await h.answer(
      command(done, unit('330102-rsj'), {
        $case: 'notAcceptCase',
        value: { reason: 1, reasonText: '不属于信访事项', noticeDocumentUri: '' },
      }),
    );
    const records = unitMerged(nationalDirectory(), '330102-rsj', '330102-mzj', new Date(clock));
    await h.publisher.publish(units, records);
    await until('the transfer', () => h.last(open)?.custodyUnitId === '330102-mzj');
    expect(h.last(open)?.payload).toMatchObject({
      $case: 'custodyTransferred',
      value: {
        fromUnitId: '330102-rsj',
        toUnitId: '330102-mzj',
        reason: TransferReason.TRANSFER_REASON_UNIT_MERGED,
        directoryEventId: records[0]?.eventId,
      },
    });
    // A closed case stays where it was.
    expect(h.last(done)?.custodyUnitId).toBe('330102-rsj');
    // New petitions on the matter now go to the survivor.
    const later = newCase();
    await registered(later, { regionCode: '330102' }, heldBy('330102-mzj'));
  });
  it('what happened while routing was down — a window ran out, a unit was merged — is applied when it returns', async () => {
    const waiting = newCase();
    const held = newCase();
    await registered(waiting, { kind: PetitionKind.PETITION_KIND_SUGGESTION }, heldBy('330106-rsj'));
    await h.answer(command(waiting, unit('330106-rsj'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } }));
    await h.answer(
      command(waiting, unit('330106-rsj'), {
        $case: 'replyCase',
        value: { opinion: { summary: '已答复' }, disposition: 4 },
      }),
    );
    await registered(held, { regionCode: '330105', category: Category.CATEGORY_EDUCATION }, heldBy('330105-jyj'));
    await routing.close();
    clock += 40 * day;
    await h.publisher.publish(deadlineEvents, [
      DeadlineEvent.fromPartial({
        envelope: { eventId: `dl-${waiting}`, caseId: waiting, caseVersion: 1, occurTime: new Date(clock) },
        clockId: `${waiting}:evaluation:1`,
        stage: ClockStage.CLOCK_STAGE_EVALUATION_WINDOW,
        payload: { $case: 'windowExpired', value: { dueTime: new Date(clock - day), late: true } },
      }),
    ]);
    await h.publisher.publish(units, unitMerged(nationalDirectory(), '330105-jyj', '330105-kjj', new Date(clock)));
    routing = await startRouting(loadRoutingConfig(h.env), logger, { now: () => new Date(clock) });
    await until('the window applied', () => h.last(waiting)?.state === CaseState.CASE_STATE_CLOSED);
    await until('the transfer', () => h.last(held)?.custodyUnitId === '330105-kjj');
    expect(h.of(`dl-${waiting}`)).toHaveLength(2);
  });
});
