// A series' baseline and how far a count stands from it. The baseline is an exponentially weighted mean of
// the closed buckets' counts with an exponentially weighted variance beside it (West's incremental form), so
// it needs two numbers per series and forgets at a known half-life. A count is judged by the Poisson tail:
// the probability of seeing at least that many when the mean is expected, as -log10 — 2 is one in a hundred,
// 4 one in ten thousand. The expected rate never goes below a floor, so a series that was silent is not
// judged against zero, and a minimum count keeps 1 → 3 from being a hotspot however quiet the series.

export interface Baseline {
  mean: number;
  variance: number;
}

/** The weight of the newest bucket for a half-life in buckets: after `halfLife` buckets a count weighs half. */
export const alphaOf = (halfLifeBuckets: number) => 1 - 2 ** (-1 / halfLifeBuckets);

/** Folds one closed bucket's count into the baseline. */
export function observe(baseline: Baseline, count: number, alpha: number): void {
  const diff = count - baseline.mean;
  const increment = alpha * diff;
  baseline.mean += increment;
  baseline.variance = (1 - alpha) * (baseline.variance + diff * increment);
}

/**
 * Folds `buckets` empty buckets in at once (a quiet series skipped over by the clock). Past a few hundred
 * half-lives the baseline is zero to within a double, so the loop is bounded.
 */
export function observeEmpty(baseline: Baseline, buckets: number, alpha: number): void {
  const steps = Math.min(buckets, 4_000);
  for (let i = 0; i < steps && (baseline.mean > 0 || baseline.variance > 0); i++) observe(baseline, 0, alpha);
  if (baseline.mean < 1e-12) baseline.mean = 0;
  if (baseline.variance < 1e-12) baseline.variance = 0;
}

const lanczos = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7): good to ~15 digits, enough for tail probabilities. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = lanczos[0] as number;
  for (let i = 1; i < lanczos.length; i++) sum += (lanczos[i] as number) / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/**
 * -log10 P(X ≥ count) for X ~ Poisson(rate): 0 when count is at or below what is expected. Summed in log
 * space from the first term of the tail, whose terms fall once past the rate, so large counts do not
 * overflow.
 */
export function poissonTailScore(count: number, rate: number): number {
  if (count <= 0 || count <= rate) return 0;
  if (rate <= 0) return Number.POSITIVE_INFINITY;
  const logFirst = -rate + count * Math.log(rate) - logGamma(count + 1);
  let ratioSum = 1;
  let term = 1;
  for (let j = count + 1; j < count + 10_000; j++) {
    term *= rate / j;
    ratioSum += term;
    if (term < 1e-17 * ratioSum) break;
  }
  const log10Tail = (logFirst + Math.log(ratioSum)) / Math.LN10;
  return Math.max(0, -log10Tail);
}

/**
 * The expected count of a bucket: the baseline's mean times the bucket's seasonal factor (seasonality.ts; 1
 * without one), never below the level's floor.
 */
export const expectedRate = (baseline: Baseline, floorRate: number, seasonalFactor = 1) =>
  Math.max(baseline.mean * seasonalFactor, floorRate);
