import { describe, expect, it } from 'vitest';
import { createLogger } from './create-logger.ts';
import { progress } from './progress.ts';

function setup() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    service: 'seed',
    destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  let clock = 1_000;
  const advanceClock = (ms: number) => {
    clock += ms;
  };
  return { lines, logger, now: () => clock, advanceClock };
}

describe('progress', () => {
  it('logs at most once every everyMs, then a final line', () => {
    const { lines, logger, now, advanceClock } = setup();
    const job = progress(logger, { label: 'seed units', total: 1_000, everyMs: 1_000, now });
    for (let i = 0; i < 1_000; i++) {
      advanceClock(10);
      job.add();
    }
    job.finish();
    // 10 s of work at one line a second, plus the final line.
    expect(lines).toHaveLength(11);
    expect(lines.slice(0, -1).every((line) => line.msg === 'progress')).toBe(true);
    expect(lines[0]).toMatchObject({
      service: 'seed',
      label: 'seed units',
      done: 100,
      total: 1_000,
      pct: 10,
      ratePerSec: 100,
      elapsedMs: 1_000,
      etaMs: 9_000,
    });
    expect(lines.at(-1)).toMatchObject({
      msg: 'progress finished',
      label: 'seed units',
      done: 1_000,
      total: 1_000,
      pct: 100,
      ratePerSec: 100,
      elapsedMs: 10_000,
    });
    expect(lines.at(-1)).not.toHaveProperty('etaMs');
  });

  it('stays quiet while work is faster than everyMs', () => {
    const { lines, logger, now, advanceClock } = setup();
    const job = progress(logger, { label: 'bench', total: 10, everyMs: 5_000, now });
    advanceClock(4_999);
    job.add(9);
    expect(lines).toHaveLength(0);
    advanceClock(1);
    job.add();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ done: 10, pct: 100 });
    expect(lines[0]).not.toHaveProperty('etaMs');
    expect(job.done).toBe(10);
  });

  it('logs the final line once, and nothing after it', () => {
    const { lines, logger, now, advanceClock } = setup();
    const job = progress(logger, { label: 'once', total: 3, everyMs: 1, now });
    job.finish();
    job.finish();
    advanceClock(10);
    job.add();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'progress finished', done: 0, pct: 0, ratePerSec: 0 });
    expect(job.done).toBe(1);
  });

  it('works without a total', () => {
    const { lines, logger, now, advanceClock } = setup();
    const job = progress(logger, { label: 'drain', now });
    advanceClock(5_000);
    job.add(250);
    job.finish();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ label: 'drain', done: 250, ratePerSec: 50 });
    expect(lines[0]).not.toHaveProperty('total');
    expect(lines[0]).not.toHaveProperty('pct');
  });

  it('rounds percentages and rates to one decimal', () => {
    const { lines, logger, now, advanceClock } = setup();
    const job = progress(logger, { label: 'units', total: 90_000, everyMs: 1_000, now });
    advanceClock(3_000);
    job.add(1_234);
    expect(lines[0]).toMatchObject({ pct: 1.4, ratePerSec: 411.3 });
  });
});
