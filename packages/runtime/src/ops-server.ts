import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { answerProblems, problem, problemServerOptions, sendProblem } from './http-problems.ts';
import { docsPolicy, secureHeaders } from './secure-headers.ts';

// The operators' surface of every service, written once: /healthz (the process answers), /readyz (every
// named check holds: 200, else 503 with the checks), /metrics (Prometheus, with the process defaults).
// An API port carries /healthz and /readyz only; /metrics and the OpenAPI docs are on a server of their
// own (listenOps), which a deployment keeps off the public network.

export type Checks = () => Promise<Record<string, boolean>> | Record<string, boolean>;

/** A metrics registry with the process's default metrics. */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

const hidden = { schema: { hide: true } };

/** Adds /healthz and /readyz to `app` (kept out of its OpenAPI document): what a load balancer probes. */
export function addHealthRoutes(app: FastifyInstance, o: { checks: Checks }) {
  app.get('/healthz', hidden, async () => ({ status: 'ok' }));
  app.get('/readyz', hidden, async (_q, reply) => {
    const checks = await o.checks();
    const ok = Object.values(checks).every(Boolean);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : 'not ready', checks });
  });
}

/** Adds /healthz, /readyz and /metrics to `app` (kept out of its OpenAPI document). */
export function addOpsRoutes(app: FastifyInstance, o: { registry: Registry; checks: Checks }) {
  addHealthRoutes(app, o);
  app.get('/metrics', hidden, async (_q, reply) => reply.type(o.registry.contentType).send(await o.registry.metrics()));
}

const refuse = (reply: FastifyReply, status: 401 | 403, code: string, title: string, detail: string) =>
  sendProblem(reply, problem(status, code, title, { detail }));
const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * An operator's action that changes state (POST `path`): done only for `Authorization: Bearer <token>`
 * (problem+json 401 otherwise), and refused to everyone (403) while no token is configured (`variable`).
 */
export function addOpsAction(
  app: FastifyInstance,
  o: { path: string; token: string | undefined; variable: string; run: () => Promise<unknown> },
) {
  const expected = o.token ? digest(`Bearer ${o.token}`) : undefined;
  app.post(o.path, { schema: { hide: true } }, async (request, reply) => {
    if (!expected)
      return refuse(reply, 403, 'OPS_ACTION_DISABLED', 'Operator action disabled', `${o.variable} is not set`);
    // Digests of equal length, compared in constant time.
    if (!timingSafeEqual(digest(request.headers.authorization ?? ''), expected)) {
      reply.header('www-authenticate', 'Bearer');
      return refuse(
        reply,
        401,
        'OPS_TOKEN_REQUIRED',
        'Operator token required',
        `${o.path} takes Authorization: Bearer <${o.variable}>`,
      );
    }
    return o.run();
  });
}

/**
 * A server of its own with only the operators' routes (and whatever `extra` adds, e.g. the API's OpenAPI
 * docs), listening; its errors are problem+json and its answers carry the security headers.
 */
export async function listenOps(o: {
  port: number;
  host: string;
  registry: Registry;
  checks: Checks;
  extra?: (app: FastifyInstance) => void | Promise<void>;
}): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify({ logger: false, ...problemServerOptions() });
  secureHeaders(app, { policy: docsPolicy });
  answerProblems(app);
  addOpsRoutes(app, o);
  await o.extra?.(app);
  const url = await app.listen({ port: o.port, host: o.host });
  return { url, close: () => app.close() };
}
