import { Category, PetitionKind, UnitLevel } from '@petition/contract';
import { type Directory, nationalDirectory } from '@petition/directory';
import { beforeAll, describe, expect, it } from 'vitest';
import { concealedFrom, JurisdictionError, routeTo, unitWithAuthority } from './index.ts';

// Over the real directory: 西湖区 330106 (杭州 330100, 浙江 330000), 东城区 110101 (北京, a municipality
// without a prefecture level), 仙桃 429004 (a county-level city directly under 湖北 420000).

let directory: Directory;
beforeAll(() => {
  directory = nationalDirectory();
});

const complaint = (regionCode: string, category: Category) => ({
  regionCode,
  category,
  kind: PetitionKind.PETITION_KIND_COMPLAINT,
});
const path = (hops: { fromUnitId: string; toUnitId: string }[]) => [
  hops[0]?.fromUnitId,
  ...hops.map((h) => h.toUnitId),
];

describe('the unit with authority (属地管理)', () => {
  it('is the department of the matter’s county answering its category', () => {
    expect(unitWithAuthority(directory, complaint('330106', Category.CATEGORY_LABOR_SOCIAL_SECURITY)).unitId).toBe(
      '330106-rsj',
    );
    expect(unitWithAuthority(directory, complaint('110101', Category.CATEGORY_EDUCATION)).unitId).toBe('110101-jyj');
  });

  it('sends 政法 matters to the first unit the directory lists for them (公安), not to a bureau', () => {
    const unit = unitWithAuthority(directory, complaint('330106', Category.CATEGORY_POLITICAL_LEGAL));
    expect(unit.unitId).toBe('330106-gaj');
    expect(unit.categories).toContain(Category.CATEGORY_POLITICAL_LEGAL);
  });

  it('分级负责: a matter about a higher unit’s own decision is handled at that unit’s level', () => {
    const about = (concernedUnitId: string, category: Category) => ({
      ...complaint('330106', category),
      concernedUnitId,
    });
    // 杭州市人社局 answers labour matters itself; 杭州市政府's decision on one goes to 杭州's 人社局.
    expect(unitWithAuthority(directory, about('330100-rsj', Category.CATEGORY_LABOR_SOCIAL_SECURITY)).unitId).toBe(
      '330100-rsj',
    );
    expect(unitWithAuthority(directory, about('330100-zf', Category.CATEGORY_LABOR_SOCIAL_SECURITY)).unitId).toBe(
      '330100-rsj',
    );
    expect(() => unitWithAuthority(directory, about('nope', Category.CATEGORY_OTHER))).toThrow(JurisdictionError);
  });

  it('refuses an unknown region', () => {
    expect(() => unitWithAuthority(directory, complaint('999999', Category.CATEGORY_OTHER))).toThrow(JurisdictionError);
  });
});

describe('art 30: accusations go to the discipline body over the accused, never to the accused', () => {
  const accusation = (accusedUnitId: string) => ({
    regionCode: '330106',
    category: Category.CATEGORY_DISCIPLINE_SUPERVISION,
    kind: PetitionKind.PETITION_KIND_ACCUSATION,
    accusedUnitId,
  });

  it('a department is accused before the discipline body of its own region', () => {
    expect(unitWithAuthority(directory, accusation('330106-rsj')).unitId).toBe('330106-jw');
  });

  it('a region’s government, party committee or discipline body before the one a level up', () => {
    for (const accused of ['330106-zf', '330106-dw', '330106-jw']) {
      const unit = unitWithAuthority(directory, accusation(accused));
      expect(unit.unitId).toBe('330100-jw');
      expect(directory.isWithin(unit.unitId, accused)).toBe(false);
    }
  });
});

