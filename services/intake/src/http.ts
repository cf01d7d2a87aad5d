import { randomUUID } from 'node:crypto';
import swagger, { type StaticDocumentSpec } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { readAsyncApiDocument } from '@petition/asyncapi';
import type { Logger } from '@petition/logging';
import { addHealthRoutes, createApiServer, frameworkProblem, sendProblem as send } from '@petition/runtime';
import {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  LogController,
} from 'fastify';
import { type ActionSpec, actions, commandOf } from './actions.ts';
import type { Caller, Core } from './core.ts';
import type { Idempotency } from './idempotency.ts';
import { type Open311Deps, open311Routes } from './open311/routes.ts';
import type { Outcomes } from './outcomes.ts';
import { type PetitionBody, petitionBodySchema } from './petition-request.ts';
import { invalidRequest, type Problem, ProblemError, problem, schemaFindings } from './problems.ts';
import { notFoundOrNotYours, refusalProblem, renderResult } from './render.ts';
import { repeatsBody } from './repeats.ts';
import { suggestRoute } from './suggest.ts';

export interface HttpDeps {
  readonly core: Core;
  readonly idempotency: Idempotency;
  readonly outcomes: Outcomes;
  readonly ready: () => Promise<Record<string, boolean>>;
  readonly bodyLimitBytes: number;
  /** Peers trusted to name the client in X-Forwarded-For (`request.ip` is then that client). */
  readonly trustedProxies: readonly string[];
  readonly logger: Logger;
  /** The Open311 GeoReport v2 façade's own pieces (open311/); the rest it shares with the API. */
  readonly open311?: Pick<Open311Deps, 'store' | 'keys' | 'directory' | 'refSecret' | 'outcomeWaitMs'>;
}

/** Intake's own problems and its 422 for invalid fields; fastify's own refusals from the one catalogue. */
function errorProblem(error: FastifyError): Problem | undefined {
  if (error instanceof ProblemError) return error.problem;
  if (error.validation) return invalidRequest(schemaFindings(error.validation, error.validationContext));
  return frameworkProblem(error);
}

const bearer = (header: string | undefined) => (header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined);
const idempotencyKeyOf = (h: string | string[] | undefined) => (Array.isArray(h) ? h[0] : h);
const expectedVersionOf = (h: string | string[] | undefined) => {
  const v = Array.isArray(h) ? h[0] : h;
  if (v === undefined) return undefined;
  if (!/^\d{1,15}$/.test(v))
    throw new ProblemError(invalidRequest([{ field: 'If-Match', message: 'must be a case version number' }]));
  return Number(v);
};

