import {
  type CaseEvent,
  ClockStage,
  ClockStopReason,
  ClosureReason,
  type DeadlineEvent,
  Evaluation,
} from '@petition/contract';
import { type CivilDate, civilDateOf } from '@petition/legal-calendar';

// What each event counts, for whom and on which day (Asia/Shanghai): the raw material of every KPI.
// Counts are kept per unit and day; formulas (formula.ts) turn them into rates over any period.

export const counterNames = [
  /** Petitions registered (new items). */
  'items',
  /** Petitions linked to an earlier one as repeats (arts 19, 36). */
  'repeats',
  /** Cases a unit had to accept or refuse: acceptance-notice clocks started at it. */
  'received',
  /** …of which the notice went out in time (15 days, art 22). */
  'acceptedInTime',
  /** Handling, review and re-review clocks settled: answered, or run out unanswered. */
  'replyDue',
  /** …of which the opinion came in time. */
  'repliedInTime',
  /** Handling opinions issued, and the days from acceptance to each (mean handling days). */
  'replied',
  'handlingDays',
  /** Opinions rated by the petitioner, by rating. */
  'evaluated',
  'satisfied',
  'basicallySatisfied',
  'dissatisfied',
  /** Evaluation windows that ran out unrated. */
  'evaluationExpired',
  /** Clocks that ran out, supervisions opened at a bureau above, and supervisions that climbed. */
  'breached',
  'supervised',
  'escalated',
  /** Supervision notices (督办单) issued to the unit holding the case, and its reports back (late ones too). */
  'supervisionsIssued',
  'supervisionsAnswered',
  'supervisionsAnsweredLate',
  /** A leader took personal charge of a case the unit holds (领导包案). */
  'casesTakenInCharge',
  /** The petitioner urged (催办) or supplemented (补充材料) a case the unit holds. */
  'urges',
  'supplements',
] as const;

export type Counter = (typeof counterNames)[number];

export interface Fact {
  readonly unitId: string;
  readonly counter: Counter;
  readonly amount: number;
  readonly day: CivilDate;
}

/** Running (or paused by a hearing), breached, settled, or a petitioner's window expired. */
export type ClockState = 'running' | 'paused' | 'breached' | 'met' | 'missed' | 'superseded' | 'expired';

const replyStages = new Set<ClockStage>([
  ClockStage.CLOCK_STAGE_HANDLING,
  ClockStage.CLOCK_STAGE_REVIEW,
  ClockStage.CLOCK_STAGE_RE_REVIEW,
]);
const DAY_MS = 86_400_000;

const dayOf = (time: Date | undefined): CivilDate => civilDateOf(time ?? new Date(0));

/**
 * The counts a case event adds. `acceptedTime` is when the case was accepted (from an earlier event),
 * for the days a reply took.
 */
export function caseFacts(e: CaseEvent, acceptedTime?: Date): Fact[] {
  const p = e.payload;
  const time = e.envelope?.occurTime;
  if (!p || !time) return [];
  const day = dayOf(time);
  const at = (counter: Counter, unitId = e.custodyUnitId, amount = 1): Fact => ({ unitId, counter, amount, day });
  switch (p.$case) {
    case 'petitionRegistered':
      return [at('items')];
    case 'caseLinkedAsRepeat':
      return [at('repeats')];
    case 'caseReplied': {
      const replyTime = p.value.replyTime ?? time;
      const facts = [at('replied', p.value.unitId || e.custodyUnitId)];
      if (acceptedTime) {
        const days = Math.max(0, Math.round((replyTime.getTime() - acceptedTime.getTime()) / DAY_MS));
        facts.push(at('handlingDays', p.value.unitId || e.custodyUnitId, days));
      }
      return facts;
    }
    case 'caseEvaluated': {
      const rating = p.value.evaluation;
      const kind =
        rating === Evaluation.EVALUATION_SATISFIED
          ? 'satisfied'
          : rating === Evaluation.EVALUATION_BASICALLY_SATISFIED
            ? 'basicallySatisfied'
            : 'dissatisfied';
      return [at('evaluated'), at(kind)];
    }
    case 'caseWindowLapsed':
      return p.value.stage === ClockStage.CLOCK_STAGE_EVALUATION_WINDOW ? [at('evaluationExpired')] : [];
    case 'caseClosedAsFinal':
      return p.value.reason === ClosureReason.CLOSURE_REASON_EVALUATION_WINDOW_EXPIRED ? [at('evaluationExpired')] : [];
    case 'supervisionIssued':
      return [at('supervisionsIssued', p.value.supervisedUnitId || e.custodyUnitId)];
    case 'supervisionAnswered': {
      const unitId = p.value.unitId || e.custodyUnitId;
      const answered = at('supervisionsAnswered', unitId);
      return p.value.inTime ? [answered] : [answered, at('supervisionsAnsweredLate', unitId)];
    }
    case 'caseTakenInCharge':
      return [at('casesTakenInCharge')];
    case 'caseUrged':
      return [at('urges')];
    case 'caseSupplemented':
      return [at('supplements')];
    default:
      return [];
  }
}

