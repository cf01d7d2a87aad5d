import {
  ClockStage,
  ClockStarted,
  ClockStopped,
  ClockStopReason,
  DeadlineBreached,
  DeadlineEvent,
  Evaluation,
  ReplyDisposition,
  SupervisionEscalated,
  SupervisionOpened,
} from '@petition/contract';
import { CaseRun, petition, petitionerOf, realDirectory, unit } from '@petition/lifecycle/test-kit';
import { describe, expect, it } from 'vitest';
import {
  type ClockView,
  caseFacts,
  counterNames,
  deadlineFacts,
  FormulaError,
  kpiFormulas,
  kpiValues,
  nextClock,
  parseFormulas,
} from './index.ts';

// What events count towards the KPIs, and the formulas as configurable text.

type Payload = DeadlineEvent['payload'];
const directory = realDirectory();
const at = '2026-11-20T10:00:00+08:00';

function deadline(stage: ClockStage, payload: Payload, time = '2026-11-25T10:00:00+08:00') {
  return DeadlineEvent.fromPartial({
    envelope: { eventId: 'd', caseId: 'c', occurTime: new Date(time) },
    clockId: 'c:x:1',
    stage,
    responsibleUnitId: '330106-rsj',
    payload,
  });
}
const stopped = (inTime: boolean, reason: ClockStopReason = ClockStopReason.CLOCK_STOP_REASON_STEP_DONE): Payload => ({
  $case: 'clockStopped',
  value: ClockStopped.fromPartial({ reason, inTime, stoppingEventId: 'e' }),
});
const breached: Payload = { $case: 'deadlineBreached', value: DeadlineBreached.fromPartial({ late: false }) };
const counted = (facts: { counter: string; amount: number }[]) => facts.map((f) => `${f.counter}:${f.amount}`);

/** Plays events through nextClockState and deadlineFacts, as tracking does. */
function play(events: DeadlineEvent[]) {
  let clock: ClockView | undefined;
  const facts: string[] = [];
  for (const d of events) {
    facts.push(...counted(deadlineFacts(clock, d)));
    clock = nextClock(clock, d);
  }
  return { state: clock?.state, facts };
}

describe('case facts', () => {
  it('counts an item, a reply with its handling days, and the rating, on the Shanghai day they happened', () => {
    const run = new CaseRun({ now: at, directory });
    run.ok(undefined, { $case: 'registerPetition', value: { petition: petition() } });
    run.ok(unit('330106-xfj'), {
      $case: 'forwardCase',
      value: { toUnitId: '330106-rsj', toHandlingUnit: true, reason: '' },
    });
    run
      .at('2026-11-23T09:00:00+08:00')
      .ok(unit('330106-rsj'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } });
    const acceptedTime = run.events.at(-1)?.envelope?.occurTime;
    // 23:30 in Shanghai is still the 10th of December there, though the 10th's UTC day has not ended.
    run.at('2026-12-10T23:30:00+08:00').ok(unit('330106-rsj'), {
      $case: 'replyCase',
      value: { opinion: { summary: '责令补发工资' }, disposition: ReplyDisposition.REPLY_DISPOSITION_SUPPORTED },
    });
    const reply = run.events.at(-1);
    run.at(1).ok(petitionerOf(run.caseNumber), {
      $case: 'evaluateCase',
      value: { stage: 1, evaluation: Evaluation.EVALUATION_BASICALLY_SATISFIED, comment: '' },
    });
    const [registered] = run.events;
    if (!registered || !reply) throw new Error('no events');
    expect(caseFacts(registered)).toEqual([{ unitId: '330106-xfj', counter: 'items', amount: 1, day: '2026-11-20' }]);
    expect(caseFacts(reply, acceptedTime)).toEqual([
      { unitId: '330106-rsj', counter: 'replied', amount: 1, day: '2026-12-10' },
      { unitId: '330106-rsj', counter: 'handlingDays', amount: 18, day: '2026-12-10' },
    ]);
    // Without the acceptance time the reply counts, but no handling days are guessed.
    expect(counted(caseFacts(reply))).toEqual(['replied:1']);
    expect(counted(caseFacts(run.events.at(-1) ?? reply))).toEqual(['evaluated:1', 'basicallySatisfied:1']);
  });
});

