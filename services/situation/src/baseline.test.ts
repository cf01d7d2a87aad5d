import { describe, expect, it } from 'vitest';
import { alphaOf, type Baseline, logGamma, observe, observeEmpty, poissonTailScore } from './baseline.ts';
import { BucketRing, bucketOf, bucketSpan } from './series.ts';

describe('baseline', () => {
  it('scores a count by its Poisson tail as -log10 p', () => {
    // P(X ≥ 5 | λ = 0.2) = e^-0.2 Σ_{k≥5} 0.2^k / k! ≈ 2.26e-6.
    expect(poissonTailScore(5, 0.2)).toBeCloseTo(5.646, 3);
    // P(X ≥ 2 | λ = 1) = 1 − 2e^-1.
    expect(poissonTailScore(2, 1)).toBeCloseTo(-Math.log10(1 - 2 * Math.exp(-1)), 6);
    expect(poissonTailScore(3, 5)).toBe(0);
    // Large counts neither overflow nor lose the order.
    const big = poissonTailScore(5_000, 1_000);
    expect(Number.isFinite(big)).toBe(true);
    expect(big).toBeGreaterThan(poissonTailScore(2_000, 1_000));
    expect(logGamma(11)).toBeCloseTo(Math.log(3_628_800), 9);
  });

  it('weighs a bucket half after the half-life, and forgets a quiet stretch at once', () => {
    const alpha = alphaOf(4);
    const b: Baseline = { mean: 0, variance: 0 };
    observe(b, 8, alpha);
    for (let i = 0; i < 4; i++) observe(b, 0, alpha);
    const stepByStep = b.mean;
    const skipped: Baseline = { mean: 0, variance: 0 };
    observe(skipped, 8, alpha);
    observeEmpty(skipped, 4, alpha);
    expect(skipped.mean).toBeCloseTo(stepByStep, 12);
    expect(stepByStep).toBeCloseTo(8 * alpha * 0.5, 12);
    expect(b.variance).toBeGreaterThan(0);
  });
});

describe('bucket ring', () => {
  it('keeps the latest buckets, takes a late event into its own bucket, drops one older than the ring', () => {
    const ring = new BucketRing(4, 24);
    expect(ring.add(100)).toBe('current');
    ring.add(100);
    expect(ring.add(102)).toBe('current');
    expect(ring.add(101)).toBe('late');
    expect(ring.add(98)).toBe('dropped');
    expect(ring.trend()).toEqual([
      { bucket: 99, count: 0 },
      { bucket: 100, count: 2 },
      { bucket: 101, count: 1 },
      { bucket: 102, count: 1 },
    ]);
    ring.add(107);
    expect(ring.trend().map((b) => b.count)).toEqual([0, 0, 0, 1]);
  });

  it('reports the closed bucket with its count and a quiet run as one span', () => {
    const ring = new BucketRing(4, 24);
    ring.add(10);
    ring.add(10);
    ring.add(10);
    const closed: { bucket: number; count: number; span: number }[] = [];
    ring.advance(20, (c) => closed.push(c));
    expect(closed).toEqual([
      { bucket: 10, count: 3, span: 1 },
      { bucket: 19, count: 0, span: 9 },
    ]);
    expect(ring.baseline.mean).toBeGreaterThan(0);
    expect(ring.baseline.mean).toBeLessThan(3 * alphaOf(24));
  });

  it('counts days by Asia/Shanghai: 23:30 and 00:30 local fall on two days', () => {
    const late = Date.parse('2026-11-20T23:30:00+08:00');
    const early = Date.parse('2026-11-21T00:30:00+08:00');
    expect(bucketOf('day', early) - bucketOf('day', late)).toBe(1);
    expect(bucketSpan('day', bucketOf('day', early)).startMs).toBe(Date.parse('2026-11-21T00:00:00+08:00'));
    expect(bucketOf('hour', early) - bucketOf('hour', late)).toBe(1);
  });
});
