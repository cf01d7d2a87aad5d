import { Category, PetitionKind } from '@petition/contract';
import { createDirectory, type Directory, nationalDirectory, unitMerged } from '@petition/directory';
import { beforeAll, describe, expect, it } from 'vitest';
import { concealedFrom, unitWithAuthority } from './index.ts';

// Over the real directory: 西湖区 330106 under 杭州 330100 under 浙江 330000.

let directory: Directory;
beforeAll(() => {
  directory = nationalDirectory();
});

const accusation = (accusedUnitId: string) => ({ kind: PetitionKind.PETITION_KIND_ACCUSATION, accusedUnitId });
const concealed = (viewers: readonly string[], accused: string, d = directory) =>
  viewers.filter((v) => concealedFrom(d, v, accusation(accused)));

describe('art 30: who an accusation is kept from', () => {
  it('keeps nothing from anyone unless the case is an accusation naming an accused unit', () => {
    for (const kind of [PetitionKind.PETITION_KIND_COMPLAINT, PetitionKind.PETITION_KIND_SUGGESTION]) {
      expect(concealedFrom(directory, '330106-xfj', { kind, accusedUnitId: '330106-xfj' })).toBe(false);
    }
    expect(concealedFrom(directory, '330106-xfj', { kind: PetitionKind.PETITION_KIND_ACCUSATION })).toBe(false);
    expect(concealedFrom(directory, '330106-xfj', accusation(''))).toBe(false);
  });

  it('keeps an accusation against a petition bureau from it and the bureaus under it, not from the discipline body that takes it', () => {
    const viewers = ['330100-xfj', '330106-xfj', '330106-jw', '330106-zf', '330106-rsj', '330000-xfj', '330105-xfj'];
    expect(concealed(viewers, '330106-xfj')).toEqual(['330106-xfj']);
    // 杭州市信访局: the county bureaus under it too, but not 浙江 above it nor 杭州's discipline body.
    expect(concealed(viewers, '330100-xfj')).toEqual(['330100-xfj', '330106-xfj', '330105-xfj']);
    expect(
      concealedFrom(
        directory,
        unitWithAuthority(directory, matterAbout('330106-xfj')).unitId,
        accusation('330106-xfj'),
      ),
    ).toBe(false);
  });

  it('keeps an accusation against a department from it and what is under it, not from its government or peers', () => {
    expect(concealed(['330106-rsj', '330106-zf', '330106-zjj', '330106-xfj', '330106-jw'], '330106-rsj')).toEqual([
      '330106-rsj',
    ]);
  });

  it('keeps an accusation against a government or party committee from every unit of its place, not from those above', () => {
    const county = ['330106-zf', '330106-rsj', '330106-xfj', '330106-jw', '330106-fy', '330106-dw', '330106-zfw'];
    const above = ['330100-zf', '330100-xfj', '330100-jw', '330000-xfj', '330105-xfj', '330105-zf'];
    for (const accused of ['330106-zf', '330106-dw']) {
      expect(concealed([...county, ...above], accused)).toEqual(county);
    }
    // A prefecture's government: its own units and every county's under it.
    expect(concealed([...county, ...above], '330100-zf')).toEqual([
      ...county,
      '330100-zf',
      '330100-xfj',
      '330100-jw',
      '330105-xfj',
      '330105-zf',
    ]);
  });

  it('keeps an accusation against a discipline body from it and the discipline bodies under it only', () => {
    expect(concealed(['330100-jw', '330106-jw', '330100-xfj', '330100-zf', '330000-jw'], '330100-jw')).toEqual([
      '330100-jw',
      '330106-jw',
    ]);
  });

  it('follows a merger: the unit that now exercises the accused’s functions is the accused', () => {
    const merged = createDirectory(directory.records());
    for (const e of unitMerged(merged, '330106-rsj', '330106-mzj', new Date('2026-11-20T00:00:00Z'))) merged.apply(e);
    expect(concealed(['330106-mzj', '330106-zjj'], '330106-rsj', merged)).toEqual(['330106-mzj']);
  });

  it('the discipline body with authority is never one the accusation is kept from', () => {
    const accused = ['330106-xfj', '330106-rsj', '330106-zf', '330106-dw', '330106-jw', '330100-xfj', '330100-zf'];
    for (const a of accused) {
      const body = unitWithAuthority(directory, matterAbout(a));
      expect([a, concealedFrom(directory, body.unitId, accusation(a))]).toEqual([a, false]);
    }
  });
});

function matterAbout(accusedUnitId: string) {
  return { ...accusation(accusedUnitId), regionCode: '330106', category: Category.CATEGORY_DISCIPLINE_SUPERVISION };
}