describe('supervision, leaders and the petitioner’s follow-ups', () => {
  it('counts each for the unit holding the case, a late report back twice, on the Shanghai day', () => {
    const run = new CaseRun({ now: at, directory });
    run.ok(undefined, { $case: 'registerPetition', value: { petition: petition() } });
    run.ok(unit('330106-xfj'), { $case: 'forwardCase', value: { toUnitId: '330106-rsj', toHandlingUnit: true } });
    const facts = (events: typeof run.events) => events.flatMap((e) => caseFacts(e));
    const reportDueTime = new Date('2026-11-25T16:00:00Z');
    const issue = { ground: 1, instructions: '限期报告', reportDueTime };
    const [issued] = run.ok(unit('330100-xfj'), { $case: 'issueSupervision', value: issue });
    const supervisionId = issued.payload?.$case === 'supervisionIssued' ? issued.payload.value.supervisionId : '';
    expect(caseFacts(issued)).toEqual([
      { unitId: '330106-rsj', counter: 'supervisionsIssued', amount: 1, day: '2026-11-20' },
    ]);
    const answer = { supervisionId, report: { summary: '已处理' } };
    expect(facts(run.at(1).ok(unit('330106-rsj'), { $case: 'answerSupervision', value: answer }))).toEqual([
      { unitId: '330106-rsj', counter: 'supervisionsAnswered', amount: 1, day: '2026-11-21' },
    ]);
    expect(facts(run.ok(unit('330100-xfj'), { $case: 'closeSupervision', value: { supervisionId } }))).toEqual([]);
    const [late] = run.ok(unit('330100-xfj'), {
      $case: 'issueSupervision',
      value: { ...issue, reportDueTime: new Date('2026-11-22T16:00:00Z') },
    });
    const lateId = late.payload?.$case === 'supervisionIssued' ? late.payload.value.supervisionId : '';
    const lateAnswer = run
      .at('2026-11-23T08:00:00+08:00')
      .ok(unit('330106-rsj'), { $case: 'answerSupervision', value: { ...answer, supervisionId: lateId } });
    expect(counted(facts(lateAnswer))).toEqual(['supervisionsAnswered:1', 'supervisionsAnsweredLate:1']);
    expect(facts(run.ok(unit('330106-zf', 'leader-1'), { $case: 'takeCharge', value: { note: '' } }))).toEqual([
      { unitId: '330106-rsj', counter: 'casesTakenInCharge', amount: 1, day: '2026-11-23' },
    ]);
    const petitioner = petitionerOf(run.caseNumber);
    expect(counted(facts(run.ok(petitioner, { $case: 'urgeCase', value: { note: '' } })))).toEqual(['urges:1']);
    expect(counted(facts(run.ok(petitioner, { $case: 'supplementCase', value: { material: '工资条' } })))).toEqual([
      'supplements:1',
    ]);
    expect(counterNames).toEqual(
      expect.arrayContaining([
        'supervisionsIssued',
        'supervisionsAnswered',
        'supervisionsAnsweredLate',
        'casesTakenInCharge',
        'urges',
        'supplements',
      ]),
    );
  });

  it('lets a formula use the new counters', () => {
    const [f] = parseFormulas(
      '督办按期回复率 = (supervisionsAnswered - supervisionsAnsweredLate) / supervisionsIssued',
      counterNames,
    );
    if (!f) throw new Error('no formula');
    expect(kpiValues([f], { supervisionsIssued: 4, supervisionsAnswered: 3, supervisionsAnsweredLate: 1 })).toEqual({
      督办按期回复率: 0.5,
    });
  });
});

