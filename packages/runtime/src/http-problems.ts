import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import { applySecurityHeaders, secureHeaders, securityHeaders } from './secure-headers.ts';

// Errors as RFC 9457 problem details (application/problem+json) with a stable `code`, for every HTTP
// surface: one catalogue of the problems HTTP itself raises (bad JSON, no such route, too large…), the same
// in every service, and the wiring that makes fastify and Node answer with them. A client's mistake is
// never a 5xx.

export interface FieldProblem {
  /** A JSON pointer into the body (`/petitioner/idNumber`), or the name of a query or path parameter or header. */
  readonly field: string;
  readonly message: string;
  /** Where the field is, when not in the body. */
  readonly in?: 'query' | 'path' | 'header';
}

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  /** A stable code callers branch on. */
  readonly code: string;
  readonly errors?: readonly FieldProblem[];
  readonly retryAfterSeconds?: number;
  readonly [extension: string]: unknown;
}

export const problemType = (code: string) => `urn:petition:problem:${code.toLowerCase().replaceAll('_', '-')}`;

export function problem(status: number, code: string, title: string, extra: Partial<Problem> = {}): Problem {
  return { type: problemType(code), title, status, code, ...extra };
}

/** A problem's status and title, as a catalogue holds it under its code. */
export interface ProblemSpec {
  readonly status: number;
  readonly title: string;
}

/** Thrown by a service's code; the HTTP layer (answerProblems) and the gRPC one answer with its problem. */
export class ProblemError extends Error {
  readonly problem: Problem;
  constructor(p: Problem) {
    super(p.detail ?? p.title);
    this.name = 'ProblemError';
    this.problem = p;
  }
}

export interface ProblemCatalogue<C extends string> {
  readonly specs: Readonly<Record<C, ProblemSpec>>;
  /** The problem `code` names, with its status and title from the catalogue. */
  problem(code: C, extra?: Partial<Problem>): Problem;
  /** The same, to throw. */
  error(code: C, extra?: Partial<Problem>): ProblemError;
}

/**
 * A catalogue of problems: each stable code with its status and title, written once. HTTP's own problems
 * are one (httpProblems); each service keeps its domain's codes in another and builds its problems from it.
 */
export function problemCatalogue<const S extends Record<string, ProblemSpec>>(
  specs: S,
): ProblemCatalogue<Extract<keyof S, string>> {
  const problemOf = (code: Extract<keyof S, string>, extra: Partial<Problem> = {}) => {
    const spec = specs[code] as ProblemSpec;
    return problem(spec.status, code, spec.title, extra);
  };
  return { specs, problem: problemOf, error: (code, extra) => new ProblemError(problemOf(code, extra)) };
}

