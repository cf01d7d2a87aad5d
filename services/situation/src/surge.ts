import { expectedRate, poissonTailScore } from './baseline.ts';
import type { ActiveHotspot, Evidence, HotspotDecision, PetitionSeen, RegionLookup } from './hotspots.ts';
import { pushSample } from './hotspots.ts';
import { createWeeklyProfile } from './seasonality.ts';
import {
  type BucketRing,
  bucketOf,
  bucketSpan,
  type ClosedBucket,
  createSeries,
  type Series,
  seriesKey,
} from './series.ts';
import {
  type Granularity,
  granularities,
  type RegionLevelName,
  type SeriesDimension,
  type Thresholds,
} from './thresholds.ts';

// SURGE: counts by region × category (× kind, × channel as the thresholds say) rolled up the region chain
// (county → prefecture → province → nation), per hour and per day; a series whose current bucket is far
// above its baseline (Poisson tail score at or above detectScore, and at least minCount) becomes a hotspot,
// and clears once its closed buckets stay below clearScore for clearHoldBuckets buckets. Series are made when
// their first petition comes; only the series of active hotspots are moved on by the clock, the others when
// their next petition comes (nothing judges them in between). A bucket is judged against its series' mean
// times the week's shape at that hour or day (seasonality.ts), where the thresholds ask for one.

interface Active {
  readonly hotspotId: string;
  readonly series: Series;
  readonly granularity: Granularity;
  readonly level: RegionLevelName;
  readonly detectedAtMs: number;
  readonly supervisingUnitId: string;
  readonly samples: string[];
  evidence: Evidence;
  peak: number;
  below: number;
}

/** Recent petitions, to name the cases of a series that has just become a hotspot. */
interface Recent {
  readonly caseId: string;
  readonly timeMs: number;
  readonly regions: readonly string[];
  readonly category: number;
  readonly kind: number;
  readonly channel: number;
  readonly concealed: boolean;
}

const recentLimit = 4_096;

