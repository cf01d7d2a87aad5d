import { permits, type StaffClaims } from '@petition/auth';
import { type AccessAuditEvent, type PetitionKind, personalDataFieldToJSON } from '@petition/contract';
import type { Directory } from '@petition/directory';
import { concealedFrom } from '@petition/jurisdiction';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { staffProblems } from './case-view.ts';
import { trackingKeys } from './keys.ts';
import type { Commit } from './read-model.ts';

// The access audit as tracking serves it: every opening of personal data (case-view.ts puts each on the
// access-audit topic before it shows anything), read back from the topic into Redis (keys.ts pd*) — so a
// flush loses nothing, the epoch's rebuild reads it again — and shown to the auditors, supervisors and
// leaders of the opener's unit or a unit above it, newest first, never an accusation's to whom it is kept
// from (art 30).

/** One opening as GET /v1/audit lists it. */
export interface AuditEntry {
  readonly eventId: string;
  readonly time: string;
  readonly caseId: string;
  readonly caseNumber: string;
  readonly staffId: string;
  readonly unitId: string;
  readonly roles: readonly string[];
  readonly reason: string;
  /** `petitioner`, `representative:<n>`. */
  readonly subjects: readonly string[];
  /** PersonalDataField's JSON names. */
  readonly fields: readonly string[];
  readonly clientAddress: string;
}

/** A set member (keys.ts): the time first, fixed width, so that members sort by time; the event id makes it unique. */
const memberOf = (entry: AuditEntry) => `${String(Date.parse(entry.time) || 0).padStart(15, '0')} ${entry.eventId}`;
const eventIdOf = (member: string) => member.slice(16);
const memberShape = /^\d{15} [\x21-\x7e]{1,128}$/;

export const auditLimits = { default: 50, max: 200 } as const;

export function createAuditStore(redis: Redis, prefix: string, directory: Directory, commit: Commit) {
  const k = trackingKeys(prefix);

  /** Up to `count` members after `after` of the union of `sources`, newest first; `ended` when none follow. */
  async function unionPage(sources: readonly string[], after: string | undefined, count: number) {
    const lists = await Promise.all(
      sources.map((key) => redis.zrange(key, after ? `(${after}` : '+', '-', 'BYLEX', 'REV', 'LIMIT', 0, count)),
    );
    const union = [...new Set(lists.flat())].sort().reverse();
    return { members: union.slice(0, count), ended: union.length <= count && lists.every((l) => l.length < count) };
  }

  return {
    /** Applies a batch of the access-audit topic (again is harmless: each write names its event); false if not made. */
    apply(events: readonly AccessAuditEvent[]) {
      return commit((m) => {
        for (const e of events) {
          const p = e.payload;
          const env = e.envelope;
          if (!p || !env?.eventId) continue;
          const v = p.value;
          const common = {
            eventId: env.eventId,
            time: env.occurTime?.toISOString() ?? '',
            caseId: env.caseId,
            caseNumber: v.caseNumber,
            unitId: v.unitId,
            subjects: v.subjects,
            fields: v.fields.map(personalDataFieldToJSON),
          };
          // An integrator's delivery is listed as an opening by `integrator:<client id>` for the unit it reads for.
          const entry: AuditEntry =
            p.$case === 'personalDataOpened'
              ? {
                  ...common,
                  staffId: p.value.staffId,
                  roles: p.value.roles,
                  reason: p.value.reason,
                  clientAddress: p.value.clientAddress,
                }
              : {
                  ...common,
                  staffId: `integrator:${p.value.integratorId}`,
                  roles: ['integrator'],
                  reason: `delivered by subscription ${p.value.subscriptionId} (${p.value.channel}), event ${p.value.deliveredEventId}`,
                  clientAddress: p.value.recipient,
                };
          const member = memberOf(entry);
          m.set(k.opening(entry.eventId), JSON.stringify(entry));
          m.zadd(k.openingsOfCase(entry.caseId), 0, member);
          for (const unitId of [v.unitId, ...directory.ancestors(v.unitId).map((u) => u.unitId)])
            m.zadd(k.openingsByUnit(unitId), 0, member);
          const region = directory.unit(v.unitId)?.regionCode ?? '';
          for (const r of directory.regionChain(region)) m.zadd(k.openingsInRegion(r.code), 0, member);
        }
      });
    },

    /**
     * The openings `viewer` may see — by staff of its own unit or a unit in its subtree, of cases not kept from
     * it (an opening whose case this tracking does not know yet is held back) — newest first, `limit` a page,
     * from `cursor` (the last member of the page before); `caseId`, `unitId` narrow it.
     */
    async page(
      viewer: string,
      o: { readonly caseId?: string; readonly unitId?: string; readonly cursor?: string; readonly limit: number },
    ): Promise<{ entries: AuditEntry[]; next: string | null }> {
      const own = directory.unit(viewer);
      const sources = o.caseId
        ? [k.openingsOfCase(o.caseId)]
        : o.unitId
          ? [k.openingsByUnit(o.unitId)]
          : [
              k.openingsByUnit(viewer),
              ...(own && directory.supervisesRegion(viewer, own.regionCode)
                ? [k.openingsInRegion(own.regionCode)]
                : []),
            ];
      const shown: { member: string; entry: AuditEntry }[] = [];
      let after = o.cursor;
      // One more than a page, to know whether another follows.
      while (shown.length <= o.limit) {
        const { members, ended } = await unionPage(sources, after, o.limit + 1);
        if (!members.length) break;
        const pipe = redis.pipeline();
        for (const member of members) pipe.get(k.opening(eventIdOf(member)));
        const entries = ((await pipe.exec()) ?? []).map(([, j]) => (j ? (JSON.parse(String(j)) as AuditEntry) : null));
        const cases = redis.pipeline();
        for (const entry of entries) cases.hmget(k.case(entry?.caseId ?? ''), 'version', 'kind', 'accused');
        const matters = ((await cases.exec()) ?? []).map(([, m]) => (m ?? []) as (string | null)[]);
        members.forEach((member, i) => {
          const entry = entries[i];
          const [version, kind, accused] = matters[i] ?? [];
          if (!entry || !version) return;
          if (o.unitId && entry.unitId !== o.unitId) return;
          if (!directory.inSubtree(entry.unitId, viewer)) return;
          const matter = { kind: Number(kind ?? 0) as PetitionKind, accusedUnitId: accused ?? '' };
          if (concealedFrom(directory, viewer, matter)) return;
          shown.push({ member, entry });
        });
        after = members.at(-1);
        if (ended) break;
      }
      const page = shown.slice(0, o.limit);
      const next = shown.length > o.limit ? (page.at(-1)?.member ?? null) : null;
      return { entries: page.map((s) => s.entry), next: next && Buffer.from(next).toString('base64url') };
    },
  };
}

