import { CaseState, LegalChannel, NotAcceptedReason, PetitionKind, UnitKind } from '@petition/contract';
import {
  custodian,
  type Decision,
  type DecisionBase,
  dueTime,
  inState,
  known,
  required,
  type Step,
  step,
} from '../context.ts';
import { refuse } from '../refusals.ts';
import type { CaseSnapshot } from '../snapshot.ts';

// The written notice of the unit with authority (art 23): accepted, not accepted, or guided to a legal
// channel (诉访分离, art 31) — never for a mere suggestion (art 29).

const { CASE_STATE_REGISTERED, CASE_STATE_AWAITING_ACCEPTANCE, CASE_STATE_ASSIGNED } = CaseState;

/** The holder may give its notice: a forward or assignment reached it, or it registered the matter itself. */
function deciding(d: DecisionBase, s: CaseSnapshot) {
  const unit = custodian(d.ctx, d.meta, s);
  inState(s, CASE_STATE_REGISTERED, CASE_STATE_AWAITING_ACCEPTANCE, CASE_STATE_ASSIGNED);
  if (s.state === CASE_STATE_REGISTERED && unit.kind === UnitKind.UNIT_KIND_PETITION_BUREAU) {
    refuse('WRONG_STATE', 'a bureau forwards or assigns what it registered (art 22)');
  }
  return unit;
}

export function accept(d: Decision<'acceptCase'>, s: CaseSnapshot): Step[] {
  const unit = deciding(d, s);
  return [
    step(CaseState.CASE_STATE_ACCEPTED, unit.unitId, {
      $case: 'caseAccepted',
      value: {
        acceptingUnitId: unit.unitId,
        noticeTime: d.ctx.now,
        handlingDueTime: dueTime(d, s.regionCode, 'handling', d.ctx.now),
        noticeDocumentUri: d.command.noticeDocumentUri,
      },
    }),
  ];
}

export function notAccept(d: Decision<'notAcceptCase'>, s: CaseSnapshot): Step[] {
  const unit = deciding(d, s);
  const reason = known(d.command.reason, 'reason');
  if (reason === NotAcceptedReason.NOT_ACCEPTED_REASON_OTHER)
    required(d.command.reasonText, 'reasonText', 'REASON_REQUIRED');
  return [
    step(CaseState.CASE_STATE_NOT_ACCEPTED, unit.unitId, {
      $case: 'caseNotAccepted',
      value: {
        unitId: unit.unitId,
        reason,
        reasonText: d.command.reasonText,
        noticeTime: d.ctx.now,
        noticeDocumentUri: d.command.noticeDocumentUri,
      },
    }),
  ];
}

export function guide(d: Decision<'guideToLegalChannel'>, s: CaseSnapshot): Step[] {
  const unit = deciding(d, s);
  if (s.kind === PetitionKind.PETITION_KIND_SUGGESTION) refuse('GUIDANCE_NOT_APPLICABLE');
  const legalChannel = known(d.command.legalChannel, 'legalChannel');
  if (legalChannel === LegalChannel.LEGAL_CHANNEL_OTHER) required(d.command.channelDetail, 'channelDetail');
  const reason = required(d.command.reason, 'reason', 'REASON_REQUIRED');
  return [
    step(CaseState.CASE_STATE_GUIDED_TO_LEGAL_CHANNEL, unit.unitId, {
      $case: 'caseGuidedToLegalChannel',
      value: {
        unitId: unit.unitId,
        legalChannel,
        channelDetail: d.command.channelDetail,
        reason,
        noticeTime: d.ctx.now,
      },
    }),
  ];
}