export async function createHttp(deps: HttpDeps): Promise<FastifyInstance> {
  // Every error as problem+json; an unknown path is 404, a known one with another method 405.
  const app = createApiServer({
    known: errorProblem,
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.bodyLimitBytes,
    trustProxy: [...deps.trustedProxies],
    ajv: { customOptions: { allErrors: true, removeAdditional: false, coerceTypes: false } },
    genReqId: (req) => (req.headers['x-request-id'] as string | undefined)?.slice(0, 100) || crypto.randomUUID(),
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Petition intake',
        version: '1',
        description:
          'Petitions and unit and petitioner actions enter here; errors are application/problem+json (RFC 9457).',
      },
      components: { securitySchemes: { unitToken: { type: 'http', scheme: 'bearer' } } },
    },
  });

  app.post<{ Body: PetitionBody }>(
    '/v1/petitions',
    {
      schema: {
        summary: 'Register a petition from any channel',
        body: petitionBodySchema,
        headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', maxLength: 200 } } },
      },
    },
    async (request, reply) => {
      const token = bearer(request.headers.authorization);
      const unit = token ? await deps.core.unitOf(token) : undefined;
      const answer = await deps.idempotency.once(
        `register:${unit?.unitId ?? 'public'}`,
        idempotencyKeyOf(request.headers['idempotency-key']),
        request.body,
        async (plan) => {
          const r = await deps.core.register(
            request.body,
            { unit, correlationId: request.id, client: request.ip, trace: request.trace },
            plan,
          );
          return {
            status: 201,
            body: {
              caseId: r.caseId,
              caseNumber: r.caseNumber,
              queryCode: r.queryCode,
              commandId: r.commandId,
              ...repeatsBody(r.repeats),
            },
          };
        },
        () => deps.core.planRegistration(request.body.regionCode),
      );
      return reply.code(answer.status).send(answer.body);
    },
  );

  suggestRoute(app, (authorization) => deps.core.unitOf(bearer(authorization)));

  const respond = async (
    reply: FastifyReply,
    scope: string,
    key: string | undefined,
    body: unknown,
    work: (commandId: string) => ReturnType<Core['act']>,
  ) => {
    const answer = await deps.idempotency.once(
      scope,
      key,
      body,
      async (commandId) => {
        const rendered = renderResult(await work(commandId));
        const status = rendered.status || (rendered.body as Problem).status;
        return { status, body: rendered.body };
      },
      () => randomUUID(),
    );
    const location = (answer.body as { follow?: string }).follow;
    if (location) reply.header('location', location);
    if (answer.status >= 400) return send(reply, answer.body as Problem);
    return reply.code(answer.status).send(answer.body);
  };

  for (const spec of actions) route(app, spec);

  function route(app: FastifyInstance, spec: ActionSpec) {
    const schema = spec.schema as { properties: Record<string, unknown>; required: string[] };
    if (spec.who === 'unit') {
      app.post<{ Params: { caseId: string }; Body: Record<string, unknown> }>(
        `/v1/cases/:caseId/${spec.path}`,
        {
          schema: {
            summary: spec.summary,
            tags: ['unit'],
            security: [{ unitToken: [] }],
            params: { type: 'object', properties: { caseId: { type: 'string', minLength: 1, maxLength: 64 } } },
            body: spec.schema,
          },
        },
        async (request, reply) => {
          const unit = await deps.core.unitOf(bearer(request.headers.authorization));
          // An idempotency key belongs to the unit that sent it: another unit's key never replays its answer.
          const unitId = unit.unitId;
          return respond(
            reply,
            `unit:${unitId}:${request.params.caseId}:${spec.path}`,
            idempotencyKeyOf(request.headers['idempotency-key']),
            request.body,
            (commandId) =>
              deps.core.act(spec, {
                commandId,
                caseId: request.params.caseId,
                caller: { kind: 'unit', unit },
                command: commandOf(spec, request.body),
                expectedCaseVersion: expectedVersionOf(request.headers['if-match']),
                idempotencyKey: idempotencyKeyOf(request.headers['idempotency-key']),
                correlationId: request.id,
                trace: request.trace,
              }),
          );
        },
      );
      return;
    }
    const credentials = {
      caseNumber: { type: 'string', minLength: 1, maxLength: 64 },
      queryCode: { type: 'string', minLength: 1, maxLength: 32 },
    };
    app.post<{ Body: Record<string, unknown> & { caseNumber: string; queryCode: string } }>(
      `/v1/petitioner/${spec.path}`,
      {
        schema: {
          summary: spec.summary,
          tags: ['petitioner'],
          body: {
            ...spec.schema,
            properties: { ...schema.properties, ...credentials },
            required: [...(schema.required ?? []), 'caseNumber', 'queryCode'],
          },
        },
      },
      async (request, reply) => {
        const { caseNumber, queryCode, ...fields } = request.body;
        return respond(
          reply,
          `petitioner:${caseNumber}:${spec.path}`,
          idempotencyKeyOf(request.headers['idempotency-key']),
          request.body,
          (commandId) =>
            deps.core.act(spec, {
              commandId,
              caller: { kind: 'petitioner', caseNumber, queryCode, client: request.ip },
              command: commandOf(spec, fields),
              idempotencyKey: idempotencyKeyOf(request.headers['idempotency-key']),
              correlationId: request.id,
              trace: request.trace,
            }),
        );
      },
    );
  }

  app.get<{ Params: { commandId: string } }>(
    '/v1/commands/:commandId',
    {
      schema: {
        summary: 'Routing’s answer to a command, once it has come — to the unit that sent it, or the petitioner',
        description:
          'A unit sends its token; a petitioner sends `X-Case-Number` and `X-Query-Code`. Anyone else, or a command sent by someone else, is answered 404.',
        params: { type: 'object', properties: { commandId: { type: 'string', minLength: 1, maxLength: 64 } } },
        headers: {
          type: 'object',
          properties: {
            'x-case-number': { type: 'string', maxLength: 64 },
            'x-query-code': { type: 'string', maxLength: 32 },
          },
        },
        security: [{ unitToken: [] }, {}],
      },
    },
    async (request, reply) => {
      const caller = await callerOf(request.headers, request.ip);
      const { commandId } = request.params;
      const event = await deps.outcomes.get(commandId);
      if (!event) return reply.code(202).send({ commandId, status: 'pending' });
      // Command ids travel as causation ids: knowing one is no claim to its answer.
      if (!(await deps.core.sentBy(caller, event))) return send(reply, notFoundOrNotYours());
      if (event.payload?.$case === 'commandRefused') return send(reply, refusalProblem(commandId, event));
      return renderResult({ kind: 'event', commandId, event }).body;
    },
  );

  // The AsyncAPI document of the Kafka topics, kept in the repo (docs/asyncapi.json): read once, served as kept.
  const asyncApi = readAsyncApiDocument();
  app.get(
    '/asyncapi.json',
    {
      schema: {
        summary: 'The AsyncAPI 3 document of the Kafka topics, for integrators who consume them directly',
        description:
          'Every topic: its writer, key, headers and the events it carries, the payloads as JSON Schema of the proto3 JSON mapping. The same document as docs/asyncapi.json in the repository.',
        response: { 200: { description: 'An AsyncAPI 3.0.0 document', type: 'object', additionalProperties: true } },
      },
    },
    async (_request, reply) => reply.type('application/json; charset=utf-8').send(asyncApi),
  );

  /** Who asks after a command: a unit by its token, a petitioner by case number and query code. */
  async function callerOf(headers: Record<string, string | string[] | undefined>, client: string): Promise<Caller> {
    const token = bearer(headers.authorization as string | undefined);
    if (token) return { kind: 'unit', unit: await deps.core.unitOf(token) };
    const caseNumber = headers['x-case-number'];
    const queryCode = headers['x-query-code'];
    if (typeof caseNumber === 'string' && typeof queryCode === 'string') {
      return { kind: 'petitioner', caseNumber, queryCode, client };
    }
    throw new ProblemError(
      problem(401, 'CREDENTIALS_REQUIRED', 'Say who you are', {
        detail: 'send a unit token (Authorization: Bearer …), or X-Case-Number and X-Query-Code',
      }),
    );
  }

  if (deps.open311) {
    const { core, idempotency, outcomes, logger } = deps;
    await app.register(open311Routes({ ...deps.open311, core, idempotency, outcomes, logger }), {
      prefix: '/open311/v2',
    });
  }

  // /metrics and the docs are on the operators' port (app.ts, addDocs).
  addHealthRoutes(app, { checks: deps.ready });
  return app;
}

/** The OpenAPI document of `api` (once ready) and its UI at /docs, on the operators' server `ops`. */
export async function addDocs(ops: FastifyInstance, api: FastifyInstance) {
  const document = api.swagger() as StaticDocumentSpec['document'];
  await ops.register(swagger, { mode: 'static', specification: { document } });
  await ops.register(swaggerUi, { routePrefix: '/docs' });
}
