import {
  type Attributes,
  type Context,
  context,
  type Link,
  type Span,
  type SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';

// Spans as this product starts them: each names the service that made it (`petition.service`, also the
// tracer's name), so that a trace read in one place — or services started together in one process, as the
// tests do — tells which service did what.

/** The attribute naming the service a span belongs to. */
export const serviceAttribute = 'petition.service';

export interface SpanStart {
  readonly kind: SpanKind;
  /** Where the span hangs: a context from a `traceparent`, or the active one when omitted. */
  readonly parent?: Context;
  readonly attributes?: Attributes;
  readonly links?: Link[];
}

/** A span of `service`, started (not made active): the caller ends it. */
export function startSpan(service: string, name: string, o: SpanStart): Span {
  return trace
    .getTracer(service)
    .startSpan(
      name,
      { kind: o.kind, attributes: { [serviceAttribute]: service, ...o.attributes }, links: o.links },
      o.parent ?? context.active(),
    );
}

/** Marks a span failed with `error` (its message, not its data). */
export function failSpan(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/**
 * Runs `work` with `span` active — what it publishes and the Redis commands it sends become the span's
 * children — and ends the span when it settles, failed when it throws.
 */
export async function withinSpan<T>(span: Span, parent: Context, work: () => Promise<T>): Promise<T> {
  try {
    return await context.with(trace.setSpan(parent, span), work);
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}
