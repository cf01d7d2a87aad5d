import { Category, PetitionKind, type Unit, UnitKind, type UnitLevel } from '@petition/contract';
import type { Directory } from '@petition/directory';
import { type Confidential, concealedFrom } from './confidentiality.ts';

// Which unit has authority over a new matter, and how a bureau's case reaches it. Pure: the directory is
// the only thing consulted, so routing, tests and the simulator get the same answer.

export class JurisdictionError extends Error {
  readonly code: 'UNKNOWN_REGION' | 'NO_UNIT_WITH_AUTHORITY' | 'UNKNOWN_UNIT';
  constructor(code: JurisdictionError['code'], message: string) {
    super(`${code}: ${message}`);
    this.name = 'JurisdictionError';
    this.code = code;
  }
}

export interface Matter {
  readonly regionCode: string;
  readonly category: Category;
  readonly kind: PetitionKind;
  readonly accusedUnitId?: string;
  /** The unit whose own decision the matter is about (分级负责). */
  readonly concernedUnitId?: string;
}

/**
 * Art 30: an accusation goes to the nearest discipline body, from the accused's region up, that it is not
 * kept from (`concealedFrom`): the region's own for a department or a bureau, the one a level up for the
 * region's government, party committee or discipline body.
 */
function disciplineFor(directory: Directory, matter: Matter): Unit {
  const accused = matter.accusedUnitId ? directory.unit(matter.accusedUnitId) : undefined;
  if (matter.accusedUnitId && !accused)
    throw new JurisdictionError('UNKNOWN_UNIT', `accused unit ${matter.accusedUnitId}`);
  for (
    let region = directory.region(accused?.regionCode ?? matter.regionCode);
    region;
    region = region.parentCode ? directory.region(region.parentCode) : undefined
  ) {
    const body = directory.responsibleUnit(region.code, Category.CATEGORY_DISCIPLINE_SUPERVISION);
    if (body && !concealedFrom(directory, body.unitId, matter)) return body;
  }
  throw new JurisdictionError('NO_UNIT_WITH_AUTHORITY', `no discipline body above ${matter.accusedUnitId}`);
}

/**
 * 属地管理: the unit of the matter's place that the directory lists first for its category (a matter for
 * litigation is then guided away by that unit, art 31). 分级负责: a matter about a unit's own decision is
 * handled at that unit's level — by the unit itself when it answers the category, else by the unit that
 * does in its region. Accusations follow art 30.
 */
export function unitWithAuthority(directory: Directory, matter: Matter): Unit {
  if (!directory.region(matter.regionCode)) throw new JurisdictionError('UNKNOWN_REGION', matter.regionCode);
  if (matter.kind === PetitionKind.PETITION_KIND_ACCUSATION) return disciplineFor(directory, matter);
  let regionCode = matter.regionCode;
  if (matter.concernedUnitId) {
    const concerned = directory.current(matter.concernedUnitId);
    if (!concerned) throw new JurisdictionError('UNKNOWN_UNIT', `concerned unit ${matter.concernedUnitId}`);
    if (concerned.categories.includes(matter.category)) return concerned;
    regionCode = concerned.regionCode;
  }
  const unit = directory.responsibleUnit(regionCode, matter.category);
  if (!unit) throw new JurisdictionError('NO_UNIT_WITH_AUTHORITY', `${regionCode} × category ${matter.category}`);
  return unit;
}

export interface Hop {
  readonly fromUnitId: string;
  readonly toUnitId: string;
  /** The last hop reaches the unit with authority; the others reach a bureau. */
  readonly toHandlingUnit: boolean;
  /** The level whose share of the 15 days this leg uses (national 5 / provincial 3 / prefecture 3 / county 4). */
  readonly legLevel: UnitLevel;
}

/** `chain`: down through each level's bureau; `direct`: straight to the unit with authority. */
export type RouteMode = 'chain' | 'direct';

/**
 * The legs from the registering bureau to the unit with authority. In `chain` mode the case passes the
 * bureau of every level between them (municipalities and directly administered counties have no
 * prefecture level, so none is passed); a bureau at the handling unit's own level hands it over itself.
 * A bureau the matter is kept from (art 30: an accusation against it or a unit over it) is not passed:
 * the last bureau before it hands the case on to the next one, or to the unit with authority, itself.
 */
export function routeTo(
  directory: Directory,
  registeringUnitId: string,
  handling: Unit,
  mode: RouteMode,
  matter: Confidential,
): Hop[] {
  const from = directory.unit(registeringUnitId);
  if (!from) throw new JurisdictionError('UNKNOWN_UNIT', registeringUnitId);
  const hop = (a: Unit, b: Unit, toHandlingUnit: boolean): Hop => ({
    fromUnitId: a.unitId,
    toUnitId: b.unitId,
    toHandlingUnit,
    legLevel: a.level,
  });
  if (from.unitId === handling.unitId) return [];
  if (mode === 'direct' || from.kind !== UnitKind.UNIT_KIND_PETITION_BUREAU) return [hop(from, handling, true)];
  // The bureaus of the handling unit's region and of each region above it, nearest first.
  const bureaus: Unit[] = [];
  for (
    let r = directory.region(handling.regionCode);
    r;
    r = r.parentCode ? directory.region(r.parentCode) : undefined
  ) {
    const bureau = directory.bureauOf(r.code);
    if (bureau) bureaus.push(bureau);
  }
  const start = bureaus.findIndex((b) => b.unitId === from.unitId);
  // A bureau outside the handling unit's chain (another province) hands the case to that chain's bureau
  // at its own level, and the chain goes down from there.
  const below = start >= 0 ? bureaus.slice(0, start).reverse() : bureaus.filter((b) => b.level >= from.level).reverse();
  const path = [from, ...below.filter((b) => !concealedFrom(directory, b.unitId, matter))];
  const hops: Hop[] = [];
  for (let i = 1; i < path.length; i++) hops.push(hop(path[i - 1] as Unit, path[i] as Unit, false));
  const last = path[path.length - 1] as Unit;
  if (last.unitId !== handling.unitId) hops.push(hop(last, handling, true));
  return hops;
}
