import { CalendarError } from './errors.ts';

// Civil dates in Asia/Shanghai. China has kept UTC+8 without daylight saving since 1991, so the offset is a
// constant and no time-zone database is needed.

/** A calendar day in Asia/Shanghai, `YYYY-MM-DD`. */
export type CivilDate = string;

const OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;
const PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

// Deadlines are computed for millions of clocks over a few thousand distinct days: both conversions are
// remembered (a bounded cache, emptied when full; only valid dates enter it).
const CACHE_LIMIT = 50_000;
const msOfDate = new Map<CivilDate, number>();
const dateOfMs = new Map<number, CivilDate>();
function remember<K, V>(cache: Map<K, V>, key: K, value: V): V {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
  return value;
}

function utcMidnight(date: CivilDate): number {
  const known = msOfDate.get(date);
  if (known !== undefined) return known;
  const m = PATTERN.exec(date);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date) {
    throw new CalendarError('INVALID_DATE', `not a calendar date: ${JSON.stringify(date)}`);
  }
  return remember(msOfDate, date, ms);
}

const fromUtcMidnight = (ms: number): CivilDate =>
  dateOfMs.get(ms) ?? remember(dateOfMs, ms, new Date(ms).toISOString().slice(0, 10));

export function assertInstant(instant: Date, what: string): void {
  if (!(instant instanceof Date) || Number.isNaN(instant.getTime())) {
    throw new CalendarError('INVALID_DATE', `${what} is not a valid instant`);
  }
}

/** The Shanghai calendar day an instant falls on. */
export function civilDateOf(instant: Date): CivilDate {
  assertInstant(instant, 'instant');
  return fromUtcMidnight(Math.floor((instant.getTime() + OFFSET_MS) / DAY_MS) * DAY_MS);
}

/** 24:00 Asia/Shanghai at the end of a civil day (= 00:00 of the next day, 16:00Z of this one). */
export const endOfCivilDay = (date: CivilDate): Date => new Date(utcMidnight(date) + DAY_MS - OFFSET_MS);

export const addCivilDays = (date: CivilDate, days: number): CivilDate =>
  fromUtcMidnight(utcMidnight(date) + days * DAY_MS);

/** Whole days from `a` to `b` (negative when `b` is earlier). */
export const civilDaysBetween = (a: CivilDate, b: CivilDate): number => (utcMidnight(b) - utcMidnight(a)) / DAY_MS;

/** 0 = Sunday … 6 = Saturday. */
export const weekdayOf = (date: CivilDate): number => new Date(utcMidnight(date)).getUTCDay();

export const yearOf = (date: CivilDate): number => Number(date.slice(0, 4));

export const isCivilDate = (value: string): boolean => {
  try {
    utcMidnight(value);
    return true;
  } catch {
    return false;
  }
};
