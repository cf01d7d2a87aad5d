import {
  addCivilDays,
  assertInstant,
  type CivilDate,
  civilDateOf,
  endOfCivilDay,
  isCivilDate,
  weekdayOf,
  yearOf,
} from './civil-date.ts';
import { CalendarError } from './errors.ts';
import type { HolidayTable } from './holiday-table.ts';

/** A local rule that differs from the national table (e.g. a regional festival), kept as data. */
export interface JurisdictionOverride {
  /** Applies to every region code starting with this (e.g. `65` for the whole of Xinjiang). */
  readonly regionPrefix: string;
  readonly restDays?: readonly CivilDate[];
  readonly workdays?: readonly CivilDate[];
  readonly note?: string;
}

export interface PeriodSpec {
  /** The instant the period starts from; its own day is not counted (Civil Code art 201). */
  readonly start: Date;
  readonly days: number;
  /** Count working days only — where an article says so (e.g. art 23's five working days). */
  readonly workingDays?: boolean;
  /** The region whose local overrides apply. */
  readonly regionCode?: string;
  /** Days not counted (e.g. hearing time, art 36): they lengthen the period. */
  readonly pausedDays?: number;
}

export interface Deadline {
  /** 24:00 Asia/Shanghai of the last day. */
  readonly dueTime: Date;
  readonly lastDay: CivilDate;
  /** True when a day the period depends on lies in a year whose arrangement is not yet published. */
  readonly provisional: boolean;
  readonly tableVersion: string;
}

export interface LegalCalendar {
  readonly tableVersion: string;
  isPublished(date: CivilDate): boolean;
  /** 法定休假日: Saturdays, Sundays and public holidays, but not make-up working days. */
  isRestDay(date: CivilDate, regionCode?: string): boolean;
  isWorkingDay(date: CivilDate, regionCode?: string): boolean;
  deadline(spec: PeriodSpec): Deadline;
  /** The same calendar under a newer table (deadlines flagged provisional should then be recomputed). */
  withTable(table: HolidayTable): LegalCalendar;
}

// For a year not yet published: weekends plus the fixed-date public holidays of the national holiday
// rules (元旦, 劳动节, 国庆节). Lunar holidays and make-up days are unknown until the notice, hence provisional.
const FIXED_HOLIDAYS = ['01-01', '05-01', '05-02', '10-01', '10-02', '10-03'];

function checkOverride(o: JurisdictionOverride): void {
  if (!/^\d{1,6}$/.test(o.regionPrefix)) {
    throw new CalendarError(
      'INVALID_POLICY',
      `override regionPrefix must be 1–6 digits, got ${JSON.stringify(o.regionPrefix)}`,
    );
  }
  for (const d of [...(o.restDays ?? []), ...(o.workdays ?? [])]) {
    if (!isCivilDate(d)) throw new CalendarError('INVALID_DATE', `override ${o.regionPrefix}: not a date: ${d}`);
  }
}

function checkPeriod(spec: PeriodSpec): void {
  assertInstant(spec.start, 'start');
  if (!Number.isInteger(spec.days) || spec.days < 1) {
    throw new CalendarError('INVALID_PERIOD', `days must be a positive integer, got ${spec.days}`);
  }
  const paused = spec.pausedDays ?? 0;
  if (!Number.isInteger(paused) || paused < 0) {
    throw new CalendarError('INVALID_PERIOD', `pausedDays must be a non-negative integer, got ${paused}`);
  }
}

export function createLegalCalendar(options: {
  table: HolidayTable;
  overrides?: readonly JurisdictionOverride[];
}): LegalCalendar {
  const { table } = options;
  const overrides = [...(options.overrides ?? [])].sort((a, b) => a.regionPrefix.length - b.regionPrefix.length);
  overrides.forEach(checkOverride);
  const mostSpecificFirst = [...overrides].reverse();
  const published = new Set(table.years);

  const isPublished = (date: CivilDate) => published.has(yearOf(date));

  function isRestDay(date: CivilDate, regionCode?: string): boolean {
    // The most specific override that names the date decides; then the national table; then the weekend.
    for (const o of mostSpecificFirst) {
      if (!regionCode?.startsWith(o.regionPrefix)) continue;
      if (o.workdays?.includes(date)) return false;
      if (o.restDays?.includes(date)) return true;
    }
    if (table.workdays.has(date)) return false;
    if (table.restDays.has(date)) return true;
    if (!isPublished(date) && FIXED_HOLIDAYS.includes(date.slice(5))) return true;
    const weekday = weekdayOf(date);
    return weekday === 0 || weekday === 6;
  }

  function deadline(spec: PeriodSpec): Deadline {
    checkPeriod(spec);
    const region = spec.regionCode;
    let day = addCivilDays(civilDateOf(spec.start), spec.pausedDays ?? 0);
    let provisional = false;
    const consult = (d: CivilDate) => {
      if (!isPublished(d)) provisional = true;
      return isRestDay(d, region);
    };
    if (spec.workingDays) {
      for (let counted = 0; counted < spec.days; ) {
        day = addCivilDays(day, 1);
        if (!consult(day)) counted++;
      }
    } else {
      day = addCivilDays(day, spec.days);
      // Art 203: a last day that is a rest day moves to the first working day after it.
      while (consult(day)) day = addCivilDays(day, 1);
    }
    return { dueTime: endOfCivilDay(day), lastDay: day, provisional, tableVersion: table.version };
  }

  return {
    tableVersion: table.version,
    isPublished,
    isRestDay,
    isWorkingDay: (date, regionCode) => !isRestDay(date, regionCode),
    deadline,
    withTable: (next) => createLegalCalendar({ table: next, overrides }),
  };
}