describe('deadline facts', () => {
  const started: Payload = { $case: 'clockStarted', value: ClockStarted.fromPartial({ periodDays: 15 }) };

  it('counts a case received and accepted in time once, however often the events come', () => {
    const s = deadline(ClockStage.CLOCK_STAGE_ACCEPTANCE_NOTICE, started);
    const stop = deadline(ClockStage.CLOCK_STAGE_ACCEPTANCE_NOTICE, stopped(true));
    expect(play([s, s, stop, stop])).toEqual({ state: 'met', facts: ['received:1', 'acceptedInTime:1'] });
  });

  it('counts a handling clock due once: when it ran out, not again when the late reply stops it', () => {
    const s = deadline(ClockStage.CLOCK_STAGE_HANDLING, started);
    const late = play([
      s,
      deadline(ClockStage.CLOCK_STAGE_HANDLING, breached),
      deadline(ClockStage.CLOCK_STAGE_HANDLING, stopped(false)),
    ]);
    expect(late).toEqual({ state: 'missed', facts: ['breached:1', 'replyDue:1'] });
    const onTime = play([s, deadline(ClockStage.CLOCK_STAGE_HANDLING, stopped(true))]);
    expect(onTime).toEqual({ state: 'met', facts: ['replyDue:1', 'repliedInTime:1'] });
  });

  it('counts nothing for a clock superseded by a transfer, and keeps a hearing pause open', () => {
    const s = deadline(ClockStage.CLOCK_STAGE_HANDLING, started);
    expect(
      play([s, deadline(ClockStage.CLOCK_STAGE_HANDLING, stopped(true, ClockStopReason.CLOCK_STOP_REASON_SUPERSEDED))]),
    ).toEqual({
      state: 'superseded',
      facts: [],
    });
    const hearing = play([
      deadline(ClockStage.CLOCK_STAGE_RE_REVIEW, started),
      deadline(ClockStage.CLOCK_STAGE_RE_REVIEW, stopped(true, ClockStopReason.CLOCK_STOP_REASON_HEARING)),
      deadline(ClockStage.CLOCK_STAGE_RE_REVIEW, stopped(true)),
    ]);
    expect(hearing).toEqual({ state: 'met', facts: ['replyDue:1', 'repliedInTime:1'] });
  });

  it('counts supervision against the supervised unit once, and each climb once', () => {
    const opened = deadline(ClockStage.CLOCK_STAGE_HANDLING, {
      $case: 'supervisionOpened',
      value: SupervisionOpened.fromPartial({ supervisingUnitId: '330100-xfj', supervisedUnitId: '330106-rsj' }),
    });
    const escalated = deadline(ClockStage.CLOCK_STAGE_HANDLING, {
      $case: 'supervisionEscalated',
      value: SupervisionEscalated.fromPartial({
        fromSupervisingUnitId: '330100-xfj',
        toSupervisingUnitId: '330000-xfj',
        supervisedUnitId: '330106-rsj',
      }),
    });
    const s = deadline(ClockStage.CLOCK_STAGE_HANDLING, started);
    const b = deadline(ClockStage.CLOCK_STAGE_HANDLING, breached);
    const run = play([s, b, opened, opened, escalated, escalated]);
    expect(run.facts).toEqual(['breached:1', 'replyDue:1', 'supervised:1', 'escalated:1']);
    let clock: ClockView | undefined;
    for (const d of [s, b, opened, escalated]) clock = nextClock(clock, d);
    expect(clock).toMatchObject({ state: 'breached', supervisedBy: '330000-xfj', unitId: '330106-rsj' });
  });
});

describe('formulas', () => {
  it('computes the default KPIs, null where nothing was there to judge', () => {
    const values = kpiValues(kpiFormulas(), {
      received: 8,
      acceptedInTime: 6,
      replyDue: 4,
      repliedInTime: 3,
      evaluated: 3,
      evaluationExpired: 1,
      satisfied: 1,
      basicallySatisfied: 1,
      dissatisfied: 1,
      replied: 3,
      handlingDays: 50,
    });
    expect(values).toEqual({
      及时受理率: 0.75,
      按期答复率: 0.75,
      参评率: 0.75,
      满意率: 0.6667,
      重复信访率: null,
      平均办理天数: 16.6667,
    });
  });

  it('takes a locality’s own formulas, with precedence and parentheses', () => {
    const [f] = parseFormulas('满意率 = (satisfied + 0.5 * basicallySatisfied) / (evaluated - 0)', counterNames);
    expect(f && kpiValues([f], { satisfied: 2, basicallySatisfied: 2, evaluated: 4 })).toEqual({ 满意率: 0.75 });
  });

  it('names what is wrong in a formula', () => {
    expect(() => kpiFormulas('满意率=satisfied/evaluatd')).toThrow(/unknown counter "evaluatd"/);
    expect(() => kpiFormulas('满意率=(satisfied/evaluated')).toThrow(/"\)" is missing/);
    expect(() => kpiFormulas('满意率=satisfied/')).toThrow(/ends too early/);
    expect(() => kpiFormulas('满意率=satisfied % evaluated')).toThrow(/unexpected "%/);
    expect(() => kpiFormulas('a=items; a=items')).toThrow(/defined twice/);
    expect(() => kpiFormulas('items')).toThrow(FormulaError);
    expect(() => kpiFormulas(' ; ')).toThrow(/no KPI formula/);
  });
});
