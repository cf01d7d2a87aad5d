import { createHmac } from 'node:crypto';
import { type Attachment, type Person, Petition } from '@petition/contract';
import type { Directory } from '@petition/directory';
import type { FieldProblem } from './problems.ts';
import { timeTextProblem } from './times.ts';
import { afterTheFactChannels, categoryNames, channelNames, isResidentId, kindNames } from './vocabulary.ts';

// POST /v1/petitions: the JSON an integrator sends (schema below, served in the OpenAPI document), the
// checks that need the directory and the clock, and the Petition it becomes.

const person = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 64 },
    idNumber: { type: 'string', maxLength: 32, description: '居民身份证号 (18 characters, checked)' },
    phone: { type: 'string', pattern: '^[0-9+()\\- ]{5,20}$' },
    address: { type: 'string', maxLength: 256 },
    email: { type: 'string', maxLength: 254, format: 'email' },
  },
} as const;

export const petitionBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['channel', 'regionCode', 'category', 'kind', 'title', 'content'],
  properties: {
    channel: { type: 'string', enum: Object.keys(channelNames) },
    petitioner: person,
    anonymous: { type: 'boolean', description: 'Only for 检举控告 (art 30); then no petitioner is given' },
    regionCode: { type: 'string', pattern: '^\\d{6}$', description: 'Six-digit code of the place of the matter' },
    category: { type: 'string', enum: Object.keys(categoryNames) },
    kind: { type: 'string', enum: Object.keys(kindNames) },
    title: { type: 'string', minLength: 1, maxLength: 200 },
    content: { type: 'string', minLength: 1, maxLength: 20_000 },
    accusedUnitId: { type: 'string', maxLength: 64 },
    concernedUnitId: {
      type: 'string',
      maxLength: 64,
      description: 'The unit whose own decision the matter is about (分级负责: handled at that unit’s level)',
    },
    groupSize: { type: 'integer', minimum: 1, maximum: 100_000 },
    representatives: { type: 'array', maxItems: 50, items: person },
    attachments: {
      type: 'array',
      maxItems: 20,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'mediaType', 'sizeBytes'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 256 },
          mediaType: { type: 'string', pattern: '^[\\w.+-]+/[\\w.+-]+$' },
          sizeBytes: { type: 'integer', minimum: 0, maximum: 1_073_741_824 },
          sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
          storageUri: { type: 'string', maxLength: 1024 },
        },
      },
    },
    registeringUnitId: { type: 'string', maxLength: 64 },
    receivedTime: { type: 'string', format: 'date-time', description: 'For letters and visits entered after the fact' },
    externalRef: { type: 'string', maxLength: 128 },
  },
} as const;

interface PersonBody {
  name: string;
  idNumber?: string;
  phone?: string;
  address?: string;
  email?: string;
}

export interface PetitionBody {
  channel: string;
  petitioner?: PersonBody;
  anonymous?: boolean;
  regionCode: string;
  category: string;
  kind: string;
  title: string;
  content: string;
  accusedUnitId?: string;
  concernedUnitId?: string;
  groupSize?: number;
  representatives?: PersonBody[];
  attachments?: { name: string; mediaType: string; sizeBytes: number; sha256?: string; storageUri?: string }[];
  registeringUnitId?: string;
  receivedTime?: string;
  externalRef?: string;
}

export interface CheckContext {
  readonly directory: Directory;
  readonly now: Date;
  readonly receivedMaxAgeMs: number;
  readonly maxRepresentatives: number;
}

function checkPerson(p: PersonBody, at: string, out: FieldProblem[]) {
  if (p.idNumber !== undefined && !isResidentId(p.idNumber)) {
    out.push({ field: `${at}/idNumber`, message: 'is not a valid resident ID number (GB 11643)' });
  }
}

function checkUnit(directory: Directory, id: string | undefined, field: string, out: FieldProblem[]) {
  if (id === undefined) return;
  const unit = directory.unit(id);
  if (!unit) out.push({ field, message: `unit ${id} is not in the directory` });
  else if (unit.dissolved) out.push({ field, message: `unit ${id} is dissolved` });
}

