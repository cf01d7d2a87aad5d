import { createRequire } from 'node:module';
import { type CivilDate, isCivilDate, yearOf } from './civil-date.ts';
import { CalendarError } from './errors.ts';

/**
 * The State Council's holiday arrangement for a run of years: public holidays (rest days, including the
 * weekend days inside a holiday block) and make-up working days (调休上班日, usually a Saturday or Sunday).
 */
export interface HolidayTable {
  /** Names the table: deadlines computed under another version may need recomputing. */
  readonly version: string;
  /** The years whose arrangement has been published; any other year gives provisional deadlines. */
  readonly years: readonly number[];
  readonly restDays: ReadonlySet<CivilDate>;
  readonly workdays: ReadonlySet<CivilDate>;
}

export interface HolidayTableInput {
  readonly version?: string;
  readonly years: readonly number[];
  readonly restDays: Iterable<CivilDate>;
  readonly workdays: Iterable<CivilDate>;
}

function dates(values: Iterable<CivilDate>, years: ReadonlySet<number>, what: string): Set<CivilDate> {
  const out = new Set<CivilDate>();
  for (const d of values) {
    if (!isCivilDate(d)) throw new CalendarError('INVALID_TABLE', `${what}: not a date: ${JSON.stringify(d)}`);
    if (!years.has(yearOf(d))) throw new CalendarError('INVALID_TABLE', `${what}: ${d} is outside the table's years`);
    out.add(d);
  }
  return out;
}

/** A checked table; its version defaults to `cn-<last year>`. */
export function holidayTable(input: HolidayTableInput): HolidayTable {
  const years = [...new Set(input.years)].sort((a, b) => a - b);
  if (years.length === 0 || years.some((y) => !Number.isInteger(y) || y < 1949 || y > 9999)) {
    throw new CalendarError(
      'INVALID_TABLE',
      `years must be a non-empty list of years, got ${JSON.stringify(input.years)}`,
    );
  }
  const covered = new Set(years);
  const restDays = dates(input.restDays, covered, 'restDays');
  const workdays = dates(input.workdays, covered, 'workdays');
  const both = [...workdays].find((d) => restDays.has(d));
  if (both) throw new CalendarError('INVALID_TABLE', `${both} is both a rest day and a working day`);
  return { version: input.version ?? `cn-${years[years.length - 1]}`, years, restDays, workdays };
}

interface ChineseDaysData {
  holidays: Record<string, string>;
  workdays: Record<string, string>;
}

let stateCouncil: HolidayTable | undefined;

/** The State Council table shipped by the `chinese-days` package (2004 up to its latest published year). */
export function stateCouncilTable(): HolidayTable {
  if (!stateCouncil) {
    const data = createRequire(import.meta.url)('chinese-days/dist/chinese-days.json') as ChineseDaysData;
    const restDays = Object.keys(data.holidays);
    stateCouncil = holidayTable({
      years: [...new Set(restDays.map(yearOf))],
      restDays,
      workdays: Object.keys(data.workdays),
    });
  }
  return stateCouncil;
}
