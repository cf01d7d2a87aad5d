import swagger, { type StaticDocumentSpec } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { AuthError, permits, queryCodeMatches, type StaffClaims, type StaffTokenVerifier } from '@petition/auth';
import type { AccessAuditEvent, InAppNoticeEvent } from '@petition/contract';
import type { Directory } from '@petition/directory';
import type { Federation } from '@petition/federation';
import { createApiServer, ProblemError, problem, sendProblem as send } from '@petition/runtime';
import type { Keyring } from '@petition/seal';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { type AuditStore, addAuditRoutes } from './audit.ts';
import { addCaseViewRoutes } from './case-view.ts';
import { addFindingRoutes, unitParams } from './finding-routes.ts';
import { trackingKeys } from './keys.ts';
import { addNoticeRoutes, type NoticeStore } from './notices.ts';
import { describeUnit, type Queries, QueryError } from './queries.ts';

// Tracking's HTTP API (its OpenAPI docs are on the operators' port: addDocs): the petitioner's view by case
// number and query code (guessing limited), a unit's inbox and KPIs with its token (a unit sees its own, a
// supervisor its subtree), a region's KPI table, trend and overdue board for the bureaus and governments
// over it (finding.ts), units and figures. Errors and security headers as every service's (packages/ops).

export interface HttpDeps {
  readonly redis: Redis;
  readonly prefix: string;
  readonly directory: Directory;
  readonly queries: Queries;
  /** Verifies staff tokens with the trusted nodes' public keys (tracking holds no key that could sign one). */
  readonly staffTokens: StaffTokenVerifier;
  readonly queryCodeSecret: string;
  /** The federation this node belongs to: where to send a petitioner whose case another node holds. */
  readonly federation: Federation;
  readonly guessLimit: number;
  readonly kpiRetentionDays: number;
  readonly now: () => Date;
  /** SEAL_KEYS: opens the petitioner's data for the holder's handlers (case-view.ts). */
  readonly keyring: Keyring;
  /** Puts an opening of personal data on the access-audit topic (acks=all) before it is shown. */
  readonly publishAudit: (event: AccessAuditEvent) => Promise<unknown>;
  /** The access audit read back from its topic (audit.ts). */
  readonly audit: AuditStore;
  /** The in-app inbox read back from its topic (notices.ts). */
  readonly notices: NoticeStore;
  /** Puts read marks on the in-app-notices topic (acks=all) before they are applied. */
  readonly publishNotices: (events: InAppNoticeEvent[]) => Promise<unknown>;
}

