import {
  type CaseEvent,
  Category,
  ClockStage,
  ClockStopReason,
  CoUnitBasis,
  clockStopReasonToJSON,
  Evaluation,
  OpinionStage,
  PetitionKind,
  RecomputeReason,
  ReplyDisposition,
  ReviewDecision,
  SupervisionGround,
} from '@petition/contract';
import { createLegalCalendar, defaultPolicy, holidayTable, stateCouncilTable } from '@petition/legal-calendar';
import { CaseRun, calendar, petitionerOf, realDirectory, unit } from '@petition/lifecycle/test-kit';
import { describe, expect, it } from 'vitest';
import {
  type CaseClocks,
  type ClockChange,
  type ClockContext,
  fire,
  onCaseEvent,
  stageName,
  withDue,
} from './index.ts';

// Clocks derived from real lifecycle events over the real directory and the State Council calendar.

const directory = realDirectory();
const ctx: ClockContext = { calendar, policyFor: () => defaultPolicy, directory };
const S = ClockStage;

/** Folds events into the case's clocks, collecting the changes. */
function follow(events: readonly CaseEvent[], state: CaseClocks = { open: [] }) {
  let now = state;
  const changes: ClockChange[] = [];
  for (const e of events) {
    const r = onCaseEvent(now, e, ctx);
    now = r;
    changes.push(...r.changes);
  }
  return { state: now, changes };
}
const summary = (changes: ClockChange[]) =>
  changes.map(
    (c) => `${c.kind} ${stageName(c.clock.stage)}${c.kind === 'stopped' ? ` ${clockStopReasonToJSON(c.reason)}` : ''}`,
  );
const due = (state: CaseClocks, stage: ClockStage) => state.open.find((c) => c.stage === stage)?.dueTime.toISOString();

function toHandlingUnit() {
  const run = new CaseRun({ now: '2026-11-20T10:00:00+08:00', directory });
  run.ok(undefined, { $case: 'registerPetition', value: { petition: { ...petitionOf() } } });
  return run;
}
const petitionOf = () => ({
  caseNumber: 'ZJ-1',
  channel: 4,
  kind: 3,
  category: 3,
  regionCode: '330106',
  title: '工资拖欠',
  content: '拖欠工资',
  petitioner: { personId: 'p-1' },
});