export function createSurges(thresholds: Thresholds, regions: RegionLookup) {
  const series = new Map<string, Series>();
  const active = new Map<string, Active>();
  const recent: Recent[] = [];
  let recentNext = 0;
  /** The first bucket of the log per bucket length: no surge is judged before the warm-up has passed. */
  const firstBucket: Partial<Record<Granularity, number>> = {};
  const halfLives = { hour: thresholds.surge.hour.halfLifeBuckets, day: thresholds.surge.day.halfLifeBuckets };
  const detectOn = new Set<SeriesDimension>(thresholds.surge.detectOn);
  const samples = thresholds.sampleCaseIds;
  const profile = createWeeklyProfile(thresholds.surge.seasonal);
  /** What a bucket of a series is expected to hold at a level: the seasonal mean, never below the floor. */
  const expected = (ring: BucketRing, g: Granularity, bucket: number, level: RegionLevelName) =>
    expectedRate(ring.baseline, thresholds.surge[g].floorRate[level], profile.factor(g, bucket));

  const evidenceOf = (s: Series, g: Granularity, bucket: number, count: number, score: number, ids: string[]) => {
    const ring = s.rings[g];
    const span = bucketSpan(g, bucket);
    const factor = profile.factor(g, bucket);
    return {
      kind: 'SURGE',
      regionCode: s.regionCode,
      category: s.category,
      petitionKind: s.kind,
      channel: s.channel,
      unitId: '',
      window: g,
      windowStartMs: span.startMs,
      windowEndMs: span.endMs,
      count,
      // The baseline of this bucket: the series' mean and deviation scaled by the week's shape.
      baselineMean: ring.baseline.mean * factor,
      baselineStddev: Math.sqrt(ring.baseline.variance) * factor,
      score,
      sampleCaseIds: [...ids],
      similarity: 0,
    } satisfies Evidence;
  };

  /** Judges a closed bucket of an active hotspot's series; a cleared hotspot leaves `active`. */
  const judgeClosed = (a: Active, ring: BucketRing, closed: ClosedBucket, out: HotspotDecision[]) => {
    const limits = thresholds.surge[a.granularity];
    const score = poissonTailScore(closed.count, expected(ring, a.granularity, closed.bucket, a.level));
    a.below = score < limits.clearScore ? a.below + closed.span : 0;
    if (a.below < limits.clearHoldBuckets) return;
    active.delete(`${a.granularity}:${a.series.key}`);
    const atMs = bucketSpan(a.granularity, closed.bucket).endMs;
    out.push({
      type: 'cleared',
      hotspotId: a.hotspotId,
      evidence: evidenceOf(a.series, a.granularity, closed.bucket, closed.count, score, a.samples),
      detectedAtMs: a.detectedAtMs,
      atMs,
      peakScore: a.peak,
      supervisingUnitId: a.supervisingUnitId,
      causationId: a.hotspotId,
    });
  };

  const advance = (s: Series, g: Granularity, bucket: number, out: HotspotDecision[]) => {
    const a = active.get(`${g}:${s.key}`);
    const ring = s.rings[g];
    ring.advance(bucket, a ? (closed) => judgeClosed(a, ring, closed, out) : undefined);
  };

  const seriesOf = (regionCode: string, category: number, kind: number, channel: number) => {
    const key = seriesKey(regionCode, category, kind, channel);
    let s = series.get(key);
    if (!s) {
      s = createSeries({ regionCode, category, kind, channel }, thresholds.ring, halfLives);
      series.set(key, s);
    }
    return s;
  };

  const matches = (r: Recent, s: Series, fromMs: number, toMs: number) =>
    r.timeMs >= fromMs &&
    r.timeMs < toMs &&
    r.category === s.category &&
    (s.kind === 0 || r.kind === s.kind) &&
    (s.channel === 0 || r.channel === s.channel) &&
    r.regions.includes(s.regionCode);

  const samplesOf = (s: Series, g: Granularity, bucket: number) => {
    const span = bucketSpan(g, bucket);
    const found: Recent[] = recent.filter((r) => !r.concealed && matches(r, s, span.startMs, span.endMs));
    found.sort((x, y) => x.timeMs - y.timeMs || (x.caseId < y.caseId ? -1 : 1));
    return found.slice(0, samples).map((r) => r.caseId);
  };

  const count = (s: Series, dimension: SeriesDimension, level: RegionLevelName, p: PetitionSeen) => {
    const out: HotspotDecision[] = [];
    for (const g of granularities) {
      const bucket = bucketOf(g, p.timeMs);
      firstBucket[g] ??= bucket;
      advance(s, g, bucket, out);
      const ring = s.rings[g];
      const where = ring.add(bucket);
      const key = `${g}:${s.key}`;
      const a = active.get(key);
      if (a) {
        pushSample(a.samples, p, samples);
        if (where !== 'current') continue;
        const n = ring.countOf(bucket);
        const score = poissonTailScore(n, expected(ring, g, bucket, level));
        if (score > a.peak) {
          a.peak = score;
          a.evidence = evidenceOf(s, g, bucket, n, score, a.samples);
        }
        continue;
      }
      if (where !== 'current' || !detectOn.has(dimension)) continue;
      const limits = thresholds.surge[g];
      if (bucket - (firstBucket[g] ?? bucket) < limits.warmupBuckets) continue;
      const n = ring.countOf(bucket);
      if (n < limits.minCount) continue;
      const score = poissonTailScore(n, expected(ring, g, bucket, level));
      if (score < limits.detectScore) continue;
      const hotspotId = `surge:${g}:${s.key}:${bucket}`;
      const ids = samplesOf(s, g, bucket);
      const evidence = evidenceOf(s, g, bucket, n, score, ids);
      const supervisingUnitId = regions.bureauOf(s.regionCode) ?? '';
      active.set(key, {
        hotspotId,
        series: s,
        granularity: g,
        level,
        detectedAtMs: p.timeMs,
        supervisingUnitId,
        samples: ids,
        evidence,
        peak: score,
        below: 0,
      });
      out.push({
        type: 'detected',
        hotspotId,
        evidence,
        detectedAtMs: p.timeMs,
        atMs: p.timeMs,
        peakScore: score,
        supervisingUnitId,
        causationId: p.eventId,
      });
    }
    return out;
  };

  return {
    /** Counts a petition in every series it belongs to; the hotspots it makes or clears. */
    petition(p: PetitionSeen): HotspotDecision[] {
      const chain = regions.chain(p.regionCode);
      if (chain.length === 0) return [];
      profile.count(p.timeMs);
      recent[recentNext] = {
        caseId: p.caseId,
        timeMs: p.timeMs,
        regions: chain.map((r) => r.code),
        category: p.category,
        kind: p.kind,
        channel: p.channel,
        concealed: p.concealed,
      };
      recentNext = (recentNext + 1) % recentLimit;
      const out: HotspotDecision[] = [];
      for (const region of chain) {
        for (const dimension of thresholds.series) {
          const kind = dimension === 'category+kind' ? p.kind : 0;
          const channel = dimension === 'category+channel' ? p.channel : 0;
          out.push(...count(seriesOf(region.code, p.category, kind, channel), dimension, region.level, p));
        }
      }
      return out;
    },
    /** Moves the active hotspots' series to `timeMs`: those quiet long enough clear. */
    advanceTo(timeMs: number): HotspotDecision[] {
      const out: HotspotDecision[] = [];
      profile.advanceTo(timeMs);
      for (const a of [...active.values()]) advance(a.series, a.granularity, bucketOf(a.granularity, timeMs), out);
      return out;
    },
    active(): ActiveHotspot[] {
      return [...active.values()].map((a) => ({
        hotspotId: a.hotspotId,
        evidence: a.evidence,
        detectedAtMs: a.detectedAtMs,
        peakScore: a.peak,
        supervisingUnitId: a.supervisingUnitId,
      }));
    },
    /** A series' counts per bucket (the trend of a category in a region), oldest first. */
    trend(regionCode: string, category: number, g: Granularity) {
      const s = series.get(seriesKey(regionCode, category, 0, 0));
      return (s?.rings[g].trend() ?? []).map((b) => ({ startMs: bucketSpan(g, b.bucket).startMs, count: b.count }));
    },
    get seriesCount() {
      return series.size;
    },
  };
}

export type Surges = ReturnType<typeof createSurges>;