export type AuditStore = ReturnType<typeof createAuditStore>;

export interface AuditDeps {
  readonly directory: Directory;
  readonly audit: AuditStore;
  readonly caller: (request: FastifyRequest) => Promise<StaffClaims>;
}

type AuditQuery = { caseId?: string; unitId?: string; cursor?: string; limit?: number };

/** GET /v1/audit: the access audit, for auditors and supervisors, over their unit and its subtree. */
export function addAuditRoutes(app: FastifyInstance, deps: AuditDeps) {
  const { directory } = deps;
  app.get<{ Querystring: AuditQuery }>(
    '/v1/audit',
    {
      schema: {
        summary: 'Who opened whose personal data, when and why: openings by staff of your unit and its subtree',
        description:
          'For auditors, supervisors and leaders. Newest first; `next` is the cursor of the page after (null at the end).',
        tags: ['supervisor'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            caseId: { type: 'string', minLength: 1, maxLength: 64, description: 'Only openings of this case' },
            unitId: { type: 'string', minLength: 1, maxLength: 64, description: 'Only openings by staff of this unit' },
            cursor: { type: 'string', maxLength: 256, description: 'The `next` of the page before' },
            limit: { type: 'integer', minimum: 1, maximum: auditLimits.max, default: auditLimits.default },
          },
        },
        security: [{ unitToken: [] }],
      },
    },
    async (request, reply) => {
      const claims = await deps.caller(request);
      if (!permits(claims.roles, 'audit') && !permits(claims.roles, 'supervise'))
        throw staffProblems.error('ROLE_REQUIRED', {
          detail: 'the access audit needs the auditor, supervisor or leader role',
        });
      const { caseId, unitId, cursor, limit = auditLimits.default } = request.query;
      if (unitId !== undefined) {
        if (!directory.unit(unitId)) throw staffProblems.error('UNKNOWN_UNIT', { detail: `no unit ${unitId}` });
        if (!directory.inSubtree(unitId, claims.unitId))
          throw staffProblems.error('NOT_YOUR_UNIT', {
            detail: `${unitId} is neither ${claims.unitId} nor a unit in its subtree`,
          });
      }
      const after = cursor === undefined ? undefined : Buffer.from(cursor, 'base64url').toString('utf8');
      if (after !== undefined && !memberShape.test(after))
        throw staffProblems.error('BAD_CURSOR', {
          detail: 'cursor must be the `next` of an earlier page',
          errors: [{ field: 'cursor', in: 'query', message: 'not a cursor this API gave' }],
        });
      reply.header('cache-control', 'no-store');
      return deps.audit.page(claims.unitId, { caseId, unitId, cursor: after, limit });
    },
  );
}
