import type { FastifyInstance } from 'fastify';
import { Histogram, type Registry } from 'prom-client';

// The latency of a service's API as Prometheus reads it: one histogram of every answer by method, route
// template (`/v1/cases/:caseId`, never the ids themselves) and status, on the service's /metrics.

const durations = new WeakMap<Registry, Histogram<'method' | 'route' | 'status'>>();
const started = Symbol('petition.requestStarted');

/** Times every answer of `app` into the registry's `petition_http_request_duration_seconds`. */
export function addHttpMetrics(app: FastifyInstance, registry: Registry) {
  let histogram = durations.get(registry);
  if (!histogram) {
    histogram = new Histogram({
      name: 'petition_http_request_duration_seconds',
      help: 'Time from a request’s arrival to its answer, by method, route template and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    durations.set(registry, histogram);
  }
  const observe = histogram;
  app.addHook('onRequest', async (request) => {
    (request as unknown as Record<symbol, bigint>)[started] = process.hrtime.bigint();
  });
  app.addHook('onResponse', async (request, reply) => {
    const from = (request as unknown as Record<symbol, bigint | undefined>)[started];
    if (from === undefined) return;
    observe.observe(
      { method: request.method, route: request.routeOptions?.url ?? 'unmatched', status: String(reply.statusCode) },
      Number(process.hrtime.bigint() - from) / 1e9,
    );
  });
}
