import { hash } from 'node:crypto';
import {
  type CaseCommand,
  type CaseEvent,
  CaseState,
  type ClosureReason,
  type CommandMeta,
  caseStateToJSON,
  type Unit,
  UnitKind,
} from '@petition/contract';
import type { Directory } from '@petition/directory';
import { concealedFrom } from '@petition/jurisdiction';
import { type ClockStageName, type DeadlinePolicy, defaultPolicy, type LegalCalendar } from '@petition/legal-calendar';
import { refuse } from './refusals.ts';
import type { CaseSnapshot } from './snapshot.ts';

// What a decision may consult besides the case itself — all injected, so deciding stays pure.

/** Another case as routing knows it, for repeat links (arts 19, 36). */
export interface CaseSummary {
  readonly caseId: string;
  readonly caseNumber: string;
  readonly state: CaseState;
}

export interface DecideContext {
  /** The injected clock's now: the time of the events. */
  readonly now: Date;
  readonly directory: Directory;
  readonly calendar: LegalCalendar;
  /** The deadline policy of a region (local rules are data); the design's defaults when omitted. */
  readonly policyFor?: (regionCode: string) => DeadlinePolicy;
  /** Other cases, for linking repeats; without it a link cannot be checked and is refused. */
  readonly cases?: (caseId: string) => CaseSummary | undefined;
  /** Written into every envelope; `routing` when omitted. */
  readonly producer?: string;
}

