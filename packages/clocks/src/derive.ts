import { type CaseEvent, CaseState, ClockStage, ClockStopReason, RecomputeReason } from '@petition/contract';
import { levelName } from '@petition/directory';
import { accusedOf } from '@petition/jurisdiction';
import { hearingDays, isTerminal } from '@petition/lifecycle';
import { type CaseInfo, type Clock, type ClockContext, isComplaint, startClock, withDue } from './clock.ts';

// The clocks of a case, moved by each of its events: which start, which stop (and whether the step was
// done in time), which move. Pure; the watchdog stores the result and publishes the changes.

export type ClockChange =
  | { readonly kind: 'started'; readonly clock: Clock }
  | { readonly kind: 'stopped'; readonly clock: Clock; readonly reason: ClockStopReason; readonly inTime: boolean }
  | { readonly kind: 'recomputed'; readonly clock: Clock; readonly oldDue: Date; readonly reason: RecomputeReason };

export interface CaseClocks {
  readonly info?: CaseInfo;
  readonly open: readonly Clock[];
}

const S = ClockStage;
const { CLOCK_STOP_REASON_STEP_DONE: DONE, CLOCK_STOP_REASON_SUPERSEDED: SUPERSEDED } = ClockStopReason;

export function onCaseEvent(
  state: CaseClocks,
  event: CaseEvent,
  ctx: ClockContext,
): CaseClocks & { changes: ClockChange[] } {
  const env = event.envelope;
  const payload = event.payload;
  if (!env || !payload || payload.$case === 'commandRefused') return { ...state, changes: [] };
  const at = env.occurTime ?? new Date(0);
  let open = [...state.open];
  let info = state.info;
  const changes: ClockChange[] = [];
  const find = (stage: ClockStage) => open.find((c) => c.stage === stage);
  const stop = (stage: ClockStage, reason: ClockStopReason) => {
    const clock = find(stage);
    if (!clock) return;
    open = open.filter((c) => c !== clock);
    changes.push({ kind: 'stopped', clock, reason, inTime: at.getTime() <= clock.dueTime.getTime() });
  };
  const start = (
    stage: ClockStage,
    unitId: string,
    extra: { startTime?: Date; fixedDue?: Date; periodDays?: number } = {},
  ) => {
    stop(stage, SUPERSEDED);
    const clock = startClock(ctx, {
      caseId: env.caseId,
      stage,
      startVersion: env.caseVersion,
      regionCode: info?.regionCode ?? '',
      ...(accusedOf(info) ? { accusedUnitId: accusedOf(info) } : {}),
      unitId,
      startTime: extra.startTime ?? at,
      fixedDue: extra.fixedDue,
      periodDays: extra.periodDays,
    });
    open.push(clock);
    changes.push({ kind: 'started', clock });
  };
  const replace = (stage: ClockStage, next: (c: Clock) => Clock, reason?: RecomputeReason) => {
    const clock = find(stage);
    if (!clock) return;
    const updated = next(clock);
    open = open.map((c) => (c === clock ? updated : c));
    if (reason) changes.push({ kind: 'recomputed', clock: updated, oldDue: clock.dueTime, reason });
  };
  const arrived = (unitId: string) => {
    stop(S.CLOCK_STAGE_FORWARDING, DONE);
    start(S.CLOCK_STAGE_ACCEPTANCE_NOTICE, unitId);
    start(S.CLOCK_STAGE_OBJECTION, unitId);
  };

  switch (payload.$case) {
    case 'petitionRegistered': {
      const p = payload.value.petition;
      info = { kind: p?.kind ?? 0, regionCode: p?.regionCode ?? '', accusedUnitId: p?.accusedUnitId || undefined };
      start(S.CLOCK_STAGE_FORWARDING, event.custodyUnitId, { startTime: p?.receivedTime ?? at });
      break;
    }
    case 'caseForwarded': {
      const f = payload.value;
      stop(S.CLOCK_STAGE_ACCEPTANCE_NOTICE, SUPERSEDED);
      stop(S.CLOCK_STAGE_OBJECTION, SUPERSEDED);
      if (f.toHandlingUnit) arrived(f.toUnitId);
      else {
        stop(S.CLOCK_STAGE_FORWARDING, DONE);
        start(S.CLOCK_STAGE_FORWARDING, f.toUnitId, { fixedDue: f.legDueTime });
      }
      break;
    }
    case 'forwardObjected': {
      const o = payload.value;
      stop(S.CLOCK_STAGE_OBJECTION, DONE);
      stop(S.CLOCK_STAGE_ACCEPTANCE_NOTICE, SUPERSEDED);
      // The bureau decides again within its level's share of the forwarding days.
      const level = levelName(ctx.directory.unit(o.forwardingUnitId)?.level ?? 0) ?? 'county';
      const days = ctx.policyFor(info?.regionCode ?? '').forwardingLegDays[level];
      start(S.CLOCK_STAGE_FORWARDING, o.forwardingUnitId, { periodDays: days });
      break;
    }
    case 'caseAssigned':
      stop(S.CLOCK_STAGE_FORWARDING, DONE);
      start(S.CLOCK_STAGE_ASSIGNMENT_REPORT, payload.value.assigneeUnitId, { fixedDue: payload.value.reportDueTime });
      break;
    case 'completionReported':
      stop(S.CLOCK_STAGE_ASSIGNMENT_REPORT, DONE);
      break;
    case 'caseAccepted':
      stop(S.CLOCK_STAGE_ACCEPTANCE_NOTICE, DONE);
      stop(S.CLOCK_STAGE_OBJECTION, SUPERSEDED);
      start(S.CLOCK_STAGE_HANDLING, payload.value.acceptingUnitId);
      break;
    case 'caseNotAccepted':
    case 'caseGuidedToLegalChannel':
      stop(S.CLOCK_STAGE_ACCEPTANCE_NOTICE, DONE);
      stop(S.CLOCK_STAGE_OBJECTION, SUPERSEDED);
      break;
    case 'custodyTransferred':
    case 'coUnitsDesignated':
      if (event.state === CaseState.CASE_STATE_AWAITING_ACCEPTANCE && !find(S.CLOCK_STAGE_ACCEPTANCE_NOTICE)) {
        arrived(event.custodyUnitId);
      } else {
        // The clocks run on against the new holder.
        open = open.map((c) => (c.unitId && unitClocksOrHandling(c.stage) ? { ...c, unitId: event.custodyUnitId } : c));
      }
      break;
    case 'deadlineExtended': {
      const extra = payload.value.extraDays;
      replace(
        S.CLOCK_STAGE_HANDLING,
        (c) => withDue(ctx, { ...c, periodDays: c.periodDays + extra }),
        RecomputeReason.RECOMPUTE_REASON_DEADLINE_EXTENDED,
      );
      break;
    }
    case 'caseReplied': {
      const delivered = payload.value.deliveryTime ?? at;
      stop(S.CLOCK_STAGE_HANDLING, DONE);
      if (event.state === CaseState.CASE_STATE_AWAITING_EVALUATION) {
        start(S.CLOCK_STAGE_EVALUATION_WINDOW, '', { startTime: delivered });
      }
      if (isComplaint(info)) start(S.CLOCK_STAGE_REVIEW_REQUEST_WINDOW, '', { startTime: delivered });
      break;
    }
    case 'caseEvaluated':
      stop(S.CLOCK_STAGE_EVALUATION_WINDOW, DONE);
      break;
    case 'caseWindowLapsed':
      stop(payload.value.stage, SUPERSEDED);
      break;
    case 'reviewRequested':
      stop(S.CLOCK_STAGE_EVALUATION_WINDOW, SUPERSEDED);
      stop(S.CLOCK_STAGE_REVIEW_REQUEST_WINDOW, DONE);
      start(S.CLOCK_STAGE_REVIEW, payload.value.reviewingUnitId);
      break;
    case 'reviewDecided':
      stop(S.CLOCK_STAGE_REVIEW, DONE);
      start(S.CLOCK_STAGE_RE_REVIEW_REQUEST_WINDOW, '', { startTime: payload.value.deliveryTime ?? at });
      break;
    case 'reReviewRequested':
      stop(S.CLOCK_STAGE_EVALUATION_WINDOW, SUPERSEDED);
      stop(S.CLOCK_STAGE_RE_REVIEW_REQUEST_WINDOW, DONE);
      start(S.CLOCK_STAGE_RE_REVIEW, payload.value.reReviewingUnitId);
      break;
    case 'hearingStarted': {
      const clock = find(S.CLOCK_STAGE_RE_REVIEW);
      if (clock && !clock.paused) {
        open = open.map((c) => (c === clock ? { ...c, paused: true, pausedSince: at } : c));
        changes.push({ kind: 'stopped', clock, reason: ClockStopReason.CLOCK_STOP_REASON_HEARING, inTime: true });
      }
      break;
    }
    case 'hearingEnded':
      replace(
        S.CLOCK_STAGE_RE_REVIEW,
        (c) =>
          withDue(ctx, {
            ...c,
            paused: false,
            pausedSince: undefined,
            pausedDays: c.pausedDays + hearingDays(c.pausedSince ?? at, at),
          }),
        RecomputeReason.RECOMPUTE_REASON_HEARING_EXCLUDED,
      );
      break;
    case 'reReviewDecided':
      stop(S.CLOCK_STAGE_RE_REVIEW, DONE);
      break;
    // 督办单: the holder reports back by the date the notice set; closing it unanswered ends the clock.
    case 'supervisionIssued':
      start(S.CLOCK_STAGE_SUPERVISION_REPORT, event.custodyUnitId, { fixedDue: payload.value.reportDueTime ?? at });
      break;
    case 'supervisionAnswered':
      stop(S.CLOCK_STAGE_SUPERVISION_REPORT, DONE);
      break;
    case 'supervisionClosed':
      stop(S.CLOCK_STAGE_SUPERVISION_REPORT, SUPERSEDED);
      break;
    default:
  }
  // Whoever holds the case owes the report on its notice: any change of holder (a forward, an assignment,
  // a transfer) carries the clock along.
  open = open.map((c) =>
    c.stage === S.CLOCK_STAGE_SUPERVISION_REPORT && event.custodyUnitId && c.unitId !== event.custodyUnitId
      ? { ...c, unitId: event.custodyUnitId }
      : c,
  );
  // A case that has ended owes nothing more; nor does a copy that another node took over.
  const handedAway = payload.$case === 'handoffAccepted' && !!ctx.stopsAtHandoffTo?.(payload.value.toNodeId);
  if (isTerminal(event.state) || handedAway) for (const c of [...open]) stop(c.stage, SUPERSEDED);
  return { info, open, changes };
}

/** Clocks that run against the unit holding the case, so a change of holder carries them along. */
function unitClocksOrHandling(stage: ClockStage) {
  return stage !== S.CLOCK_STAGE_REVIEW && stage !== S.CLOCK_STAGE_RE_REVIEW;
}
