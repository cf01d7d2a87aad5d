import { randomUUID } from 'node:crypto';
import { type Bus, type ConsumedRecord, on, type TopicSpec } from '@petition/bus';
import type { Io } from './io.ts';
import { progressBar } from './progress-bar.ts';

// Reads a topic from the beginning up to its end offsets as they were when reading began, in a group of its
// own that commits nothing and is deleted afterwards, so that nothing is left on the broker.

export interface ReadToEndOptions {
  io: Io;
  /** Names the work on the progress bar. */
  label: string;
  /** How long to wait for the records before giving up; 120 s when omitted. */
  timeoutMs?: number;
}

export async function readToEnd<T>(
  bus: Bus,
  spec: TopicSpec<T>,
  ends: ReadonlyMap<number, bigint>,
  onRecord: (record: ConsumedRecord<T>) => void,
  options: ReadToEndOptions,
): Promise<void> {
  const total = [...ends.values()].reduce((n, e) => n + e, 0n);
  if (total === 0n) return;
  const position = new Map<number, bigint>();
  const bar = progressBar(options.io, options.label, Number(total));
  const read = () => [...position.values()].reduce((n, p) => n + p, 0n);
  const caughtUp = () => [...ends].every(([p, end]) => (position.get(p) ?? 0n) >= end);
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  const groupId = `petition-cli-${randomUUID()}`;
  const consumer = bus.consumer({
    groupId,
    fromBeginning: true,
    commitOffsets: false,
    subscriptions: [
      on(spec, async (record) => {
        const offset = BigInt(record.offset);
        const end = ends.get(record.partition) ?? 0n;
        if (offset >= end) return;
        onRecord(record);
        position.set(record.partition, offset + 1n);
        bar.update(Number(read()));
        if (caughtUp()) done();
      }),
    ],
  });
  const timeoutMs = options.timeoutMs ?? 120_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.start();
    await Promise.race([
      finished,
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`read ${read()} of ${total} records of ${spec.name} within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
    bar.finish();
  } finally {
    clearTimeout(timer);
    await consumer.stop();
    await bus.deleteGroups([groupId]).catch(() => undefined);
  }
}
