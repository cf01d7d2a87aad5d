import { Category, PetitionKind } from '@petition/contract';

// The 18 categories and three kinds by the Chinese names the examples, the design and intake's vocabulary
// use, and back. One table each, so that a label and its contract value cannot drift apart.

export const categoryByLabel: ReadonlyMap<string, Category> = new Map([
  ['城乡建设', Category.CATEGORY_URBAN_RURAL_CONSTRUCTION],
  ['国土资源水利林业', Category.CATEGORY_LAND_WATER_FORESTRY],
  ['劳动社保', Category.CATEGORY_LABOR_SOCIAL_SECURITY],
  ['农村农业', Category.CATEGORY_RURAL_AGRICULTURE],
  ['政法', Category.CATEGORY_POLITICAL_LEGAL],
  ['纪检监察', Category.CATEGORY_DISCIPLINE_SUPERVISION],
  ['组织人事', Category.CATEGORY_ORGANIZATION_PERSONNEL],
  ['民政', Category.CATEGORY_CIVIL_AFFAIRS],
  ['教育', Category.CATEGORY_EDUCATION],
  ['卫生计生', Category.CATEGORY_HEALTH_FAMILY_PLANNING],
  ['经济综合', Category.CATEGORY_ECONOMY_GENERAL],
  ['政治综合', Category.CATEGORY_POLITICS_GENERAL],
  ['交通能源环保', Category.CATEGORY_TRANSPORT_ENERGY_ENVIRONMENT],
  ['商贸旅游', Category.CATEGORY_COMMERCE_TOURISM],
  ['宣传舆论', Category.CATEGORY_PUBLICITY_PUBLIC_OPINION],
  ['信息产业', Category.CATEGORY_INFORMATION_INDUSTRY],
  ['科技文体', Category.CATEGORY_SCIENCE_CULTURE_SPORTS],
  ['其他', Category.CATEGORY_OTHER],
]);

export const kindByLabel: ReadonlyMap<string, PetitionKind> = new Map([
  ['建议意见', PetitionKind.PETITION_KIND_SUGGESTION],
  ['检举控告', PetitionKind.PETITION_KIND_ACCUSATION],
  ['申诉求决', PetitionKind.PETITION_KIND_COMPLAINT],
]);

const categoryLabels = new Map([...categoryByLabel].map(([label, category]) => [category, label]));
const kindLabels = new Map([...kindByLabel].map(([label, kind]) => [kind, label]));

/** The Chinese name of a category, e.g. 劳动社保; empty for CATEGORY_UNSPECIFIED. */
export function categoryLabel(category: Category): string {
  return categoryLabels.get(category) ?? '';
}

/** The Chinese name of a kind, e.g. 申诉求决; empty for PETITION_KIND_UNSPECIFIED. */
export function kindLabel(kind: PetitionKind): string {
  return kindLabels.get(kind) ?? '';
}
