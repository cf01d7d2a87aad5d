import { hash } from 'node:crypto';
import { type Clock, type ClockChange, clockIdOf, type Fired } from '@petition/clocks';
import type { CaseEvent, DeadlineEvent, RecomputeReason, TraceContext } from '@petition/contract';
import { eventIdOf } from '@petition/lifecycle';

// The deadline events the watchdog writes, with ids derived from what caused them: the same change or step
// written twice (after a crash) carries the same id, so consumers recognise it.

function event(
  clock: Clock,
  clockId: string,
  at: Date,
  eventId: string,
  step: number,
  caseVersion: number,
  causationId: string,
  payload: DeadlineEvent['payload'],
  /** The trace of the case event that caused it; a clock's firing has none of its own. */
  trace?: TraceContext,
): DeadlineEvent {
  return {
    envelope: {
      eventId,
      caseId: clock.caseId,
      caseVersion,
      occurTime: at,
      actingUnitId: '',
      correlationId: clockId,
      causationId,
      trace,
      producer: 'deadline-watchdog',
    },
    clockId,
    stage: clock.stage,
    responsibleUnitId: clock.unitId,
    step,
    confidential: !!clock.accusedUnitId,
    payload,
  };
}

/** ClockStarted / ClockStopped / ClockRecomputed for what a case event changed, in the case event's trace. */
export function changeEvent(change: ClockChange, cause: CaseEvent, tableVersion: string): DeadlineEvent {
  const env = cause.envelope;
  const at = env?.occurTime ?? new Date();
  const clockId = clockIdOf(change.clock);
  const idSource = `${clockId}:${change.kind}:${env?.eventId ?? ''}`;
  const version = env?.caseVersion ?? 0;
  const c = change.clock;
  const table = c.provisional ? `provisional-${tableVersion}` : tableVersion;
  switch (change.kind) {
    case 'started':
      return event(
        c,
        clockId,
        at,
        eventIdOf(idSource, 0),
        0,
        version,
        env?.eventId ?? '',
        {
          $case: 'clockStarted',
          value: {
            startTime: c.startTime,
            dueTime: c.dueTime,
            periodDays: c.periodDays,
            workingDays: c.workingDays,
            holidayTableVersion: table,
          },
        },
        env?.trace,
      );
    case 'stopped':
      return event(
        c,
        clockId,
        at,
        eventIdOf(idSource, 0),
        0,
        version,
        env?.eventId ?? '',
        {
          $case: 'clockStopped',
          value: { reason: change.reason, stoppingEventId: env?.eventId ?? '', inTime: change.inTime },
        },
        env?.trace,
      );
    case 'recomputed':
      return recomputedEvent(
        c,
        change.oldDue,
        change.reason,
        at,
        idSource,
        version,
        env?.eventId ?? '',
        table,
        env?.trace,
      );
  }
}

export function recomputedEvent(
  c: Clock,
  oldDueTime: Date,
  reason: RecomputeReason,
  at: Date,
  /** What the event's id is derived from. */
  idSource: string,
  version: number,
  causationId: string,
  holidayTableVersion: string,
  trace?: TraceContext,
): DeadlineEvent {
  return event(
    c,
    clockIdOf(c),
    at,
    eventIdOf(idSource, 0),
    0,
    version,
    causationId,
    { $case: 'clockRecomputed', value: { oldDueTime, newDueTime: c.dueTime, reason, holidayTableVersion } },
    trace,
  );
}

// A clock's steps share one digest of the clock: each event's id is that digest with the kind of event and
// the step in its last four hex digits, so a firing costs one digest a clock, not one an event. Written as
// a version-8 UUID (RFC 9562: custom layout); 106 bits of digest tell clocks apart.
const kinds: Record<string, string> = {
  deadlineWarned: '1',
  deadlineBreached: '2',
  supervisionOpened: '3',
  supervisionEscalated: '4',
  windowExpired: '5',
};

/** The first 28 digits of the ids of a clock's step events. */
export function stepIdPrefix(clockId: string): string {
  const h = hash('sha256', `${clockId}:steps`, 'hex');
  const variant = '89ab'[Number.parseInt(h.charAt(16), 16) & 3];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 28)}`;
}

/** The id of the step's event of `kind` under its clock's prefix. */
export const stepEventId = (prefix: string, step: number, kind: string) =>
  prefix + (kinds[kind] ?? '0') + (step & 0xfff).toString(16).padStart(3, '0');

/** What a clock's fired steps say (a breach and the supervision it opens are one step, two events). */
export function firedEvents(clock: Clock, fired: readonly Fired[], now: Date): DeadlineEvent[] {
  const out: DeadlineEvent[] = [];
  let clockId = '';
  let prefix = '';
  for (const f of fired) {
    if (!f.payload) continue;
    if (!prefix) {
      clockId = clockIdOf(clock);
      prefix = stepIdPrefix(clockId);
    }
    const id = stepEventId(prefix, f.step, f.payload.$case);
    out.push(event(clock, clockId, now, id, f.step, clock.startVersion, '', f.payload));
  }
  return out;
}
