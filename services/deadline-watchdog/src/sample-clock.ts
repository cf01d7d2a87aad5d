import type { Clock } from '@petition/clocks';
import { ClockStage } from '@petition/contract';

/** A 60-day handling clock at a Hangzhou county department, started 2026-11-21 (for tests). */
export const sampleClock = (
  caseId: string,
  stage: ClockStage = ClockStage.CLOCK_STAGE_HANDLING,
  over: Partial<Clock> = {},
): Clock => ({
  caseId,
  stage,
  startVersion: 3,
  regionCode: '330106',
  unitId: '330106-rsj',
  startTime: new Date('2026-11-21T01:00:00Z'),
  periodDays: 60,
  workingDays: false,
  pausedDays: 0,
  dueTime: new Date('2027-01-20T16:00:00Z'),
  provisional: false,
  paused: false,
  fixedDue: undefined,
  pausedSince: undefined,
  ...over,
});
