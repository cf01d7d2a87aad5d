import { type CaseEvent, ClockStage, UnitLevel } from '@petition/contract';
import { hearingDays } from './hearing.ts';
import { type CaseSnapshot, isTerminal } from './snapshot.ts';

// (state, event) → state. Total over the contract: an event it does not know leaves the case as it was
// apart from version, state and custody, which every case event carries.

const time = (t: Date | undefined, fallback: Date) => t ?? fallback;

export class EvolveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvolveError';
  }
}

export function evolve(snapshot: CaseSnapshot | undefined, event: CaseEvent): CaseSnapshot | undefined {
  const payload = event.payload;
  const envelope = event.envelope;
  // A refusal of a command for a case that does not exist (version 0) changes nothing.
  if (!snapshot && payload?.$case !== 'petitionRegistered') return snapshot;
  if (!envelope) throw new EvolveError('a case event without an envelope');
  const at = envelope.occurTime ?? new Date(0);

  if (payload?.$case === 'petitionRegistered') {
    if (snapshot) throw new EvolveError(`case ${envelope.caseId} is already registered`);
    const p = payload.value.petition;
    return {
      caseId: envelope.caseId,
      caseNumber: p?.caseNumber ?? '',
      version: envelope.caseVersion,
      state: event.state,
      custodyUnitId: event.custodyUnitId,
      kind: p?.kind ?? 0,
      category: p?.category ?? 0,
      regionCode: p?.regionCode ?? '',
      anonymous: p?.anonymous ?? false,
      accusedUnitId: p?.accusedUnitId ?? '',
      concernedUnitId: p?.concernedUnitId ?? '',
      representatives: p?.representatives.length ?? 0,
      registeringUnitId: p?.registeringUnitId ?? '',
      receivedTime: time(p?.receivedTime, at),
      registrationDueTime: time(payload.value.registrationDueTime, at),
      coUnitIds: [],
      extensions: 0,
      extensionDays: 0,
      evaluations: {},
      evaluationWindowLapsed: false,
      urges: 0,
      writerNodeId: '',
    };
  }
  if (!snapshot) return snapshot;
  if (envelope.caseVersion !== snapshot.version + 1) {
    throw new EvolveError(`case ${snapshot.caseId} is at version ${snapshot.version}; got ${envelope.caseVersion}`);
  }
  const next: CaseSnapshot = {
    ...snapshot,
    version: envelope.caseVersion,
    state: event.state,
    custodyUnitId: event.custodyUnitId,
    // A case that has ended owes no report: its open supervision notice ends with it, unannounced.
    ...(isTerminal(event.state) ? { supervision: undefined } : {}),
  };
  if (!payload) return next;

  switch (payload.$case) {
    case 'caseForwarded': {
      const v = payload.value;
      return {
        ...next,
        forwarded: {
          fromUnitId: v.fromUnitId,
          toUnitId: v.toUnitId,
          toHandlingUnit: v.toHandlingUnit,
          legLevel: v.legLevel ?? UnitLevel.UNIT_LEVEL_UNSPECIFIED,
          time: at,
          legDueTime: time(v.legDueTime, at),
        },
      };
    }
    case 'caseAssigned': {
      const v = payload.value;
      return {
        ...next,
        assignment: {
          assigningUnitId: v.assigningUnitId,
          assigneeUnitId: v.assigneeUnitId,
          time: at,
          reportDueTime: time(v.reportDueTime, at),
          reported: false,
        },
      };
    }
    case 'completionReported':
      return next.assignment ? { ...next, assignment: { ...next.assignment, reported: true } } : next;
    case 'coUnitsDesignated':
      return { ...next, leadUnitId: payload.value.leadUnitId, coUnitIds: [...payload.value.coUnitIds] };
    case 'caseAccepted':
      return {
        ...next,
        acceptingUnitId: payload.value.acceptingUnitId,
        acceptedTime: time(payload.value.noticeTime, at),
        handlingDueTime: time(payload.value.handlingDueTime, at),
      };
    case 'deadlineExtended':
      return {
        ...next,
        extensions: next.extensions + 1,
        extensionDays: next.extensionDays + payload.value.extraDays,
        handlingDueTime: time(payload.value.newDueTime, at),
      };
    case 'caseReplied':
      return {
        ...next,
        reply: {
          unitId: payload.value.unitId,
          time: time(payload.value.replyTime, at),
          deliveryTime: time(payload.value.deliveryTime, at),
        },
      };
    case 'caseEvaluated':
      return { ...next, evaluations: { ...next.evaluations, [payload.value.stage]: payload.value.evaluation } };
    case 'reviewRequested':
      return {
        ...next,
        review: {
          unitId: payload.value.reviewingUnitId,
          requestTime: at,
          dueTime: time(payload.value.reviewDueTime, at),
        },
      };
    case 'reviewDecided': {
      const v = payload.value;
      if (!next.review) return next;
      const decided = time(v.decideTime, at);
      return {
        ...next,
        review: {
          ...next.review,
          decision: v.decision,
          opinion: { unitId: v.reviewingUnitId, time: decided, deliveryTime: time(v.deliveryTime, decided) },
        },
      };
    }
    case 'reReviewRequested':
      return {
        ...next,
        reReview: {
          unitId: payload.value.reReviewingUnitId,
          requestTime: at,
          dueTime: time(payload.value.reReviewDueTime, at),
          hearing: { pausedDays: 0, held: false },
        },
      };
    case 'hearingStarted': {
      const r = next.reReview;
      if (!r) return next;
      return { ...next, reReview: { ...r, hearing: { ...r.hearing, openSince: time(payload.value.startTime, at) } } };
    }
    case 'hearingEnded': {
      const r = next.reReview;
      if (!r?.hearing.openSince) return next;
      const days = hearingDays(r.hearing.openSince, time(payload.value.endTime, at));
      return { ...next, reReview: { ...r, hearing: { pausedDays: r.hearing.pausedDays + days, held: true } } };
    }
    case 'reReviewDecided': {
      const v = payload.value;
      if (!next.reReview) return next;
      const decided = time(v.decideTime, at);
      return {
        ...next,
        reReview: {
          ...next.reReview,
          decision: v.decision,
          opinion: { unitId: v.reReviewingUnitId, time: decided, deliveryTime: time(v.deliveryTime, decided) },
        },
      };
    }
    case 'caseWindowLapsed':
      return payload.value.stage === ClockStage.CLOCK_STAGE_EVALUATION_WINDOW
        ? { ...next, evaluationWindowLapsed: true }
        : next;
    case 'caseLinkedAsRepeat':
      return { ...next, linkedToCaseId: payload.value.originalCaseId };
    case 'caseClosedAsFinal':
      return { ...next, closure: payload.value.reason };
    case 'repeatCandidatesFlagged': {
      const flagged = { ...next.repeatCandidates };
      for (const candidate of payload.value.candidates) flagged[candidate.caseId] = candidate.caseNumber;
      return { ...next, repeatCandidates: flagged };
    }
    case 'repeatCandidateDismissed': {
      const { [payload.value.candidateCaseId]: _dismissed, ...kept } = next.repeatCandidates ?? {};
      return { ...next, repeatCandidates: kept };
    }
    case 'caseHandedOff': {
      const v = payload.value;
      return { ...next, handoff: { handoffId: v.handoffId, toNodeId: v.toNodeId, toUnitId: v.toUnitId } };
    }
    case 'handoffAccepted':
      return { ...next, handoff: undefined, writerNodeId: payload.value.toNodeId };
    case 'handoffRefused':
      return { ...next, handoff: undefined };
    case 'supervisionIssued': {
      const v = payload.value;
      return {
        ...next,
        supervision: {
          supervisionId: v.supervisionId,
          supervisingUnitId: v.supervisingUnitId,
          reportDueTime: time(v.reportDueTime, at),
          answered: false,
        },
      };
    }
    case 'supervisionAnswered':
      return next.supervision?.supervisionId === payload.value.supervisionId
        ? { ...next, supervision: { ...next.supervision, answered: true } }
        : next;
    case 'supervisionClosed':
      return next.supervision?.supervisionId === payload.value.supervisionId
        ? { ...next, supervision: undefined }
        : next;
    case 'caseTakenInCharge':
      return { ...next, leader: { unitId: payload.value.leaderUnitId, staffId: payload.value.leaderStaffId } };
    case 'caseUrged':
      return { ...next, urges: payload.value.times, lastUrgeTime: at };
    default:
      return next;
  }
}

/** Folds a case's events; `undefined` for an empty log. */
export const replay = (events: Iterable<CaseEvent>): CaseSnapshot | undefined => {
  let snapshot: CaseSnapshot | undefined;
  for (const event of events) snapshot = evolve(snapshot, event);
  return snapshot;
};
