import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SeasonalThresholds } from './seasonality.ts';

// The thresholds of the situation analysis are data (services/situation/thresholds.json, or the file
// SITUATION_THRESHOLDS names): which series are counted, how long their rings are, when a count is a surge,
// how similar petitions make a cluster, how many breaches make a streak, and the lower thresholds and hold
// periods that clear each (hysteresis). They are checked once at start; a bad field stops the start with an
// error naming it, so a typo never runs as a silent default.

export const seriesDimensions = ['category', 'category+kind', 'category+channel'] as const;
export type SeriesDimension = (typeof seriesDimensions)[number];
export const regionLevels = ['county', 'prefecture', 'province', 'national'] as const;
export type RegionLevelName = (typeof regionLevels)[number];
export const granularities = ['hour', 'day'] as const;
export type Granularity = (typeof granularities)[number];

export interface SurgeThresholds {
  /** Buckets after which a past bucket weighs half as much in the baseline (exponentially weighted). */
  readonly halfLifeBuckets: number;
  /** Buckets of the log that must have passed before a surge is judged (the baseline has learnt). */
  readonly warmupBuckets: number;
  /** No surge below this count in a bucket, whatever the baseline (1 → 3 is not a hotspot). */
  readonly minCount: number;
  /** -log10 of the Poisson tail probability at which a surge is detected … */
  readonly detectScore: number;
  /** … and below which, for `clearHoldBuckets` closed buckets in a row, it clears. */
  readonly clearScore: number;
  readonly clearHoldBuckets: number;
  /** The least expected count per bucket at each level of region: a quiet series is not judged on zero. */
  readonly floorRate: Readonly<Record<RegionLevelName, number>>;
}

export interface Thresholds {
  readonly series: readonly SeriesDimension[];
  readonly ring: { readonly hours: number; readonly days: number };
  readonly sampleCaseIds: number;
  readonly surge: {
    readonly detectOn: readonly SeriesDimension[];
    /** The week's shape learnt from the log (seasonality.ts); null: every bucket judged on the flat mean. */
    readonly seasonal: SeasonalThresholds | null;
    readonly hour: SurgeThresholds;
    readonly day: SurgeThresholds;
  };
  readonly cluster: {
    readonly windowMinutes: number;
    readonly minSize: number;
    readonly similarity: number;
    readonly maxPerRegion: number;
    readonly clearHoldMinutes: number;
  };
  readonly breachStreak: { readonly streak: number; readonly clearAfterInTime: number };
}

export type ThresholdsErrorCode = 'THRESHOLDS_UNREADABLE' | 'THRESHOLD_INVALID';

/** A thresholds file that cannot be used, naming the file and the field. Never retryable. */
export class ThresholdsError extends Error {
  readonly code: ThresholdsErrorCode;
  readonly retryable = false;
  constructor(code: ThresholdsErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ThresholdsError';
    this.code = code;
  }
}

export const defaultThresholdsPath = fileURLToPath(new URL('../thresholds.json', import.meta.url));

type Json = Record<string, unknown>;

