import { type BusConsumer, type ConsumedRecord, on, type PublishedRecord, type TopicSpec } from '@petition/bus';
import { createReadPositions, type Offsets, type ReadPositions } from './catch-up.ts';
import type { Runtime } from './service-runtime.ts';

// A state a process keeps in memory, read from one topic from the beginning at every start: routing's
// cases. Nothing is committed (commitOffsets: false), so no group is left on the broker for each process
// that ever ran. It reads while someone waits for it to have read far enough, or while `keepReading()`
// says others may be writing; otherwise it pauses — a state kept current by the process's own writes
// (noteWrites) costs no fetches. Pausing loses nothing: the reader resumes from where it stopped.

export interface StateReader {
  readonly consumer: BusConsumer;
  readonly positions: ReadPositions;
  /** Resolves once `partitions` (every one when omitted) are read up to where they end now. */
  caughtUp(partitions?: readonly number[]): Promise<void>;
  /** Resolves once `partition` is read past `offset`. */
  readPast(partition: number, offset: bigint): Promise<void>;
  /**
   * Records of the topic this process wrote and has applied itself: where they follow what was read, the
   * reader need not read them to be caught up. (A write that does not follow — another writer came
   * between — is read as any other.)
   */
  noteWrites(published: readonly PublishedRecord[], count: number): void;
  /** Pauses or resumes as is needed now; call it when what `keepReading` answers may have changed. */
  settle(): void;
}

export function createStateReader<T>(
  rt: Pick<Runtime, 'consumer' | 'bus'>,
  o: {
    groupId: string;
    topic: TopicSpec<T>;
    apply: (record: ConsumedRecord<T>) => void | Promise<void>;
    /** True while others may write the topic, so that the state must follow it all the time. */
    keepReading: () => boolean;
    /**
     * Where reading starts per partition when the state was taken from elsewhere up to there (routing's
     * snapshots); partitions not named start at the beginning. Set as the group's committed offsets before it
     * joins — the group is this process's own, and whoever sets them deletes the group when done.
     */
    startAt?: Offsets;
  },
): StateReader {
  const positions = createReadPositions();
  let started = false;
  let paused = false;
  const consumer = rt.consumer({
    groupId: o.groupId,
    fromBeginning: true,
    commitOffsets: false,
    subscriptions: [
      on(o.topic, async (r) => {
        await o.apply(r);
        positions.advance(r.partition, BigInt(r.offset) + 1n);
      }),
    ],
  });
  const settle = () => {
    if (!started) return;
    const wanted = positions.waiting > 0 || o.keepReading();
    if (wanted && paused) consumer.resume();
    else if (!wanted && !paused) consumer.pause();
    paused = !wanted;
  };
  const until = async (targets: Offsets) => {
    const reached = positions.until(targets);
    settle();
    try {
      await reached;
    } finally {
      settle();
    }
  };
  return {
    positions,
    consumer: {
      ...consumer,
      stats: consumer.stats,
      async start() {
        const startAt = new Map([...(o.startAt ?? [])].filter(([, offset]) => offset > 0n));
        if (startAt.size > 0) {
          await rt.bus.setCommittedOffsets(o.groupId, o.topic, startAt);
          for (const [partition, offset] of startAt) positions.advance(partition, offset);
        }
        await consumer.start();
        started = true;
        settle();
      },
    },
    async caughtUp(partitions) {
      const ends = await rt.bus.endOffsets(o.topic);
      const wanted = partitions ?? [...ends.keys()];
      await until(new Map(wanted.map((p) => [p, ends.get(p) ?? 0n])));
    },
    readPast: (partition, offset) => until(new Map([[partition, offset + 1n]])),
    noteWrites(published, count) {
      const [only] = published;
      // A produce to one partition: its records lie at baseOffset … baseOffset + count - 1.
      if (published.length !== 1 || !only || count <= 0) return;
      const base = BigInt(only.baseOffset);
      if (base >= 0n && positions.next(only.partition) === base)
        positions.advance(only.partition, base + BigInt(count));
    },
    settle,
  };
}
