import type { FieldProblem } from '@petition/runtime';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { type PetitionBody, petitionBodySchema } from '../petition-request.ts';
import { schemaFindings } from '../problems.ts';
import { invalidParameters, open311Problems } from './answers.ts';
import type { Open311Key } from './api-keys.ts';
import { type AttributeCode, attributeCodes, categoryNameOf, kinds } from './services.ts';

// A GeoReport POST's parameters (form fields or JSON members, attributes as `attribute[code]`) read into the
// body POST /v1/petitions takes, and checked by that route's own schema: what is wrong is named by its
// Open311 name (`description`, `attribute[kind]`), never echoed back with its value.

export interface Open311Fields {
  /** The parameters as sent (hashed for Idempotency-Key, never stored or shown). */
  readonly raw: Record<string, unknown>;
  readonly serviceCode: string;
  readonly category: string;
  readonly kind: string;
  readonly regionCode: string;
  readonly description: string;
  readonly title?: string;
  readonly name?: string;
  readonly phone?: string;
  readonly email?: string;
  readonly idNumber?: string;
  readonly anonymous?: boolean;
  readonly mediaUrl?: string;
  /** Where the matter is, as the client described it (address_string, lat/long): kept with the content. */
  readonly place?: string;
  /** The Open311 name of a field of the petition body (a JSON pointer). */
  open311NameOf(pointer: string): string;
}

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats.default(ajv);
const checkBody = ajv.compile(petitionBodySchema);

const names: Record<string, string> = {
  '/channel': 'api_key',
  '/category': 'service_code',
  '/kind': 'attribute[kind]',
  '/regionCode': 'attribute[region_code]',
  '/title': 'attribute[title]',
  '/content': 'description',
  '/anonymous': 'attribute[anonymous]',
  '/petitioner': 'first_name',
  '/petitioner/name': 'first_name',
  '/petitioner/phone': 'phone',
  '/petitioner/email': 'email',
  '/petitioner/idNumber': 'attribute[id_number]',
  '/attachments': 'media_url',
  '/registeringUnitId': 'api_key',
};

export const open311NameOf = (pointer: string) =>
  names[pointer] ?? (pointer.startsWith('/attachments') ? 'media_url' : pointer);

