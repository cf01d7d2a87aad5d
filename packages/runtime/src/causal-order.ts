import type { Bus } from '@petition/bus';
import { reached } from './catch-up.ts';

// A record on one topic may follow from a record on another: a deadline event from the case event the
// watchdog read (its registration says whether the case is an accusation, art 30). Both are in the log
// before the later one is, but a reader of both topics may take the later first (fetches are batched per
// topic and partition). A reader that needs the cause waits for it, in a consumer of its own (waiting in
// the consumer that reads the cause would never end): until the cause is known, or until the cause's topic
// has been read — by this process or by its group, whichever instance holds the partition — up to where
// it ended when the wait began (then the cause is not in the log at all, and the record is taken as it is).

/** The cause was not read within one wait: retryable, so the bus backs off (heart-beating) and tries again. */
export class CauseNotYetReadError extends Error {
  readonly code = 'CAUSE_NOT_YET_READ';
  readonly retryable = true;
  constructor(topic: string, waitedMs: number) {
    super(`the records this one follows from on ${topic} were not read within ${waitedMs} ms`);
    this.name = 'CauseNotYetReadError';
  }
}

export interface CauseReader {
  readonly bus: Pick<Bus, 'endOffsets' | 'committedOffsets'>;
  /** The topic the causes are on, and the group that reads it into the shared state. */
  readonly topic: { name: string };
  readonly groupId: string;
  /** Per partition, the offset after the last record of `topic` this process has taken in. */
  readonly readHere?: (partition: number) => bigint;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves once `known()` says the causes are in the shared state, or once the cause's topic has been read
 * up to its end as it was at the start. Throws `CauseNotYetReadError` after `maxWaitMs` (a wait must not
 * outlast the consumer's session); the bus retries the record.
 */
export async function untilCauseRead(
  reader: CauseReader,
  known: () => Promise<boolean>,
  o: { pollMs?: number; maxWaitMs?: number } = {},
): Promise<void> {
  if (await known()) return;
  const pollMs = o.pollMs ?? 100;
  const maxWaitMs = o.maxWaitMs ?? 10_000;
  const ends = await reader.bus.endOffsets(reader.topic);
  const started = Date.now();
  for (;;) {
    const here = reader.readHere;
    if (here && [...ends].every(([partition, end]) => here(partition) >= end)) return;
    if (reached(ends, await reader.bus.committedOffsets(reader.groupId, reader.topic))) return;
    if (Date.now() - started > maxWaitMs) throw new CauseNotYetReadError(reader.topic.name, maxWaitMs);
    await sleep(pollMs);
    if (await known()) return;
  }
}

/**
 * The retry policy of a consumer that waits for causes: a rebuild may keep the cause's topic behind for
 * minutes, and parking the record would lose it; anything else that fails is retried as long.
 */
export const causeRetry = { maxAttempts: 90, initialDelayMs: 200, maxDelayMs: 5_000 } as const;
