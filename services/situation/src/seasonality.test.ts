import { Category, Channel, PetitionKind } from '@petition/contract';
import { nationalDirectory } from '@petition/directory';
import { describe, expect, it } from 'vitest';
import { createSituation, regionLookupOf } from './analysis.ts';
import type { HotspotDecision, PetitionSeen } from './hotspots.ts';
import { createWeeklyProfile, weekdayOf, weekSlotOf } from './seasonality.ts';
import { bucketOf } from './series.ts';
import { loadThresholds, type Thresholds } from './thresholds.ts';

// The week's shape: petitions come in office hours on working days. Judged on a flat mean, every ordinary
// office hour of a busy county would look like a surge against its nights and weekends; judged on the
// seasonal mean it does not, while a burst at night, or one well above an ordinary office hour, still does.

const hourMs = 3_600_000;
/** Monday 2026-11-02 00:00 Asia/Shanghai. */
const monday = Date.parse('2026-11-02T00:00:00+08:00');
const shipped = loadThresholds();
const regions = regionLookupOf(nationalDirectory());
const labour = Category.CATEGORY_LABOR_SOCIAL_SECURITY;

describe('the weekly profile', () => {
  it('numbers the hours of the week from Monday 00:00 and the days from Monday, in Asia/Shanghai', () => {
    expect(weekSlotOf(bucketOf('hour', monday))).toBe(0);
    expect(weekSlotOf(bucketOf('hour', monday + 10 * hourMs))).toBe(10);
    expect(weekSlotOf(bucketOf('hour', monday + (6 * 24 + 23) * hourMs))).toBe(167);
    expect(weekSlotOf(bucketOf('hour', monday + 7 * 24 * hourMs))).toBe(0);
    expect(weekdayOf(bucketOf('day', monday + 12 * hourMs))).toBe(0);
    expect(weekdayOf(bucketOf('day', monday + (6 * 24 + 12) * hourMs))).toBe(6);
  });

  it('is flat until it has learnt its weeks, then expects office hours and working days above the mean', () => {
    const profile = createWeeklyProfile({ halfLifeWeeks: 4, learnWeeks: 1 });
    const officeHours = (week: number) => {
      for (let day = 0; day < 5; day++)
        for (let hour = 9; hour < 17; hour++)
          for (let i = 0; i < 4; i++) profile.count(monday + ((week * 7 + day) * 24 + hour) * hourMs + i * 60_000);
    };
    officeHours(0);
    const tuesday10 = bucketOf('hour', monday + (8 * 24 + 10) * hourMs);
    expect([profile.learnt, profile.factor('hour', tuesday10)]).toEqual([false, 1]);
    officeHours(1);
    profile.advanceTo(monday + 14 * 24 * hourMs);
    expect(profile.learnt).toBe(true);
    // 40 busy hours of 168: a busy hour is expected at 168/40 = 4.2 times the mean hour.
    expect(profile.factor('hour', tuesday10)).toBeCloseTo(4.2, 5);
    // A night hour and a Sunday are expected at the floor factor, never at zero.
    expect(profile.factor('hour', bucketOf('hour', monday + (15 * 24 + 3) * hourMs))).toBe(0.05);
    expect(profile.factor('day', bucketOf('day', monday + (14 + 6) * 24 * hourMs + hourMs))).toBe(0.05);
    // A working day holds 7/5 of the mean day.
    expect(profile.factor('day', bucketOf('day', monday + (14 + 2) * 24 * hourMs + hourMs))).toBeCloseTo(1.4, 5);
  });
});

describe('surges judged on the seasonal mean', () => {
  const xihu = '330106';
  let n = 0;
  const petition = (timeMs: number): PetitionSeen => {
    n++;
    return {
      eventId: `s-${n}`,
      caseId: `s-${n}`,
      timeMs,
      regionCode: xihu,
      category: labour,
      kind: PetitionKind.PETITION_KIND_COMPLAINT,
      channel: Channel.CHANNEL_VISIT,
      title: '',
      content: '',
      concealed: false,
    };
  };
  /** Three weeks of a busy county: 12 petitions in each office hour of each working day, none otherwise. */
  const ordinaryWeeks = () => {
    const out: PetitionSeen[] = [];
    for (let week = 0; week < 3; week++)
      for (let day = 0; day < 5; day++)
        for (let hour = 9; hour < 17; hour++)
          for (let i = 0; i < 12; i++)
            out.push(petition(monday + ((week * 7 + day) * 24 + hour) * hourMs + i * 240_000));
    return out;
  };
  const weekFour = monday + 21 * 24 * hourMs;
  const countyHourSurges = (thresholds: Thresholds, events: PetitionSeen[]) => {
    const situation = createSituation(thresholds, regions);
    const decisions: HotspotDecision[] = events.flatMap((p) => situation.petition(p));
    return decisions.filter(
      (d) =>
        d.type === 'detected' &&
        d.evidence.kind === 'SURGE' &&
        d.evidence.window === 'hour' &&
        d.evidence.regionCode === xihu,
    );
  };
  /** The surges decided once the profile has learnt a whole week (of the log, from the first petition). */
  const afterFirstWeek = (decisions: HotspotDecision[]) =>
    decisions.filter((d) => d.detectedAtMs >= monday + 8 * 24 * hourMs);
  const flat: Thresholds = { ...shipped, surge: { ...shipped.surge, seasonal: null } };

  it('raises no surge for ordinary office hours once the week is learnt, which the flat mean takes for surges', () => {
    const weeks = ordinaryWeeks();
    // The profile has learnt a whole week (of the log, from the first petition) by the second Tuesday.
    const learnt = (decisions: HotspotDecision[]) =>
      decisions.filter((d) => d.detectedAtMs >= monday + 8 * 24 * hourMs);
    expect(learnt(countyHourSurges(flat, weeks)).length).toBeGreaterThan(0);
    expect(learnt(countyHourSurges(shipped, weeks))).toEqual([]);
  });

  it('still raises a burst at night, and an office hour far above the ordinary', () => {
    const night = Array.from({ length: 6 }, (_, i) => petition(weekFour + 2 * hourMs + i * 300_000));
    const atNight = afterFirstWeek(countyHourSurges(shipped, [...ordinaryWeeks(), ...night]));
    expect(atNight.map((d) => d.evidence.windowStartMs)).toEqual([weekFour + 2 * hourMs]);
    const busy = Array.from({ length: 30 }, (_, i) => petition(weekFour + 10 * hourMs + i * 100_000));
    const inOfficeHours = afterFirstWeek(countyHourSurges(shipped, [...ordinaryWeeks(), ...busy]));
    expect(inOfficeHours.map((d) => d.evidence.windowStartMs)).toEqual([weekFour + 10 * hourMs]);
    // Its evidence shows the seasonal baseline it was judged against: about an ordinary office hour's 12.
    expect(inOfficeHours[0]?.evidence.baselineMean).toBeGreaterThan(8);
    expect(inOfficeHours[0]?.evidence.baselineMean).toBeLessThan(16);
  });
});
