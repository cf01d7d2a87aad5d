import {
  type CaseEvent,
  CaseEvent as CaseEventCodec,
  Category,
  categoryFromJSON,
  categoryToJSON,
  type Person,
  PetitionKind,
  petitionKindFromJSON,
  petitionKindToJSON,
  type SubscriptionFilter,
} from '@petition/contract';
import type { Directory } from '@petition/directory';
import { accusedOf, concealedFrom } from '@petition/jurisdiction';
import { type Integrator, integratorScopes } from './integrators.ts';

// The pure decisions of a subscription: whether a filter is one its integrator may have, whether an event is
// one the subscription selects, and what a delivery of it carries. The wiring (feed.ts, routes.ts) around them
// reads the events, the case facts and the seals.

/** What the selection needs to know of a case besides the event (its registration, as tracking keeps it). */
export interface CaseFacts {
  readonly caseNumber: string;
  readonly kind: PetitionKind;
  readonly category: Category;
  readonly regionCode: string;
  readonly accusedUnitId: string;
}

/** A filter's problems, each naming the field and what is wrong; empty when it is one the integrator may have. */
export function filterProblems(
  filter: SubscriptionFilter,
  integrator: Integrator,
  directory: Directory,
  eventTypes: ReadonlySet<string>,
): string[] {
  const problems: string[] = [];
  for (const unitId of filter.unitIds) {
    if (!directory.unit(unitId)) problems.push(`filter.unitIds: no unit ${unitId}`);
    else if (!directory.inSubtree(unitId, integrator.unitId))
      problems.push(`filter.unitIds: ${unitId} is not in the subtree of ${integrator.unitId}, the unit you read for`);
  }
  for (const code of filter.regionCodes)
    if (!directory.region(code)) problems.push(`filter.regionCodes: no region ${code}`);
  for (const type of filter.eventTypes)
    if (!eventTypes.has(type)) problems.push(`filter.eventTypes: ${type} is not an event of case-events`);
  return problems;
}

/** The filter a request names (proto JSON names for kinds and categories); throws naming a value it does not know. */
export function filterFromJson(
  body: {
    unitIds?: string[];
    regionCodes?: string[];
    eventTypes?: string[];
    kinds?: string[];
    categories?: string[];
  } = {},
): SubscriptionFilter {
  const unknown: string[] = [];
  const kinds = (body.kinds ?? []).map((k) => {
    const kind = petitionKindFromJSON(k);
    if (kind === PetitionKind.PETITION_KIND_UNSPECIFIED || kind === PetitionKind.UNRECOGNIZED)
      unknown.push(`filter.kinds: ${k} is not a petition kind`);
    return kind;
  });
  const categories = (body.categories ?? []).map((c) => {
    const category = categoryFromJSON(c);
    if (category === Category.CATEGORY_UNSPECIFIED || category === Category.UNRECOGNIZED)
      unknown.push(`filter.categories: ${c} is not a category`);
    return category;
  });
  if (unknown.length) throw new FilterError(unknown);
  return {
    unitIds: [...new Set(body.unitIds ?? [])],
    regionCodes: [...new Set(body.regionCodes ?? [])],
    // A short name (`CaseForwarded`) is taken for the full one.
    eventTypes: [...new Set((body.eventTypes ?? []).map((t) => (t.includes('.') ? t : `petition.v1.${t}`)))],
    kinds: [...new Set(kinds)],
    categories: [...new Set(categories)],
  };
}

export class FilterError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join('; '));
    this.problems = problems;
  }
}

/** The filter as the API shows it (proto JSON names). */
export const filterToJson = (filter: SubscriptionFilter) => ({
  unitIds: filter.unitIds,
  regionCodes: filter.regionCodes,
  eventTypes: filter.eventTypes,
  kinds: filter.kinds.map(petitionKindToJSON),
  categories: filter.categories.map(categoryToJSON),
});

/**
 * True when the event reaches the subscription: the integrator's unit may see the case — it holds it or
 * lies above its holder, or oversees the case's place — and the case is not an accusation kept from that unit
 * (art 30: never a complainant to the accused); and every dimension of the filter that lists something lists
 * the event's (its holder's subtree, its place's region, its type, the case's kind and category).
 */
