import { ClockStage, PetitionKind } from '@petition/contract';
import type { Directory } from '@petition/directory';
import type { ClockStageName, DeadlinePolicy, LegalCalendar } from '@petition/legal-calendar';

// One running statutory clock: what it measures, from when, for how long, against whom. Its due time is
// always recomputed from these facts, so a newer holiday table moves it (fixed due times excepted).

export interface Clock {
  readonly caseId: string;
  readonly stage: ClockStage;
  /** The case version of the event that started it: with the case and stage, the clock's identity. */
  readonly startVersion: number;
  readonly regionCode: string;
  /** The unit the clock runs against; empty for a petitioner's window. */
  readonly unitId: string;
  readonly startTime: Date;
  readonly periodDays: number;
  readonly workingDays: boolean;
  /** Days not counted (hearings, art 36). */
  readonly pausedDays: number;
  /**
   * A due time set by an event (a forwarding leg's share, an assignment's or a supervision notice's report
   * date), never recomputed.
   */
  readonly fixedDue?: Date;
  readonly dueTime: Date;
  readonly provisional: boolean;
  /** Stopped for a hearing: it neither warns nor runs out until the hearing ends. */
  readonly paused: boolean;
  readonly pausedSince?: Date;
  /**
   * The unit an accusation names, on the clocks of an accusation only: supervision never opens at a
   * bureau the case is kept from (art 30, `concealedFrom`).
   */
  readonly accusedUnitId?: string;
}

export const stageNames: Readonly<Record<number, ClockStageName>> = {
  [ClockStage.CLOCK_STAGE_FORWARDING]: 'forwarding',
  [ClockStage.CLOCK_STAGE_ACCEPTANCE_NOTICE]: 'acceptanceNotice',
  [ClockStage.CLOCK_STAGE_OBJECTION]: 'objection',
  [ClockStage.CLOCK_STAGE_HANDLING]: 'handling',
  [ClockStage.CLOCK_STAGE_ASSIGNMENT_REPORT]: 'assignmentReport',
  [ClockStage.CLOCK_STAGE_EVALUATION_WINDOW]: 'evaluationWindow',
  [ClockStage.CLOCK_STAGE_REVIEW_REQUEST_WINDOW]: 'reviewRequestWindow',
  [ClockStage.CLOCK_STAGE_REVIEW]: 'review',
  [ClockStage.CLOCK_STAGE_RE_REVIEW_REQUEST_WINDOW]: 'reReviewRequestWindow',
  [ClockStage.CLOCK_STAGE_RE_REVIEW]: 'reReview',
  [ClockStage.CLOCK_STAGE_SUPERVISION_REPORT]: 'supervisionReport',
};

export const stageName = (stage: ClockStage): ClockStageName => stageNames[stage] ?? 'forwarding';

/** Windows that the petitioner (or, for objections, the receiving unit) may let pass: they expire, not breach. */
export const windowStages: ReadonlySet<ClockStage> = new Set([
  ClockStage.CLOCK_STAGE_OBJECTION,
  ClockStage.CLOCK_STAGE_EVALUATION_WINDOW,
  ClockStage.CLOCK_STAGE_REVIEW_REQUEST_WINDOW,
  ClockStage.CLOCK_STAGE_RE_REVIEW_REQUEST_WINDOW,
]);

export const clockIdOf = (c: Pick<Clock, 'caseId' | 'stage' | 'startVersion'>) =>
  `${c.caseId}:${stageName(c.stage)}:${c.startVersion}`;

/** What a clock needs to know about its case beyond the event in hand. */
export interface CaseInfo {
  readonly kind: PetitionKind;
  readonly regionCode: string;
  /** The accused unit of an accusation (art 30). */
  readonly accusedUnitId?: string;
}

/** The case facts art 30 asks of a clock: an accusation with its accused, or nothing to keep from anyone. */
export const matterOf = (c: Pick<Clock, 'accusedUnitId'>) => ({
  kind: c.accusedUnitId ? PetitionKind.PETITION_KIND_ACCUSATION : PetitionKind.PETITION_KIND_UNSPECIFIED,
  accusedUnitId: c.accusedUnitId,
});

export const isComplaint = (info: CaseInfo | undefined) => info?.kind === PetitionKind.PETITION_KIND_COMPLAINT;

export interface ClockContext {
  readonly calendar: LegalCalendar;
  readonly policyFor: (regionCode: string) => DeadlinePolicy;
  readonly directory: Directory;
  /**
   * In a federation: true when this node's copy of a case stops at a handoff to `toNodeId` (the node that
   * handed it on, unless it is the national node, which goes on reading every case). Its clocks run at the
   * node that took it over; here they stop. Never, when omitted.
   */
  readonly stopsAtHandoffTo?: (toNodeId: string) => boolean;
}

type Spec = Omit<Clock, 'dueTime' | 'provisional' | 'paused' | 'pausedDays' | 'periodDays' | 'workingDays'> & {
  readonly periodDays?: number;
  readonly pausedDays?: number;
};

/** A clock from its facts: the stage's period from the policy unless given, its due time from the calendar. */
export function startClock(ctx: ClockContext, spec: Spec): Clock {
  const rule = ctx.policyFor(spec.regionCode).stages[stageName(spec.stage)];
  return withDue(ctx, {
    ...spec,
    periodDays: spec.periodDays ?? rule.days,
    workingDays: rule.workingDays,
    pausedDays: spec.pausedDays ?? 0,
    paused: false,
    dueTime: spec.startTime,
    provisional: false,
  });
}

/** The clock with its due time computed again (under `ctx`'s calendar). */
export function withDue(ctx: ClockContext, c: Clock): Clock {
  if (c.fixedDue) return { ...c, dueTime: c.fixedDue, provisional: false };
  const d = ctx.calendar.deadline({
    start: c.startTime,
    days: c.periodDays,
    workingDays: c.workingDays,
    regionCode: c.regionCode,
    pausedDays: c.pausedDays,
  });
  return { ...c, dueTime: d.dueTime, provisional: d.provisional };
}