describe('clocks derived from a case’s events', () => {
  it('stop at a handoff another node accepted when this node’s copy ends there, and run on where it does not', () => {
    const run = toHandlingUnit();
    const { state } = follow(run.events);
    const last = run.events.at(-1) as CaseEvent;
    const accepted: CaseEvent = {
      ...last,
      envelope: { ...(last.envelope as NonNullable<CaseEvent['envelope']>), caseVersion: 3, eventId: 'acc' },
      payload: { $case: 'handoffAccepted', value: { handoffId: 'h', fromNodeId: '33', toNodeId: '64' } },
    };
    const province = onCaseEvent(state, accepted, { ...ctx, stopsAtHandoffTo: (to) => to !== '33' });
    expect(summary(province.changes)).toEqual(['stopped forwarding CLOCK_STOP_REASON_SUPERSEDED']);
    expect(province.open).toEqual([]);
    // The receiver (or the national node, which reads every case) keeps them running.
    const national = onCaseEvent(state, accepted, { ...ctx, stopsAtHandoffTo: () => false });
    expect(national.changes).toEqual([]);
    expect(onCaseEvent(state, accepted, ctx).open).toHaveLength(1);
  });

  it('runs each stage’s clock from registration to the final re-review, stopping each when its step is done', () => {
    const run = toHandlingUnit();
    let { state, changes } = follow(run.events);
    expect(summary(changes)).toEqual(['started forwarding']);
    // Fri 20 Nov + 15 days = Sat 5 Dec, a rest day: Mon 7 Dec, 24:00 Shanghai.
    expect(due(state, S.CLOCK_STAGE_FORWARDING)).toBe('2026-12-07T16:00:00.000Z');

    const step = (f: () => CaseEvent[]) => {
      const r = follow(f(), state);
      state = r.state;
      return summary(r.changes);
    };
    expect(
      step(() =>
        run.at(2).ok(unit('330106-xfj'), {
          $case: 'forwardCase',
          value: { toUnitId: '330106-rsj', toHandlingUnit: true, reason: '' },
        }),
      ),
    ).toEqual(['stopped forwarding CLOCK_STOP_REASON_STEP_DONE', 'started acceptanceNotice', 'started objection']);
    // Sun 22 Nov + 5 working days = Fri 27 Nov.
    expect(due(state, S.CLOCK_STAGE_OBJECTION)).toBe('2026-11-27T16:00:00.000Z');
    expect(
      step(() => run.at(1).ok(unit('330106-rsj'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } })),
    ).toEqual([
      'stopped acceptanceNotice CLOCK_STOP_REASON_STEP_DONE',
      'stopped objection CLOCK_STOP_REASON_SUPERSEDED',
      'started handling',
    ]);
    const before = due(state, S.CLOCK_STAGE_HANDLING);
    const extended = follow(
      run.at(40).ok(unit('330106-rsj'), {
        $case: 'extendDeadline',
        value: { extraDays: 30, reason: '案情复杂', approvalReference: 'A-1' },
      }),
      state,
    );
    state = extended.state;
    expect(extended.changes[0]).toMatchObject({
      kind: 'recomputed',
      reason: RecomputeReason.RECOMPUTE_REASON_DEADLINE_EXTENDED,
    });
    expect(Date.parse(due(state, S.CLOCK_STAGE_HANDLING) ?? '')).toBeGreaterThan(Date.parse(before ?? ''));
    expect(
      step(() =>
        run.at(10).ok(unit('330106-rsj'), {
          $case: 'replyCase',
          value: { opinion: { summary: '责令补发' }, disposition: ReplyDisposition.REPLY_DISPOSITION_SUPPORTED },
        }),
      ),
    ).toEqual([
      'stopped handling CLOCK_STOP_REASON_STEP_DONE',
      'started evaluationWindow',
      'started reviewRequestWindow',
    ]);
    expect(
      step(() => run.at(3).ok(petitionerOf(run.caseNumber), { $case: 'requestReview', value: { reason: '不服' } })),
    ).toEqual([
      'stopped evaluationWindow CLOCK_STOP_REASON_SUPERSEDED',
      'stopped reviewRequestWindow CLOCK_STOP_REASON_STEP_DONE',
      'started review',
    ]);
    expect(state.open.find((c) => c.stage === S.CLOCK_STAGE_REVIEW)?.unitId).toBe('330106-zf');
    const opinion = { summary: '维持' };
    expect(
      step(() =>
        run.at(5).ok(unit('330106-zf'), {
          $case: 'decideReview',
          value: { decision: ReviewDecision.REVIEW_DECISION_UPHELD, opinion },
        }),
      ),
    ).toEqual(['stopped review CLOCK_STOP_REASON_STEP_DONE', 'started reReviewRequestWindow']);
    step(() => run.at(2).ok(petitionerOf(run.caseNumber), { $case: 'requestReReview', value: { reason: '不服' } }));
    const dueBeforeHearing = Date.parse(due(state, S.CLOCK_STAGE_RE_REVIEW) ?? '');
    expect(step(() => run.at(1).ok(unit('330100-zf'), { $case: 'startHearing', value: {} }))).toEqual([
      'stopped reReview CLOCK_STOP_REASON_HEARING',
    ]);
    step(() => run.at(2).ok(unit('330100-zf'), { $case: 'endHearing', value: {} }));
    // Three Shanghai days of hearing are not counted (the due day may land differently around rest days).
    expect(state.open.find((c) => c.stage === S.CLOCK_STAGE_RE_REVIEW)).toMatchObject({ pausedDays: 3, paused: false });
    expect(Date.parse(due(state, S.CLOCK_STAGE_RE_REVIEW) ?? '')).toBeGreaterThan(dueBeforeHearing);
    expect(
      step(() =>
        run.at(3).ok(unit('330100-zf'), {
          $case: 'decideReReview',
          value: { decision: ReviewDecision.REVIEW_DECISION_UPHELD, opinion, publicize: true },
        }),
      ),
    ).toEqual(['stopped reReview CLOCK_STOP_REASON_STEP_DONE']);
    expect(state.open).toEqual([]);
    // A late rating of the final opinion starts nothing.
    expect(
      step(() =>
        run.ok(petitionerOf(run.caseNumber), {
          $case: 'evaluateCase',
          value: { stage: OpinionStage.OPINION_STAGE_RE_REVIEW, evaluation: Evaluation.EVALUATION_SATISFIED },
        }),
      ),
    ).toEqual([]);
  });

  it('gives a leg along the chain its share, and an assignment its set report date', () => {
    const run = new CaseRun({ now: '2026-11-20T10:00:00+08:00', directory });
    run.ok(undefined, {
      $case: 'registerPetition',
      value: { petition: { ...petitionOf(), registeringUnitId: '330000-xfj' } },
    });
    let { state } = follow(run.events);
    const leg = run.ok(unit('330000-xfj'), {
      $case: 'forwardCase',
      value: { toUnitId: '330100-xfj', toHandlingUnit: false, reason: '' },
    });
    state = follow(leg, state).state;
    const legDue = leg[0]?.payload?.$case === 'caseForwarded' ? leg[0].payload.value.legDueTime : undefined;
    expect(state.open.map((c) => [stageName(c.stage), c.unitId, c.dueTime])).toEqual([
      ['forwarding', '330100-xfj', legDue],
    ]);
    const reportDueTime = new Date('2026-12-20T16:00:00Z');
    state = follow(
      run.ok(unit('330100-xfj'), {
        $case: 'assignCase',
        value: { assigneeUnitId: '330100-rsj', reportDueTime, instructions: '' },
      }),
      state,
    ).state;
    expect(state.open.map((c) => [stageName(c.stage), c.unitId, c.dueTime])).toEqual([
      ['assignmentReport', '330100-rsj', reportDueTime],
    ]);
  });

  it('stops every clock of a withdrawn case', () => {
    const run = toHandlingUnit();
    run.ok(unit('330106-xfj'), {
      $case: 'forwardCase',
      value: { toUnitId: '330106-rsj', toHandlingUnit: true, reason: '' },
    });
    const { state } = follow(run.events);
    expect(state.open).toHaveLength(2);
    const after = follow(
      run.ok(petitionerOf(run.caseNumber), { $case: 'withdrawCase', value: { reason: '已解决' } }),
      state,
    );
    expect(after.state.open).toEqual([]);
    expect(
      after.changes.every((c) => c.kind === 'stopped' && c.reason === ClockStopReason.CLOCK_STOP_REASON_SUPERSEDED),
    ).toBe(true);
  });
});

