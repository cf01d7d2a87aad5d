import {
  CaseState,
  ClockStage,
  ClosureReason,
  Evaluation,
  OpinionStage,
  PetitionKind,
  ReplyDisposition,
  ReviewDecision,
  TransferReason,
} from '@petition/contract';
import { type Directory, unitMerged } from '@petition/directory';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Body, CaseRun, payloadOf, petition, petitionerOf, realDirectory, unit, watchdog } from './test-kit.ts';

// Handling, extension, answers, evaluation, review and re-review (arts 33–36), windows that run out, and
// custody following the directory.

let directory: Directory;
beforeAll(() => {
  directory = realDirectory();
});

const start = '2026-11-20T10:00:00+08:00';
const reply: Body = {
  $case: 'replyCase',
  value: { opinion: { summary: '责令补发工资' }, disposition: ReplyDisposition.REPLY_DISPOSITION_SUPPORTED },
};
const extend = (extraDays: number, reason = '案情复杂，需调查取证'): Body => ({
  $case: 'extendDeadline',
  value: { extraDays, reason, approvalReference: '审批-1' },
});
const evaluate = (evaluation: Evaluation, stage: OpinionStage = OpinionStage.OPINION_STAGE_HANDLING): Body => ({
  $case: 'evaluateCase',
  value: { stage, evaluation, comment: '' },
});
const requestReview: Body = { $case: 'requestReview', value: { reason: '不服处理意见' } };
const requestReReview: Body = { $case: 'requestReReview', value: { reason: '不服复查意见' } };
const decision = (publicize = false): Body => ({
  $case: 'decideReReview',
  value: { decision: ReviewDecision.REVIEW_DECISION_UPHELD, opinion: { summary: '维持' }, publicize },
});
const expire = (stage: ClockStage): Body => ({
  $case: 'expireWindow',
  value: { stage, clockId: 'c', deadlineEventId: 'd' },
});

function accepted(kind: PetitionKind = PetitionKind.PETITION_KIND_COMPLAINT, over = {}) {
  const run = new CaseRun({ now: start, directory });
  run.ok(undefined, { $case: 'registerPetition', value: { petition: petition({ kind, ...over }) } });
  run.ok(unit('330106-xfj'), {
    $case: 'forwardCase',
    value: { toUnitId: '330106-rsj', toHandlingUnit: true, reason: '' },
  });
  run.ok(unit('330106-rsj'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } });
  return run;
}

function replied(kind: PetitionKind = PetitionKind.PETITION_KIND_COMPLAINT) {
  const run = accepted(kind);
  run.at(20).ok(unit('330106-rsj'), reply);
  return run;
}

describe('art 34: one extension of at most 30 days, with a reason', () => {
  it('extends once; the new due counts from acceptance', () => {
    const run = accepted();
    expect(run.refused(unit('330106-rsj'), extend(31))).toBe('EXTENSION_TOO_LONG');
    expect(run.refused(unit('330106-rsj'), extend(10, ''))).toBe('REASON_REQUIRED');
    expect(run.refused(unit('330106-rsj'), extend(0))).toBe('INVALID_FIELD');
    const [event] = run.at(50).ok(unit('330106-rsj'), extend(30));
    const value = payloadOf(event, 'deadlineExtended');
    // 2026-11-20 + 90 = 2027-02-18, inside the Spring Festival holiday (2-15…2-23) → 2027 is not published,
    // so the provisional rule keeps the weekday: 2027-02-18 is a Thursday.
    expect(value?.newDueTime?.toISOString()).toBe('2027-02-18T16:00:00.000Z');
    expect(run.refused(unit('330106-rsj'), extend(5))).toBe('EXTENSION_ALREADY_USED');
  });

  it('cannot extend a period that has run out', () => {
    const run = accepted();
    expect(run.at('2027-01-20T08:00:00+08:00').refused(unit('330106-rsj'), extend(10))).toBe('HANDLING_PERIOD_EXPIRED');
  });
});