export class HttpProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  constructor(status: number, code: string, detail: string) {
    super(detail);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

/** A problem of tracking's own, as problem+json (the catalogue in packages/ops). */
export function sendProblem(reply: FastifyReply, status: number, code: string, detail: string) {
  return send(reply, problem(status, code, code, { detail }));
}

/** The case a petitioner opened with its number and query code (queries.ts caseByNumber). */
export type PetitionerCase = NonNullable<Awaited<ReturnType<Queries['caseByNumber']>>>;

/** Who may read what: the checks the routes ask, here and in finding.ts and notices.ts. */
export interface Access {
  /** The claims of the request's staff token (401 without a good one). */
  caller(request: FastifyRequest): Promise<StaffClaims>;
  /** Staff of the unit, or a supervisor (by role) of a unit over it; else 403 (404 for no such unit). */
  mayReadUnit(request: FastifyRequest, unitId: string): Promise<StaffClaims>;
  /** A supervisor (by role) of a bureau, government or party committee over the region; else 403. */
  mayReadRegion(request: FastifyRequest, regionCode: string): Promise<StaffClaims>;
  /**
   * The case `:caseNumber` names, opened by the query code in the `X-Query-Code` header; else the refusal
   * (400 for a code in the URL or none, 429 for a client that guessed too often, 404 counted as a wrong guess).
   */
  petitionerCase(request: FastifyRequest): Promise<PetitionerCase>;
}

/** A period's day that is no calendar date (2026-02-30, 99999-01-01, ''): a bad period, named as periodOf names one. */
function badPeriod(error: FastifyError) {
  if (error.validationContext !== 'querystring') return undefined;
  const days = (error.validation ?? []).map((v) => v.instancePath.slice(1)).filter((n) => n === 'from' || n === 'to');
  if (!days.length) return undefined;
  return problem(400, 'BAD_PERIOD', 'BAD_PERIOD', {
    detail: days.map((day) => `${day} must be a date YYYY-MM-DD`).join('; '),
    errors: days.map((day) => ({ field: day, in: 'query' as const, message: 'must be a date YYYY-MM-DD' })),
  });
}

export async function createHttp(deps: HttpDeps): Promise<FastifyInstance> {
  const { directory, queries, redis } = deps;
  const keys = trackingKeys(deps.prefix);
  const app = createApiServer({
    bodyLimit: 65_536,
    known: (error: FastifyError) => {
      if (error instanceof HttpProblem) return problem(error.status, error.code, error.code, { detail: error.detail });
      if (error instanceof QueryError) return problem(400, error.code, error.code, { detail: error.message });
      if (error instanceof AuthError)
        return problem(error.retryable ? 503 : 401, error.code, error.code, { detail: error.message });
      return badPeriod(error);
    },
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Petition tracking',
        version: '1',
        description:
          'Case progress, unit inboxes, supervision and KPIs; errors are application/problem+json (RFC 9457).',
      },
      components: { securitySchemes: { unitToken: { type: 'http', scheme: 'bearer' } } },
    },
  });

  const unitView = (unitId: string) => describeUnit(directory, unitId);
  const caller = (request: FastifyRequest) => {
    const header = request.headers.authorization ?? '';
    return deps.staffTokens.verify(header.startsWith('Bearer ') ? header.slice(7) : undefined);
  };
  /** Staff see their own unit; a supervisor (by role) any unit under its own (by superior or by place). */
  const mayReadUnit = async (request: FastifyRequest, unitId: string) => {
    const claims = await caller(request);
    if (!directory.unit(unitId)) throw new HttpProblem(404, 'UNKNOWN_UNIT', `no unit ${unitId}`);
    if (unitId === claims.unitId) return claims;
    if (!directory.inSubtree(unitId, claims.unitId))
      throw new HttpProblem(403, 'NOT_YOUR_UNIT', `a token of ${claims.unitId} does not open ${unitId}`);
    if (!permits(claims.roles, 'supervise'))
      throw new HttpProblem(403, 'ROLE_REQUIRED', 'another unit’s view needs the supervisor or leader role');
    return claims;
  };
  const mayReadRegion = async (request: FastifyRequest, regionCode: string) => {
    const claims = await caller(request);
    if (!directory.region(regionCode)) throw new HttpProblem(404, 'UNKNOWN_REGION', `no region ${regionCode}`);
    if (!directory.supervisesRegion(claims.unitId, regionCode))
      throw new HttpProblem(403, 'NOT_SUPERVISOR', `${claims.unitId} does not supervise region ${regionCode}`);
    if (!permits(claims.roles, 'supervise'))
      throw new HttpProblem(403, 'ROLE_REQUIRED', 'a region’s figures need the supervisor or leader role');
    return claims;
  };

  /**
   * For a case this node does not hold, in a federation: the node of the number's region, which does, as a
   * problem naming it and its tracking address. The number alone says which node that is, so this tells a
   * guesser nothing about whether the case exists.
   */
  const askElsewhere = (caseNumber: string) => {
    const { federation } = deps;
    if (!federation.federated) return undefined;
    const bureau = directory.bureauOf(caseNumber.slice(0, 6));
    const node = bureau ? federation.hostOf(bureau.unitId) : '';
    if (!node || node === federation.self) return undefined;
    const trackingUrl = federation.node(node)?.trackingUrl;
    return problem(404, 'CASE_AT_ANOTHER_NODE', 'Another node holds the cases of this region: ask there', {
      detail: `cases of region ${caseNumber.slice(0, 6)} are held by node ${node}${trackingUrl ? ` (${trackingUrl})` : ''}`,
      node,
      ...(trackingUrl ? { trackingUrl } : {}),
    });
  };

  // The query code travels in a header: URLs are kept in access logs and proxies' logs, in the browser's
  // history, and are sent on as Referer.
  const petitionerCase = async (request: FastifyRequest): Promise<PetitionerCase> => {
    const { caseNumber } = request.params as { caseNumber: string };
    if ((request.query as Record<string, unknown>).queryCode !== undefined) {
      throw new ProblemError(
        problem(400, 'QUERY_CODE_IN_URL', 'Send the query code in the X-Query-Code header', {
          detail:
            'the query code goes in the X-Query-Code header, never in the URL (URLs are logged and sent on as Referer)',
          errors: [{ field: 'queryCode', in: 'query', message: 'send it in the X-Query-Code header' }],
        }),
      );
    }
    const header = request.headers['x-query-code'];
    const code = typeof header === 'string' ? header : '';
    if (!code) throw new HttpProblem(400, 'QUERY_CODE_REQUIRED', 'send the query code in the X-Query-Code header');
    const guesses = keys.guesses(request.ip);
    if (Number((await redis.get(guesses)) ?? 0) >= deps.guessLimit) {
      throw new HttpProblem(429, 'TOO_MANY_GUESSES', 'too many wrong case numbers or query codes; try later');
    }
    const found = await queries.caseByNumber(caseNumber);
    const elsewhere = found ? undefined : askElsewhere(caseNumber);
    if (elsewhere) throw new ProblemError(elsewhere);
    if (!found || !queryCodeMatches(deps.queryCodeSecret, caseNumber, code, found.queryCodeHash)) {
      await redis.multi().incr(guesses).expire(guesses, 600).exec();
      throw new HttpProblem(404, 'CASE_NOT_FOUND', 'no case with this number and query code');
    }
    return found;
  };

  const caseView = addCaseViewRoutes(app, { ...deps, caller });
  addAuditRoutes(app, { directory, audit: deps.audit, caller });

  app.get<{ Params: { caseNumber: string }; Querystring: Record<string, unknown> }>(
    '/v1/cases/:caseNumber',
    {
      schema: {
        summary: 'The case as its petitioner follows it: state, holder, timeline, clocks',
        description:
          'The query code goes in the `X-Query-Code` header; one in the URL is refused (400). With a staff token ' +
          'instead, the segment is the case id and the answer the units’ view (case-view.ts): the holder, its ' +
          'co-units and the supervisors above it see it; anyone else gets 404 as for no case.',
        tags: ['petitioner'],
        params: { type: 'object', properties: { caseNumber: { type: 'string', maxLength: 64 } } },
        headers: {
          type: 'object',
          properties: { 'x-query-code': { type: 'string', maxLength: 32, description: 'The case’s query code' } },
        },
      },
    },
    async (request, reply) => {
      if (request.headers.authorization !== undefined)
        return caseView.staffView(request, reply, request.params.caseNumber);
      const { caseId: _id, queryCodeHash: _hash, heldAt, ...view } = await petitionerCase(request);
      if (!heldAt) return view;
      // Another node holds it now: what happened here, and where to follow it from now on.
      const trackingUrl = deps.federation.node(heldAt)?.trackingUrl;
      return { ...view, heldAt: { node: heldAt, ...(trackingUrl ? { trackingUrl } : {}) } };
    },
  );

  app.get(
    '/v1/me',
    { schema: { summary: 'The unit a token names', tags: ['unit'], security: [{ unitToken: [] }] } },
    async (request) => {
      const { unitId, staffId, roles } = await caller(request);
      const u = unitView(unitId);
      if (!u)
        throw new HttpProblem(404, 'UNKNOWN_UNIT', `the token names ${unitId}, which the directory does not know`);
      return {
        ...u,
        staffId,
        roles,
        supervisor: directory.supervisesRegion(unitId, u.regionCode) && permits(roles, 'supervise'),
      };
    },
  );

  app.get<{ Params: { unitId: string } }>(
    '/v1/units/:unitId',
    { schema: { summary: 'A unit of the directory', params: unitParams } },
    async (request) => {
      const u = unitView(request.params.unitId);
      if (!u) throw new HttpProblem(404, 'UNKNOWN_UNIT', `no unit ${request.params.unitId}`);
      return u;
    },
  );

  app.get('/v1/directory/stats', { schema: { summary: 'Units per level' } }, async () => directory.counts());

  const access: Access = { caller, mayReadUnit, mayReadRegion, petitionerCase };
  addFindingRoutes(app, { ...deps, access });
  addNoticeRoutes(app, { ...deps, access });
  return app;
}

/** The OpenAPI document of `api` (once ready) and its UI at /docs, on the operators' server `ops`. */
export async function addDocs(ops: FastifyInstance, api: FastifyInstance) {
  const document = api.swagger() as StaticDocumentSpec['document'];
  await ops.register(swagger, { mode: 'static', specification: { document } });
  await ops.register(swaggerUi, { routePrefix: '/docs' });
}