/** The problems any HTTP surface may answer, whatever the service. */
export const httpProblems = {
  BAD_REQUEST: { status: 400, title: 'The request is malformed' },
  BAD_URL: { status: 400, title: 'The URL is not valid' },
  MALFORMED_JSON: { status: 400, title: 'The body is not valid JSON' },
  INVALID_REQUEST: { status: 400, title: 'The request has invalid parameters' },
  NOT_FOUND: { status: 404, title: 'No such resource' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'The resource does not take this method' },
  REQUEST_TIMEOUT: { status: 408, title: 'The request took too long to arrive' },
  BODY_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  URI_TOO_LONG: { status: 414, title: 'The URL is too long' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Send application/json' },
  HEADERS_TOO_LARGE: { status: 431, title: 'The request headers are too large' },
  INTERNAL: { status: 500, title: 'Something went wrong on our side' },
} as const;

export type HttpProblemCode = keyof typeof httpProblems;

const httpCatalogue = problemCatalogue(httpProblems);
export const httpProblem = (code: HttpProblemCode, extra: Partial<Problem> = {}) => httpCatalogue.problem(code, extra);

/** One schema finding, as Ajv reports it (fastify passes Ajv's on). */
export interface SchemaFinding {
  readonly instancePath: string;
  readonly keyword: string;
  readonly params: Record<string, unknown>;
  readonly message?: string;
}

const places = { querystring: 'query', params: 'path', headers: 'header' } as const;

/**
 * Schema findings as field problems: JSON pointers into a body, parameter names elsewhere (`context` is
 * fastify's `validationContext`).
 */
export function schemaFindings(findings: readonly SchemaFinding[], context = 'body'): FieldProblem[] {
  const where = places[context as keyof typeof places];
  return findings.map((v) => {
    let pointer = v.instancePath || '';
    let message = v.message ?? 'is invalid';
    if (v.keyword === 'required') {
      pointer = `${pointer}/${String(v.params.missingProperty)}`;
      message = 'is required';
    } else if (v.keyword === 'additionalProperties') {
      pointer = `${pointer}/${String(v.params.additionalProperty)}`;
      message = 'is not a known field';
    } else if (v.keyword === 'enum') {
      message = `must be one of ${(v.params.allowedValues as unknown[]).join(', ')}`;
    }
    if (!where) return { field: pointer || '/', message };
    return { field: pointer.replace(/^\//, '') || context, message, in: where };
  });
}

const describe = (errors: readonly FieldProblem[]) =>
  errors.map((e) => `${e.in ? `${e.in} parameter ` : ''}${e.field}: ${e.message}`).join('; ');

/** Invalid parameters (400), each named. */
export const invalidParameters = (errors: readonly FieldProblem[]) =>
  httpProblem('INVALID_REQUEST', { detail: describe(errors), errors });

const byStatus = new Map<number, HttpProblemCode>(
  (Object.entries(httpProblems) as [HttpProblemCode, { status: number }][])
    .filter(([code]) => !['BAD_URL', 'MALFORMED_JSON', 'INVALID_REQUEST'].includes(code))
    .map(([code, p]) => [p.status, code]),
);

/** The problem for an error fastify raised itself (bad JSON, body too large, schema…), if it is one. */
export function frameworkProblem(error: FastifyError): Problem | undefined {
  if (error.validation) return invalidParameters(schemaFindings(error.validation, error.validationContext));
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return httpProblem('BODY_TOO_LARGE', { detail: error.message });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return httpProblem('UNSUPPORTED_MEDIA_TYPE', { detail: error.message });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return httpProblem('MALFORMED_JSON', { detail: error.message });
    case 'FST_ERR_BAD_URL':
      return httpProblem('BAD_URL', { detail: 'the path is not valid percent-encoding' });
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return httpProblem('URI_TOO_LONG', { detail: `a path segment is longer than ${maxParamLength} characters` });
  }
  // JSON the parser refused for what it holds (__proto__), a bad Content-Length…
  const status = error.statusCode ?? 0;
  if (status >= 400 && status < 500) {
    const code = byStatus.get(status) ?? 'BAD_REQUEST';
    return problem(status, code, httpProblems[code].title, { detail: error.message });
  }
  return undefined;
}

/** Sends `p` as problem+json (with Retry-After when it says when to come back). */
export function sendProblem(reply: FastifyReply, p: Problem) {
  if (typeof p.retryAfterSeconds === 'number') reply.header('retry-after', String(p.retryAfterSeconds));
  return reply.code(p.status).type('application/problem+json').send(p);
}

/** The longest path segment routed (longer ones are refused 414 before any route runs). */
export const maxParamLength = 200;

/**
 * What Node refuses before fastify sees a request — headers (with the request line) over `maxHeaderSize`
 * (431), bytes that are not HTTP (400), a request too slow to arrive (408) — answered as problem+json
 * on the socket, which is then closed.
 */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex) {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const p =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? httpProblem('HEADERS_TOO_LARGE', {
          detail: 'the request line and headers exceed the limit (16 KiB by default)',
        })
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? httpProblem('REQUEST_TIMEOUT')
        : httpProblem('BAD_REQUEST', { detail: 'the request is not well-formed HTTP/1.1' });
  const body = JSON.stringify(p);
  if (socket.writable) {
    const headers = Object.entries({
      ...securityHeaders(),
      'content-type': 'application/problem+json',
      'content-length': String(Buffer.byteLength(body)),
      connection: 'close',
    }).map(([name, value]) => `${name}: ${value}\r\n`);
    // As Node's own handler does: written, then the connection dropped (what follows cannot be trusted).
    socket.write(`HTTP/1.1 ${p.status} ${STATUS_CODES[p.status]}\r\n${headers.join('')}\r\n${body}`);
  }
  socket.destroy();
}

/**
 * Options for the fastify constructor: refusals that fastify and Node write before any hook or error
 * handler (a bad percent-encoding, an over-long path segment, headers too large) become problem+json too.
 */
export function problemServerOptions(): Pick<
  FastifyServerOptions,
  'routerOptions' | 'frameworkErrors' | 'clientErrorHandler'
> {
  return {
    routerOptions: { maxParamLength },
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      applySecurityHeaders(reply);
      void sendProblem(reply, frameworkProblem(error) ?? httpProblem('BAD_REQUEST', { detail: error.message }));
    },
    clientErrorHandler: answerClientError,
  };
}

