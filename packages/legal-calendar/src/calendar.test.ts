import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addCivilDays,
  CalendarError,
  civilDateOf,
  civilDaysBetween,
  createLegalCalendar,
  holidayTable,
  stateCouncilTable,
} from './index.ts';

const calendar = createLegalCalendar({ table: stateCouncilTable() });
const at = (iso: string) => new Date(iso);
const due = (start: string, days: number, extra: { workingDays?: boolean; pausedDays?: number } = {}) =>
  calendar.deadline({ start: at(start), days, ...extra });

describe('calendar days (Civil Code arts 201, 203)', () => {
  it('does not count the start day and moves a weekend last day to Monday: Fri 2026-11-20 + 15 → Mon 2026-12-07', () => {
    const d = due('2026-11-20T10:00:00+08:00', 15);
    expect(d.lastDay).toBe('2026-12-07');
    expect(d.dueTime.toISOString()).toBe('2026-12-07T16:00:00.000Z');
    expect(d.provisional).toBe(false);
  });

  it('moves a last day inside the National Day week to the first working day after it', () => {
    expect(due('2026-09-16T09:00:00+08:00', 15).lastDay).toBe('2026-10-08');
  });

  it('keeps a last day that falls on a make-up working Saturday (2026-10-10)', () => {
    expect(calendar.isRestDay('2026-10-10')).toBe(false);
    expect(due('2026-09-25T09:00:00+08:00', 15).lastDay).toBe('2026-10-10');
  });

  it('reads the day in Asia/Shanghai: 23:30 and 00:30 local start on different days', () => {
    expect(due('2026-11-18T23:30:00+08:00', 15).lastDay).toBe('2026-12-03');
    expect(due('2026-11-19T00:30:00+08:00', 15).lastDay).toBe('2026-12-04');
    expect(civilDateOf(at('2026-11-18T16:30:00Z'))).toBe('2026-11-19');
  });

  it('adds paused days (hearing time not counted, art 36)', () => {
    expect(due('2026-11-20T10:00:00+08:00', 15, { pausedDays: 3 }).lastDay).toBe('2026-12-08');
  });
});

describe('working days (art 23)', () => {
  it('counts five working days across the National Day holiday, make-up Saturday included', () => {
    expect(due('2026-09-29T15:00:00+08:00', 5, { workingDays: true }).lastDay).toBe('2026-10-12');
  });

  it('counts a week of working days from a Friday to the next Friday', () => {
    expect(due('2026-11-20T15:00:00+08:00', 5, { workingDays: true }).lastDay).toBe('2026-11-27');
  });
});

describe('unpublished years', () => {
  it('flags a deadline in a year without a table as provisional and recomputes it under the new table', () => {
    const d = due('2026-12-17T09:00:00+08:00', 15);
    // 2027-01-01 (a Friday, 元旦) is a fixed-date holiday; the weekend follows.
    expect(d).toMatchObject({ lastDay: '2027-01-04', provisional: true, tableVersion: 'cn-2026' });
    const base = stateCouncilTable();
    const next = holidayTable({
      years: [...base.years, 2027],
      restDays: [...base.restDays, '2027-01-01', '2027-01-04'],
      workdays: [...base.workdays],
    });
    const updated = calendar.withTable(next).deadline({ start: at('2026-12-17T09:00:00+08:00'), days: 15 });
    expect(updated).toMatchObject({ lastDay: '2027-01-05', provisional: false, tableVersion: 'cn-2027' });
  });

  it('does not flag a period that stays inside published years', () => {
    expect(due('2026-11-01T09:00:00+08:00', 30).provisional).toBe(false);
  });
});

describe('jurisdiction overrides', () => {
  const local = createLegalCalendar({
    table: stateCouncilTable(),
    overrides: [{ regionPrefix: '65', restDays: ['2026-12-07'], note: 'a regional rest day' }],
  });

  it('applies a local rest day only inside its region', () => {
    const spec = { start: at('2026-11-20T10:00:00+08:00'), days: 15 };
    expect(local.deadline({ ...spec, regionCode: '650102' }).lastDay).toBe('2026-12-08');
    expect(local.deadline({ ...spec, regionCode: '110101' }).lastDay).toBe('2026-12-07');
  });

  it('refuses an override that names no region', () => {
    expect(() => createLegalCalendar({ table: stateCouncilTable(), overrides: [{ regionPrefix: 'xj' }] })).toThrow(
      /INVALID_POLICY/,
    );
  });
});

describe('bad input', () => {
  it('names the problem', () => {
    expect(() => due('2026-11-20T10:00:00+08:00', 0)).toThrow(CalendarError);
    expect(() => due('2026-11-20T10:00:00+08:00', 1.5)).toThrow(/INVALID_PERIOD/);
    expect(() => due('not a date', 15)).toThrow(/INVALID_DATE/);
    expect(() => due('2026-11-20T10:00:00+08:00', 15, { pausedDays: -1 })).toThrow(/pausedDays/);
    expect(() => calendar.isRestDay('2026-02-30')).toThrow(/INVALID_DATE/);
    expect(() => holidayTable({ years: [2026], restDays: ['2025-01-01'], workdays: [] })).toThrow(/INVALID_TABLE/);
  });
});

describe('properties over the published years', () => {
  const instant = fc.date({ min: at('2005-01-01T00:00:00Z'), max: at('2026-10-01T00:00:00Z'), noInvalidDate: true });

  it('a calendar-day deadline is the first working day on or after start + days', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: 1, max: 60 }), (start, days) => {
        const d = calendar.deadline({ start, days });
        const nominal = addCivilDays(civilDateOf(start), days);
        expect(calendar.isWorkingDay(d.lastDay)).toBe(true);
        for (let day = nominal; day < d.lastDay; day = addCivilDays(day, 1)) expect(calendar.isRestDay(day)).toBe(true);
        expect(civilDaysBetween(nominal, d.lastDay)).toBeGreaterThanOrEqual(0);
        expect(d.dueTime.getTime() - at(`${d.lastDay}T00:00:00+08:00`).getTime()).toBe(86_400_000);
      }),
    );
  });

  it('a working-day deadline has exactly `days` working days after the start day, the last one included', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: 1, max: 20 }), (start, days) => {
        const d = calendar.deadline({ start, days, workingDays: true });
        let working = 0;
        for (let day = addCivilDays(civilDateOf(start), 1); day <= d.lastDay; day = addCivilDays(day, 1)) {
          if (calendar.isWorkingDay(day)) working++;
        }
        expect(working).toBe(days);
        expect(calendar.isWorkingDay(d.lastDay)).toBe(true);
      }),
    );
  });
});
