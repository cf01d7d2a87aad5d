import { CaseState, ClosureReason, Evaluation, OpinionStage, PetitionKind, type Unit } from '@petition/contract';
import {
  closure,
  custodian,
  type Decision,
  type DecisionBase,
  deliveredAt,
  dueTime,
  inState,
  isPast,
  known,
  opinionGiven,
  petitioner,
  type Step,
  step,
} from '../context.ts';
import { refuse } from '../refusals.ts';
import type { CaseSnapshot, Opinion } from '../snapshot.ts';

// What the petitioner does with an answer — rate it (满意 / 基本满意 / 不满意), ask for review by the
// handling unit's superior (art 35), then re-review by the reviewer's superior (art 36) — and the
// superiors' opinions. The re-review opinion is final.

const { CASE_STATE_AWAITING_EVALUATION, CASE_STATE_REPLIED, CASE_STATE_REVIEWED, CASE_STATE_UNDER_RE_REVIEW } =
  CaseState;

export function opinionOfStage(s: CaseSnapshot, stage: OpinionStage): Opinion | undefined {
  if (stage === OpinionStage.OPINION_STAGE_HANDLING) return s.reply;
  if (stage === OpinionStage.OPINION_STAGE_REVIEW) return s.review?.opinion;
  if (stage === OpinionStage.OPINION_STAGE_RE_REVIEW) return s.reReview?.opinion;
  return undefined;
}

export function evaluate(d: Decision<'evaluateCase'>, s: CaseSnapshot): Step[] {
  petitioner(d.meta, s);
  const stage = known(d.command.stage, 'stage');
  const evaluation = known(d.command.evaluation, 'evaluation');
  if (!opinionOfStage(s, stage)) refuse('NOTHING_TO_EVALUATE');
  if (s.evaluations[stage] !== undefined) refuse('ALREADY_EVALUATED');
  const handling = stage === OpinionStage.OPINION_STAGE_HANDLING;
  if (handling && s.evaluationWindowLapsed) refuse('WINDOW_CLOSED', 'the evaluation window has run out');
  const answersWaiting = handling && s.state === CASE_STATE_AWAITING_EVALUATION;
  const rated = step(answersWaiting ? CASE_STATE_REPLIED : s.state, s.custodyUnitId, {
    $case: 'caseEvaluated',
    value: { stage, evaluation, comment: d.command.comment },
  });
  if (!answersWaiting) return [rated];
  const satisfied = evaluation !== Evaluation.EVALUATION_DISSATISFIED;
  if (satisfied && d.policy.closeOnSatisfied)
    return [rated, closure(s, ClosureReason.CLOSURE_REASON_PETITIONER_SATISFIED)];
  // Only a complaint (申诉求决) can be reviewed (arts 35–36): the others end once rated.
  if (s.kind !== PetitionKind.PETITION_KIND_COMPLAINT)
    return [rated, closure(s, ClosureReason.CLOSURE_REASON_NO_REVIEW_AVAILABLE)];
  return [rated];
}

/** The superior that hears an appeal against `unitId`'s opinion, if the window is still open. */
function appealTo(
  d: DecisionBase,
  s: CaseSnapshot,
  opinion: Opinion | undefined,
  window: 'reviewRequestWindow' | 'reReviewRequestWindow',
): Unit {
  petitioner(d.meta, s);
  if (s.kind !== PetitionKind.PETITION_KIND_COMPLAINT) refuse('REVIEW_NOT_APPLICABLE');
  if (!opinion) return refuse('WRONG_STATE', 'there is no opinion to appeal');
  const due = dueTime(d, s.regionCode, window, opinion.deliveryTime);
  if (isPast(d.ctx.now, due)) refuse('WINDOW_CLOSED', `the window ended ${due.toISOString()}`);
  return d.ctx.directory.superior(opinion.unitId) ?? refuse('NO_SUPERIOR', opinion.unitId);
}

