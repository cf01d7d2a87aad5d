import { type DeadlineEvent, type Unit, UnitLevel } from '@petition/contract';
import { concealedFrom } from '@petition/jurisdiction';
import { type Clock, type ClockContext, matterOf, stageName, windowStages } from './clock.ts';

// What a clock says as time passes, as numbered steps: its warnings (largest lead first), then at the due
// time the breach with supervision opened at the bureau one level above the holder (or, for a window, its
// expiry), then each escalation one level further up after the policy's period. `progress` is the number
// of steps already taken: a step is taken once, whoever takes it, which is what makes firing repeatable.

type Payload = NonNullable<DeadlineEvent['payload']>;

export interface Fired {
  readonly step: number;
  readonly at: Date;
  readonly payload?: Payload;
}

export interface FireResult {
  readonly fired: Fired[];
  readonly progress: number;
  /** When the next step falls due; undefined when the clock has nothing more to say (or is paused). */
  readonly next?: Date;
}

const DAY = 86_400_000;
const duration = (ms: number) => ({ seconds: Math.round(ms / 1000), nanos: 0 });

/** What a clock's steps depend on, worked out once for all its steps. */
interface Plan {
  /** Warning leads that fall after the start, largest first. */
  readonly w: readonly number[];
  /** Escalation period. */
  readonly period: number;
  readonly due: number;
  /** The supervising bureaus looked up so far: after 0, 1, … escalations (undefined: none above). */
  readonly chain: (Unit | undefined)[];
}

function planOf(ctx: ClockContext, c: Clock): Plan {
  const policy = ctx.policyFor(c.regionCode);
  const due = c.dueTime.getTime();
  const start = c.startTime.getTime();
  return {
    w: policy.stages[stageName(c.stage)].warningsBeforeDueMs.filter((ms) => due - ms > start),
    period: policy.supervisionEscalationDays * DAY,
    due,
    chain: [],
  };
}

/**
 * The supervising bureau after `j` escalations: the bureau above the holder, then one above each time —
 * passing over any bureau the case is kept from (art 30: an accusation against it or a unit over it).
 */
function supervisor(ctx: ClockContext, c: Clock, p: Plan, j: number): Unit | undefined {
  const { chain } = p;
  const matter = matterOf(c);
  while (chain.length <= j) {
    const below = chain.length === 0 ? c.unitId : chain[chain.length - 1]?.unitId;
    if (!below) return undefined;
    let bureau = ctx.directory.bureauAbove(below);
    while (bureau && concealedFrom(ctx.directory, bureau.unitId, matter))
      bureau = ctx.directory.bureauAbove(bureau.unitId);
    chain.push(bureau);
  }
  return chain[j];
}

/** When step `k` (1-based) falls due, in ms, or undefined when there is no such step. */
function timeOf(ctx: ClockContext, c: Clock, p: Plan, k: number): number | undefined {
  if (k <= p.w.length) return p.due - (p.w[k - 1] ?? 0);
  if (k === p.w.length + 1) return p.due;
  if (windowStages.has(c.stage) || !c.unitId) return undefined;
  const j = k - p.w.length - 1;
  return supervisor(ctx, c, p, j) ? p.due + j * p.period : undefined;
}

/** When step `k` (1-based) falls due, or undefined when there is no such step. */
export function stepTime(ctx: ClockContext, c: Clock, k: number): Date | undefined {
  const t = timeOf(ctx, c, planOf(ctx, c), k);
  return t === undefined ? undefined : new Date(t);
}

function payloadOf(
  ctx: ClockContext,
  c: Clock,
  p: Plan,
  k: number,
  at: number,
  now: Date,
  lateAfterMs: number,
): Payload[] {
  const { w, period } = p;
  const late = now.getTime() - at > lateAfterMs;
  if (k <= w.length) {
    // A warning that comes only after the due time has nothing left to warn of.
    if (now.getTime() >= c.dueTime.getTime()) return [];
    return [
      {
        $case: 'deadlineWarned',
        value: {
          dueTime: c.dueTime,
          remaining: duration(c.dueTime.getTime() - now.getTime()),
          warningPoint: duration(w[k - 1] ?? 0),
        },
      },
    ];
  }
  if (windowStages.has(c.stage) || !c.unitId) return [{ $case: 'windowExpired', value: { dueTime: c.dueTime, late } }];
  const j = k - w.length - 1;
  const bureau = supervisor(ctx, c, p, j);
  const escalationDueTime = new Date(at + period);
  if (j === 0) {
    const breached: Payload = { $case: 'deadlineBreached', value: { dueTime: c.dueTime, late } };
    if (!bureau) return [breached];
    return [
      breached,
      {
        $case: 'supervisionOpened',
        value: {
          supervisingUnitId: bureau.unitId,
          level: bureau.level ?? UnitLevel.UNIT_LEVEL_UNSPECIFIED,
          supervisedUnitId: c.unitId,
          escalationDueTime,
        },
      },
    ];
  }
  const from = supervisor(ctx, c, p, j - 1);
  return bureau
    ? [
        {
          $case: 'supervisionEscalated',
          value: {
            fromSupervisingUnitId: from?.unitId ?? '',
            toSupervisingUnitId: bureau.unitId,
            level: bureau.level,
            supervisedUnitId: c.unitId,
            escalationDueTime,
          },
        },
      ]
    : [];
}

/** The steps due by `now` after `progress`, and when the next one falls due. */
export function fire(ctx: ClockContext, c: Clock, progress: number, now: Date, lateAfterMs = 60_000): FireResult {
  if (c.paused) return { fired: [], progress };
  const p = planOf(ctx, c);
  const fired: Fired[] = [];
  let k = progress + 1;
  let t = timeOf(ctx, c, p, k);
  for (; t !== undefined && t <= now.getTime(); t = timeOf(ctx, c, p, ++k)) {
    const at = new Date(t);
    const payloads = payloadOf(ctx, c, p, k, t, now, lateAfterMs);
    if (payloads.length === 0) fired.push({ step: k, at });
    for (const payload of payloads) fired.push({ step: k, at, payload });
  }
  return { fired, progress: k - 1, next: t === undefined ? undefined : new Date(t) };
}
