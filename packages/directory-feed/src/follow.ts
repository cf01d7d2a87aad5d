import { type Bus, type BusConsumer, on, PoisonRecordError, units } from '@petition/bus';
import type { UnitEvent } from '@petition/contract';
import { type Directory, DirectoryError } from '@petition/directory';
import type { Logger } from '@petition/logging';

/**
 * Keeps a directory current from the compacted `units` topic: every record from the beginning (each
 * instance in its own group), then changes as they come. Records the directory already has are 'stale'
 * and change nothing; a record that is not a valid unit goes to the DLQ. Nothing is committed: the
 * directory is read again from the beginning at every start, and no group is left behind on the broker.
 */
export function followDirectory(
  bus: Bus,
  directory: Directory,
  options: {
    groupId: string;
    logger: Logger;
    /** Called after each record that changed the directory (not for stale ones), in topic order. */
    onApplied?: (event: UnitEvent) => void | Promise<void>;
  },
): BusConsumer {
  let applied = 0;
  return bus.consumer({
    groupId: options.groupId,
    fromBeginning: true,
    commitOffsets: false,
    subscriptions: [
      on(units, async (record) => {
        try {
          if (directory.apply(record.value) !== 'applied') return;
          if (++applied % 10_000 === 0) options.logger.info({ applied }, 'directory records applied');
          await options.onApplied?.(record.value);
        } catch (error) {
          if (error instanceof DirectoryError) throw new PoisonRecordError(error.code, error.message);
          throw error;
        }
      }),
    ],
  });
}
