const unitMs = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const pattern = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;

/**
 * Milliseconds from `1500`, `1500ms`, `2s`, `1.5s`, `5m`, `1h` or `1d`; `undefined` for anything else,
 * including negatives and fractions of a millisecond, which no timeout or interval means on purpose.
 */
export function parseDurationMs(text: string): number | undefined {
  const match = pattern.exec(text.trim());
  if (!match) return undefined;
  const [, amount = '', unit = 'ms'] = match;
  const ms = Number(amount) * unitMs[unit as keyof typeof unitMs];
  // 1.1s is 1100.0000000000002 ms in floating point; anything that close is meant as a whole number.
  const rounded = Math.round(ms);
  if (Math.abs(ms - rounded) > 1e-6 || !Number.isSafeInteger(rounded)) return undefined;
  return rounded;
}

/** The shortest exact spelling: 2000 → `2s`, 90000 → `90s`, 300000 → `5m`, 1500 → `1500ms`. */
export function formatDurationMs(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms !== 0 && ms % unitMs[unit] === 0) return `${ms / unitMs[unit]}${unit}`;
  }
  return `${ms}ms`;
}
