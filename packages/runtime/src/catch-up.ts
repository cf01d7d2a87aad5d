import type { Bus } from '@petition/bus';

// Catching up: before a service acts on what it has read (fires clocks, decides commands, serves), it reads
// its topics up to where they ended when it started (or when it took partitions over). Two ways to know it
// has: a shared group has committed up to those end offsets (untilCommitted), or this process has read up to
// them itself (ReadPositions).

export type Offsets = ReadonlyMap<number, bigint>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** True when `at` has reached `ends` on every partition (an empty partition is reached at once). */
export function reached(ends: Offsets, at: Offsets): boolean {
  for (const [partition, end] of ends) if (end > 0n && (at.get(partition) ?? 0n) < end) return false;
  return true;
}

/**
 * Resolves true once each group has committed its topic up to the end offsets given (taken before its
 * consumer started), false as soon as `stopped()` says to give up (the service is closing).
 */
export async function untilCommitted(
  bus: Pick<Bus, 'committedOffsets'>,
  targets: readonly { groupId: string; topic: { name: string }; ends: Offsets }[],
  o: { pollMs?: number; stopped?: () => boolean } = {},
): Promise<boolean> {
  for (;;) {
    if (o.stopped?.()) return false;
    const committed = await Promise.all(targets.map((t) => bus.committedOffsets(t.groupId, t.topic)));
    if (targets.every((t, i) => reached(t.ends, committed[i] ?? new Map()))) return true;
    await sleep(o.pollMs ?? 200);
  }
}

/**
 * How far this process has read one topic, per partition: the offset after the last record it has taken in.
 * Whoever must see the topic up to some point waits here, and is woken as reading moves on.
 */
export interface ReadPositions {
  /** Everything of `partition` before `next` has been taken in (a lower value than known changes nothing). */
  advance(partition: number, next: bigint): void;
  /** The offset after the last record of `partition` taken in (0 when none). */
  next(partition: number): bigint;
  /** True once every partition of `targets` has been read up to its offset. */
  reached(targets: Offsets): boolean;
  /** Resolves once every partition of `targets` has been read up to its offset. */
  until(targets: Offsets): Promise<void>;
  /** How many callers are waiting now. */
  readonly waiting: number;
}

export function createReadPositions(): ReadPositions {
  const at = new Map<number, bigint>();
  const waiters = new Set<{ targets: Offsets; wake: () => void }>();
  const isReached = (targets: Offsets) => reached(targets, at);
  return {
    advance(partition, next) {
      if (next <= (at.get(partition) ?? 0n)) return;
      at.set(partition, next);
      for (const w of [...waiters]) {
        if (!w.targets.has(partition) || !isReached(w.targets)) continue;
        waiters.delete(w);
        w.wake();
      }
    },
    next: (partition) => at.get(partition) ?? 0n,
    reached: isReached,
    until(targets) {
      if (isReached(targets)) return Promise.resolve();
      return new Promise<void>((wake) => waiters.add({ targets, wake }));
    },
    get waiting() {
      return waiters.size;
    },
  };
}
