import { CaseState, CoUnitBasis, caseStateToJSON, RepeatBasis, TransferReason, type Unit } from '@petition/contract';
import {
  actingUnit,
  bureauInCustody,
  custodian,
  type Decision,
  type DecisionBase,
  inState,
  known,
  receivingUnit,
  required,
  type Step,
  step,
  system,
} from '../context.ts';
import { refuse } from '../refusals.ts';
import { type CaseSnapshot, isTerminal } from '../snapshot.ts';
import { routableStates } from './forwarding.ts';

// Custody that moves without a forward: transfers (arts 23–25), the lead unit among several (art 24), and
// a repeat linked to its original instead of being handled again (arts 19, 36).

const { CASE_STATE_FORWARD_OBJECTED, CASE_STATE_AWAITING_ACCEPTANCE } = CaseState;

/**
 * A review or re-review is decided by the unit the petitioner asked (arts 35–36): a bureau's or a superior's
 * transfer may not take the case from it meanwhile (a directory change still moves it, by its own rule).
 */
function notUnderReview(s: CaseSnapshot) {
  if (s.state === CaseState.CASE_STATE_UNDER_REVIEW || s.state === CaseState.CASE_STATE_UNDER_RE_REVIEW)
    refuse('WRONG_STATE', caseStateToJSON(s.state));
}

function commonSuperiorActs(d: DecisionBase, unitIds: string[]): Unit {
  const actor = actingUnit(d.ctx, d.meta);
  const superior = d.ctx.directory.commonSuperior(unitIds);
  if (superior?.unitId !== actor.unitId) {
    refuse('NOT_COMMON_SUPERIOR', `the common superior of ${unitIds.join(', ')} is ${superior?.unitId ?? 'none'}`);
  }
  return actor;
}

export function transfer(d: Decision<'transferCase'>, s: CaseSnapshot): Step[] {
  const reason = known(d.command.reason, 'reason');
  const { directory } = d.ctx;
  let targetId = d.command.toUnitId;
  let state = s.state;
  switch (reason) {
    case TransferReason.TRANSFER_REASON_UNIT_MERGED:
    case TransferReason.TRANSFER_REASON_UNIT_SPLIT:
    case TransferReason.TRANSFER_REASON_UNIT_DISSOLVED: {
      system(d.meta);
      required(d.command.directoryEventId, 'directoryEventId');
      if (!directory.unit(s.custodyUnitId)?.dissolved) refuse('CUSTODY_UNIT_ACTIVE', s.custodyUnitId);
      targetId ||= directory.current(s.custodyUnitId)?.unitId ?? '';
      break;
    }
    case TransferReason.TRANSFER_REASON_OBJECTION_UPHELD:
      bureauInCustody(d.ctx, d.meta, s);
      inState(s, CASE_STATE_FORWARD_OBJECTED);
      state = CASE_STATE_AWAITING_ACCEPTANCE;
      break;
    case TransferReason.TRANSFER_REASON_SUPERIOR_DESIGNATED:
      notUnderReview(s);
      commonSuperiorActs(d, [s.custodyUnitId, required(targetId, 'toUnitId')]);
      if (s.state === CASE_STATE_FORWARD_OBJECTED) state = CASE_STATE_AWAITING_ACCEPTANCE;
      break;
    case TransferReason.TRANSFER_REASON_MANUAL:
      notUnderReview(s);
      bureauInCustody(d.ctx, d.meta, s);
      break;
    default:
      refuse('INVALID_FIELD', `reason ${reason} is unknown`);
  }
  const to = receivingUnit(d.ctx, s, targetId, 'toUnitId');
  return [
    step(state, to.unitId, {
      $case: 'custodyTransferred',
      value: {
        fromUnitId: s.custodyUnitId,
        toUnitId: to.unitId,
        reason,
        directoryEventId: d.command.directoryEventId,
        note: d.command.note,
      },
    }),
  ];
}

