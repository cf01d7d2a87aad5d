import { Category, Channel, PetitionKind } from '@petition/contract';

// The words integrators send, as the design names them, and their contract values.

export const categoryNames: Readonly<Record<string, Category>> = {
  城乡建设: Category.CATEGORY_URBAN_RURAL_CONSTRUCTION,
  国土资源水利林业: Category.CATEGORY_LAND_WATER_FORESTRY,
  劳动社保: Category.CATEGORY_LABOR_SOCIAL_SECURITY,
  农村农业: Category.CATEGORY_RURAL_AGRICULTURE,
  政法: Category.CATEGORY_POLITICAL_LEGAL,
  纪检监察: Category.CATEGORY_DISCIPLINE_SUPERVISION,
  组织人事: Category.CATEGORY_ORGANIZATION_PERSONNEL,
  民政: Category.CATEGORY_CIVIL_AFFAIRS,
  教育: Category.CATEGORY_EDUCATION,
  卫生计生: Category.CATEGORY_HEALTH_FAMILY_PLANNING,
  经济综合: Category.CATEGORY_ECONOMY_GENERAL,
  政治综合: Category.CATEGORY_POLITICS_GENERAL,
  交通能源环保: Category.CATEGORY_TRANSPORT_ENERGY_ENVIRONMENT,
  商贸旅游: Category.CATEGORY_COMMERCE_TOURISM,
  宣传舆论: Category.CATEGORY_PUBLICITY_PUBLIC_OPINION,
  信息产业: Category.CATEGORY_INFORMATION_INDUSTRY,
  科技文体: Category.CATEGORY_SCIENCE_CULTURE_SPORTS,
  其他: Category.CATEGORY_OTHER,
};

export const kindNames: Readonly<Record<string, PetitionKind>> = {
  建议意见: PetitionKind.PETITION_KIND_SUGGESTION,
  检举控告: PetitionKind.PETITION_KIND_ACCUSATION,
  申诉求决: PetitionKind.PETITION_KIND_COMPLAINT,
};

export const channelNames: Readonly<Record<string, Channel>> = {
  LETTER: Channel.CHANNEL_LETTER,
  VISIT: Channel.CHANNEL_VISIT,
  PHONE: Channel.CHANNEL_PHONE,
  WEB: Channel.CHANNEL_WEB,
  APP: Channel.CHANNEL_APP,
  WECHAT: Channel.CHANNEL_WECHAT,
  VIDEO: Channel.CHANNEL_VIDEO,
  QR: Channel.CHANNEL_QR,
};

/** Channels whose items may be entered after the fact with the time they were received. */
export const afterTheFactChannels: ReadonlySet<Channel> = new Set([Channel.CHANNEL_LETTER, Channel.CHANNEL_VISIT]);

/** GB 11643 resident ID: 17 digits and a check character (ISO 7064 MOD 11-2). */
export function isResidentId(id: string): boolean {
  if (!/^\d{17}[\dX]$/.test(id)) return false;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = weights.reduce((acc, w, i) => acc + w * Number(id[i]), 0);
  return '10X98765432'[sum % 11] === id[17];
}
