import { type Clock, type ClockChange, clockIdOf, type Fired } from '@petition/clocks';
import type { CaseEvent, DeadlineEvent, RecomputeReason } from '@petition/contract';
import { eventIdOf } from '@petition/lifecycle';

// The deadline events the watchdog writes, with ids derived from what caused them: the same change or step
// written twice (after a crash) carries the same id, so consumers recognise it.

function event(
  clock: Clock,
  at: Date,
  id: string,
  step: number,
  caseVersion: number,
  causationId: string,
  payload: DeadlineEvent['payload'],
): DeadlineEvent {
  const clockId = clockIdOf(clock);
  return {
    envelope: {
      eventId: eventIdOf(id, step),
      caseId: clock.caseId,
      caseVersion,
      occurTime: at,
      actingUnitId: '',
      correlationId: clockId,
      causationId,
      trace: undefined,
      producer: 'deadline-watchdog',
    },
    clockId,
    stage: clock.stage,
    responsibleUnitId: clock.unitId,
    step,
    payload,
  };
}

/** ClockStarted / ClockStopped / ClockRecomputed for what a case event changed. */
export function changeEvent(change: ClockChange, cause: CaseEvent, tableVersion: string): DeadlineEvent {
  const env = cause.envelope;
  const at = env?.occurTime ?? new Date();
  const id = `${clockIdOf(change.clock)}:${change.kind}:${env?.eventId ?? ''}`;
  const version = env?.caseVersion ?? 0;
  const c = change.clock;
  const table = c.provisional ? `provisional-${tableVersion}` : tableVersion;
  switch (change.kind) {
    case 'started':
      return event(c, at, id, 0, version, env?.eventId ?? '', {
        $case: 'clockStarted',
        value: {
          startTime: c.startTime,
          dueTime: c.dueTime,
          periodDays: c.periodDays,
          workingDays: c.workingDays,
          holidayTableVersion: table,
        },
      });
    case 'stopped':
      return event(c, at, id, 0, version, env?.eventId ?? '', {
        $case: 'clockStopped',
        value: { reason: change.reason, stoppingEventId: env?.eventId ?? '', inTime: change.inTime },
      });
    case 'recomputed':
      return recomputedEvent(c, change.oldDue, change.reason, at, id, version, env?.eventId ?? '', table);
  }
}

export function recomputedEvent(
  c: Clock,
  oldDueTime: Date,
  reason: RecomputeReason,
  at: Date,
  id: string,
  version: number,
  causationId: string,
  holidayTableVersion: string,
): DeadlineEvent {
  return event(c, at, id, 0, version, causationId, {
    $case: 'clockRecomputed',
    value: { oldDueTime, newDueTime: c.dueTime, reason, holidayTableVersion },
  });
}

/** What one step of a clock says (a breach and the supervision it opens are one step, two events). */
export const firedEvent = (clock: Clock, f: Fired, now: Date): DeadlineEvent =>
  event(clock, now, `${clockIdOf(clock)}:${f.payload?.$case}`, f.step, clock.startVersion, '', f.payload);
