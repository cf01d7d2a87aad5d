import { UnitLevel } from '@petition/contract';

export type LevelName = 'national' | 'provincial' | 'prefecture' | 'county';

const names: Record<number, LevelName> = {
  [UnitLevel.UNIT_LEVEL_NATIONAL]: 'national',
  [UnitLevel.UNIT_LEVEL_PROVINCIAL]: 'provincial',
  [UnitLevel.UNIT_LEVEL_PREFECTURE]: 'prefecture',
  [UnitLevel.UNIT_LEVEL_COUNTY]: 'county',
};

/** `national` … `county`; undefined for an unspecified or unknown level. */
export const levelName = (level: UnitLevel): LevelName | undefined => names[level];

export const levelNames: readonly LevelName[] = ['national', 'provincial', 'prefecture', 'county'];
