import { Category, UnitEvent, UnitKind, UnitLevel } from '@petition/contract';
import { beforeEach, describe, expect, it } from 'vitest';
import { creationEvents, unitsOfRegion } from './build.ts';
import { unitCreated, unitDissolved, unitMerged, unitRenamed } from './changes.ts';
import { createDirectory, type Directory } from './directory.ts';
import { DirectoryError } from './errors.ts';
import type { Region } from './regions.ts';

// A small directory of real shape: the nation, 浙江, 杭州, and two districts.
const regions: Region[] = [
  { code: '000000', name: '', level: UnitLevel.UNIT_LEVEL_NATIONAL, provinceCode: '00' },
  { code: '330000', name: '浙江省', level: UnitLevel.UNIT_LEVEL_PROVINCIAL, parentCode: '000000', provinceCode: '33' },
  { code: '330100', name: '杭州市', level: UnitLevel.UNIT_LEVEL_PREFECTURE, parentCode: '330000', provinceCode: '33' },
  {
    code: '330105',
    name: '杭州市拱墅区',
    level: UnitLevel.UNIT_LEVEL_COUNTY,
    parentCode: '330100',
    provinceCode: '33',
  },
  {
    code: '330106',
    name: '杭州市西湖区',
    level: UnitLevel.UNIT_LEVEL_COUNTY,
    parentCode: '330100',
    provinceCode: '33',
  },
];
const at = new Date('2026-11-22T02:00:00Z');
const water = Category.CATEGORY_LAND_WATER_FORESTRY;
let directory: Directory;

beforeEach(() => {
  directory = createDirectory(creationEvents(regions.flatMap(unitsOfRegion), at));
});

const applyAll = (events: UnitEvent[]) => events.map((e) => directory.apply(e));