describe('the route from the registering bureau (art 22; 国信发〔2014〕16号)', () => {
  const labour = complaint('330106', Category.CATEGORY_LABOR_SOCIAL_SECURITY);
  it('goes down through every level’s bureau, each leg on its level’s share', () => {
    const handling = unitWithAuthority(directory, complaint('330106', Category.CATEGORY_LABOR_SOCIAL_SECURITY));
    const hops = routeTo(directory, '000000-xfj', handling, 'chain', labour);
    expect(path(hops)).toEqual(['000000-xfj', '330000-xfj', '330100-xfj', '330106-xfj', '330106-rsj']);
    expect(hops.map((h) => h.legLevel)).toEqual([
      UnitLevel.UNIT_LEVEL_NATIONAL,
      UnitLevel.UNIT_LEVEL_PROVINCIAL,
      UnitLevel.UNIT_LEVEL_PREFECTURE,
      UnitLevel.UNIT_LEVEL_COUNTY,
    ]);
    expect(hops.map((h) => h.toHandlingUnit)).toEqual([false, false, false, true]);
  });

  it('skips the prefecture level where there is none (a municipality, a directly administered county)', () => {
    const beijing = unitWithAuthority(directory, complaint('110101', Category.CATEGORY_EDUCATION));
    expect(path(routeTo(directory, '000000-xfj', beijing, 'chain', labour))).toEqual([
      '000000-xfj',
      '110000-xfj',
      '110101-xfj',
      '110101-jyj',
    ]);
    const xiantao = unitWithAuthority(directory, complaint('429004', Category.CATEGORY_CIVIL_AFFAIRS));
    expect(path(routeTo(directory, '000000-xfj', xiantao, 'chain', labour))).toEqual([
      '000000-xfj',
      '420000-xfj',
      '429004-xfj',
      xiantao.unitId,
    ]);
  });

  it('goes straight to the unit with authority where the bureau is configured so, or when it sits in the same region', () => {
    const handling = unitWithAuthority(directory, complaint('330106', Category.CATEGORY_LABOR_SOCIAL_SECURITY));
    expect(path(routeTo(directory, '000000-xfj', handling, 'direct', labour))).toEqual(['000000-xfj', '330106-rsj']);
    expect(path(routeTo(directory, '330106-xfj', handling, 'chain', labour))).toEqual(['330106-xfj', '330106-rsj']);
    expect(routeTo(directory, '330106-rsj', handling, 'chain', labour)).toEqual([]);
  });

  it('crosses from another province’s bureau through the peer at its level', () => {
    const handling = unitWithAuthority(directory, complaint('330106', Category.CATEGORY_LABOR_SOCIAL_SECURITY));
    expect(path(routeTo(directory, '110000-xfj', handling, 'chain', labour))).toEqual([
      '110000-xfj',
      '330000-xfj',
      '330100-xfj',
      '330106-xfj',
      '330106-rsj',
    ]);
  });
});

describe('art 30: the route of an accusation never passes through the accused', () => {
  const accusation = (accusedUnitId: string) => ({
    regionCode: '330106',
    category: Category.CATEGORY_DISCIPLINE_SUPERVISION,
    kind: PetitionKind.PETITION_KIND_ACCUSATION,
    accusedUnitId,
  });

  it('skips an accused county bureau: 杭州市信访局 hands the case straight to the discipline body', () => {
    const matter = accusation('330106-xfj');
    const handling = unitWithAuthority(directory, matter);
    expect(handling.unitId).toBe('330106-jw');
    const hops = routeTo(directory, '000000-xfj', handling, 'chain', matter);
    expect(path(hops)).toEqual(['000000-xfj', '330000-xfj', '330100-xfj', '330106-jw']);
    expect(hops.at(-1)).toMatchObject({ toHandlingUnit: true, legLevel: UnitLevel.UNIT_LEVEL_PREFECTURE });
  });

  it('skips an accused prefecture bureau, and every bureau under it, from wherever the case starts', () => {
    const matter = accusation('330100-xfj');
    const handling = unitWithAuthority(directory, matter);
    expect(handling.unitId).toBe('330100-jw');
    expect(path(routeTo(directory, '000000-xfj', handling, 'chain', matter))).toEqual([
      '000000-xfj',
      '330000-xfj',
      '330100-jw',
    ]);
    expect(path(routeTo(directory, '110000-xfj', handling, 'chain', matter))).toEqual([
      '110000-xfj',
      '330000-xfj',
      '330100-jw',
    ]);
  });

  it('no bureau on any route is one the accusation is kept from', () => {
    for (const accused of ['330106-xfj', '330100-xfj', '330106-zf', '330100-zf', '330106-rsj', '330106-jw']) {
      const matter = accusation(accused);
      const handling = unitWithAuthority(directory, matter);
      for (const start of ['000000-xfj', '110000-xfj', '330000-xfj']) {
        for (const unitId of path(routeTo(directory, start, handling, 'chain', matter))) {
          expect([accused, unitId, concealedFrom(directory, unitId ?? '', matter)]).toEqual([accused, unitId, false]);
        }
      }
    }
  });
});