describe('the handling opinion and its evaluation (满意 / 基本满意 / 不满意)', () => {
  it('waits for the petitioner’s rating; one rating per opinion', () => {
    const run = replied();
    expect(run.state).toBe(CaseState.CASE_STATE_AWAITING_EVALUATION);
    expect(
      run.refused(
        petitionerOf(run.caseNumber),
        evaluate(Evaluation.EVALUATION_SATISFIED, OpinionStage.OPINION_STAGE_REVIEW),
      ),
    ).toBe('NOTHING_TO_EVALUATE');
    run.ok(petitionerOf(run.caseNumber), evaluate(Evaluation.EVALUATION_BASICALLY_SATISFIED));
    expect(run.state).toBe(CaseState.CASE_STATE_REPLIED);
    expect<number | undefined>(run.snapshot?.evaluations[OpinionStage.OPINION_STAGE_HANDLING]).toBe(
      Evaluation.EVALUATION_BASICALLY_SATISFIED,
    );
    expect(run.refused(petitionerOf(run.caseNumber), evaluate(Evaluation.EVALUATION_DISSATISFIED))).toBe(
      'ALREADY_EVALUATED',
    );
  });

  it('closes a suggestion once rated: only complaints are reviewed', () => {
    const run = replied(PetitionKind.PETITION_KIND_SUGGESTION);
    expect(run.refused(petitionerOf(run.caseNumber), requestReview)).toBe('REVIEW_NOT_APPLICABLE');
    run.ok(petitionerOf(run.caseNumber), evaluate(Evaluation.EVALUATION_SATISFIED));
    expect(run.snapshot).toMatchObject({
      state: CaseState.CASE_STATE_CLOSED,
      closure: ClosureReason.CLOSURE_REASON_NO_REVIEW_AVAILABLE,
    });
  });

  it('lapses the evaluation window only once it has run out (a stale timer is refused, retryable)', () => {
    const run = replied();
    const early = run.send(watchdog, expire(ClockStage.CLOCK_STAGE_EVALUATION_WINDOW));
    expect(early.kind === 'refused' && early.refusal).toMatchObject({ code: 'WINDOW_NOT_DUE', retryable: true });
    // Replied Thu 2026-12-10: 30 days end Sat 2027-01-09, so the window runs to Mon 2027-01-11.
    expect(run.at(31).refused(watchdog, expire(ClockStage.CLOCK_STAGE_EVALUATION_WINDOW))).toBe('WINDOW_NOT_DUE');
    run.at(2).ok(watchdog, expire(ClockStage.CLOCK_STAGE_EVALUATION_WINDOW));
    expect(run.snapshot).toMatchObject({ state: CaseState.CASE_STATE_REPLIED, evaluationWindowLapsed: true });
    expect(run.refused(petitionerOf(run.caseNumber), evaluate(Evaluation.EVALUATION_SATISFIED))).toBe('WINDOW_CLOSED');
    expect(run.refused(unit('330106-rsj'), expire(ClockStage.CLOCK_STAGE_REVIEW_REQUEST_WINDOW))).toBe(
      'ACTOR_NOT_ALLOWED',
    );
  });

  it('ends an anonymous accusation when answered: nobody can rate or appeal it', () => {
    const run = new CaseRun({ now: start, directory });
    const anonymous = petition({ kind: PetitionKind.PETITION_KIND_ACCUSATION, anonymous: true, petitioner: undefined });
    run.ok(undefined, { $case: 'registerPetition', value: { petition: anonymous } });
    run.ok(unit('330106-xfj'), {
      $case: 'forwardCase',
      value: { toUnitId: '330106-jw', toHandlingUnit: true, reason: '' },
    });
    run.ok(unit('330106-jw'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } });
    const events = run.ok(unit('330106-jw'), reply);
    expect(events.map((e) => e.payload?.$case)).toEqual(['caseReplied', 'caseClosedAsFinal']);
    expect(run.snapshot?.closure).toBe(ClosureReason.CLOSURE_REASON_ANONYMOUS_ANSWERED);
  });
});