/** Checks a parsed thresholds document field by field; `source` names it in errors. */
export function parseThresholds(input: unknown, source = 'thresholds'): Thresholds {
  const bad = (field: string, wanted: string, value: unknown): never => {
    throw new ThresholdsError(
      'THRESHOLD_INVALID',
      `${source}: ${field} must be ${wanted}, got ${JSON.stringify(value) ?? 'nothing'}`,
    );
  };
  const object = (value: unknown, field: string): Json =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Json)
      : bad(field, 'an object', value);
  const number = (parent: Json, key: string, field: string, min: number, max: number, integer = false): number => {
    const value = parent[key];
    const ok = typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;
    if (!ok || (integer && !Number.isInteger(value)))
      return bad(`${field}.${key}`, `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`, value);
    return value as number;
  };
  const dimensions = (value: unknown, field: string): SeriesDimension[] => {
    if (!Array.isArray(value) || value.length === 0)
      return bad(field, `a list of ${seriesDimensions.join(', ')}`, value);
    return value.map((d, i) =>
      seriesDimensions.includes(d as SeriesDimension)
        ? (d as SeriesDimension)
        : bad(`${field}[${i}]`, `one of ${seriesDimensions.join(', ')}`, d),
    );
  };
  const surge = (value: unknown, field: string): SurgeThresholds => {
    const s = object(value, field);
    const floor = object(s.floorRate, `${field}.floorRate`);
    const parsed = {
      halfLifeBuckets: number(s, 'halfLifeBuckets', field, 1, 100_000),
      warmupBuckets: number(s, 'warmupBuckets', field, 0, 100_000, true),
      minCount: number(s, 'minCount', field, 1, 1_000_000, true),
      detectScore: number(s, 'detectScore', field, 0.1, 1_000),
      clearScore: number(s, 'clearScore', field, 0, 1_000),
      clearHoldBuckets: number(s, 'clearHoldBuckets', field, 1, 10_000, true),
      floorRate: Object.fromEntries(
        regionLevels.map((level) => [level, number(floor, level, `${field}.floorRate`, 0.001, 1_000_000)]),
      ) as Record<RegionLevelName, number>,
    };
    if (parsed.clearScore >= parsed.detectScore)
      bad(`${field}.clearScore`, `below ${field}.detectScore (${parsed.detectScore})`, parsed.clearScore);
    return parsed;
  };
  const seasonal = (value: unknown, field: string): SeasonalThresholds | null => {
    if (value === null) return null;
    const s = object(value, `${field} (or null for none)`);
    return {
      halfLifeWeeks: number(s, 'halfLifeWeeks', field, 0.5, 1_000),
      learnWeeks: number(s, 'learnWeeks', field, 1, 1_000, true),
    };
  };
  const root = object(input, '(root)');
  const series = dimensions(root.series, 'series');
  const ring = object(root.ring, 'ring');
  const surgeRoot = object(root.surge, 'surge');
  const detectOn = dimensions(surgeRoot.detectOn, 'surge.detectOn');
  for (const [i, d] of detectOn.entries())
    if (!series.includes(d)) bad(`surge.detectOn[${i}]`, `one of the counted series (${series.join(', ')})`, d);
  const cluster = object(root.cluster, 'cluster');
  const streak = object(root.breachStreak, 'breachStreak');
  return {
    series,
    ring: {
      hours: number(ring, 'hours', 'ring', 2, 10_000, true),
      days: number(ring, 'days', 'ring', 2, 10_000, true),
    },
    sampleCaseIds: number(root, 'sampleCaseIds', '(root)', 1, 1_000, true),
    surge: {
      detectOn,
      seasonal: seasonal(surgeRoot.seasonal, 'surge.seasonal'),
      hour: surge(surgeRoot.hour, 'surge.hour'),
      day: surge(surgeRoot.day, 'surge.day'),
    },
    cluster: {
      windowMinutes: number(cluster, 'windowMinutes', 'cluster', 1, 100_000),
      minSize: number(cluster, 'minSize', 'cluster', 2, 100_000, true),
      similarity: number(cluster, 'similarity', 'cluster', 0.01, 1),
      maxPerRegion: number(cluster, 'maxPerRegion', 'cluster', 2, 1_000_000, true),
      clearHoldMinutes: number(cluster, 'clearHoldMinutes', 'cluster', 1, 1_000_000),
    },
    breachStreak: {
      streak: number(streak, 'streak', 'breachStreak', 2, 10_000, true),
      clearAfterInTime: number(streak, 'clearAfterInTime', 'breachStreak', 1, 10_000, true),
    },
  };
}

/** Reads and checks a thresholds file (the shipped one when `path` is omitted). */
export function loadThresholds(path = defaultThresholdsPath): Thresholds {
  let text: string;
  let parsed: unknown;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ThresholdsError('THRESHOLDS_UNREADABLE', `cannot read thresholds file ${path}`, { cause });
  }
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new ThresholdsError('THRESHOLDS_UNREADABLE', `thresholds file ${path} is not JSON: ${String(cause)}`, {
      cause,
    });
  }
  return parseThresholds(parsed, path);
}
