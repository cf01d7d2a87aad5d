import { CaseState, ClosureReason } from '@petition/contract';
import {
  actingUnit,
  closure,
  custodian,
  type Decision,
  deliveredAt,
  dueTime,
  inState,
  isPast,
  known,
  opinionGiven,
  required,
  type Step,
  step,
} from '../context.ts';
import { refuse } from '../refusals.ts';
import type { CaseSnapshot } from '../snapshot.ts';

// Handling after acceptance: one extension of at most 30 days with a reason (art 34), the handling opinion
// (art 33), and the assignee's completion report to the assigning bureau (art 22).

export function extend(d: Decision<'extendDeadline'>, s: CaseSnapshot): Step[] {
  const unit = custodian(d.ctx, d.meta, s);
  inState(s, CaseState.CASE_STATE_ACCEPTED);
  if (s.extensions >= d.policy.maxExtensions) refuse('EXTENSION_ALREADY_USED');
  const reason = required(d.command.reason, 'reason', 'REASON_REQUIRED');
  const extraDays = d.command.extraDays;
  if (!Number.isInteger(extraDays) || extraDays < 1) refuse('INVALID_FIELD', 'extraDays must be at least 1');
  if (s.extensionDays + extraDays > d.policy.maxExtensionDays) refuse('EXTENSION_TOO_LONG', `${extraDays} days`);
  const acceptedTime = s.acceptedTime ?? refuse('WRONG_STATE', 'the case has no acceptance');
  if (s.handlingDueTime && isPast(d.ctx.now, s.handlingDueTime)) refuse('HANDLING_PERIOD_EXPIRED');
  const newDueTime = dueTime(d, s.regionCode, 'handling', acceptedTime, { days: s.extensionDays + extraDays });
  return [
    step(s.state, unit.unitId, {
      $case: 'deadlineExtended',
      value: { unitId: unit.unitId, reason, extraDays, newDueTime, approvalReference: d.command.approvalReference },
    }),
  ];
}

export function reply(d: Decision<'replyCase'>, s: CaseSnapshot): Step[] {
  const unit = custodian(d.ctx, d.meta, s);
  inState(s, CaseState.CASE_STATE_ACCEPTED);
  const opinion = opinionGiven(d.command.opinion, 'opinion');
  const disposition = known(d.command.disposition, 'disposition');
  const deliveryTime = deliveredAt(d.ctx, d.command.deliveryTime);
  const replied = (state: CaseState) =>
    step(state, unit.unitId, {
      $case: 'caseReplied',
      value: { unitId: unit.unitId, opinion, disposition, replyTime: d.ctx.now, deliveryTime },
    });
  // An anonymous accusation has nobody to rate or appeal the answer: it ends here.
  if (s.anonymous) {
    return [replied(CaseState.CASE_STATE_REPLIED), closure(s, ClosureReason.CLOSURE_REASON_ANONYMOUS_ANSWERED)];
  }
  return [replied(CaseState.CASE_STATE_AWAITING_EVALUATION)];
}

export function reportCompletion(d: Decision<'reportCompletion'>, s: CaseSnapshot): Step[] {
  const unit = actingUnit(d.ctx, d.meta);
  const assignment = s.assignment;
  if (!assignment || assignment.reported) refuse('NO_ASSIGNMENT');
  if (unit.unitId !== assignment.assigneeUnitId) refuse('NOT_IN_CUSTODY');
  const report = opinionGiven(d.command.report, 'report');
  // Reported before being handled as a petition, the assignment ends the case; otherwise it runs on.
  const state = s.state === CaseState.CASE_STATE_ASSIGNED ? CaseState.CASE_STATE_COMPLETION_REPORTED : s.state;
  return [
    step(state, s.custodyUnitId, {
      $case: 'completionReported',
      value: {
        assigneeUnitId: unit.unitId,
        assigningUnitId: assignment.assigningUnitId,
        report,
        reportTime: d.ctx.now,
      },
    }),
  ];
}
