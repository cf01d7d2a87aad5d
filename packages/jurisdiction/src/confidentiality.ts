import { PetitionKind, UnitKind } from '@petition/contract';
import type { Directory } from '@petition/directory';

// Art 30: accusation (检举控告) material and the accuser's identity never reach the accused. This is the one
// statement of who counts as "the accused" for a case; every path that moves a case or shows it — routing,
// registration, supervision, inboxes, boards, KPIs, notices, webhooks — asks it rather than deciding anew.

/** What the rule needs of a case: its kind and, for an accusation, the unit accused. */
export interface Confidential {
  readonly kind: PetitionKind;
  /** The accused unit of an accusation; empty or absent when none is named. */
  readonly accusedUnitId?: string;
}

/** The unit a case is kept from the reach of: an accusation's accused; none for any other case. */
export const accusedOf = (matter: Confidential | undefined): string | undefined =>
  matter?.kind === PetitionKind.PETITION_KIND_ACCUSATION && matter.accusedUnitId ? matter.accusedUnitId : undefined;

/**
 * The units that lead a whole place: a region's government and party committee direct every unit of their
 * region and of the regions below it, not only the units whose chain of superiors runs through them — the
 * region's petition bureau answers to the bureau above yet works for the government, and the discipline
 * body, court and procuratorate answer upwards yet are led by the party committee. What is held anywhere in
 * that place reaches them. (It is why `unitWithAuthority` sends an accusation against one of them to the
 * discipline body of the region above.)
 *
 * Not a petition bureau: its "supervision" of a region's units (directory.supervisesRegion) is oversight
 * of petition work, not command — the region's discipline body must take an accusation against the bureau,
 * so it must see it. Not a discipline body: it leads only the discipline bodies under it, which its chain
 * of superiors already covers.
 */
const leadsItsPlace: ReadonlySet<UnitKind> = new Set([
  UnitKind.UNIT_KIND_GOVERNMENT,
  UnitKind.UNIT_KIND_PARTY_COMMITTEE,
]);

/**
 * True when the case must be kept from `viewerUnitId` (art 30): the case is an accusation naming an accused
 * unit, and the viewer is that unit (or the unit exercising its functions now, after a merger), lies under
 * it in the chain of superiors (its staff, departments, subordinate units), or — when the accused is a
 * government or party committee — lies anywhere in the accused's region or below (`leadsItsPlace`).
 * A superior of the accused, or a unit beside it, is not concealed from: it supervises the accused.
 * An unknown viewer is treated by the directory's answer (an id it does not know lies under nothing).
 */
export function concealedFrom(directory: Directory, viewerUnitId: string, matter: Confidential): boolean {
  const accused = accusedOf(matter);
  if (!accused) return false;
  if (directory.isWithin(viewerUnitId, accused)) return true;
  const leader = directory.current(accused);
  return !!leader && leadsItsPlace.has(leader.kind) && directory.inSubtree(viewerUnitId, leader.unitId);
}
