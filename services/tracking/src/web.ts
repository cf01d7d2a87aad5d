import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { sendProblem } from './http.ts';

// The web pages (web/, in Chinese, plain HTML and ES modules, no build step): the petitioner's page at /,
// the unit workbench, a case's page (/case?id=…), the supervisor dashboard and the access audit. Their
// actions go to intake through /intake/*, and the supervision page's hotspots come from situation through
// /situation/*, so the pages talk to one origin.

const webDir = join(import.meta.dirname, '..', 'web');
const pages: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/workbench': 'workbench.html',
  '/register': 'register.html',
  '/case': 'case.html',
  '/supervision': 'supervision.html',
  '/audit': 'audit.html',
};
const types: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};
/** Headers a browser's call to intake keeps; everything else (cookies, hop-by-hop) stays behind. */
const forwarded = [
  'authorization',
  'content-type',
  'idempotency-key',
  'if-match',
  'x-request-id',
  'x-case-number',
  'x-query-code',
];

/**
 * Forwards the browser's call under `/<name>/*` to the service at `baseUrl`, keeping only the headers a call
 * needs; the service's answer (status, type, body, a Location under the same prefix) goes back as it is.
 */
function forward(app: FastifyInstance, name: string, baseUrl: string, methods: ('GET' | 'POST')[]) {
  app.route<{ Params: { '*': string } }>({
    method: methods,
    url: `/${name}/*`,
    schema: { hide: true },
    handler: async (request, reply) => {
      const headers: Record<string, string> = { 'x-forwarded-for': request.ip };
      for (const h of forwarded) {
        const v = request.headers[h];
        if (typeof v === 'string') headers[h] = v;
      }
      // The path as the browser sent it, still percent-encoded: decoded, a %2F or %3F would change its shape.
      const target = `${baseUrl}${request.url.slice(name.length + 1)}`;
      let answer: Response;
      try {
        answer = await fetch(target, {
          method: request.method,
          headers,
          body: request.method === 'POST' ? JSON.stringify(request.body ?? {}) : undefined,
          signal: AbortSignal.timeout(15_000),
        });
      } catch (err) {
        const code = `${name.toUpperCase()}_UNREACHABLE`;
        return sendProblem(reply, 502, code, `${name} did not answer: ${(err as Error).message}`);
      }
      const location = answer.headers.get('location');
      if (location) reply.header('location', `/${name}${location}`);
      return reply
        .code(answer.status)
        .type(answer.headers.get('content-type') ?? 'application/json')
        .send(Buffer.from(await answer.arrayBuffer()));
    },
  });
}

export function addWebRoutes(app: FastifyInstance, upstream: { intakeUrl: string; situationUrl: string }) {
  for (const [path, file] of Object.entries(pages)) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) =>
      reply.type(types['.html'] ?? '').send(await readFile(join(webDir, file))),
    );
  }
  app.get<{ Params: { file: string } }>('/assets/:file', { schema: { hide: true } }, async (request, reply) => {
    const { file } = request.params;
    const type = types[extname(file)];
    if (!/^[a-z0-9-]+\.[a-z]+$/.test(file) || !type) return sendProblem(reply, 404, 'NOT_FOUND', `no asset ${file}`);
    const body = await readFile(join(webDir, file)).catch(() => undefined);
    return body
      ? reply.type(type).header('cache-control', 'no-cache').send(body)
      : sendProblem(reply, 404, 'NOT_FOUND', `no asset ${file}`);
  });

  forward(app, 'intake', upstream.intakeUrl, ['GET', 'POST']);
  // The supervision page's hotspots: read only.
  forward(app, 'situation', upstream.situationUrl, ['GET']);
}
