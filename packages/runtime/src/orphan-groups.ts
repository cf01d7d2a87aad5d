import type { Bus } from '@petition/bus';
import type { Logger } from '@petition/logging';

// A service names some of its consumer groups after its Redis epoch (epoch.ts): `<name>-<epoch>`. After a
// flush the new epoch's groups read from the beginning, and the old epoch's groups would stay on the broker
// with their offsets for ever. Once a service's own groups of the current epoch have joined, it deletes the
// groups of its names with another epoch. Best effort: a group that still has members (an instance of the
// old epoch not yet gone) is left, logged, and tried again at the next start.

/**
 * An epoch as indexEpoch draws it: the time in milliseconds in base 36, eight digits from 1972 to 2059 — and,
 * read back, a time since 2020 and not ahead of now, so that a name's other groups (`tracking-subscriptions`)
 * never pass for one.
 */
const epochPattern = '[0-9a-z]{8}';
const earliestEpoch = Date.UTC(2020, 0, 1);
const isEpoch = (epoch: string) => {
  const at = Number.parseInt(epoch, 36);
  return at >= earliestEpoch && at <= Date.now() + 86_400_000;
};

/** A group name as a regular expression matching it exactly. */
export const literally = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The groups `<name>-<epoch>` among `groups` of any of `names` with an epoch other than `currentEpoch`. */
export function orphanGroups(groups: readonly string[], names: readonly string[], currentEpoch: string): string[] {
  const ofName = new RegExp(`^(?:${names.map(literally).join('|')})-(${epochPattern})$`);
  return groups.filter((group) => {
    const epoch = ofName.exec(group)?.[1];
    return epoch !== undefined && epoch !== currentEpoch && isEpoch(epoch);
  });
}

export interface OrphanGroups {
  /** Deleted with their committed offsets. */
  readonly deleted: string[];
  /** Left where they were: the broker refused (members still in them) or could not be asked. */
  readonly left: string[];
}

/**
 * Deletes this service's groups of other epochs than `currentEpoch` (names without the bus's prefix, e.g.
 * `tracking`, `tracking-deadlines`). Never throws: what could not be deleted is logged and left for the next start.
 */
export async function deleteOrphanGroups(
  bus: Pick<Bus, 'listGroups' | 'deleteGroups'>,
  names: readonly string[],
  currentEpoch: string,
  logger: Logger,
): Promise<OrphanGroups> {
  let orphans: string[];
  try {
    orphans = orphanGroups(await bus.listGroups(), names, currentEpoch);
  } catch (err) {
    logger.warn(
      { err, names },
      'could not list consumer groups; groups of earlier epochs are left until the next start',
    );
    return { deleted: [], left: [] };
  }
  const deleted: string[] = [];
  const left: string[] = [];
  // One at a time: a group with members refuses alone, the others still go.
  for (const group of orphans) {
    try {
      await bus.deleteGroups([group]);
      deleted.push(group);
    } catch (err) {
      left.push(group);
      logger.warn(
        { err, group, epoch: currentEpoch },
        'consumer group of an earlier epoch left (members still in it?); tried again at the next start',
      );
    }
  }
  if (deleted.length > 0)
    logger.info({ groups: deleted, epoch: currentEpoch }, 'consumer groups of earlier epochs deleted');
  return { deleted, left };
}
