export {
  buildNationalDirectory,
  creationEvents,
  hostNodeOf,
  type NationalDirectory,
  nationalDirectory,
  nationalNodeId,
  unitIdOf,
  unitsOfRegion,
} from './build.ts';
export { governmentCode, petitionBureauCode, type UnitTemplate, unitTemplates } from './catalogue.ts';
export { unitCreated, unitDissolved, unitMerged, unitRenamed } from './changes.ts';
export { createDirectory, type Directory, type DirectoryCounts, type RegionInfo } from './directory.ts';
export { chinaDivisions, divisionsSource } from './divisions.ts';
export { DirectoryError, type DirectoryErrorCode } from './errors.ts';
export { type LevelName, levelName, levelNames } from './levels.ts';
export { buildRegionTree, type DivisionRows, nationalRegionCode, type Region, type RegionTree } from './regions.ts';
