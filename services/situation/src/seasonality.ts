import { alphaOf } from './baseline.ts';
import { bucketOf } from './series.ts';
import type { Granularity } from './thresholds.ts';

// The week's shape of petitioning: most petitions come in office hours on working days, few at night or on
// a Sunday. A series' baseline is the mean of all its buckets, so without the shape every morning would look
// like a surge against the night and every Monday against the weekend. One profile is learnt for the whole
// nation (one time zone; the shape is the same everywhere, and only the nation has counts enough to learn
// it): each hour of the week (168 slots, Monday 00:00 Asia/Shanghai first) keeps an exponentially weighted
// mean of every petition counted in that hour, folded in as each hour closes. A bucket's expected count is
// its series' mean times its slot's factor — the slot's mean over the mean of all slots (of the day's
// 24 slots for a day bucket) — so the factors average 1 and a series keeps its own level. Until the profile
// has learnt `learnWeeks` whole weeks of the log every factor is 1 — the flat mean, so that a new node warns
// from its first day (after the series' own warm-up), at the price of busy hours looking high that week.
// Times are the events' own, so a rebuild learns the same profile.

export interface SeasonalThresholds {
  /** Weeks after which an hour's count weighs half in its slot's mean. */
  readonly halfLifeWeeks: number;
  /** Whole weeks of the log to learn before the profile is used. */
  readonly learnWeeks: number;
}

const weekHours = 168;
/** Factors are kept within these bounds: a slot nobody ever petitioned in is not expected at zero. */
const minFactor = 0.05;
const maxFactor = 20;

/** The hour of the week (0 = Monday 00:00–01:00 Asia/Shanghai) of an hour bucket (UTC hours since the epoch). */
export const weekSlotOf = (hourBucket: number) => (((hourBucket + 8 + 72) % weekHours) + weekHours) % weekHours;
/** The day of the week (0 = Monday) of a day bucket (Asia/Shanghai days since the epoch, a Thursday). */
export const weekdayOf = (dayBucket: number) => (((dayBucket + 3) % 7) + 7) % 7;

export interface WeeklyProfile {
  /** Counts one petition at `timeMs`; the hours before its hour close first. */
  count(timeMs: number): void;
  /** Closes the hours before `timeMs` (a quiet hour is an hour of none). */
  advanceTo(timeMs: number): void;
  /** What a bucket of `granularity` is expected to hold relative to its series' mean bucket. */
  factor(granularity: Granularity, bucket: number): number;
  /** Whether the profile is in use (it has learnt its weeks): every factor is 1 until then. */
  readonly learnt: boolean;
}

/** A profile that is never used (the thresholds ask for none): every factor 1. */
export const flatProfile: WeeklyProfile = {
  count() {},
  advanceTo() {},
  factor: () => 1,
  learnt: false,
};

export function createWeeklyProfile(seasonal: SeasonalThresholds | null): WeeklyProfile {
  if (!seasonal) return flatProfile;
  const alpha = alphaOf(seasonal.halfLifeWeeks);
  const slotMeans = new Float64Array(weekHours);
  let currentHour = -1;
  let currentCount = 0;
  let closedHours = 0;
  /** The mean of the slots' means, kept as the slots change (factor() asks it for every judged bucket). */
  let overallMean = 0;

  const close = (hour: number) => {
    if (currentHour < 0) {
      currentHour = hour;
      return;
    }
    if (hour <= currentHour) return;
    // Each closed hour folds into its slot; a long silence folds zeros, at most a few weeks' worth (past
    // them the means are what zeros would leave to within the half-life's reach).
    const last = Math.min(hour - 1, currentHour + weekHours * Math.ceil(seasonal.halfLifeWeeks * 8));
    for (let h = currentHour; h <= last; h++) {
      const slot = weekSlotOf(h);
      const count = h === currentHour ? currentCount : 0;
      slotMeans[slot] = (slotMeans[slot] as number) + alpha * (count - (slotMeans[slot] as number));
    }
    overallMean = slotMeans.reduce((sum, m) => sum + m, 0) / weekHours;
    closedHours += hour - currentHour;
    currentHour = hour;
    currentCount = 0;
  };

  const learnt = () => closedHours >= seasonal.learnWeeks * weekHours;
  const bounded = (factor: number) => Math.min(maxFactor, Math.max(minFactor, factor));

  return {
    count(timeMs) {
      const hour = bucketOf('hour', timeMs);
      close(hour);
      if (hour === currentHour) currentCount++;
    },
    advanceTo(timeMs) {
      close(bucketOf('hour', timeMs));
    },
    factor(granularity, bucket) {
      const mean = overallMean;
      if (!learnt() || mean <= 0) return 1;
      if (granularity === 'hour') return bounded((slotMeans[weekSlotOf(bucket)] as number) / mean);
      const first = weekdayOf(bucket) * 24;
      let day = 0;
      for (let slot = first; slot < first + 24; slot++) day += slotMeans[slot] as number;
      return bounded(day / 24 / mean);
    },
    get learnt() {
      return learnt();
    },
  };
}
