import { randomUUID } from 'node:crypto';
import { permits, type StaffClaims } from '@petition/auth';
import {
  AccessAuditEvent,
  type Person,
  PersonalDataField,
  type PetitionKind,
  petitionKindToJSON,
  SealedData,
} from '@petition/contract';
import type { Directory } from '@petition/directory';
import { concealedFrom } from '@petition/jurisdiction';
import { type ProblemCatalogue, problemCatalogue } from '@petition/runtime';
import { type Keyring, openPerson } from '@petition/seal';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { trackingKeys } from './keys.ts';
import { describeUnit, type Queries } from './queries.ts';

// The case as the units see it (GET /v1/cases/{caseId} with a staff token; http.ts routes the request here):
// its holder in full, its co-units and the supervisors above it read-only, anyone else — and whoever an
// accusation is kept from (art 30) — as if there were no such case. The petitioner's and representatives'
// data stay sealed in it; POST …/personal-data opens them for the holder's handlers and registrars, each
// opening on the access-audit topic before anything is shown (audit.ts reads it back).

/** Tracking's problems of the staff case view and the access audit: each code with its status, once. */
export const staffProblems: ProblemCatalogue<
  | 'CASE_NOT_FOUND'
  | 'ROLE_REQUIRED'
  | 'REASON_REQUIRED'
  | 'NO_PERSONAL_DATA'
  | 'PERSONAL_DATA_ERASED'
  | 'AUDIT_UNAVAILABLE'
  | 'NOT_YOUR_UNIT'
  | 'UNKNOWN_UNIT'
  | 'BAD_CURSOR'
> = problemCatalogue({
  CASE_NOT_FOUND: { status: 404, title: 'No such case' },
  ROLE_REQUIRED: { status: 403, title: 'Your roles do not permit this' },
  REASON_REQUIRED: { status: 400, title: 'Say why the personal data is needed' },
  NO_PERSONAL_DATA: { status: 404, title: 'The case names no one whose data could be opened' },
  PERSONAL_DATA_ERASED: { status: 410, title: 'The personal data was erased (its key destroyed)' },
  AUDIT_UNAVAILABLE: { status: 503, title: 'The opening could not be recorded: nothing was opened' },
  NOT_YOUR_UNIT: { status: 403, title: 'Not your unit or one under it' },
  UNKNOWN_UNIT: { status: 404, title: 'No such unit' },
  BAD_CURSOR: { status: 400, title: 'The cursor is not one this API gave' },
});

/** What the caller may do with a case it may see. */
export interface CaseAccess {
  /** Co-units and supervisors above the holder look; only the holder acts. */
  readonly readOnly: boolean;
  readonly mayOpenPersonalData: boolean;
}

/** The holder's handlers and registrars open personal data (when the case names anyone). */
export const opensPersonalData = (caller: Pick<StaffClaims, 'unitId' | 'roles'>, holder: string) =>
  caller.unitId === holder && (permits(caller.roles, 'handle') || permits(caller.roles, 'register'));

/**
 * Who sees a case: staff of the holding unit, any role; staff of its co-units, and supervisors and leaders of
 * a unit above the holder, read-only; nobody an accusation is kept from (art 30), and nobody else —
 * undefined, which the API answers exactly as it answers a case that does not exist.
 */
export function caseAccess(
  directory: Directory,
  caller: Pick<StaffClaims, 'unitId' | 'roles'>,
  c: {
    readonly holder: string;
    readonly matter: { readonly kind: PetitionKind; readonly accusedUnitId: string };
    readonly coUnits: { readonly lead: string; readonly co: readonly string[] } | null;
    readonly personalData: boolean;
  },
): CaseAccess | undefined {
  const { unitId, roles } = caller;
  if (concealedFrom(directory, unitId, c.matter)) return undefined;
  if (unitId === c.holder)
    return { readOnly: false, mayOpenPersonalData: c.personalData && opensPersonalData(caller, c.holder) };
  const coUnit = !!c.coUnits && (c.coUnits.lead === unitId || c.coUnits.co.includes(unitId));
  const above = !!c.holder && directory.inSubtree(c.holder, unitId) && permits(roles, 'supervise');
  return coUnit || above ? { readOnly: true, mayOpenPersonalData: false } : undefined;
}

