import { CaseState, ClockStage, ClosureReason, OpinionStage, PetitionKind } from '@petition/contract';
import {
  closure,
  type Decision,
  dueTime,
  inState,
  isPast,
  known,
  petitioner,
  type Step,
  step,
  system,
} from '../context.ts';
import { refuse } from '../refusals.ts';
import type { CaseSnapshot } from '../snapshot.ts';

// The petitioner withdraws; or a petitioner's window runs out (the watchdog's WindowExpired, applied in the
// case's order, so that a petitioner who acted first wins).

export function withdraw(d: Decision<'withdrawCase'>, s: CaseSnapshot): Step[] {
  petitioner(d.meta, s);
  return [
    step(CaseState.CASE_STATE_WITHDRAWN, s.custodyUnitId, {
      $case: 'caseWithdrawn',
      value: { reason: d.command.reason },
    }),
  ];
}

const { CASE_STATE_AWAITING_EVALUATION, CASE_STATE_REPLIED, CASE_STATE_FINAL } = CaseState;

export function expireWindow(d: Decision<'expireWindow'>, s: CaseSnapshot): Step[] {
  system(d.meta);
  const stage = known(d.command.stage, 'stage');
  const lapse = (
    state: CaseState,
    start: Date,
    window: 'evaluationWindow' | 'reviewRequestWindow' | 'reReviewRequestWindow',
  ) => {
    const due = dueTime(d, s.regionCode, window, start);
    if (!isPast(d.ctx.now, due)) refuse('WINDOW_NOT_DUE', `the window ends ${due.toISOString()}`);
    return step(state, s.custodyUnitId, { $case: 'caseWindowLapsed', value: { stage, dueTime: due } });
  };
  const complaint = s.kind === PetitionKind.PETITION_KIND_COMPLAINT;
  switch (stage) {
    case ClockStage.CLOCK_STAGE_EVALUATION_WINDOW: {
      inState(s, CASE_STATE_AWAITING_EVALUATION);
      if (!s.reply || s.evaluations[OpinionStage.OPINION_STAGE_HANDLING] !== undefined) refuse('WRONG_STATE');
      const lapsed = lapse(CASE_STATE_REPLIED, s.reply.deliveryTime, 'evaluationWindow');
      // Not rated and not reviewable: the case ends; a complaint still has its review window.
      return complaint ? [lapsed] : [lapsed, closure(s, ClosureReason.CLOSURE_REASON_EVALUATION_WINDOW_EXPIRED)];
    }
    case ClockStage.CLOCK_STAGE_REVIEW_REQUEST_WINDOW: {
      inState(s, CASE_STATE_AWAITING_EVALUATION, CASE_STATE_REPLIED);
      if (!s.reply || !complaint) refuse('WRONG_STATE');
      // The handling opinion stands: nothing on the matter is accepted again.
      return [
        lapse(s.state, s.reply.deliveryTime, 'reviewRequestWindow'),
        closure(s, ClosureReason.CLOSURE_REASON_REVIEW_WINDOW_EXPIRED, CASE_STATE_FINAL),
      ];
    }
    case ClockStage.CLOCK_STAGE_RE_REVIEW_REQUEST_WINDOW: {
      inState(s, CaseState.CASE_STATE_REVIEWED);
      const opinion = s.review?.opinion ?? refuse('WRONG_STATE');
      return [
        lapse(s.state, opinion.deliveryTime, 'reReviewRequestWindow'),
        closure(s, ClosureReason.CLOSURE_REASON_RE_REVIEW_WINDOW_EXPIRED, CASE_STATE_FINAL),
      ];
    }
    default:
      return refuse('INVALID_FIELD', `stage ${stage} is not a petitioner's window`);
  }
}