describe('art 35: review by the handling unit’s superior within 30 days', () => {
  it('goes to the superior of the replying unit, and the opinion comes back from it', () => {
    const run = replied();
    run.at(29).ok(petitionerOf(run.caseNumber), requestReview);
    expect(run.snapshot).toMatchObject({ state: CaseState.CASE_STATE_UNDER_REVIEW, custodyUnitId: '330106-zf' });
    expect(
      run.refused(unit('330106-rsj'), { $case: 'decideReview', value: { decision: 1, opinion: { summary: 'x' } } }),
    ).toBe('NOT_IN_CUSTODY');
    run.at(10).ok(unit('330106-zf'), {
      $case: 'decideReview',
      value: { decision: ReviewDecision.REVIEW_DECISION_UPHELD, opinion: { summary: '维持原处理意见' } },
    });
    expect(run.state).toBe(CaseState.CASE_STATE_REVIEWED);
  });

  it('stays with the reviewer until it decides: neither a manual nor a designated transfer takes it away', () => {
    const run = replied();
    run.at(5).ok(petitionerOf(run.caseNumber), requestReview);
    const transfer = (reason: TransferReason): Body => ({
      $case: 'transferCase',
      value: { toUnitId: '330106-jyj', reason, directoryEventId: '', note: '' },
    });
    expect(run.refused(unit('330106-zf'), transfer(TransferReason.TRANSFER_REASON_MANUAL))).toBe('WRONG_STATE');
    expect(run.refused(unit('330100-zf'), transfer(TransferReason.TRANSFER_REASON_SUPERIOR_DESIGNATED))).toBe(
      'WRONG_STATE',
    );
    expect(run.snapshot).toMatchObject({ state: CaseState.CASE_STATE_UNDER_REVIEW, custodyUnitId: '330106-zf' });
  });

  it('refuses a request after 30 days; the lapsed window makes the opinion final', () => {
    const run = replied();
    run.at('2027-01-11T23:59:00+08:00').ok(petitionerOf(run.caseNumber), evaluate(Evaluation.EVALUATION_DISSATISFIED));
    run.at('2027-01-12T00:01:00+08:00');
    expect(run.refused(petitionerOf(run.caseNumber), requestReview)).toBe('WINDOW_CLOSED');
    run.ok(watchdog, expire(ClockStage.CLOCK_STAGE_REVIEW_REQUEST_WINDOW));
    expect(run.snapshot).toMatchObject({
      state: CaseState.CASE_STATE_FINAL,
      closure: ClosureReason.CLOSURE_REASON_REVIEW_WINDOW_EXPIRED,
    });
  });
});

