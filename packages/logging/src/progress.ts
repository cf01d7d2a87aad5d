import type { Logger } from 'pino';

export interface ProgressOptions {
  /** Names the job in every line, e.g. `seed units`. */
  label: string;
  /** Items expected in all; without it lines carry no `pct` or `etaMs`. */
  total?: number;
  /** Least time between two progress lines; 5 s when omitted. */
  everyMs?: number;
  /** Milliseconds from any fixed origin; `performance.now` when omitted, injectable for tests. */
  now?: () => number;
}

export interface Progress {
  /** Counts `count` more items done (1 when omitted) and logs a line if `everyMs` has passed since the last. */
  add(count?: number): void;
  /** Logs the final line; later calls do nothing, so it can sit in a `finally`. */
  finish(): void;
  readonly done: number;
}

const round1 = (value: number) => Math.round(value * 10) / 10;

/**
 * Structured progress for long jobs (seeding, benchmarks): `{label, done, total, pct, ratePerSec,
 * elapsedMs, etaMs}` at most every `everyMs`, and a final line from `finish()`. Cheap to call per item:
 * one clock read and a comparison.
 */
export function progress(logger: Logger, options: ProgressOptions): Progress {
  const { label, total } = options;
  const everyMs = options.everyMs ?? 5_000;
  const now = options.now ?? (() => performance.now());
  const startedAt = now();
  let lastLineAt = startedAt;
  let done = 0;
  let finished = false;

  const fields = (at: number, final: boolean) => {
    const elapsedMs = Math.round(at - startedAt);
    // A job that finishes within the clock's resolution still gets a finite rate.
    const ratePerSec = (done * 1000) / Math.max(at - startedAt, 1);
    const line: Record<string, unknown> = { label, done, total, ratePerSec: round1(ratePerSec), elapsedMs };
    if (total !== undefined) {
      line.pct = total > 0 ? round1((done / total) * 100) : 100;
      if (!final && ratePerSec > 0 && done < total) line.etaMs = Math.round(((total - done) / ratePerSec) * 1000);
    }
    return line;
  };

  return {
    add(count = 1) {
      done += count;
      if (finished) return;
      const at = now();
      if (at - lastLineAt < everyMs) return;
      lastLineAt = at;
      logger.info(fields(at, false), 'progress');
    },
    finish() {
      if (finished) return;
      finished = true;
      logger.info(fields(now(), true), 'progress finished');
    },
    get done() {
      return done;
    },
  };
}
