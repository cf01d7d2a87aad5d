import { context, trace } from '@opentelemetry/api';
import { failSpan, SpanKind, startSpan, tracingEnabled } from '@petition/telemetry';
import type { Redis } from 'ioredis';

// A CLIENT span for each command a Redis connection sends inside a span (a request, a record's handling):
// `redis HSET`, with `db.system` only — keys and values hold case ids and personal data, so neither is an
// attribute. Commands sent outside any span (timers, reconnects) make none: they would each be a trace of
// their own. Pipelines and MULTI send their commands one by one through the same call.

type Sent = { name: string; promise: Promise<unknown> };

/** Wraps `redis`'s sendCommand with the spans; nothing while no tracer provider is registered. */
export function traceRedis(redis: Redis, service: string): Redis {
  if (!tracingEnabled()) return redis;
  const send = redis.sendCommand.bind(redis) as (command: Sent, ...rest: unknown[]) => unknown;
  (redis as unknown as { sendCommand: typeof send }).sendCommand = (command, ...rest) => {
    const active = context.active();
    if (!trace.getSpan(active)) return send(command, ...rest);
    const name = String(command.name).toUpperCase();
    const span = startSpan(service, `redis ${name}`, {
      kind: SpanKind.CLIENT,
      parent: active,
      attributes: { 'db.system': 'redis' },
    });
    command.promise.then(
      () => span.end(),
      (error: unknown) => {
        failSpan(span, error);
        span.end();
      },
    );
    return send(command, ...rest);
  };
  return redis;
}
