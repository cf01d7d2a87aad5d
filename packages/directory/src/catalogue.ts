import { Category, UnitKind } from '@petition/contract';

// The units every region gets (DESIGN: "The unit directory"): its petition bureau, its government and
// party committee, the legal and disciplinary organs, and the functional departments that answer the 18
// categories. The order matters: for a (region, category) the first unit listed that answers it is the
// responsible one, e.g. 公安 before 政法委 and the courts for 政法.

/** Where a unit's superior (上一级机关、单位) sits. */
export type SuperiorRule =
  /** The same kind of unit one region up (petition bureaus, governments, courts, 纪委监委 …). */
  | 'same-code-above'
  /** The government of its own region (本级人民政府), the superior of government departments. */
  | 'own-government'
  /** The party committee of its own region (政法委, 组织部, 宣传部). */
  | 'own-party-committee';

export interface UnitTemplate {
  /** Short stable code; a unit id is `<region code>-<code>`, e.g. `330106-zjj`. */
  readonly code: string;
  readonly kind: UnitKind;
  readonly categories: readonly Category[];
  readonly superior: SuperiorRule;
  /** Name at national level; below it, the name pattern per level, `{r}` standing for the region. */
  readonly national: string;
  readonly provincial: string;
  readonly prefecture: string;
  readonly county: string;
}

const C = Category;
const K = UnitKind;

const t = (
  code: string,
  kind: UnitKind,
  superior: SuperiorRule,
  categories: readonly Category[],
  [national, provincial, prefecture = provincial, county = prefecture]: readonly string[],
): UnitTemplate => ({
  code,
  kind,
  superior,
  categories,
  national: national ?? code,
  provincial: pattern(provincial),
  prefecture: pattern(prefecture),
  county: pattern(county),
});

// A bare suffix such as '信访局' means '{r}信访局'.
const pattern = (name = '') => (name.includes('{r}') ? name : `{r}${name}`);

const dept = (code: string, categories: readonly Category[], names: readonly string[]) =>
  t(code, K.UNIT_KIND_FUNCTIONAL_DEPARTMENT, 'own-government', categories, names);

export const petitionBureauCode = 'xfj';
export const governmentCode = 'zf';

