import { type Category, categoryToJSON, type PetitionKind, petitionKindToJSON } from '@petition/contract';
import { categoryNames, kindNames } from '../vocabulary.ts';

// GeoReport v2 services: one per petition category (the 18 classes), named in Chinese as intake's vocabulary
// names them, coded by the contract's enum name (ASCII, stable: `LABOR_SOCIAL_SECURITY`). Each takes the
// same attributes: the kind of petition (arts 29–31) and the place of the matter as a region code.

export interface Open311Service {
  readonly service_code: string;
  readonly service_name: string;
  readonly description: string;
  readonly metadata: boolean;
  readonly type: 'realtime';
  readonly keywords: string;
  readonly group: string;
}

export interface Open311Attribute {
  readonly variable: boolean;
  readonly code: string;
  readonly datatype: 'string' | 'singlevaluelist' | 'text';
  readonly required: boolean;
  readonly datatype_description: string;
  readonly order: number;
  readonly description: string;
  readonly values?: readonly { readonly key: string; readonly name: string }[];
}

/** Each service code with its category's Chinese name and contract value. */
const categories = Object.entries(categoryNames).map(([name, category]) => ({
  code: categoryToJSON(category).replace(/^CATEGORY_/, ''),
  name,
  category,
}));

/** Each kind's attribute value with its Chinese name (what /v1/petitions takes as `kind`). */
export const kinds = Object.entries(kindNames).map(([name, kind]: [string, PetitionKind]) => ({
  key: petitionKindToJSON(kind).replace(/^PETITION_KIND_/, ''),
  name,
}));

const group = '信访事项';

export const services: readonly Open311Service[] = categories.map((c) => ({
  service_code: c.code,
  service_name: c.name,
  description: `${c.name}类信访事项（建议意见、检举控告、申诉求决），依《信访工作条例》登记、转送或交办`,
  metadata: true,
  type: 'realtime',
  keywords: [c.name, ...kinds.map((k) => k.name), '信访'].join(','),
  group,
}));

/** The category's Chinese name (as /v1/petitions takes it) for a service code; undefined for an unknown one. */
export const categoryNameOf = (serviceCode: string) => categories.find((c) => c.code === serviceCode)?.name;

/** The service code and name of a category as the contract carries it. */
export function serviceOf(category: Category): { code: string; name: string } | undefined {
  const c = categories.find((x) => x.category === category);
  return c && { code: c.code, name: c.name };
}

/** Attribute codes every service takes (attribute[<code>] in a POST). */
export const attributeCodes = ['kind', 'region_code', 'title', 'anonymous', 'id_number'] as const;
export type AttributeCode = (typeof attributeCodes)[number];

export const attributes: readonly Open311Attribute[] = [
  {
    variable: true,
    code: 'kind',
    datatype: 'singlevaluelist',
    required: true,
    datatype_description: 'One of the keys below',
    order: 1,
    description: '信访事项的种类（《信访工作条例》第二十九至三十一条）',
    values: kinds,
  },
  {
    variable: true,
    code: 'region_code',
    datatype: 'string',
    required: true,
    datatype_description: 'Six digits (GB/T 2260), e.g. 330106; address_id may carry it instead',
    order: 2,
    description: '事项发生地的行政区划代码',
  },
  {
    variable: true,
    code: 'title',
    datatype: 'string',
    required: false,
    datatype_description: 'Up to 200 characters; the start of the description when omitted',
    order: 3,
    description: '标题',
  },
  {
    variable: true,
    code: 'anonymous',
    datatype: 'singlevaluelist',
    required: false,
    datatype_description: 'true for an anonymous 检举控告 (art 30): then no name is given',
    order: 4,
    description: '匿名检举控告',
    values: [
      { key: 'true', name: '匿名' },
      { key: 'false', name: '署名' },
    ],
  },
  {
    variable: true,
    code: 'id_number',
    datatype: 'string',
    required: false,
    datatype_description: '18 characters (GB 11643); sealed, never shown again',
    order: 5,
    description: '居民身份证号',
  },
];

export const serviceDefinition = (serviceCode: string) => ({ service_code: serviceCode, attributes });
