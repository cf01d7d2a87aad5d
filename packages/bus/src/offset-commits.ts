import type { Logger } from '@petition/logging';

// Commits of processed offsets, shared by the bus's clients. A record's offset is noted once its effect
// is durable; what is noted is committed on an interval, and on stop and before a rebalance when the
// client's consumer asks. Only processed offsets are ever committed, so a commit never moves past a
// record that was not handled; a commit that fails is tried again with the next one.

/** The next offset to read of one partition: the last processed + 1, as Kafka expects it committed. */
export interface PartitionCommit {
  topic: string;
  partition: number;
  offset: string;
}

export type CommitOffsets = (offsets: readonly PartitionCommit[]) => Promise<void>;

export interface OffsetCommits {
  /** Everything up to and including `offset` of the partition is done with. */
  processed(topic: string, partition: number, offset: string): void;
  /**
   * Commits what is processed and not yet committed, through `commit` (the client's, by default the one
   * given at creation). Commits run one after another, in the order asked.
   */
  flush(commit?: CommitOffsets): Promise<void>;
  /** Forgets what is pending on partitions this member no longer holds (after a rebalance). */
  retain(assigned: ReadonlyMap<string, readonly number[]>): void;
  /** Starts committing every `intervalMs`. */
  startInterval(): void;
  stopInterval(): void;
}

export function createOffsetCommits(options: {
  intervalMs: number;
  commit: CommitOffsets;
  logger: Logger;
  /** false: nothing is ever committed (ConsumerOptions.commitOffsets). */
  enabled?: boolean;
}): OffsetCommits {
  const enabled = options.enabled ?? true;
  // topic → partition → last processed offset (as the client gave it)
  let pending = new Map<string, Map<number, string>>();
  let queue: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  function flush(commit: CommitOffsets = options.commit): Promise<void> {
    const run = queue.then(async () => {
      if (pending.size === 0) return;
      const taken = pending;
      pending = new Map();
      const offsets: PartitionCommit[] = [];
      for (const [topic, partitions] of taken) {
        for (const [partition, offset] of partitions) {
          offsets.push({ topic, partition, offset: (BigInt(offset) + 1n).toString() });
        }
      }
      try {
        await commit(offsets);
      } catch (err) {
        // Put back what nothing newer has replaced, so that the next commit carries it.
        for (const [topic, partitions] of taken) {
          const now = pending.get(topic) ?? new Map<number, string>();
          for (const [partition, offset] of partitions) if (!now.has(partition)) now.set(partition, offset);
          pending.set(topic, now);
        }
        throw err;
      }
    });
    queue = run.catch(() => {});
    return run;
  }

  return {
    processed(topic, partition, offset) {
      if (!enabled) return;
      let partitions = pending.get(topic);
      if (!partitions) {
        partitions = new Map();
        pending.set(topic, partitions);
      }
      partitions.set(partition, offset);
    },
    flush,
    retain(assigned) {
      for (const [topic, partitions] of pending) {
        const kept = assigned.get(topic);
        for (const partition of partitions.keys()) if (!kept?.includes(partition)) partitions.delete(partition);
        if (partitions.size === 0) pending.delete(topic);
      }
    },
    startInterval() {
      if (timer) return;
      timer = setInterval(() => {
        flush().catch((err) => options.logger.warn({ err }, 'offset commit failed; trying again with the next'));
      }, options.intervalMs);
      timer.unref();
    },
    stopInterval() {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