/** A clock as tracking keeps it: the tracking view of one statutory clock and its supervision. */
export interface ClockView {
  readonly clockId: string;
  readonly stage: ClockStage;
  readonly unitId: string;
  readonly dueTime?: string;
  readonly state: ClockState;
  readonly warned?: boolean;
  /** The bureau supervising it now, once it ran out (SupervisionOpened, then each escalation). */
  readonly supervisedBy?: string;
}

function nextState(before: ClockState | undefined, d: DeadlineEvent): ClockState {
  const p = d.payload;
  switch (p?.$case) {
    case 'clockStarted':
    case 'clockRecomputed':
      return before === 'breached' ? before : 'running';
    case 'clockStopped':
      if (p.value.reason === ClockStopReason.CLOCK_STOP_REASON_HEARING) return 'paused';
      if (p.value.reason === ClockStopReason.CLOCK_STOP_REASON_SUPERSEDED) return 'superseded';
      return p.value.inTime ? 'met' : 'missed';
    case 'deadlineBreached':
      return before === undefined || open(before) ? 'breached' : before;
    case 'windowExpired':
      return 'expired';
    default:
      return before ?? 'running';
  }
}

/** The clock after a deadline event. */
export function nextClock(before: ClockView | undefined, d: DeadlineEvent): ClockView {
  const p = d.payload;
  const base: ClockView = before ?? {
    clockId: d.clockId,
    stage: d.stage,
    unitId: d.responsibleUnitId,
    state: 'running',
  };
  const state = nextState(before?.state, d);
  const dueTime =
    p?.$case === 'clockStarted'
      ? p.value.dueTime?.toISOString()
      : p?.$case === 'clockRecomputed'
        ? p.value.newDueTime?.toISOString()
        : base.dueTime;
  const supervisedBy =
    p?.$case === 'supervisionOpened'
      ? p.value.supervisingUnitId
      : p?.$case === 'supervisionEscalated'
        ? p.value.toSupervisingUnitId
        : base.supervisedBy;
  const warned = p?.$case === 'deadlineWarned' ? true : p?.$case === 'clockRecomputed' ? false : base.warned;
  return {
    ...base,
    unitId: d.responsibleUnitId || base.unitId,
    state,
    ...(dueTime ? { dueTime } : {}),
    ...(supervisedBy ? { supervisedBy } : {}),
    ...(warned !== undefined ? { warned } : {}),
  };
}

const open = (s: ClockState | undefined) => s === 'running' || s === 'paused';

/** True while the clock has run out and nobody has answered: it belongs on supervision boards. */
export const isOverdue = (c: ClockView | undefined) => c?.state === 'breached';

/** The counts a deadline event adds, given the clock before it (so a redelivery adds nothing). */
export function deadlineFacts(before: ClockView | undefined, d: DeadlineEvent): Fact[] {
  const p = d.payload;
  const time = d.envelope?.occurTime;
  if (!p || !time) return [];
  const day = dayOf(time);
  const at = (counter: Counter, unitId = d.responsibleUnitId): Fact => ({ unitId, counter, amount: 1, day });
  const state = before?.state;
  const facts: Fact[] = [];
  switch (p.$case) {
    case 'clockStarted':
      if (before === undefined && d.stage === ClockStage.CLOCK_STAGE_ACCEPTANCE_NOTICE) facts.push(at('received'));
      break;
    case 'clockStopped':
      if (p.value.reason !== ClockStopReason.CLOCK_STOP_REASON_STEP_DONE) break;
      if (!open(state) && state !== 'breached') break;
      if (d.stage === ClockStage.CLOCK_STAGE_ACCEPTANCE_NOTICE && p.value.inTime) facts.push(at('acceptedInTime'));
      if (replyStages.has(d.stage)) {
        if (state !== 'breached') facts.push(at('replyDue'));
        if (p.value.inTime) facts.push(at('repliedInTime'));
      }
      break;
    case 'deadlineBreached':
      if (!open(state)) break;
      facts.push(at('breached'));
      if (replyStages.has(d.stage)) facts.push(at('replyDue'));
      break;
    case 'supervisionOpened':
      if (before?.supervisedBy) break;
      facts.push(at('supervised', p.value.supervisedUnitId || d.responsibleUnitId));
      break;
    case 'supervisionEscalated':
      if (before?.supervisedBy === p.value.toSupervisingUnitId) break;
      facts.push(at('escalated', p.value.supervisedUnitId || d.responsibleUnitId));
      break;
  }
  return facts;
}