/** The fields an opening shows of each person (as the answer carries them), named in the audit. */
const openedFields = [
  PersonalDataField.PERSONAL_DATA_FIELD_NAME,
  PersonalDataField.PERSONAL_DATA_FIELD_ID_NUMBER,
  PersonalDataField.PERSONAL_DATA_FIELD_PHONE,
  PersonalDataField.PERSONAL_DATA_FIELD_ADDRESS,
];
const shownOf = (p: Person) => ({
  name: p.name,
  idNumber: p.idNumber,
  idType: p.idType,
  phone: p.phone,
  address: p.address,
});

/** keys.ts p: subjects in the order they are shown and audited: the petitioner, then representatives 1, 2, … */
const subjectOrder = (subject: string) => (subject === 'petitioner' ? 0 : Number(subject.split(':')[1] ?? 0));

export const reasonLength = { min: 4, max: 500 } as const;
/** How long an opening waits for the audit topic to take its record before it gives up (503, nothing shown). */
const auditWaitMs = 10_000;

export interface CaseViewDeps {
  readonly redis: Redis;
  readonly prefix: string;
  readonly directory: Directory;
  readonly queries: Queries;
  /** The staff token's claims (401 for none or a bad one). */
  readonly caller: (request: FastifyRequest) => Promise<StaffClaims>;
  /** SEAL_KEYS: opens what intake sealed. */
  readonly keyring: Keyring;
  /** Puts the record on the access-audit topic; resolves once the broker has it (acks=all). */
  readonly publishAudit: (event: AccessAuditEvent) => Promise<unknown>;
  readonly now: () => Date;
}

const caseParams = { type: 'object', properties: { caseId: { type: 'string', maxLength: 64 } } } as const;

/**
 * Adds POST /v1/cases/{caseId}/personal-data to `app`; answers the staff view of a case, which http.ts serves
 * on GET /v1/cases/{caseId} when a staff token comes with it.
 */
