import { civilDateOf, civilDaysBetween } from '@petition/legal-calendar';

/** Whole Shanghai calendar days a hearing covered, first and last day included: time not counted (art 36). */
export const hearingDays = (start: Date, end: Date): number =>
  Math.max(0, civilDaysBetween(civilDateOf(start), civilDateOf(end))) + 1;
