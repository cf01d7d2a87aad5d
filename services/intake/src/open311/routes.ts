import type { StaffClaims } from '@petition/auth';
import type { CaseState, Category } from '@petition/contract';
import type { Directory } from '@petition/directory';
import { isTerminal } from '@petition/lifecycle';
import type { Logger } from '@petition/logging';
import { frameworkProblem, type Problem } from '@petition/runtime';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Core, RegistrationPlan } from '../core.ts';
import type { Idempotency, StoredAnswer } from '../idempotency.ts';
import type { Outcomes } from '../outcomes.ts';
import { ProblemError } from '../problems.ts';
import { refusalProblem } from '../render.ts';
import { answer, answerProblem, type Format, open311Problems, splitFormat } from './answers.ts';
import { keyLookup, type Open311Key } from './api-keys.ts';
import { readFields, toPetitionBody } from './request-fields.ts';
import type { Open311Record, Open311Store } from './request-store.ts';
import { filerRef } from './request-store.ts';
import { serviceDefinition, serviceOf, services } from './services.ts';
import { stateNotes } from './states.ts';

// Open311 GeoReport v2 at /open311/v2 on intake's API port (http.ts registers it there). A petition filed
// here takes intake's own path — the same schema and checks, the same sealing, the same command and
// routing's same answer — under the channel and registering unit of the api key that files it. What is
// answered about a request is its state and holder, never its content or anyone's personal data, and only
// to the key that filed it (or one configured to see all); to any other it does not exist.

export interface Open311Deps {
  readonly core: Core;
  readonly idempotency: Idempotency;
  readonly outcomes: Outcomes;
  readonly store: Open311Store;
  readonly keys: readonly Open311Key[];
  readonly directory: Directory;
  /** The node's secret the filer's name is bound to each case with (request-store.ts). */
  readonly refSecret: string;
  readonly outcomeWaitMs: number;
  readonly logger: Logger;
}

/** The most requests a list answers, newest first. */
const listLimit = 1000;

/** The format a URL asks for (json when it names none we speak, so that the refusal can be read). */
const formatOf = (url: string): Format => (/\.xml(\?|$)/.test(url.split('#', 1)[0] ?? '') ? 'xml' : 'json');

/** Times as the spec writes them (W3C / ISO 8601 with offset), at Asia/Shanghai. */
export const shanghaiTime = (ms: number) => `${new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`;

/** A problem of intake's core as GeoReport knows it: invalid fields are 400, named as Open311 names them. */
function open311Problem(p: Problem, rename: (field: string) => string): Problem {
  if (p.status !== 422) return p;
  const errors = (p.errors ?? []).map((e) => ({ field: rename(e.field), message: e.message }));
  if (errors.length === 0) return { ...p, status: 400 };
  return open311Problems.problem('INVALID_PARAMETERS', {
    detail: errors.map((e) => `${e.field}: ${e.message}`).join('; '),
    errors,
  });
}

const registrarOf = (key: Open311Key, unitId: string): StaffClaims => ({
  staffId: `open311:${key.name}`,
  unitId,
  roles: ['registrar'],
  issuer: 'open311',
  audience: [],
  issuedAt: 0,
  notBefore: 0,
  expiresAt: 0,
  tokenId: '',
});

const firstOf = (v: unknown) => (Array.isArray(v) ? v[0] : v);

