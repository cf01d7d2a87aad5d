import { CaseState, UnitKind } from '@petition/contract';
import { levelName } from '@petition/directory';
import {
  activeUnit,
  bureauInCustody,
  custodian,
  type Decision,
  dueTime,
  inState,
  isPast,
  receivingUnit,
  required,
  type Step,
  step,
} from '../context.ts';
import { refuse } from '../refusals.ts';
import type { CaseSnapshot } from '../snapshot.ts';

// Forwarding (转送) and assignment (交办) by the bureau holding the case (art 22), and the receiving
// unit's objection within 5 working days (art 23).

const { CASE_STATE_REGISTERED, CASE_STATE_FORWARDING, CASE_STATE_FORWARD_OBJECTED } = CaseState;
/** The states in which a bureau still has the case to pass on. */
export const routableStates = [CASE_STATE_REGISTERED, CASE_STATE_FORWARDING, CASE_STATE_FORWARD_OBJECTED];

export function forward(d: Decision<'forwardCase'>, s: CaseSnapshot): Step[] {
  const from = bureauInCustody(d.ctx, d.meta, s);
  inState(s, ...routableStates);
  const to = receivingUnit(d.ctx, s, d.command.toUnitId, 'toUnitId');
  if (!d.command.toHandlingUnit && to.kind !== UnitKind.UNIT_KIND_PETITION_BUREAU) {
    refuse('NOT_A_PETITION_BUREAU', `${to.unitId} is not a bureau: forward with toHandlingUnit to reach it`);
  }
  // Each level's share of the 15 days (national 5 / provincial 3 / prefecture 3 / county 4), never past them.
  const level = levelName(from.level) ?? 'county';
  const leg = d.ctx.calendar.deadline({
    start: d.ctx.now,
    days: d.policy.forwardingLegDays[level],
    regionCode: s.regionCode,
  }).dueTime;
  const legDueTime = leg.getTime() < s.registrationDueTime.getTime() ? leg : s.registrationDueTime;
  const state = d.command.toHandlingUnit ? CaseState.CASE_STATE_AWAITING_ACCEPTANCE : CASE_STATE_FORWARDING;
  return [
    step(state, to.unitId, {
      $case: 'caseForwarded',
      value: {
        fromUnitId: from.unitId,
        toUnitId: to.unitId,
        legLevel: from.level,
        reason: d.command.reason,
        legDueTime,
        registrationDueTime: s.registrationDueTime,
        toHandlingUnit: d.command.toHandlingUnit,
      },
    }),
  ];
}

export function assign(d: Decision<'assignCase'>, s: CaseSnapshot): Step[] {
  const from = bureauInCustody(d.ctx, d.meta, s);
  inState(s, ...routableStates);
  const to = receivingUnit(d.ctx, s, d.command.assigneeUnitId, 'assigneeUnitId');
  const reportDueTime = d.command.reportDueTime ?? refuse('INVALID_FIELD', 'reportDueTime is missing');
  if (reportDueTime.getTime() <= d.ctx.now.getTime()) refuse('REPORT_DUE_IN_PAST', reportDueTime.toISOString());
  return [
    step(CaseState.CASE_STATE_ASSIGNED, to.unitId, {
      $case: 'caseAssigned',
      value: {
        assigningUnitId: from.unitId,
        assigneeUnitId: to.unitId,
        reportDueTime,
        instructions: d.command.instructions,
      },
    }),
  ];
}

/** Who sent the case to its holder, and when: the last forward or assignment. */
function arrival(s: CaseSnapshot): { fromUnitId: string; time: Date } | undefined {
  const f = s.forwarded?.toUnitId === s.custodyUnitId ? s.forwarded : undefined;
  const a = s.assignment?.assigneeUnitId === s.custodyUnitId ? s.assignment : undefined;
  if (a && (!f || a.time >= f.time)) return { fromUnitId: a.assigningUnitId, time: a.time };
  return f ? { fromUnitId: f.fromUnitId, time: f.time } : undefined;
}

export function object(d: Decision<'objectToForward'>, s: CaseSnapshot): Step[] {
  const unit = custodian(d.ctx, d.meta, s);
  inState(s, CaseState.CASE_STATE_AWAITING_ACCEPTANCE, CaseState.CASE_STATE_ASSIGNED);
  const came = arrival(s) ?? refuse('WRONG_STATE', 'the case was not forwarded or assigned to this unit');
  const reasons = required(d.command.reasons, 'reasons', 'REASON_REQUIRED');
  if (d.command.suggestedUnitId) activeUnit(d.ctx.directory, d.command.suggestedUnitId, 'suggestedUnitId');
  const due = dueTime(d, s.regionCode, 'objection', came.time);
  if (isPast(d.ctx.now, due)) refuse('OBJECTION_WINDOW_CLOSED', `the window ended ${due.toISOString()}`);
  return [
    step(CaseState.CASE_STATE_FORWARD_OBJECTED, came.fromUnitId, {
      $case: 'forwardObjected',
      value: {
        objectingUnitId: unit.unitId,
        forwardingUnitId: came.fromUnitId,
        reasons,
        suggestedUnitId: d.command.suggestedUnitId,
      },
    }),
  ];
}
