import type { Unit } from '@petition/contract';
import {
  actingUnit,
  custodian,
  type Decision,
  type DecisionBase,
  dueTime,
  eventIdOf,
  known,
  opinionGiven,
  type Step,
  step,
} from '../context.ts';
import { refuse } from '../refusals.ts';
import type { CaseSnapshot, Supervision } from '../snapshot.ts';

// 督查督办 and 领导包案 (arts 39–41; DESIGN "Supervision"): a unit above the holder issues a supervision
// notice (督办单) with a report date, the holder reports back, the issuer closes it; a leader of the holder
// or of a unit above it takes personal charge. None of them moves the case: state and custody stay.

/** The acting unit, when it lies above the holder: its superior, or over its region (`inSubtree`). */
function above(d: DecisionBase, s: CaseSnapshot, code: 'NOT_SUPERVISOR' | 'NOT_LEADER_OF_CASE'): Unit {
  const unit = actingUnit(d.ctx, d.meta);
  if (unit.unitId === s.custodyUnitId || !d.ctx.directory.inSubtree(s.custodyUnitId, unit.unitId)) {
    refuse(code, unit.unitId);
  }
  return unit;
}

const staffIdOf = (d: DecisionBase) => (d.meta.actor?.$case === 'unit' ? d.meta.actor.value.staffId : '');

/** The open notice the command names; NO_SUPERVISION for any other id, or when none is open. */
function openNotice(s: CaseSnapshot, supervisionId: string): Supervision {
  const open = s.supervision;
  if (!open || !supervisionId || open.supervisionId !== supervisionId) return refuse('NO_SUPERVISION', supervisionId);
  return open;
}

export function issueSupervision(d: Decision<'issueSupervision'>, s: CaseSnapshot): Step[] {
  const unit = above(d, s, 'NOT_SUPERVISOR');
  if (s.supervision) refuse('SUPERVISION_ALREADY_OPEN', s.supervision.supervisionId);
  const ground = known(d.command.ground, 'ground');
  const reportDueTime = d.command.reportDueTime ?? refuse('INVALID_FIELD', 'reportDueTime is missing');
  if (!(reportDueTime.getTime() > d.ctx.now.getTime())) {
    refuse('INVALID_FIELD', `reportDueTime ${reportDueTime.toISOString()} is not in the future`);
  }
  // The notice fixes its own date, within the longest report period the region's policy allows.
  const latest = dueTime(d, s.regionCode, 'supervisionReport', d.ctx.now);
  if (reportDueTime.getTime() > latest.getTime()) {
    refuse('INVALID_FIELD', `reportDueTime is after ${latest.toISOString()}`);
  }
  return [
    step(s.state, s.custodyUnitId, {
      $case: 'supervisionIssued',
      value: {
        // The id of this very event (the first of the command's), so the notice and its event share it.
        supervisionId: eventIdOf(d.meta.commandId, 0),
        supervisingUnitId: unit.unitId,
        supervisedUnitId: s.custodyUnitId,
        ground,
        instructions: d.command.instructions,
        reportDueTime,
        staffId: staffIdOf(d),
      },
    }),
  ];
}

export function answerSupervision(d: Decision<'answerSupervision'>, s: CaseSnapshot): Step[] {
  const unit = custodian(d.ctx, d.meta, s);
  const notice = openNotice(s, d.command.supervisionId);
  if (notice.answered) refuse('SUPERVISION_ALREADY_ANSWERED', notice.supervisionId);
  const report = opinionGiven(d.command.report, 'report');
  return [
    step(s.state, s.custodyUnitId, {
      $case: 'supervisionAnswered',
      value: {
        supervisionId: notice.supervisionId,
        unitId: unit.unitId,
        report,
        answerTime: d.ctx.now,
        inTime: d.ctx.now.getTime() <= notice.reportDueTime.getTime(),
      },
    }),
  ];
}

export function closeSupervision(d: Decision<'closeSupervision'>, s: CaseSnapshot): Step[] {
  const unit = actingUnit(d.ctx, d.meta);
  const notice = openNotice(s, d.command.supervisionId);
  if (unit.unitId !== notice.supervisingUnitId) refuse('NOT_SUPERVISOR', unit.unitId);
  return [
    step(s.state, s.custodyUnitId, {
      $case: 'supervisionClosed',
      value: {
        supervisionId: notice.supervisionId,
        supervisingUnitId: notice.supervisingUnitId,
        conclusion: d.command.conclusion,
        answered: notice.answered,
      },
    }),
  ];
}

/** 领导包案: the acting staff member, of the holder or a unit above it, takes charge (the role is intake's check). */
export function takeCharge(d: Decision<'takeCharge'>, s: CaseSnapshot): Step[] {
  const unit = actingUnit(d.ctx, d.meta);
  if (unit.unitId !== s.custodyUnitId) above(d, s, 'NOT_LEADER_OF_CASE');
  const staffId = staffIdOf(d) || refuse('INVALID_FIELD', 'the acting staff member is not named');
  if (s.leader?.staffId === staffId) refuse('ALREADY_IN_CHARGE', staffId);
  return [
    step(s.state, s.custodyUnitId, {
      $case: 'caseTakenInCharge',
      value: {
        leaderUnitId: unit.unitId,
        leaderStaffId: staffId,
        note: d.command.note,
        previousLeaderStaffId: s.leader?.staffId ?? '',
      },
    }),
  ];
}