describe('the report clock of a supervision notice (督办单)', () => {
  const issue = (reportDueTime: Date): Parameters<CaseRun['ok']>[1] => ({
    $case: 'issueSupervision',
    value: { ground: SupervisionGround.SUPERVISION_GROUND_SENSITIVE, instructions: '限期报告', reportDueTime },
  });
  const reportDueTime = new Date('2026-11-30T16:00:00Z');
  const idOf = (events: CaseEvent[]) =>
    events[0]?.payload?.$case === 'supervisionIssued' ? events[0].payload.value.supervisionId : '';
  const report = (clocks: CaseClocks) =>
    clocks.open.filter((c) => c.stage === S.CLOCK_STAGE_SUPERVISION_REPORT).map((c) => [c.unitId, c.dueTime]);

  it('runs against the holder to the date the notice set, and stops done when the holder reports back', () => {
    const run = toHandlingUnit();
    run.ok(unit('330106-xfj'), { $case: 'forwardCase', value: { toUnitId: '330106-rsj', toHandlingUnit: true } });
    let { state } = follow(run.events);
    const issued = run.at(1).ok(unit('330100-xfj'), issue(reportDueTime));
    const started = follow(issued, state);
    state = started.state;
    expect(summary(started.changes)).toEqual(['started supervisionReport']);
    expect(started.changes[0]?.clock).toMatchObject({ fixedDue: reportDueTime, provisional: false });
    expect(report(state)).toEqual([['330106-rsj', reportDueTime]]);
    // The other clocks run on untouched.
    expect(state.open.map((c) => stageName(c.stage))).toEqual(['acceptanceNotice', 'objection', 'supervisionReport']);
    const answered = follow(
      run.at(2).ok(unit('330106-rsj'), {
        $case: 'answerSupervision',
        value: { supervisionId: idOf(issued), report: { summary: '已处理' } },
      }),
      state,
    );
    expect(answered.changes).toMatchObject([
      { kind: 'stopped', reason: ClockStopReason.CLOCK_STOP_REASON_STEP_DONE, inTime: true },
    ]);
    expect(report(answered.state)).toEqual([]);
    // Closing an answered notice has no clock left to stop.
    const closed = follow(
      run.ok(unit('330100-xfj'), { $case: 'closeSupervision', value: { supervisionId: idOf(issued) } }),
      answered.state,
    );
    expect(closed.changes).toEqual([]);
  });

  it('follows the case to each new holder; closing the notice unanswered supersedes it', () => {
    const run = toHandlingUnit();
    // Issued while the bureau still holds the case: the report falls to whoever holds it next.
    const issued = run.ok(unit('330100-xfj'), issue(reportDueTime));
    let { state } = follow(run.events);
    expect(report(state)).toEqual([['330106-xfj', reportDueTime]]);
    state = follow(
      run.ok(unit('330106-xfj'), { $case: 'forwardCase', value: { toUnitId: '330106-rsj', toHandlingUnit: true } }),
      state,
    ).state;
    expect(report(state)).toEqual([['330106-rsj', reportDueTime]]);
    state = follow(
      run.ok(unit('330106-rsj'), {
        $case: 'designateCoUnits',
        value: { leadUnitId: '330106-zjj', coUnitIds: ['330106-rsj'], basis: CoUnitBasis.CO_UNIT_BASIS_AGREED },
      }),
      state,
    ).state;
    expect(report(state)).toEqual([['330106-zjj', reportDueTime]]);
    const closed = follow(
      run.ok(unit('330100-xfj'), { $case: 'closeSupervision', value: { supervisionId: idOf(issued) } }),
      state,
    );
    expect(summary(closed.changes)).toEqual(['stopped supervisionReport CLOCK_STOP_REASON_SUPERSEDED']);
    expect(report(closed.state)).toEqual([]);
  });

  it('ends with the case', () => {
    const run = toHandlingUnit();
    run.ok(unit('330100-xfj'), issue(reportDueTime));
    const { state } = follow(run.events);
    const after = follow(run.ok(petitionerOf(run.caseNumber), { $case: 'withdrawCase', value: {} }), state);
    expect(after.changes).toContainEqual(
      expect.objectContaining({
        kind: 'stopped',
        clock: expect.objectContaining({ stage: S.CLOCK_STAGE_SUPERVISION_REPORT }),
        reason: ClockStopReason.CLOCK_STOP_REASON_SUPERSEDED,
      }),
    );
    expect(after.state.open).toEqual([]);
  });

  it('warns the day before its date, then breaches and opens supervision above the holder like any unit clock', () => {
    const run = toHandlingUnit();
    run.ok(unit('330106-xfj'), { $case: 'forwardCase', value: { toUnitId: '330106-rsj', toHandlingUnit: true } });
    run.ok(unit('330106-zf'), issue(reportDueTime));
    const clock = follow(run.events).state.open.find((c) => c.stage === S.CLOCK_STAGE_SUPERVISION_REPORT);
    if (!clock) throw new Error('no report clock');
    const day = 86_400_000;
    expect(fire(ctx, clock, 0, new Date(reportDueTime.getTime() - day - 1)).fired).toEqual([]);
    const warned = fire(ctx, clock, 0, new Date(reportDueTime.getTime() - day + 1));
    expect(warned.fired.map((f) => f.payload?.$case)).toEqual(['deadlineWarned']);
    const breached = fire(ctx, clock, warned.progress, reportDueTime);
    expect(breached.fired.map((f) => f.payload?.$case)).toEqual(['deadlineBreached', 'supervisionOpened']);
    expect(breached.fired[1]?.payload).toMatchObject({ value: { supervisedUnitId: '330106-rsj' } });
  });
});