export function addCaseViewRoutes(app: FastifyInstance, deps: CaseViewDeps) {
  const { directory, queries } = deps;
  const keys = trackingKeys(deps.prefix);
  const unitView = (unitId: string) => describeUnit(directory, unitId) ?? { unitId };
  const noCase = () => staffProblems.error('CASE_NOT_FOUND', { detail: 'no case with this id' });

  /** The case and what the caller may do with it; a case it may not see is no case (404). */
  async function visibleCase(request: FastifyRequest, caseId: string) {
    const claims = await deps.caller(request);
    const c = await queries.caseDetails(caseId, claims.unitId);
    if (!c) throw noCase();
    const personalData = !c.anonymous && (!!c.petitioner || c.representatives.length > 0);
    const access = caseAccess(directory, claims, { ...c, holder: c.holder.unitId, personalData });
    if (!access) throw noCase();
    return { claims, c, access };
  }

  async function staffView(request: FastifyRequest, reply: FastifyReply, caseId: string) {
    const { c, access } = await visibleCase(request, caseId);
    const { matter: _matter, kind, coUnits, supervisions, leader, ...rest } = c;
    reply.header('cache-control', 'no-store');
    return {
      ...rest,
      kind: petitionKindToJSON(kind),
      coUnits: coUnits && { lead: unitView(coUnits.lead), co: coUnits.co.map(unitView) },
      supervisions: supervisions.map((s) => ({
        ...s,
        supervisingUnit: unitView(s.supervisingUnitId),
        supervisedUnit: unitView(s.supervisedUnitId),
      })),
      leader: leader && { ...leader, unitName: directory.unit(leader.unitId)?.name ?? '' },
      access,
    };
  }

  app.post<{ Params: { caseId: string }; Body: { reason: string } }>(
    '/v1/cases/:caseId/personal-data',
    {
      schema: {
        summary: 'Opens the petitioner’s and representatives’ personal data, for the holding unit’s handlers',
        description:
          'Only staff of the unit holding the case with the handler or registrar role, with a reason. Each opening ' +
          'is recorded on the access audit (who, when, why, whose data, which fields) before anything is shown; ' +
          'when it cannot be recorded, nothing is (503).',
        tags: ['unit'],
        params: caseParams,
        body: {
          type: 'object',
          required: ['reason'],
          additionalProperties: false,
          properties: {
            reason: {
              type: 'string',
              minLength: reasonLength.min,
              maxLength: reasonLength.max,
              description: 'Why the data is needed (recorded on the access audit)',
            },
          },
        },
        security: [{ unitToken: [] }],
      },
    },
    async (request, reply) => {
      const { caseId } = request.params;
      const { claims, c, access } = await visibleCase(request, caseId);
      if (!opensPersonalData(claims, c.holder.unitId))
        throw staffProblems.error('ROLE_REQUIRED', {
          detail: 'only staff of the unit holding the case, as handler or registrar, open personal data',
        });
      const reason = request.body.reason.trim();
      if (reason.length < reasonLength.min)
        throw staffProblems.error('REASON_REQUIRED', {
          detail: `reason must say why, in ${reasonLength.min} to ${reasonLength.max} characters`,
          errors: [{ field: '/reason', message: `at least ${reasonLength.min} characters besides spaces` }],
        });
      // Opened in memory first: data that cannot be opened (its key destroyed) is not recorded as shown.
      const sealed = access.mayOpenPersonalData ? Object.entries(await deps.redis.hgetall(keys.sealed(caseId))) : [];
      if (!sealed.length) throw staffProblems.error('NO_PERSONAL_DATA', { detail: 'the case holds no sealed data' });
      let people: [string, Person][];
      try {
        people = sealed
          .sort(([a], [b]) => subjectOrder(a) - subjectOrder(b))
          .map(([subject, text]) => [
            subject,
            openPerson(deps.keyring, SealedData.decode(Buffer.from(text, 'base64')), caseId),
          ]);
      } catch (err) {
        if ((err as { code?: string }).code === 'KEY_DESTROYED')
          throw staffProblems.error('PERSONAL_DATA_ERASED', { detail: (err as Error).message });
        throw err;
      }
      const subjects = people.map(([subject]) => subject);
      const eventId = randomUUID();
      const record = AccessAuditEvent.fromPartial({
        envelope: {
          eventId,
          caseId,
          caseVersion: 0,
          occurTime: deps.now(),
          actingUnitId: claims.unitId,
          correlationId: eventId,
          producer: 'tracking',
        },
        payload: {
          $case: 'personalDataOpened',
          value: {
            caseNumber: c.caseNumber,
            staffId: claims.staffId,
            unitId: claims.unitId,
            roles: [...claims.roles],
            reason,
            subjects,
            fields: openedFields,
            clientAddress: request.ip,
          },
        },
      });
      try {
        await withinMs(auditWaitMs, deps.publishAudit(record));
      } catch (err) {
        request.log.error({ err, caseId }, 'the access audit did not take an opening: nothing shown');
        throw staffProblems.error('AUDIT_UNAVAILABLE', {
          detail: 'the opening could not be recorded on the access audit; try again',
          retryAfterSeconds: 5,
        });
      }
      const subject = (name: string) => people.find(([s]) => s === name)?.[1];
      const petitioner = subject('petitioner');
      const representatives = people
        .filter(([s]) => s.startsWith('representative:'))
        .map(([s, p]) => ({ subject: s, ...shownOf(p) }));
      reply.header('cache-control', 'no-store');
      return { petitioner: petitioner ? shownOf(petitioner) : null, representatives, auditEventId: eventId };
    },
  );

  return { staffView };
}

/** `work`, or a rejection once `ms` have passed (the work itself goes on). */
function withinMs<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
