import { type Unit, type UnitEvent, UnitLevel } from '@petition/contract';
import { governmentCode, type UnitTemplate, unitTemplates } from './catalogue.ts';
import { createDirectory, type Directory } from './directory.ts';
import { chinaDivisions } from './divisions.ts';
import { buildRegionTree, type Region, type RegionTree } from './regions.ts';

// Builds the national directory: every template of the catalogue in every region of the tree.

export const unitIdOf = (regionCode: string, code: string) => `${regionCode}-${code}`;
/** The node that hosts a region's units (DESIGN "Nodes"): `national` for the national units, else the province's code. */
export const nationalNodeId = 'national';
export const hostNodeOf = (provinceCode: string) => (provinceCode === '00' ? nationalNodeId : provinceCode);

function nameOf(template: UnitTemplate, region: Region): string {
  const level = region.level;
  if (level === UnitLevel.UNIT_LEVEL_NATIONAL) return template.national;
  const pattern =
    level === UnitLevel.UNIT_LEVEL_PROVINCIAL
      ? template.provincial
      : level === UnitLevel.UNIT_LEVEL_PREFECTURE
        ? template.prefecture
        : template.county;
  return pattern.replaceAll('{r}', region.name);
}

function superiorOf(template: UnitTemplate, region: Region): string {
  switch (template.superior) {
    case 'same-code-above':
      return region.parentCode === undefined ? '' : unitIdOf(region.parentCode, template.code);
    case 'own-government':
      return unitIdOf(region.code, governmentCode);
    case 'own-party-committee':
      return unitIdOf(region.code, 'dw');
  }
}

export function unitsOfRegion(region: Region): Unit[] {
  return unitTemplates.map((template) => ({
    unitId: unitIdOf(region.code, template.code),
    name: nameOf(template, region),
    level: region.level,
    kind: template.kind,
    regionCode: region.code,
    parentUnitId: superiorOf(template, region),
    categories: [...template.categories],
    hostNodeId: hostNodeOf(region.provinceCode),
    dissolved: false,
    successorUnitId: '',
    revision: 1,
  }));
}

export interface NationalDirectory extends RegionTree {
  readonly units: readonly Unit[];
}

/** The national directory from the real divisions (or the rows given): about 90,000 units. */
export function buildNationalDirectory(tree: RegionTree = buildRegionTree(chinaDivisions())): NationalDirectory {
  return { ...tree, units: tree.regions.flatMap(unitsOfRegion) };
}

/** The `units` topic records that create the directory: one UnitCreated per unit, ids stable across builds. */
export function creationEvents(units: readonly Unit[], occurTime: Date): UnitEvent[] {
  return units.map((unit) => ({
    eventId: `${unit.unitId}@${unit.revision}`,
    occurTime,
    unit,
    payload: { $case: 'created', value: {} },
  }));
}

/** A live directory holding every unit of `national` (the real one when omitted), as each service starts with. */
export function nationalDirectory(
  national: NationalDirectory = buildNationalDirectory(),
  occurTime = new Date(0),
): Directory {
  return createDirectory(creationEvents(national.units, occurTime), { aliases: national.aliases });
}
