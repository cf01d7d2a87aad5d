import { describe, expect, it } from 'vitest';
import { formatDurationMs, parseDurationMs } from './duration.ts';

describe('parseDurationMs', () => {
  it.each([
    ['1500', 1500],
    ['0', 0],
    ['250ms', 250],
    ['2s', 2_000],
    ['1.5s', 1_500],
    ['1.1s', 1_100],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    [' 3s ', 3_000],
  ])('reads %j as %i ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(['', 's', '-1', '-2s', '2 s', '2sec', '1.5', '0.0001s', '1e3', '2S', '1h30m', 'abc'])(
    'rejects %j',
    (text) => {
      expect(parseDurationMs(text)).toBeUndefined();
    },
  );
});

describe('formatDurationMs', () => {
  it.each([
    [0, '0ms'],
    [1500, '1500ms'],
    [2000, '2s'],
    [90_000, '90s'],
    [300_000, '5m'],
    [7_200_000, '2h'],
    [86_400_000, '1d'],
  ])('writes %i ms as %j', (ms, text) => {
    expect(formatDurationMs(ms)).toBe(text);
  });

  it('round-trips through parseDurationMs', () => {
    for (const ms of [0, 1, 999, 1000, 61_000, 3_600_000, 123_456_789])
      expect(parseDurationMs(formatDurationMs(ms))).toBe(ms);
  });
});
