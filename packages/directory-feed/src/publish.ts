import { type Publisher, units } from '@petition/bus';
import type { UnitEvent } from '@petition/contract';
import { type Logger, progress } from '@petition/logging';

export interface PublishOptions {
  logger: Logger;
  /** Records per produce request; 2,000 keeps requests well under the broker's 1 MiB default. */
  batchSize?: number;
  /** Called after each batch with the records sent so far, e.g. to draw a progress bar. */
  onProgress?: (done: number, total: number) => void;
}

/** Publishes directory records to the `units` topic in batches, acks=all, logging progress. */
export async function publishUnitRecords(
  publisher: Publisher,
  records: readonly UnitEvent[],
  options: PublishOptions,
): Promise<number> {
  const batchSize = options.batchSize ?? 2_000;
  const bar = progress(options.logger, { label: 'publish units', total: records.length, everyMs: 2_000 });
  try {
    for (let i = 0; i < records.length; i += batchSize) {
      const batch = records.slice(i, i + batchSize);
      await publisher.publish(units, batch);
      bar.add(batch.length);
      options.onProgress?.(bar.done, records.length);
    }
  } finally {
    bar.finish();
  }
  return bar.done;
}
