import type { Directory } from '@petition/directory';
import { concealedFrom } from '@petition/jurisdiction';
import type { CaseSnapshot } from './snapshot.ts';

// Which units may learn that a case exists and where it stands. A unit outside this set is answered as if
// the case did not exist — the same refusal, with no holder, state or version — so that probing case ids
// teaches nothing, and an accused unit never learns that an accusation exists or who handles it (art 30).

/** The units a case's own history involves: they took part in it, so they may hear of it again. */
function involved(snapshot: CaseSnapshot): string[] {
  return [
    snapshot.custodyUnitId,
    snapshot.registeringUnitId,
    snapshot.forwarded?.fromUnitId ?? '',
    snapshot.assignment?.assigningUnitId ?? '',
    snapshot.assignment?.assigneeUnitId ?? '',
    snapshot.leadUnitId ?? '',
    ...snapshot.coUnitIds,
    snapshot.acceptingUnitId ?? '',
    snapshot.review?.unitId ?? '',
    snapshot.reReview?.unitId ?? '',
    // The issuer of an open supervision notice still closes it after the case moved out of its reach.
    snapshot.supervision?.supervisingUnitId ?? '',
    snapshot.leader?.unitId ?? '',
  ].filter(Boolean);
}

/**
 * A unit may know of a case when it is involved in it or supervises its holder (by superior or by place),
 * and the case is not an accusation against it.
 */
export function unitMayKnowCase(directory: Directory, unitId: string, snapshot: CaseSnapshot): boolean {
  if (concealedFrom(directory, unitId, snapshot)) return false;
  if (involved(snapshot).includes(unitId)) return true;
  return directory.inSubtree(snapshot.custodyUnitId, unitId);
}