/** A UUID-shaped id derived from the command id: deciding the same command twice gives the same events. */
export function eventIdOf(commandId: string, index: number): string {
  const h = hash('sha256', `${commandId}#${index}`, 'hex'); // one-shot: no Hash object per id
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** One event to write, before its envelope. */
export interface Step {
  readonly state: CaseState;
  readonly custodyUnitId: string;
  readonly payload: NonNullable<CaseEvent['payload']>;
}

/** What every step handler sees, whatever its command. */
export interface DecisionBase {
  readonly ctx: DecideContext;
  readonly meta: CommandMeta;
  readonly policy: DeadlinePolicy;
}

/** What a step handler sees. */
export interface Decision<C extends NonNullable<CaseCommand['command']>['$case']> extends DecisionBase {
  readonly command: Extract<NonNullable<CaseCommand['command']>, { $case: C }>['value'];
}

export const policyOf = (ctx: DecideContext, regionCode: string) => ctx.policyFor?.(regionCode) ?? defaultPolicy;

/** The due time of a statutory period of `stage` starting at `start`, by the case's region. */
export function dueTime(
  d: Pick<DecisionBase, 'ctx' | 'policy'>,
  regionCode: string,
  stage: ClockStageName,
  start: Date,
  extra: { days?: number; pausedDays?: number } = {},
): Date {
  const rule = d.policy.stages[stage];
  return d.ctx.calendar.deadline({
    start,
    days: rule.days + (extra.days ?? 0),
    workingDays: rule.workingDays,
    regionCode,
    pausedDays: extra.pausedDays,
  }).dueTime;
}

// --- guards: each returns what it checked or refuses ---

export function activeUnit(directory: Directory, unitId: string, field: string): Unit {
  if (!unitId) refuse('INVALID_FIELD', `${field} is empty`);
  const unit = directory.unit(unitId);
  if (!unit) return refuse('UNKNOWN_UNIT', `${field} ${unitId}`);
  if (unit.dissolved) refuse('UNIT_DISSOLVED', `${field} ${unitId}`);
  return unit;
}

/** The verified unit behind the command. */
export function actingUnit(ctx: DecideContext, meta: CommandMeta): Unit {
  if (meta.actor?.$case !== 'unit') return refuse('ACTOR_NOT_ALLOWED', 'a unit must issue this command');
  return activeUnit(ctx.directory, meta.actor.value.unitId, 'acting unit');
}

/** The acting unit, which must hold the case (DESIGN "Security": staff act only on cases in custody). */
export function custodian(ctx: DecideContext, meta: CommandMeta, snapshot: CaseSnapshot): Unit {
  const unit = actingUnit(ctx, meta);
  // Which unit holds it is not said: the caller may be one that only supervises the holder.
  if (unit.unitId !== snapshot.custodyUnitId) refuse('NOT_IN_CUSTODY');
  return unit;
}

export function bureauInCustody(ctx: DecideContext, meta: CommandMeta, snapshot: CaseSnapshot): Unit {
  const unit = custodian(ctx, meta, snapshot);
  if (unit.kind !== UnitKind.UNIT_KIND_PETITION_BUREAU) refuse('NOT_A_PETITION_BUREAU', unit.unitId);
  return unit;
}

/** The petitioner of this case (case number and query code checked at intake). */
export function petitioner(meta: CommandMeta, snapshot: CaseSnapshot): void {
  if (meta.actor?.$case !== 'petitioner') refuse('ACTOR_NOT_ALLOWED', 'only the petitioner may do this');
  if (snapshot.anonymous) refuse('ANONYMOUS_CASE');
  if (meta.actor?.$case === 'petitioner' && meta.actor.value.caseNumber !== snapshot.caseNumber) {
    refuse('WRONG_CASE_NUMBER');
  }
}

export function system(meta: CommandMeta): void {
  if (meta.actor?.$case !== 'system') refuse('ACTOR_NOT_ALLOWED', 'only the system issues this command');
}

export function inState(snapshot: CaseSnapshot, ...states: CaseState[]): void {
  if (!states.includes(snapshot.state)) refuse('WRONG_STATE', caseStateToJSON(snapshot.state));
}

/** A unit a case may move to: known, active, not the holder, never one an accusation is kept from (art 30). */
export function receivingUnit(ctx: DecideContext, snapshot: CaseSnapshot, unitId: string, field: string): Unit {
  const unit = activeUnit(ctx.directory, unitId, field);
  if (unit.unitId === snapshot.custodyUnitId) refuse('SAME_UNIT', unitId);
  if (concealedFrom(ctx.directory, unit.unitId, snapshot)) refuse('ACCUSED_UNIT_EXCLUDED', `${field} ${unitId}`);
  return unit;
}

export function required(
  value: string | undefined,
  field: string,
  code: 'INVALID_FIELD' | 'REASON_REQUIRED' | 'MATERIAL_REQUIRED' = 'INVALID_FIELD',
) {
  if (!value?.trim()) refuse(code, `${field} is empty`);
  return value ?? '';
}

/** An enum field that must be set to a known value. */
export function known<T extends number>(value: T | undefined, field: string): T {
  if (value === undefined || value <= 0) return refuse('INVALID_FIELD', `${field} is unspecified`);
  return value;
}

/** One event to write. */
export const step = (state: CaseState, custodyUnitId: string, payload: Step['payload']): Step => ({
  state,
  custodyUnitId,
  payload,
});

/** The case ends: CaseClosedAsFinal in `state` (FINAL after re-review or a lapsed appeal window, else CLOSED). */
export const closure = (
  s: { custodyUnitId: string },
  reason: ClosureReason,
  state: CaseState = CaseState.CASE_STATE_CLOSED,
): Step => step(state, s.custodyUnitId, { $case: 'caseClosedAsFinal', value: { reason } });

/** True once `now` is past 24:00 of the period's last day. */
export const isPast = (now: Date, due: Date) => now.getTime() >= due.getTime();

/** A written opinion must say something. */
export function opinionGiven<O extends { summary: string }>(opinion: O | undefined, field: string): O {
  if (!opinion) return refuse('INVALID_FIELD', `${field} is missing`);
  required(opinion.summary, `${field}.summary`);
  return opinion;
}

/** When the petitioner received a written answer: now, or later for a letter; never earlier. */
export function deliveredAt(ctx: DecideContext, given: Date | undefined): Date {
  const time = given ?? ctx.now;
  if (time.getTime() < ctx.now.getTime()) refuse('INVALID_FIELD', 'deliveryTime lies before the answer');
  return time;
}
