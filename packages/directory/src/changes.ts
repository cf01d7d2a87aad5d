import type { Unit, UnitEvent } from '@petition/contract';
import type { Directory } from './directory.ts';
import { DirectoryError } from './errors.ts';

// Directory changes as `units` records. Each record carries the whole unit after the change with its
// revision raised by one, so the compacted topic keeps everything; the event id is `<unit id>@<revision>`,
// the same however often the change is rebuilt. Apply the records with `directory.apply`.

const record = (unit: Unit, occurTime: Date, payload: UnitEvent['payload']): UnitEvent => ({
  eventId: `${unit.unitId}@${unit.revision}`,
  occurTime,
  unit,
  payload,
});

function active(directory: Directory, unitId: string): Unit {
  const unit = directory.require(unitId);
  if (unit.dissolved) throw new DirectoryError('UNIT_DISSOLVED', `unit ${unitId} is already dissolved`);
  return unit;
}

const next = (unit: Unit, change: Partial<Unit>): Unit => ({ ...unit, ...change, revision: unit.revision + 1 });

export function unitCreated(directory: Directory, unit: Omit<Unit, 'revision'>, occurTime: Date): UnitEvent {
  if (directory.unit(unit.unitId)) throw new DirectoryError('UNIT_EXISTS', `unit id ${unit.unitId} is taken`);
  if (unit.parentUnitId) active(directory, unit.parentUnitId);
  return record({ ...unit, revision: 1 }, occurTime, { $case: 'created', value: {} });
}

export function unitRenamed(directory: Directory, unitId: string, newName: string, occurTime: Date): UnitEvent {
  const unit = active(directory, unitId);
  if (!newName.trim()) throw new DirectoryError('INVALID_UNIT', `a unit needs a name`);
  return record(next(unit, { name: newName }), occurTime, {
    $case: 'renamed',
    value: { oldName: unit.name, newName },
  });
}

/**
 * Merges `unitId` into `survivorId` (art 25): the merged unit is dissolved with the survivor as its
 * successor, and the survivor takes over the categories it answered. Two records when the survivor's
 * categories grow, one otherwise.
 */
export function unitMerged(directory: Directory, unitId: string, survivorId: string, occurTime: Date): UnitEvent[] {
  if (unitId === survivorId) throw new DirectoryError('MERGE_INTO_SELF', `unit ${unitId} cannot merge into itself`);
  const merged = active(directory, unitId);
  const survivor = active(directory, survivorId);
  if (directory.isWithin(survivorId, unitId) && survivor.parentUnitId === unitId) {
    // A unit merging into its own subordinate would leave the survivor as its own superior.
    throw new DirectoryError('SUCCESSOR_CYCLE', `unit ${unitId} cannot merge into its subordinate ${survivorId}`);
  }
  const out = [
    record(next(merged, { dissolved: true, successorUnitId: survivorId }), occurTime, {
      $case: 'merged',
      value: { survivorUnitId: survivorId },
    }),
  ];
  const added = merged.categories.filter((c) => !survivor.categories.includes(c));
  if (added.length > 0) {
    out.push(
      record(next(survivor, { categories: [...survivor.categories, ...added] }), occurTime, {
        $case: 'updated',
        value: { changedFields: ['categories'] },
      }),
    );
  }
  return out;
}

/** Dissolves a unit (撤销); its open matters go to the successor, or to its superior when none is named. */
export function unitDissolved(
  directory: Directory,
  unitId: string,
  change: { successorUnitId?: string; reason: string },
  occurTime: Date,
): UnitEvent {
  const unit = active(directory, unitId);
  const successorUnitId = change.successorUnitId ?? '';
  if (successorUnitId === unitId) throw new DirectoryError('MERGE_INTO_SELF', `unit ${unitId} cannot succeed itself`);
  if (successorUnitId) active(directory, successorUnitId);
  return record(next(unit, { dissolved: true, successorUnitId }), occurTime, {
    $case: 'dissolved',
    value: { successorUnitId, reason: change.reason },
  });
}
