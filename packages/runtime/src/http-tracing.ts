import { type Context, context, type Span, trace } from '@opentelemetry/api';
import {
  contextOf,
  failSpan,
  SpanKind,
  startSpan,
  type TraceHeaders,
  traceHeadersOf,
  tracingEnabled,
} from '@petition/telemetry';
import type { FastifyInstance, FastifyRequest } from 'fastify';

// A SERVER span for every request an API server answers: its parent the caller's `traceparent` header when
// one came, named by the route template (`POST /v1/petitions`, never the ids in a path), ended with the
// answer. The handler runs inside it, so the commands it publishes and the Redis commands it sends are its
// children; `request.trace` gives the handler the span's trace context to put into what it writes.

declare module 'fastify' {
  interface FastifyRequest {
    /** The trace context of this request's span; undefined while tracing is off. */
    trace: TraceHeaders | undefined;
  }
}

const held = Symbol('petition.requestSpan');
type Traced = FastifyRequest & { [held]?: { span: Span; active: Context } };

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/** Adds the request spans to `app` (before it is ready); nothing at all while no tracer provider is registered. */
export function addHttpTracing(app: FastifyInstance, service: string): void {
  if (!tracingEnabled()) return;
  app.decorateRequest('trace', undefined);
  app.addHook('onRequest', (request: Traced, _reply, done) => {
    const parent = contextOf(first(request.headers.traceparent), first(request.headers.tracestate));
    const span = startSpan(service, request.method, {
      kind: SpanKind.SERVER,
      parent,
      attributes: { 'http.request.method': request.method },
    });
    request[held] = { span, active: trace.setSpan(parent, span) };
    request.trace = traceHeadersOf(span);
    done();
  });
  // fastify calls the handler synchronously from the last preHandler's `done`: called inside the span's
  // context, the handler and every promise it makes carry the span.
  app.addHook('preHandler', (request: Traced, _reply, done) => {
    const h = request[held];
    if (h) context.with(h.active, done);
    else done();
  });
  app.addHook('onError', async (request: Traced, _reply, error) => {
    const h = request[held];
    if (h) failSpan(h.span, error);
  });
  app.addHook('onResponse', async (request: Traced, reply) => {
    const h = request[held];
    if (!h) return;
    const route = request.routeOptions?.url;
    h.span.updateName(route ? `${request.method} ${route}` : request.method);
    h.span.setAttribute('http.response.status_code', reply.statusCode);
    if (route) h.span.setAttribute('http.route', route);
    h.span.end();
  });
}