describe('art 36: re-review by the reviewer’s superior, hearing time not counted, then final', () => {
  function underReReview() {
    const run = replied();
    run.at(5).ok(petitionerOf(run.caseNumber), requestReview);
    run.at(10).ok(unit('330106-zf'), {
      $case: 'decideReview',
      value: { decision: ReviewDecision.REVIEW_DECISION_UPHELD, opinion: { summary: '维持' } },
    });
    run.at(5).ok(petitionerOf(run.caseNumber), requestReReview);
    return run;
  }

  it('goes one level further up; a hearing pauses the clock; the decision is final and nothing is accepted again', () => {
    const run = underReReview();
    expect(run.snapshot).toMatchObject({ state: CaseState.CASE_STATE_UNDER_RE_REVIEW, custodyUnitId: '330100-zf' });
    expect(run.refused(unit('330100-zf'), decision(true))).toBe('PUBLICIZE_WITHOUT_HEARING');
    run.ok(unit('330100-zf'), { $case: 'startHearing', value: {} });
    expect(run.refused(unit('330100-zf'), { $case: 'startHearing', value: {} })).toBe('HEARING_ALREADY_OPEN');
    expect(run.refused(unit('330100-zf'), decision())).toBe('HEARING_IN_PROGRESS');
    run.at(2).ok(unit('330100-zf'), { $case: 'endHearing', value: {} });
    expect(run.snapshot?.reReview?.hearing).toEqual({ pausedDays: 3, held: true });
    const events = run.at(3).ok(unit('330100-zf'), decision(true));
    const decided = payloadOf(events[0], 'reReviewDecided');
    expect(decided).toMatchObject({ hearingHeld: true, hearingPausedDays: 3, publicized: true });
    expect(run.snapshot).toMatchObject({
      state: CaseState.CASE_STATE_FINAL,
      closure: ClosureReason.CLOSURE_REASON_RE_REVIEW_DECIDED,
    });
    expect(run.refused(petitionerOf(run.caseNumber), { $case: 'withdrawCase', value: { reason: '' } })).toBe(
      'CASE_FINAL',
    );
    // The final opinion can still be rated.
    run.ok(
      petitionerOf(run.caseNumber),
      evaluate(Evaluation.EVALUATION_DISSATISFIED, OpinionStage.OPINION_STAGE_RE_REVIEW),
    );
  });

  it('closes as final when the re-review window lapses', () => {
    const run = replied();
    run.at(5).ok(petitionerOf(run.caseNumber), requestReview);
    run.at(10).ok(unit('330106-zf'), {
      $case: 'decideReview',
      value: { decision: ReviewDecision.REVIEW_DECISION_CHANGED, opinion: { summary: '变更' } },
    });
    expect(run.at(29).refused(watchdog, expire(ClockStage.CLOCK_STAGE_RE_REVIEW_REQUEST_WINDOW))).toBe(
      'WINDOW_NOT_DUE',
    );
    run.at(3).ok(watchdog, expire(ClockStage.CLOCK_STAGE_RE_REVIEW_REQUEST_WINDOW));
    expect(run.snapshot?.closure).toBe(ClosureReason.CLOSURE_REASON_RE_REVIEW_WINDOW_EXPIRED);
  });
});

describe('art 25: custody follows the directory', () => {
  it('moves a case from a merged unit to its survivor, on the system’s word only', () => {
    const own = realDirectory();
    const run = new CaseRun({ now: start, directory: own });
    run.ok(undefined, { $case: 'registerPetition', value: { petition: petition() } });
    run.ok(unit('330106-xfj'), {
      $case: 'forwardCase',
      value: { toUnitId: '330106-rsj', toHandlingUnit: true, reason: '' },
    });
    const move: Body = {
      $case: 'transferCase',
      value: {
        reason: TransferReason.TRANSFER_REASON_UNIT_MERGED,
        directoryEventId: 'unit-event-1',
        toUnitId: '',
        note: '',
      },
    };
    expect(run.refused(watchdog, move)).toBe('CUSTODY_UNIT_ACTIVE');
    for (const e of unitMerged(own, '330106-rsj', '330106-mzj', run.now)) own.apply(e);
    expect(run.refused(unit('330106-xfj'), move)).toBe('ACTOR_NOT_ALLOWED');
    run.ok(watchdog, move);
    expect(run.snapshot?.custodyUnitId).toBe('330106-mzj');
  });
});

describe('commands that cannot apply', () => {
  it('refuses a stale expected version, a command for no case, and a malformed command', () => {
    const run = accepted();
    const version = run.snapshot?.version ?? 0;
    const outcome = run.send(unit('330106-rsj'), reply, { expectedCaseVersion: version - 1 });
    expect(outcome.kind === 'refused' && outcome.refusal.code).toBe('CASE_VERSION_CONFLICT');
    expect(run.snapshot?.version).toBe(version + 1);
    expect(run.snapshot?.state).toBe(CaseState.CASE_STATE_ACCEPTED);
    const other = new CaseRun({ now: start, directory });
    expect(other.refused(unit('330106-rsj'), reply)).toBe('CASE_NOT_FOUND');
    expect(other.send(unit('330106-rsj'), reply, { commandId: '' }).kind).toBe('refused');
  });
});