/** What the schema cannot see: the directory, the clock, the articles. Empty when the body may go on. */
export function checkPetition(body: PetitionBody, ctx: CheckContext): FieldProblem[] {
  const out: FieldProblem[] = [];
  if (!ctx.directory.region(body.regionCode))
    out.push({ field: '/regionCode', message: `region ${body.regionCode} is unknown` });
  const accusation = body.kind === '检举控告';
  if (body.anonymous && !accusation)
    out.push({ field: '/anonymous', message: 'only a 检举控告 may be anonymous (art 30)' });
  if (body.anonymous && body.petitioner)
    out.push({ field: '/petitioner', message: 'an anonymous petition names no petitioner' });
  if (!body.anonymous && !body.petitioner)
    out.push({ field: '/petitioner', message: 'is required unless the petition is anonymous' });
  if (body.petitioner) checkPerson(body.petitioner, '/petitioner', out);
  const reps = body.representatives ?? [];
  if (reps.length > ctx.maxRepresentatives) {
    out.push({
      field: '/representatives',
      message: `at most ${ctx.maxRepresentatives} representatives (art 20), got ${reps.length}`,
    });
  }
  reps.forEach((r, i) => {
    checkPerson(r, `/representatives/${i}`, out);
  });
  if (reps.length > 0 && (body.groupSize ?? 0) < reps.length) {
    out.push({
      field: '/groupSize',
      message: 'a group with representatives gives its size, at least the number of representatives',
    });
  }
  if (body.accusedUnitId !== undefined && !accusation)
    out.push({ field: '/accusedUnitId', message: 'belongs to 检举控告 only' });
  checkUnit(ctx.directory, body.accusedUnitId, '/accusedUnitId', out);
  if (body.concernedUnitId !== undefined && accusation)
    out.push({ field: '/concernedUnitId', message: 'an accusation names the accused in accusedUnitId' });
  checkUnit(ctx.directory, body.concernedUnitId, '/concernedUnitId', out);
  checkUnit(ctx.directory, body.registeringUnitId, '/registeringUnitId', out);
  if (body.receivedTime !== undefined) {
    const at = Date.parse(body.receivedTime);
    const channel = channelNames[body.channel];
    const badTime = timeTextProblem(body.receivedTime);
    if (channel === undefined || !afterTheFactChannels.has(channel)) {
      out.push({ field: '/receivedTime', message: 'only letters and visits are entered after the fact' });
    } else if (badTime) out.push({ field: '/receivedTime', message: badTime });
    else if (at > ctx.now.getTime()) out.push({ field: '/receivedTime', message: 'lies in the future' });
    else if (ctx.now.getTime() - at > ctx.receivedMaxAgeMs) {
      out.push({
        field: '/receivedTime',
        message: `is older than ${Math.round(ctx.receivedMaxAgeMs / 86_400_000)} days`,
      });
    }
  }
  return out;
}

/** The pseudonymous id of a person: the same for the same ID number, meaningless without the secret. */
export const personIdOf = (secret: string, p: PersonBody) =>
  createHmac('sha256', secret)
    .update(p.idNumber ? `id:${p.idNumber}` : `name:${p.name}|${p.phone ?? ''}`)
    .digest('hex')
    .slice(0, 32);

export const toPerson = (p: PersonBody): Person => ({
  name: p.name,
  idNumber: p.idNumber ?? '',
  idType: p.idNumber ? 'resident' : '',
  phone: p.phone ?? '',
  address: p.address ?? '',
  email: p.email ?? '',
});

/** The Petition as the contract carries it; people are added (sealed) by the caller. */
export function toPetition(body: PetitionBody, extra: { caseNumber: string; queryCodeHash: string }): Petition {
  const attachments: Attachment[] = (body.attachments ?? []).map((a) => ({
    name: a.name,
    mediaType: a.mediaType,
    sizeBytes: a.sizeBytes,
    sha256: a.sha256 ? Buffer.from(a.sha256, 'hex') : new Uint8Array(),
    storageUri: a.storageUri ?? '',
    confidential: false,
  }));
  return Petition.fromPartial({
    caseNumber: extra.caseNumber,
    channel: channelNames[body.channel],
    kind: kindNames[body.kind],
    category: categoryNames[body.category],
    regionCode: body.regionCode,
    title: body.title,
    content: body.content,
    groupSize: body.groupSize ?? 0,
    accusedUnitId: body.accusedUnitId ?? '',
    concernedUnitId: body.concernedUnitId ?? '',
    attachments,
    registeringUnitId: body.registeringUnitId ?? '',
    receivedTime: body.receivedTime ? new Date(body.receivedTime) : undefined,
    queryCodeHash: extra.queryCodeHash,
    anonymous: body.anonymous ?? false,
    externalRef: body.externalRef ?? '',
  });
}