export function selects(
  filter: SubscriptionFilter,
  integrator: Integrator,
  directory: Directory,
  event: { readonly type: string; readonly holder: string },
  facts: CaseFacts,
): boolean {
  if (concealedFrom(directory, integrator.unitId, facts)) return false;
  const mayRead =
    (!!event.holder && directory.inSubtree(event.holder, integrator.unitId)) ||
    directory.supervisesRegion(integrator.unitId, facts.regionCode);
  if (!mayRead) return false;
  if (filter.eventTypes.length && !filter.eventTypes.includes(event.type)) return false;
  if (filter.kinds.length && !filter.kinds.includes(facts.kind)) return false;
  if (filter.categories.length && !filter.categories.includes(facts.category)) return false;
  if (filter.unitIds.length && !filter.unitIds.some((u) => !!event.holder && directory.inSubtree(event.holder, u)))
    return false;
  if (filter.regionCodes.length) {
    const chain = directory.regionChain(facts.regionCode).map((r) => r.code);
    if (!filter.regionCodes.some((code) => chain.includes(code))) return false;
  }
  return true;
}

/** The free text of a case event: what a delivery without the personal-data scope leaves out of an accusation. */
const freeTextFields = new Set([
  'title',
  'content',
  'material',
  'reason',
  'reasons',
  'reasonText',
  'note',
  'instructions',
  'conclusion',
  'comment',
  'detail',
  'summary',
  'attachments',
  'channelDetail',
]);
/** Never delivered: the query code's verifier and its sealed copy (only the petitioner follows a case with it). */
const neverDelivered = new Set(['queryCodeHash', 'queryCodeSealed']);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function stripped(value: Json, leaveOut: (key: string) => boolean): Json {
  if (Array.isArray(value)) return value.map((v) => stripped(v, leaveOut));
  if (value === null || typeof value !== 'object') return value;
  const out: { [key: string]: Json } = {};
  for (const [key, v] of Object.entries(value)) if (!leaveOut(key)) out[key] = stripped(v, leaveOut);
  return out;
}

/** A person as a delivery with the personal-data scope shows them. */
export const shownPerson = (personId: string, p: Person) => ({
  personId,
  name: p.name,
  idNumber: p.idNumber,
  idType: p.idType,
  phone: p.phone,
  address: p.address,
  email: p.email,
});

/** The people of a registration opened for a delivery, by subject ("petitioner", "representative:<n>"). */
export type OpenedPeople = ReadonlyMap<string, ReturnType<typeof shownPerson>>;

/**
 * The event as a delivery carries it (proto3 JSON): never the query code's verifier; the people by their
 * pseudonymous id, with their data opened only when `opened` is given (the personal-data scope); an
 * accusation's free text only with that scope.
 */
export function deliveredJson(event: CaseEvent, facts: CaseFacts, opened: OpenedPeople | undefined) {
  const accusation = !!accusedOf(facts) || facts.kind === PetitionKind.PETITION_KIND_ACCUSATION;
  const json = CaseEventCodec.toJSON(event) as { [key: string]: Json };
  const shown = stripped(
    json,
    (key) => neverDelivered.has(key) || key === 'sealed' || (accusation && !opened && freeTextFields.has(key)),
  ) as { [key: string]: Json };
  const petition = (shown.petitionRegistered as { [key: string]: Json } | undefined)?.petition as
    | { [key: string]: Json }
    | undefined;
  if (petition && opened) {
    const petitioner = opened.get('petitioner');
    if (petitioner) petition.petitioner = petitioner;
    const representatives = petition.representatives;
    if (Array.isArray(representatives))
      petition.representatives = representatives.map((r, i) => opened.get(`representative:${i + 1}`) ?? r);
  }
  return shown;
}

/** Whether the integrator's deliveries open personal data. */
export const opensPersonalData = (integrator: Integrator) => integrator.scopes.has(integratorScopes.personalData);