/** Art 24: the units involved agree on a lead (recorded by the holder), or their common superior decides. */
export function designateCoUnits(d: Decision<'designateCoUnits'>, s: CaseSnapshot): Step[] {
  inState(
    s,
    CASE_STATE_AWAITING_ACCEPTANCE,
    CaseState.CASE_STATE_ASSIGNED,
    CaseState.CASE_STATE_ACCEPTED,
    CASE_STATE_FORWARD_OBJECTED,
  );
  const { leadUnitId, coUnitIds } = d.command;
  const basis = known(d.command.basis, 'basis');
  if (coUnitIds.length === 0) refuse('INVALID_FIELD', 'coUnitIds is empty');
  const all = [leadUnitId, ...coUnitIds];
  if (new Set(all).size !== all.length) refuse('INVALID_FIELD', 'the lead and co-units must be distinct');
  for (const id of all) {
    if (id !== s.custodyUnitId) receivingUnit(d.ctx, s, id, id === leadUnitId ? 'leadUnitId' : 'coUnitIds');
  }
  const designating =
    basis === CoUnitBasis.CO_UNIT_BASIS_SUPERIOR_DECIDED
      ? commonSuperiorActs(d, [...new Set([s.custodyUnitId, ...all])])
      : custodian(d.ctx, d.meta, s);
  return [
    step(s.state, leadUnitId, {
      $case: 'coUnitsDesignated',
      value: { leadUnitId, coUnitIds: [...coUnitIds], basis, designatingUnitId: designating.unitId },
    }),
  ];
}

/**
 * The basis on which a case repeats an original in `state` (arts 19, 36): final → FINAL, still in progress →
 * IN_PROGRESS, ended another way → none. What linkAsRepeat checks a basis against, and what intake links by.
 */
export const repeatBasisFor = (state: CaseState): RepeatBasis | undefined => {
  if (state === CaseState.CASE_STATE_FINAL) return RepeatBasis.REPEAT_BASIS_FINAL;
  return isTerminal(state) ? undefined : RepeatBasis.REPEAT_BASIS_IN_PROGRESS;
};

/** Arts 19 and 36: a matter in progress, or final, is linked to its original and not accepted again. */
export function linkAsRepeat(d: Decision<'linkAsRepeat'>, s: CaseSnapshot): Step[] {
  // Staff of the holder link a case; intake links an exact repeat it found at registration as the system
  // (whoever registered it, a registrar or a citizen online), and only intake writes commands.
  const actor = d.meta.actor;
  if (actor?.$case !== 'system') custodian(d.ctx, d.meta, s);
  else if (actor.value.service !== 'intake') refuse('ACTOR_NOT_ALLOWED', 'only intake links a repeat automatically');
  inState(s, ...routableStates, CASE_STATE_AWAITING_ACCEPTANCE, CaseState.CASE_STATE_ASSIGNED);
  const basis = known(d.command.basis, 'basis');
  const originalId = required(d.command.originalCaseId, 'originalCaseId');
  if (originalId === s.caseId) refuse('INVALID_FIELD', 'a case cannot repeat itself');
  const original = d.ctx.cases?.(originalId) ?? refuse('ORIGINAL_NOT_FOUND', originalId);
  const originalBasis = repeatBasisFor(original.state);
  if (basis === RepeatBasis.REPEAT_BASIS_IN_PROGRESS && originalBasis !== basis) {
    refuse('ORIGINAL_NOT_IN_PROGRESS', original.caseNumber);
  }
  if (basis === RepeatBasis.REPEAT_BASIS_FINAL && originalBasis !== basis) {
    refuse('ORIGINAL_NOT_FINAL', original.caseNumber);
  }
  return [
    step(CaseState.CASE_STATE_LINKED_AS_REPEAT, s.custodyUnitId, {
      $case: 'caseLinkedAsRepeat',
      value: { originalCaseId: originalId, originalCaseNumber: original.caseNumber, basis, reason: d.command.reason },
    }),
  ];
}