export function open311Routes(deps: Open311Deps) {
  const keyOf = keyLookup(deps.keys);

  function requireKey(apiKey: unknown): Open311Key {
    if (apiKey === undefined || apiKey === '') throw open311Problems.error('API_KEY_REQUIRED');
    const key = keyOf(apiKey);
    if (!key) throw open311Problems.error('API_KEY_INVALID');
    return key;
  }

  /** The request as the key that asks is shown it: its state and holder, nothing of its content. */
  function shown(r: Open311Record) {
    const service = serviceOf(r.category as Category);
    const closed = isTerminal(r.state as CaseState);
    return {
      service_request_id: r.caseNumber,
      status: closed ? 'closed' : 'open',
      status_notes: stateNotes(r.state),
      service_name: service?.name ?? '',
      service_code: service?.code ?? '',
      agency_responsible: deps.directory.unit(r.custodyUnitId)?.name ?? '',
      service_notice: closed ? '' : '有权处理的机关依《信访工作条例》规定的期限办理',
      requested_datetime: shanghaiTime(r.requestedMs),
      updated_datetime: shanghaiTime(r.updatedMs),
      address_id: r.regionCode,
    };
  }

  const mayRead = (key: Open311Key, r: Open311Record | undefined) => r && (key.seesAll || r.filer === key.name);

  async function file(request: FastifyRequest, key: Open311Key, fields: ReturnType<typeof readFields>) {
    return deps.idempotency.once<RegistrationPlan>(
      `open311:${key.name}`,
      firstOf(request.headers['idempotency-key']) as string | undefined,
      fields.raw,
      async (plan): Promise<StoredAnswer> => {
        const body = toPetitionBody(fields, key, filerRef(deps.refSecret, plan.caseId, key.name));
        const unit = key.unitId ? registrarOf(key, key.unitId) : undefined;
        try {
          await deps.core.register(
            body,
            {
              unit,
              correlationId: request.id,
              client: unit ? undefined : `open311:${key.name}`,
              // The request's trace goes into the command's envelope, as for POST /v1/petitions.
              trace: request.trace,
            },
            plan,
          );
        } catch (error) {
          if (error instanceof ProblemError && error.problem.status < 500)
            return { status: error.problem.status, body: open311Problem(error.problem, fields.open311NameOf) };
          throw error;
        }
        const outcome = await deps.outcomes.wait(plan.commandId, deps.outcomeWaitMs);
        if (outcome?.payload?.$case === 'commandRefused') {
          const p = open311Problem(refusalProblem(plan.commandId, outcome), fields.open311NameOf);
          return { status: p.status, body: p };
        }
        const notice = outcome
          ? '信访事项已登记；有权处理的机关自收到之日起十五日内书面告知是否受理（《信访工作条例》第二十三条）'
          : '信访事项已提交，正在登记；稍后可按编号查询';
        return {
          status: 201,
          body: [
            // The query code lets the petitioner follow the case on the petition pages; the client that
            // filed hands it on. Nothing the petitioner sent comes back.
            {
              service_request_id: plan.caseNumber,
              service_notice: notice,
              account_id: null,
              query_code: plan.queryCode,
            },
          ],
        };
      },
      () => deps.core.planRegistration(fields.regionCode ?? '000000'),
    );
  }

  return async function open311(app: FastifyInstance) {
    // GeoReport's POST is form-encoded; JSON is taken too (fastify's own parser). Repeated names keep the first.
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
      const fields: Record<string, string> = {};
      for (const [name, value] of new URLSearchParams(String(body))) if (!(name in fields)) fields[name] = value;
      done(null, fields);
    });

    app.setErrorHandler((error: FastifyError, request, reply) => {
      const format = formatOf(request.url);
      const p = error instanceof ProblemError ? error.problem : frameworkProblem(error);
      if (p) return answerProblem(reply, format, p);
      request.log.error({ err: error }, 'open311 request failed');
      return answerProblem(reply, format, {
        type: 'about:blank',
        status: 500,
        code: 'INTERNAL',
        title: 'Something went wrong on our side',
        detail: `request ${request.id}`,
      });
    });

    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?', 1)[0] ?? '';
      const last = path.split('/').pop() ?? '';
      const code = splitFormat(last) ? 'NOT_FOUND' : 'FORMAT_NOT_FOUND';
      const p = open311Problems.problem(code, { detail: `No route ${request.method} ${path.slice(0, 200)}` });
      return answerProblem(reply, formatOf(request.url), p);
    });

    // Kept out of the OpenAPI document (hide): GeoReport v2 is these routes' reference, and their errors are
    // GeoReport's, not problem+json. open311.test.ts fuzzes them instead.
    const resource = (segment: string) => {
      const split = splitFormat(segment);
      if (!split) throw open311Problems.error('FORMAT_NOT_FOUND', { detail: `${segment.slice(0, 100)}` });
      return split;
    };

    app.get<{ Params: { resource: string }; Querystring: Record<string, string> }>(
      '/:resource',
      {
        schema: {
          summary: 'Open311 GeoReport v2: services.{json|xml} or requests.{json|xml}',
          tags: ['open311'],
          hide: true,
        },
      },
      async (request, reply) => {
        const { name, format } = resource(request.params.resource);
        if (name === 'services') return answer(reply, format, 200, 'services', services);
        if (name !== 'requests') throw open311Problems.error('NOT_FOUND');
        const key = requireKey(firstOf(request.query.api_key));
        const q = request.query;
        const wanted = (v: unknown) =>
          typeof v === 'string' && v !== ''
            ? new Set(
                v
                  .split(',')
                  .map((s) => s.trim())
                  .filter(Boolean),
              )
            : undefined;
        const ids = wanted(q.service_request_id);
        const codes = wanted(q.service_code);
        const statuses = wanted(q.status);
        const range = ['start_date', 'end_date'].map((field) => {
          const v = q[field];
          if (v === undefined || v === '') return undefined;
          const ms = Date.parse(v);
          if (!Number.isFinite(ms))
            throw open311Problems.error('INVALID_PARAMETERS', { detail: `${field}: not a date` });
          return ms;
        });
        const found = ids
          ? (await Promise.all([...ids].slice(0, listLimit).map((id) => deps.store.byNumber(id)))).filter((r) =>
              mayRead(key, r),
            )
          : await deps.store.newest(key.seesAll ? undefined : key.name, listLimit);
        const list = (found as Open311Record[])
          .map((r) => ({ r, s: shown(r) }))
          .filter(({ r, s }) => {
            if (codes && !codes.has(s.service_code)) return false;
            if (statuses && !statuses.has(s.status)) return false;
            if (range[0] !== undefined && r.requestedMs < range[0]) return false;
            if (range[1] !== undefined && r.requestedMs > range[1]) return false;
            return true;
          })
          .map(({ s }) => s);
        return answer(reply, format, 200, 'service_requests', list);
      },
    );

    app.get<{ Params: { file: string } }>(
      '/services/:file',
      {
        schema: {
          summary: 'Open311 GeoReport v2: a service definition and its attributes',
          tags: ['open311'],
          hide: true,
        },
      },
      async (request, reply) => {
        const { name, format } = resource(request.params.file);
        if (!services.some((s) => s.service_code === name)) throw open311Problems.error('SERVICE_NOT_FOUND');
        return answer(reply, format, 200, 'service_definition', serviceDefinition(name));
      },
    );

    app.get<{ Params: { file: string }; Querystring: Record<string, string> }>(
      '/requests/:file',
      {
        schema: {
          summary: 'Open311 GeoReport v2: a service request’s status and the agency holding it',
          description: 'Only to the api_key that filed it (or one that sees all); to any other it does not exist.',
          tags: ['open311'],
          hide: true,
        },
      },
      async (request, reply) => {
        const { name, format } = resource(request.params.file);
        const key = requireKey(firstOf(request.query.api_key));
        const found = name.length <= 64 ? await deps.store.byNumber(name) : undefined;
        // Unknown and another key's alike: nothing to learn from asking.
        if (!found || !mayRead(key, found)) throw open311Problems.error('REQUEST_NOT_FOUND');
        return answer(reply, format, 200, 'service_requests', [shown(found)]);
      },
    );

    app.post<{ Params: { resource: string } }>(
      '/:resource',
      {
        schema: {
          summary: 'Open311 GeoReport v2: file a petition (form-encoded or JSON), answered with its case number',
          tags: ['open311'],
          hide: true,
        },
      },
      async (request, reply: FastifyReply) => {
        const { name, format } = resource(request.params.resource);
        if (name !== 'requests') throw open311Problems.error('METHOD_NOT_ALLOWED', { detail: 'POST requests only' });
        const raw = (request.body ?? {}) as Record<string, unknown>;
        const key = requireKey(firstOf(raw.api_key ?? (request.query as Record<string, unknown>).api_key));
        const fields = readFields(raw);
        const stored = await file(request, key, fields);
        if (stored.status >= 400) return answerProblem(reply, format, stored.body as Problem);
        return answer(reply, format, stored.status, 'service_requests', stored.body);
      },
    );
  };
}