export const unitTemplates: readonly UnitTemplate[] = [
  t(petitionBureauCode, K.UNIT_KIND_PETITION_BUREAU, 'same-code-above', [], ['国家信访局', '信访局', '信访局']),
  t(governmentCode, K.UNIT_KIND_GOVERNMENT, 'same-code-above', [], ['国务院', '人民政府', '人民政府']),
  t('dw', K.UNIT_KIND_PARTY_COMMITTEE, 'same-code-above', [], ['中共中央', '中共{r}委员会']),
  dept('gaj', [C.CATEGORY_POLITICAL_LEGAL], ['公安部', '公安厅', '公安局']),
  dept('zjj', [C.CATEGORY_URBAN_RURAL_CONSTRUCTION], ['住房和城乡建设部', '住房和城乡建设厅', '住房和城乡建设局']),
  dept('zrzyj', [C.CATEGORY_LAND_WATER_FORESTRY], ['自然资源部', '自然资源厅', '自然资源局']),
  dept('slj', [C.CATEGORY_LAND_WATER_FORESTRY], ['水利部', '水利厅', '水利局']),
  dept(
    'rsj',
    [C.CATEGORY_LABOR_SOCIAL_SECURITY, C.CATEGORY_ORGANIZATION_PERSONNEL],
    ['人力资源和社会保障部', '人力资源和社会保障厅', '人力资源和社会保障局'],
  ),
  dept('nyncj', [C.CATEGORY_RURAL_AGRICULTURE], ['农业农村部', '农业农村厅', '农业农村局']),
  dept('mzj', [C.CATEGORY_CIVIL_AFFAIRS], ['民政部', '民政厅', '民政局']),
  dept('jyj', [C.CATEGORY_EDUCATION], ['教育部', '教育厅', '教育局']),
  dept('wjw', [C.CATEGORY_HEALTH_FAMILY_PLANNING], ['国家卫生健康委员会', '卫生健康委员会', '卫生健康委员会']),
  dept('fgw', [C.CATEGORY_ECONOMY_GENERAL], ['国家发展和改革委员会', '发展和改革委员会', '发展和改革委员会']),
  dept('czj', [C.CATEGORY_ECONOMY_GENERAL], ['财政部', '财政厅', '财政局']),
  dept(
    'scjgj',
    [C.CATEGORY_COMMERCE_TOURISM, C.CATEGORY_ECONOMY_GENERAL],
    ['国家市场监督管理总局', '市场监督管理局', '市场监督管理局'],
  ),
  dept('swj', [C.CATEGORY_COMMERCE_TOURISM], ['商务部', '商务厅', '商务局']),
  dept(
    'wlj',
    [C.CATEGORY_COMMERCE_TOURISM, C.CATEGORY_SCIENCE_CULTURE_SPORTS],
    ['文化和旅游部', '文化和旅游厅', '文化广电旅游局'],
  ),
  dept('jtj', [C.CATEGORY_TRANSPORT_ENERGY_ENVIRONMENT], ['交通运输部', '交通运输厅', '交通运输局']),
  dept('sthjj', [C.CATEGORY_TRANSPORT_ENERGY_ENVIRONMENT], ['生态环境部', '生态环境厅', '生态环境局']),
  dept('gxj', [C.CATEGORY_INFORMATION_INDUSTRY], ['工业和信息化部', '工业和信息化厅', '工业和信息化局']),
  dept('kjj', [C.CATEGORY_SCIENCE_CULTURE_SPORTS], ['科学技术部', '科学技术厅', '科学技术局']),
  // The government's own office answers general political matters and whatever fits no department.
  dept('zfb', [C.CATEGORY_POLITICS_GENERAL, C.CATEGORY_OTHER], ['国务院办公厅', '人民政府办公厅', '人民政府办公室']),
  t(
    'zzb',
    K.UNIT_KIND_FUNCTIONAL_DEPARTMENT,
    'own-party-committee',
    [C.CATEGORY_ORGANIZATION_PERSONNEL],
    ['中共中央组织部', '中共{r}委员会组织部'],
  ),
  t(
    'xcb',
    K.UNIT_KIND_FUNCTIONAL_DEPARTMENT,
    'own-party-committee',
    [C.CATEGORY_PUBLICITY_PUBLIC_OPINION],
    ['中共中央宣传部', '中共{r}委员会宣传部'],
  ),
  t(
    'zfw',
    K.UNIT_KIND_POLITICAL_LEGAL_COMMITTEE,
    'own-party-committee',
    [C.CATEGORY_POLITICAL_LEGAL],
    ['中央政法委员会', '中共{r}委员会政法委员会'],
  ),
  t(
    'jw',
    K.UNIT_KIND_DISCIPLINE_INSPECTION,
    'same-code-above',
    [C.CATEGORY_DISCIPLINE_SUPERVISION],
    ['中央纪律检查委员会 国家监察委员会', '{r}纪律检查委员会 {r}监察委员会'],
  ),
  t(
    'fy',
    K.UNIT_KIND_COURT,
    'same-code-above',
    [C.CATEGORY_POLITICAL_LEGAL],
    ['最高人民法院', '高级人民法院', '中级人民法院', '人民法院'],
  ),
  t(
    'jcy',
    K.UNIT_KIND_PROCURATORATE,
    'same-code-above',
    [C.CATEGORY_POLITICAL_LEGAL],
    ['最高人民检察院', '人民检察院'],
  ),
];

export const templateByCode: ReadonlyMap<string, UnitTemplate> = new Map(unitTemplates.map((u) => [u.code, u]));
