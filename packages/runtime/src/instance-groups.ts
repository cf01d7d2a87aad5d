import type { Bus } from '@petition/bus';
import type { Logger } from '@petition/logging';
import { literally } from './orphan-groups.ts';

// Groups of one process (`<name>-<instance>`, the instance eight hex digits new at every start) that commit
// nothing are gone with their last member. A process that sets their offsets before it joins (a reader
// starting after routing's snapshots, situation's look-back) leaves them on the broker with those offsets:
// it deletes its own on close, and at start the ones of instances that are gone (a crash). A group that
// still has members — another instance running — refuses deletion and stays.

/** The groups `<name>-<instance>` among `groups` of any of `names` with an instance other than `own`. */
export function leftInstanceGroups(groups: readonly string[], names: readonly string[], own: string): string[] {
  const ofName = new RegExp(`^(?:${names.map(literally).join('|')})-([0-9a-f]{8})$`);
  return groups.filter((group) => {
    const instance = ofName.exec(group)?.[1];
    return instance !== undefined && instance !== own;
  });
}

/** Deletes the groups of `names` left by instances other than `ownInstance`. Never throws. */
export async function deleteLeftInstanceGroups(
  bus: Pick<Bus, 'listGroups' | 'deleteGroups'>,
  names: readonly string[],
  ownInstance: string,
  logger: Logger,
): Promise<string[]> {
  let left: string[];
  try {
    left = leftInstanceGroups(await bus.listGroups(), names, ownInstance);
  } catch (err) {
    logger.warn({ err, names }, 'could not list consumer groups; readers of gone instances are left');
    return [];
  }
  const deleted: string[] = [];
  for (const group of left) {
    // One at a time: a group with members refuses alone.
    await bus.deleteGroups([group]).then(
      () => deleted.push(group),
      () => {},
    );
  }
  return deleted;
}