/** A route's path as a pattern over request paths (`:name` one segment, `*` the rest). */
const patternOf = (url: string) =>
  new RegExp(
    `^${url
      .split(/(:[A-Za-z0-9_]+|\*)/)
      .map((part) =>
        part === '*' ? '.*' : part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('')}$`,
  );

/**
 * Every error and every unrouted request of `app` answered as problem+json: a ProblemError with its problem;
 * `known` maps the service's other errors; then fastify's (400, 413, 415…); a path routed for other methods only is 405 with
 * Allow; anything else unknown is 404, and a failure of ours 500 (logged, with the request id).
 * Call it right after creating the instance, before any route.
 */
export function answerProblems(app: FastifyInstance, o: { known?: (error: FastifyError) => Problem | undefined } = {}) {
  const routes: { pattern: RegExp; methods: string[] }[] = [];
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    routes.push({ pattern: patternOf(route.url), methods: methods.includes('GET') ? [...methods, 'HEAD'] : methods });
  });
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const p =
      (error instanceof ProblemError ? error.problem : undefined) ?? o.known?.(error) ?? frameworkProblem(error);
    if (p) return sendProblem(reply, p);
    request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, httpProblem('INTERNAL', { requestId: request.id }));
  });
  app.setNotFoundHandler((request, reply) => {
    // The path only, shortened: a query string may hold what should not be echoed.
    const path = request.url.split('?', 1)[0] ?? '';
    const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
    const allowed = [...new Set(routes.filter((r) => r.pattern.test(path)).flatMap((r) => r.methods))];
    if (allowed.length) {
      reply.header('allow', allowed.join(', '));
      return sendProblem(
        reply,
        httpProblem('METHOD_NOT_ALLOWED', { detail: `${shown} takes ${allowed.join(', ')}, not ${request.method}` }),
      );
    }
    return sendProblem(reply, httpProblem('NOT_FOUND', { detail: `No route ${request.method} ${shown}` }));
  });
}

/**
 * A service's API server: fastify with `options` (body limit, logger, trusted proxies…), the security
 * headers on every answer, and every error, unrouted request and refusal of fastify's or Node's as
 * problem+json (`known` maps the service's own errors besides ProblemError). Routes are added after.
 */
export function createApiServer(
  options: FastifyServerOptions & { known?: (error: FastifyError) => Problem | undefined } = {},
): FastifyInstance {
  const { known, ...fastifyOptions } = options;
  // Quiet unless the service hands its logger over (fastify refuses both at once).
  const quiet = fastifyOptions.loggerInstance ? {} : { logger: false };
  const app = Fastify({ ...quiet, ...fastifyOptions, ...problemServerOptions() });
  secureHeaders(app);
  answerProblems(app, { known });
  return app;
}