describe('directory changes applied live', () => {
  it('renames a unit, keeping its id, and raises its revision', () => {
    const event = unitRenamed(directory, '330106-slj', '杭州市西湖区水利水电局', at);
    expect(event.payload).toEqual({
      $case: 'renamed',
      value: { oldName: '杭州市西湖区水利局', newName: '杭州市西湖区水利水电局' },
    });
    expect(directory.apply(event)).toBe('applied');
    expect(directory.unit('330106-slj')).toMatchObject({ name: '杭州市西湖区水利水电局', revision: 2 });
    expect(() => unitRenamed(directory, '330106-slj', '  ', at)).toThrow(/needs a name/);
  });

  it('merges a unit into another: the survivor takes its responsibilities and its subordinates', () => {
    // 拱墅区 government merges into 西湖区 (a district merger); its departments now answer to the survivor.
    const merge = unitMerged(directory, '330105-zf', '330106-zf', at);
    applyAll(merge);
    expect(directory.unit('330105-zf')).toMatchObject({ dissolved: true, successorUnitId: '330106-zf', revision: 2 });
    expect(directory.current('330105-zf')?.unitId).toBe('330106-zf');
    expect(directory.superior('330105-zjj')?.unitId).toBe('330106-zf');
    expect(directory.children('330106-zf').map((u) => u.unitId)).toEqual(
      expect.arrayContaining(['330106-zjj', '330105-zjj']),
    );
    expect(directory.commonSuperior(['330105-zjj', '330106-zrzyj'])?.unitId).toBe('330106-zf');
  });

  it('moves the categories of a merged department to the survivor', () => {
    // 水利局 merges into 自然资源局: both answer 国土资源水利林业; the survivor gains nothing new.
    expect(unitMerged(directory, '330106-slj', '330106-zrzyj', at)).toHaveLength(1);
    // 教育局 merges into 科学技术局: the survivor now answers 教育 too.
    const merge = unitMerged(directory, '330106-jyj', '330106-kjj', at);
    expect(merge.map((e) => e.payload?.$case)).toEqual(['merged', 'updated']);
    applyAll(merge);
    expect(directory.unit('330106-kjj')?.categories).toEqual([
      Category.CATEGORY_SCIENCE_CULTURE_SPORTS,
      Category.CATEGORY_EDUCATION,
    ]);
    expect(directory.responsibleUnit('330106', Category.CATEGORY_EDUCATION)?.unitId).toBe('330106-kjj');
    expect(directory.responsibleUnit('330106', water)?.unitId).toBe('330106-zrzyj');
    expect(directory.counts().dissolved).toBe(1);
  });

  it('dissolves a unit: its successor, or else its superior, continues its functions (art 25)', () => {
    directory.apply(unitDissolved(directory, '330106-zrzyj', { reason: '机构改革' }, at));
    expect(directory.current('330106-zrzyj')?.unitId).toBe('330106-zf');
    // The next unit answering the category takes over the lookups.
    expect(directory.responsibleUnit('330106', water)?.unitId).toBe('330106-slj');
    directory.apply(unitDissolved(directory, '330106-slj', { successorUnitId: '330100-slj', reason: '上收' }, at));
    expect(directory.responsibleUnit('330106', water)?.unitId).toBe('330100-slj');
  });

  it('answers the bureau above a unit anew once the directory changes', () => {
    expect(directory.bureauAbove('330106-zjj')?.unitId).toBe('330100-xfj');
    // 杭州's petition bureau taken into the city government: supervision climbs to the survivor.
    directory.apply(unitDissolved(directory, '330100-xfj', { successorUnitId: '330100-zf', reason: '机构改革' }, at));
    expect(directory.bureauAbove('330106-zjj')?.unitId).toBe('330100-zf');
    expect(directory.bureauAbove('330106-zjj')?.unitId).toBe('330100-zf');
  });

  it('creates a new unit under an existing superior', () => {
    const event = unitCreated(
      directory,
      {
        unitId: '330106-cgj',
        name: '杭州市西湖区城市管理局',
        level: UnitLevel.UNIT_LEVEL_COUNTY,
        kind: UnitKind.UNIT_KIND_FUNCTIONAL_DEPARTMENT,
        regionCode: '330106',
        parentUnitId: '330106-zf',
        categories: [Category.CATEGORY_URBAN_RURAL_CONSTRUCTION],
        hostNodeId: '33',
        dissolved: false,
        successorUnitId: '',
      },
      at,
    );
    expect(directory.apply(event)).toBe('applied');
    expect(directory.children('330106-zf').map((u) => u.unitId)).toContain('330106-cgj');
    // The existing department stays first for its category.
    expect(directory.responsibleUnit('330106', Category.CATEGORY_URBAN_RURAL_CONSTRUCTION)?.unitId).toBe('330106-zjj');
  });

  it('refuses impossible changes with a stable code', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as DirectoryError).code;
      }
      return 'none';
    };
    expect(code(() => unitMerged(directory, '330106-slj', '330106-slj', at))).toBe('MERGE_INTO_SELF');
    expect(code(() => unitMerged(directory, '330106-xx', '330106-slj', at))).toBe('UNKNOWN_UNIT');
    applyAll(unitMerged(directory, '330106-slj', '330106-zrzyj', at));
    expect(code(() => unitRenamed(directory, '330106-slj', 'x', at))).toBe('UNIT_DISSOLVED');
    expect(code(() => unitMerged(directory, '330106-zrzyj', '330106-slj', at))).toBe('UNIT_DISSOLVED');
    expect(code(() => unitMerged(directory, '330106-zf', '330106-zjj', at))).toBe('SUCCESSOR_CYCLE');
    const existing = directory.require('330106-zjj');
    expect(code(() => unitCreated(directory, existing, at))).toBe('UNIT_EXISTS');
    expect(() => directory.apply({ eventId: 'bad', unit: { ...existing, regionCode: '3301' } })).toThrow(
      DirectoryError,
    );
  });

  it('ignores a record it already has (redelivery, replay of the compacted topic)', () => {
    const event = unitRenamed(directory, '330106-slj', '新名称', at);
    expect(directory.apply(event)).toBe('applied');
    expect(directory.apply(event)).toBe('stale');
    expect(directory.apply(creationEvents([directory.require('330106-zjj')], at)[0] as UnitEvent)).toBe('stale');
  });
});

describe('serialised with the contract', () => {
  it('rebuilds the same directory from its records encoded as UnitEvent messages, in any order', () => {
    applyAll(unitMerged(directory, '330106-jyj', '330106-kjj', at));
    directory.apply(unitRenamed(directory, '330105-xfj', '杭州市拱墅区信访局（新）', at));
    const bytes = directory.records().map((r) => UnitEvent.encode(r).finish());
    const rebuilt = createDirectory(bytes.reverse().map((b) => UnitEvent.decode(b)));
    expect([...rebuilt.units()].sort((a, b) => a.unitId.localeCompare(b.unitId))).toEqual(
      [...directory.units()].sort((a, b) => a.unitId.localeCompare(b.unitId)),
    );
    expect(rebuilt.responsibleUnit('330106', Category.CATEGORY_EDUCATION)?.unitId).toBe('330106-kjj');
    expect(rebuilt.children('330106-kjj')).toEqual(directory.children('330106-kjj'));
    expect(rebuilt.counts()).toEqual(directory.counts());
  });
});
