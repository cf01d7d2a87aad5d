import { alphaOf, type Baseline, observe, observeEmpty } from './baseline.ts';
import type { Granularity } from './thresholds.ts';

// One counted series (a region × category, optionally × kind or × channel) per bucket length: a ring of the
// latest buckets' counts and the baseline of the buckets that closed. Memory per series is fixed by the ring
// length, whatever the traffic; a bucket leaving the ring is forgotten except through the baseline.
//
// Buckets are numbered from the epoch: hours as UTC hours (Asia/Shanghai is a whole eight hours ahead, so the
// hours are the same), days as Asia/Shanghai calendar days, the days petitions are counted by.

const hourMs = 3_600_000;
const dayMs = 86_400_000;
const shanghaiOffsetMs = 8 * hourMs;

/** The bucket an instant falls in. */
export function bucketOf(granularity: Granularity, timeMs: number): number {
  return granularity === 'hour' ? Math.floor(timeMs / hourMs) : Math.floor((timeMs + shanghaiOffsetMs) / dayMs);
}

/** Where a bucket starts and ends (ms since the epoch). */
export function bucketSpan(granularity: Granularity, bucket: number): { startMs: number; endMs: number } {
  return granularity === 'hour'
    ? { startMs: bucket * hourMs, endMs: (bucket + 1) * hourMs }
    : { startMs: bucket * dayMs - shanghaiOffsetMs, endMs: (bucket + 1) * dayMs - shanghaiOffsetMs };
}

/** A closed bucket, handed to whoever judges hysteresis. */
export interface ClosedBucket {
  /** The (last) bucket closed. */
  readonly bucket: number;
  readonly count: number;
  /** How many buckets the report stands for: 1, or a run of quiet ones. */
  readonly span: number;
}

export class BucketRing {
  readonly counts: Uint32Array;
  /** The current (newest) bucket; -1 before the first count. */
  current = -1;
  readonly baseline: Baseline = { mean: 0, variance: 0 };
  private readonly alpha: number;

  constructor(length: number, halfLifeBuckets: number) {
    this.counts = new Uint32Array(length);
    this.alpha = alphaOf(halfLifeBuckets);
  }

  /** The count of a bucket still in the ring; 0 for one outside it. */
  countOf(bucket: number): number {
    if (bucket > this.current || bucket <= this.current - this.counts.length || bucket < 0) return 0;
    return this.counts[bucket % this.counts.length] as number;
  }

  /**
   * Moves the current bucket forward to `bucket`, folding each bucket that closes into the baseline, and tells
   * `onClosed` of them: the bucket that was current with its count, then the quiet buckets after it (no event
   * is ever counted ahead of the current bucket) as one report spanning them. A clock that moves backwards
   * changes nothing.
   */
  advance(bucket: number, onClosed?: (closed: ClosedBucket) => void): void {
    if (this.current < 0) {
      this.current = bucket;
      return;
    }
    if (bucket <= this.current) return;
    const length = this.counts.length;
    const count = this.counts[this.current % length] as number;
    observe(this.baseline, count, this.alpha);
    onClosed?.({ bucket: this.current, count, span: 1 });
    const quiet = bucket - this.current - 1;
    if (quiet > 0) {
      observeEmpty(this.baseline, quiet, this.alpha);
      onClosed?.({ bucket: bucket - 1, count: 0, span: quiet });
    }
    // The slots the new buckets take over still hold buckets that have left the ring.
    for (let b = Math.max(this.current + 1, bucket - length + 1); b <= bucket; b++) this.counts[b % length] = 0;
    this.current = bucket;
  }

  /** Counts one event in `bucket`: the current one, or an earlier one still in the ring (a late event). */
  add(bucket: number, by = 1): 'current' | 'late' | 'dropped' {
    if (this.current < 0) this.current = bucket;
    if (bucket > this.current) this.advance(bucket);
    if (bucket <= this.current - this.counts.length) return 'dropped';
    this.counts[bucket % this.counts.length] = (this.counts[bucket % this.counts.length] as number) + by;
    return bucket === this.current ? 'current' : 'late';
  }

  /** The ring's counts from oldest to newest, ending at the current bucket. */
  trend(): { bucket: number; count: number }[] {
    const out: { bucket: number; count: number }[] = [];
    if (this.current < 0) return out;
    for (let b = Math.max(0, this.current - this.counts.length + 1); b <= this.current; b++)
      out.push({ bucket: b, count: this.countOf(b) });
    return out;
  }
}

/** A counted series: its key's parts and a ring per bucket length. */
export interface Series {
  readonly key: string;
  readonly regionCode: string;
  readonly category: number;
  /** 0 for every kind. */
  readonly kind: number;
  /** 0 for every channel. */
  readonly channel: number;
  readonly rings: Readonly<Record<Granularity, BucketRing>>;
}

export const seriesKey = (regionCode: string, category: number, kind: number, channel: number) =>
  `${regionCode}|${category}|${kind}|${channel}`;

export function createSeries(
  parts: Omit<Series, 'key' | 'rings'>,
  ring: { hours: number; days: number },
  halfLives: Record<Granularity, number>,
): Series {
  return {
    ...parts,
    key: seriesKey(parts.regionCode, parts.category, parts.kind, parts.channel),
    rings: { hour: new BucketRing(ring.hours, halfLives.hour), day: new BucketRing(ring.days, halfLives.day) },
  };
}
