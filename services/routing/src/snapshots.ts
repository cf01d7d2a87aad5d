import { type Publisher, routingSnapshots } from '@petition/bus';
import type { RoutingSnapshot } from '@petition/contract';
import { SnapshotFormatError } from '@petition/lifecycle';
import type { Logger } from '@petition/logging';
import { createStateReader, type ReadPositions, type Runtime } from '@petition/runtime';
import type { CaseStore } from './case-store.ts';

// Routing's snapshots (topic `routing-snapshots`, compacted, DESIGN "Topics"): instead of reading every case
// ever filed at each start, routing reads the latest record of each case, then only the case-events after
// each partition's checkpoint. A checkpoint says: everything of case-events partition p before offset o is
// in the case records written before it. It is written after those records are acknowledged, and it is
// taken in the same instant as the records (the store is read synchronously), so it never claims more than
// they hold; it may claim less — events already in a snapshot are read again and ignored by their version.
//
// Layout of the topic (one file states it, as keys.ts does for a Redis keyspace):
//   key `<caseId>`                 → RoutingSnapshot.caseSnapshot  (the case, its history while open, answered commands)
//   key `checkpoint/<partition>`   → RoutingSnapshot.checkpoint    (next offset of case-events covered)

export interface Restored {
  /** Per partition of case-events, the offset reading starts at (0 or absent: the beginning). */
  readonly startAt: ReadonlyMap<number, bigint>;
  readonly cases: number;
  readonly checkpoints: number;
  /** Partitions read from the beginning because a record of theirs could not be read or did not fit. */
  readonly replayedWhole: readonly number[];
}

/**
 * Reads the snapshots into `store` and answers where case-events must be read from. Snapshots that claim
 * more of a partition than case-events holds (the topic was recreated) are not trusted: that partition is
 * read from the beginning.
 */
export async function restoreSnapshots(
  rt: Pick<Runtime, 'consumer' | 'bus' | 'instance'>,
  store: CaseStore,
  caseEventEnds: ReadonlyMap<number, bigint>,
  logger: Logger,
): Promise<Restored> {
  const checkpoints = new Map<number, bigint>();
  const unreadable = new Set<number>();
  let cases = 0;
  const reader = createStateReader(rt, {
    groupId: `routing-snapshots-${rt.instance}`,
    topic: routingSnapshots,
    keepReading: () => false,
    apply: ({ value }) => {
      const payload = value.payload;
      if (payload?.$case === 'snapshotCheckpoint') {
        checkpoints.set(payload.value.partition, BigInt(payload.value.nextOffset));
      } else if (payload?.$case === 'caseSnapshotRecord') {
        try {
          store.restore(payload.value);
          cases++;
        } catch (err) {
          if (!(err instanceof SnapshotFormatError)) throw err;
          unreadable.add(payload.value.partition);
          logger.warn(
            { caseId: payload.value.caseId, err: err.message },
            'snapshot not readable; its partition is replayed',
          );
        }
      }
    },
  });
  const started = Date.now();
  await reader.consumer.start();
  const joinedMs = Date.now() - started;
  await reader.caughtUp();
  const readMs = Date.now() - started - joinedMs;
  await reader.consumer.stop();
  logger.info({ cases, checkpoints: checkpoints.size, joinedMs, readMs }, 'snapshots read');
  const startAt = new Map<number, bigint>();
  const replayedWhole = new Set(unreadable);
  for (const [partition, next] of checkpoints) {
    const end = caseEventEnds.get(partition);
    if (end === undefined || next > end) replayedWhole.add(partition);
    else if (!unreadable.has(partition)) startAt.set(partition, next);
  }
  if (replayedWhole.size > 0)
    logger.warn(
      { partitions: [...replayedWhole] },
      'snapshots of these partitions do not match case-events; they are read from the beginning',
    );
  return { startAt, cases, checkpoints: checkpoints.size, replayedWhole: [...replayedWhole] };
}

export interface SnapshotWriter {
  /** Writes what changed in the partitions this instance writes, then their checkpoints. */
  flush(): Promise<{ cases: number; checkpoints: number }>;
}

/** Records per produce request: a first snapshot of many open cases goes in pieces the broker takes. */
const recordsPerRequest = 500;

export function createSnapshotWriter(o: {
  publisher: Pick<Publisher, 'publish'>;
  store: CaseStore;
  /** How far this instance has read (or written) case-events, per partition. */
  positions: Pick<ReadPositions, 'next'>;
  /** The partitions this instance writes now: only their cases are its to snapshot. */
  owned: () => ReadonlySet<number>;
  instance: string;
  now: () => Date;
}): SnapshotWriter {
  const written = new Map<number, bigint>();
  let inFlight: Promise<{ cases: number; checkpoints: number }> | undefined;
  const writeOnce = async () => {
    let cases = 0;
    let checkpoints = 0;
    for (const partition of [...o.owned()].sort((a, b) => a - b)) {
      // One instant: the records and the position they cover are taken together.
      const next = o.positions.next(partition);
      const records = o.store.takeChanged(partition);
      if (records.length === 0 && written.get(partition) === next) continue;
      try {
        for (let i = 0; i < records.length; i += recordsPerRequest) {
          const chunk = records.slice(i, i + recordsPerRequest);
          await o.publisher.publish(
            routingSnapshots,
            chunk.map((value): RoutingSnapshot => ({ payload: { $case: 'caseSnapshotRecord', value } })),
          );
        }
        await o.publisher.publish(routingSnapshots, [
          {
            payload: {
              $case: 'snapshotCheckpoint',
              value: { partition, nextOffset: Number(next), writtenTime: o.now(), instance: o.instance },
            },
          },
        ]);
      } catch (err) {
        // Not written: the cases count as changed again, and no checkpoint claims them.
        o.store.markChanged(
          partition,
          records.map((r) => r.caseId),
        );
        throw err;
      }
      written.set(partition, next);
      cases += records.length;
      checkpoints++;
    }
    return { cases, checkpoints };
  };
  return {
    flush() {
      // One flush at a time: a second caller waits for the one running, then runs its own.
      const run = (inFlight ?? Promise.resolve()).catch(() => {}).then(writeOnce);
      inFlight = run;
      return run;
    },
  };
}