/** Reads and checks the parameters GeoReport defines; throws a 400 naming each one that is wrong. */
export function readFields(raw: Record<string, unknown>): Open311Fields {
  const problems: FieldProblem[] = [];
  const text = (name: string, value: unknown): string | undefined => {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    problems.push({ field: name, message: 'must be text' });
    return undefined;
  };
  const param = (name: string) => text(name, raw[name]);

  const nested = typeof raw.attribute === 'object' && raw.attribute !== null ? raw.attribute : {};
  const attribute: Partial<Record<AttributeCode, string>> = {};
  const given = new Map<string, unknown>(Object.entries(nested as Record<string, unknown>));
  for (const [name, value] of Object.entries(raw)) {
    const m = /^attribute\[([^\]]*)\]$/.exec(name);
    if (m) given.set(m[1] as string, value);
  }
  for (const [code, value] of given) {
    const field = `attribute[${code.slice(0, 40)}]`;
    if (!(attributeCodes as readonly string[]).includes(code)) problems.push({ field, message: 'is not an attribute' });
    else attribute[code as AttributeCode] = text(field, value);
  }

  const serviceCode = param('service_code');
  if (serviceCode === undefined) throw open311Problems.error('SERVICE_CODE_REQUIRED');
  const category = categoryNameOf(serviceCode);
  if (!category) problems.push({ field: 'service_code', message: 'is not a service (see services.json)' });

  const kindKey = attribute.kind;
  const kind = kinds.find((k) => k.key === kindKey)?.name;
  if (!kind)
    problems.push({ field: 'attribute[kind]', message: `must be one of ${kinds.map((k) => k.key).join(', ')}` });

  const regionCode = attribute.region_code ?? param('address_id');
  if (regionCode === undefined) {
    problems.push({
      field: 'attribute[region_code]',
      message: 'is required (or address_id): the six-digit region code',
    });
  } else if (!/^\d{6}$/.test(regionCode)) {
    problems.push({
      field: attribute.region_code ? 'attribute[region_code]' : 'address_id',
      message: 'must be six digits',
    });
  }

  const description = param('description');
  if (description === undefined) problems.push({ field: 'description', message: 'is required' });

  const lat = param('lat');
  const long = param('long');
  const coordinate = (v: string | undefined, limit: number) =>
    v === undefined || (/^-?\d{1,3}(\.\d{1,12})?$/.test(v) && Math.abs(Number(v)) <= limit);
  if (!coordinate(lat, 90)) problems.push({ field: 'lat', message: 'must be a latitude (WGS84 degrees)' });
  if (!coordinate(long, 180)) problems.push({ field: 'long', message: 'must be a longitude (WGS84 degrees)' });
  if ((lat === undefined) !== (long === undefined))
    problems.push({ field: 'lat', message: 'lat and long go together' });

  const mediaUrl = param('media_url');
  if (mediaUrl !== undefined && !(URL.canParse(mediaUrl) && /^https?:$/.test(new URL(mediaUrl).protocol)))
    problems.push({ field: 'media_url', message: 'must be an http(s) URL' });

  const anonymousText = attribute.anonymous;
  if (anonymousText !== undefined && anonymousText !== 'true' && anonymousText !== 'false')
    problems.push({ field: 'attribute[anonymous]', message: 'must be true or false' });

  if (problems.length > 0) throw invalidParameters(problems);

  const lastName = param('last_name') ?? '';
  const firstName = param('first_name') ?? '';
  const address = param('address_string');
  const place = [address && `地点：${address}`, lat !== undefined && `坐标：${lat},${long}`].filter(Boolean);
  return {
    raw,
    serviceCode: serviceCode,
    category: category as string,
    kind: kind as string,
    regionCode: regionCode as string,
    description: description as string,
    title: attribute.title,
    // A Chinese name is written family name first.
    name: `${lastName}${firstName}` || undefined,
    phone: param('phone'),
    email: param('email'),
    idNumber: attribute.id_number,
    anonymous: anonymousText === undefined ? undefined : anonymousText === 'true',
    mediaUrl,
    place: place.length > 0 ? place.join('\n') : undefined,
    open311NameOf,
  };
}

/** The title a petition gets when the client gives none: the description's start. */
const titleOf = (description: string) => {
  const chars = Array.from(description.replace(/\s+/g, ' ').trim());
  return chars.length > 50 ? `${chars.slice(0, 49).join('')}…` : chars.join('');
};

/** The body of POST /v1/petitions for `fields`, filed by `key`; checked by that route's schema. */
export function toPetitionBody(fields: Open311Fields, key: Open311Key, externalRef: string): PetitionBody {
  const person =
    fields.name !== undefined || fields.phone !== undefined || fields.email !== undefined || fields.idNumber
      ? {
          name: fields.name ?? '',
          ...(fields.phone !== undefined ? { phone: fields.phone } : {}),
          ...(fields.email !== undefined ? { email: fields.email } : {}),
          ...(fields.idNumber !== undefined ? { idNumber: fields.idNumber } : {}),
        }
      : undefined;
  const body: PetitionBody = {
    channel: key.channel,
    regionCode: fields.regionCode,
    category: fields.category,
    kind: fields.kind,
    title: fields.title ?? titleOf(fields.description),
    content: fields.place ? `${fields.description}\n${fields.place}` : fields.description,
    externalRef,
    ...(person ? { petitioner: person } : {}),
    ...(fields.anonymous !== undefined ? { anonymous: fields.anonymous } : {}),
    ...(fields.mediaUrl !== undefined
      ? {
          attachments: [
            { name: 'media_url', mediaType: 'application/octet-stream', sizeBytes: 0, storageUri: fields.mediaUrl },
          ],
        }
      : {}),
  };
  if (!checkBody(body)) {
    const findings = schemaFindings(checkBody.errors ?? []).map((f) => ({
      field: open311NameOf(f.field),
      message: f.message,
    }));
    throw invalidParameters(findings);
  }
  return body;
}