describe('firing', () => {
  function handlingClock() {
    const run = toHandlingUnit();
    run.ok(unit('330106-xfj'), {
      $case: 'forwardCase',
      value: { toUnitId: '330106-rsj', toHandlingUnit: true, reason: '' },
    });
    run.ok(unit('330106-rsj'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } });
    const clock = follow(run.events).state.open.find((c) => c.stage === S.CLOCK_STAGE_HANDLING);
    if (!clock) throw new Error('no handling clock');
    return clock;
  }
  const at = (d: Date, days: number) => new Date(d.getTime() + days * 86_400_000);

  it('warns at the policy’s points, then breaches and opens supervision one level up, then escalates level by level', () => {
    const clock = handlingClock();
    const due = clock.dueTime;
    expect(fire(ctx, clock, 0, at(due, -11)).fired).toEqual([]);
    const w1 = fire(ctx, clock, 0, at(due, -9.5));
    expect(w1.fired.map((f) => f.payload?.$case)).toEqual(['deadlineWarned']);
    expect(w1.next).toEqual(at(due, -3));
    // Asked again at the same moment: nothing more.
    expect(fire(ctx, clock, w1.progress, at(due, -9.5)).fired).toEqual([]);
    const w2 = fire(ctx, clock, w1.progress, at(due, -2));
    const breach = fire(ctx, clock, w2.progress, at(due, 0.0001));
    expect(breach.fired.map((f) => f.payload?.$case)).toEqual(['deadlineBreached', 'supervisionOpened']);
    expect(breach.fired[1]?.payload).toMatchObject({
      value: { supervisingUnitId: '330100-xfj', supervisedUnitId: '330106-rsj' },
    });
    expect(breach.fired[0]?.payload).toMatchObject({ value: { late: false } });
    const up = fire(ctx, clock, breach.progress, at(due, 15));
    expect(up.fired[0]?.payload).toMatchObject({
      $case: 'supervisionEscalated',
      value: { fromSupervisingUnitId: '330100-xfj', toSupervisingUnitId: '330000-xfj' },
    });
    const top = fire(ctx, clock, up.progress, at(due, 30));
    expect(top.fired[0]?.payload).toMatchObject({ value: { toSupervisingUnitId: '000000-xfj' } });
    expect(top.next).toBeUndefined();
  });

  it('never opens or escalates supervision at a bureau an accusation is kept from (art 30): it skips to the next one up', () => {
    // An accusation against 杭州市信访局, handled by 西湖区's discipline body: the bureau one level above
    // the holder is the accused itself, so supervision opens at 浙江省信访局.
    const run = new CaseRun({ now: '2026-11-20T10:00:00+08:00', directory });
    run.ok(undefined, {
      $case: 'registerPetition',
      value: {
        petition: {
          ...petitionOf(),
          kind: PetitionKind.PETITION_KIND_ACCUSATION,
          category: Category.CATEGORY_DISCIPLINE_SUPERVISION,
          accusedUnitId: '330100-xfj',
        },
      },
    });
    run.ok(unit('330000-xfj'), {
      $case: 'forwardCase',
      value: { toUnitId: '330106-jw', toHandlingUnit: true, reason: '' },
    });
    run.ok(unit('330106-jw'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } });
    const clock = follow(run.events).state.open.find((c) => c.stage === S.CLOCK_STAGE_HANDLING);
    if (!clock) throw new Error('no handling clock');
    const breach = fire(ctx, clock, 0, at(clock.dueTime, 0.0001));
    expect(breach.fired.find((f) => f.payload?.$case === 'supervisionOpened')?.payload).toMatchObject({
      value: { supervisingUnitId: '330000-xfj', supervisedUnitId: '330106-jw' },
    });
    const up = fire(ctx, clock, breach.progress, at(clock.dueTime, 15));
    expect(up.fired[0]?.payload).toMatchObject({
      $case: 'supervisionEscalated',
      value: { fromSupervisingUnitId: '330000-xfj', toSupervisingUnitId: '000000-xfj' },
    });
    expect(up.next).toBeUndefined();
  });

  it('after downtime fires the breach once, marked late, and skips the warnings it is too late for', () => {
    const clock = handlingClock();
    const r = fire(ctx, clock, 0, at(clock.dueTime, 2));
    expect(r.fired.filter((f) => f.payload).map((f) => f.payload?.$case)).toEqual([
      'deadlineBreached',
      'supervisionOpened',
    ]);
    expect(r.fired.find((f) => f.payload?.$case === 'deadlineBreached')?.payload).toMatchObject({
      value: { late: true },
    });
    expect(r.progress).toBe(3);
  });

  it('lets a petitioner’s window expire instead of breaching', () => {
    const run = toHandlingUnit();
    run.ok(unit('330106-xfj'), {
      $case: 'forwardCase',
      value: { toUnitId: '330106-rsj', toHandlingUnit: true, reason: '' },
    });
    run.ok(unit('330106-rsj'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } });
    run.ok(unit('330106-rsj'), { $case: 'replyCase', value: { opinion: { summary: 'x' }, disposition: 1 } });
    const window = follow(run.events).state.open.find((c) => c.stage === S.CLOCK_STAGE_REVIEW_REQUEST_WINDOW);
    if (!window) throw new Error('no window');
    const r = fire(ctx, window, 0, at(window.dueTime, 1));
    expect(r.fired.map((f) => f.payload?.$case)).toEqual(['windowExpired']);
    expect(r.next).toBeUndefined();
  });

  it('recomputes a provisional due time when the next year’s holidays are published', () => {
    const run = new CaseRun({ now: '2026-12-10T10:00:00+08:00', directory });
    run.ok(undefined, { $case: 'registerPetition', value: { petition: petitionOf() } });
    const clock = follow(run.events).state.open[0];
    if (!clock) throw new Error('no clock');
    // 10 Dec + 15 = 25 Dec (Fri): published. Use a later start that lands in 2027.
    const late = withDue(ctx, { ...clock, startTime: new Date('2026-12-18T02:00:00Z') });
    expect(late).toMatchObject({ provisional: true, dueTime: new Date('2027-01-04T16:00:00Z') });
    const base = stateCouncilTable();
    const next = createLegalCalendar({
      table: holidayTable({
        version: 'cn-2027',
        years: [...base.years, 2027],
        restDays: [...base.restDays, '2027-01-01', '2027-01-04'],
        workdays: [...base.workdays],
      }),
    });
    const moved = withDue({ ...ctx, calendar: next }, late);
    expect(moved).toMatchObject({ provisional: false, dueTime: new Date('2027-01-05T16:00:00Z') });
  });
});