export function requestReview(d: Decision<'requestReview'>, s: CaseSnapshot): Step[] {
  inState(s, CASE_STATE_AWAITING_EVALUATION, CASE_STATE_REPLIED);
  const reviewer = appealTo(d, s, s.reply, 'reviewRequestWindow');
  return [
    step(CaseState.CASE_STATE_UNDER_REVIEW, reviewer.unitId, {
      $case: 'reviewRequested',
      value: {
        reviewingUnitId: reviewer.unitId,
        reason: d.command.reason,
        reviewDueTime: dueTime(d, s.regionCode, 'review', d.ctx.now),
      },
    }),
  ];
}

export function decideReview(d: Decision<'decideReview'>, s: CaseSnapshot): Step[] {
  const unit = custodian(d.ctx, d.meta, s);
  inState(s, CaseState.CASE_STATE_UNDER_REVIEW);
  const decision = known(d.command.decision, 'decision');
  const opinion = opinionGiven(d.command.opinion, 'opinion');
  const deliveryTime = deliveredAt(d.ctx, d.command.deliveryTime);
  return [
    step(CASE_STATE_REVIEWED, unit.unitId, {
      $case: 'reviewDecided',
      value: { reviewingUnitId: unit.unitId, decision, opinion, decideTime: d.ctx.now, deliveryTime },
    }),
  ];
}

export function requestReReview(d: Decision<'requestReReview'>, s: CaseSnapshot): Step[] {
  inState(s, CASE_STATE_REVIEWED);
  const reReviewer = appealTo(d, s, s.review?.opinion, 'reReviewRequestWindow');
  return [
    step(CASE_STATE_UNDER_RE_REVIEW, reReviewer.unitId, {
      $case: 'reReviewRequested',
      value: {
        reReviewingUnitId: reReviewer.unitId,
        reason: d.command.reason,
        reReviewDueTime: dueTime(d, s.regionCode, 'reReview', d.ctx.now),
      },
    }),
  ];
}

/** Hearings (听证) during re-review stop its clock (art 36). */
export function startHearing(d: Decision<'startHearing'>, s: CaseSnapshot): Step[] {
  const unit = custodian(d.ctx, d.meta, s);
  inState(s, CASE_STATE_UNDER_RE_REVIEW);
  if (s.reReview?.hearing.openSince) refuse('HEARING_ALREADY_OPEN');
  return [
    step(s.state, unit.unitId, { $case: 'hearingStarted', value: { unitId: unit.unitId, startTime: d.ctx.now } }),
  ];
}

export function endHearing(d: Decision<'endHearing'>, s: CaseSnapshot): Step[] {
  const unit = custodian(d.ctx, d.meta, s);
  inState(s, CASE_STATE_UNDER_RE_REVIEW);
  if (!s.reReview?.hearing.openSince) refuse('HEARING_NOT_OPEN');
  return [step(s.state, unit.unitId, { $case: 'hearingEnded', value: { unitId: unit.unitId, endTime: d.ctx.now } })];
}

export function decideReReview(d: Decision<'decideReReview'>, s: CaseSnapshot): Step[] {
  const unit = custodian(d.ctx, d.meta, s);
  inState(s, CASE_STATE_UNDER_RE_REVIEW);
  const hearing = s.reReview?.hearing ?? { pausedDays: 0, held: false };
  if (hearing.openSince) refuse('HEARING_IN_PROGRESS');
  const decision = known(d.command.decision, 'decision');
  const opinion = opinionGiven(d.command.opinion, 'opinion');
  const deliveryTime = deliveredAt(d.ctx, d.command.deliveryTime);
  if (d.command.publicize && !hearing.held) refuse('PUBLICIZE_WITHOUT_HEARING');
  const final = CaseState.CASE_STATE_FINAL;
  return [
    step(final, unit.unitId, {
      $case: 'reReviewDecided',
      value: {
        reReviewingUnitId: unit.unitId,
        decision,
        opinion,
        decideTime: d.ctx.now,
        deliveryTime,
        hearingHeld: hearing.held,
        hearingPausedDays: hearing.pausedDays,
        publicized: d.command.publicize,
      },
    }),
    closure(s, ClosureReason.CLOSURE_REASON_RE_REVIEW_DECIDED, final),
  ];
}
