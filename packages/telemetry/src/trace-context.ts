import {
  type Context,
  context,
  createTraceState,
  isSpanContextValid,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  TraceFlags,
  trace,
} from '@opentelemetry/api';

// W3C trace context (https://www.w3.org/TR/trace-context/) as the contract carries it — `traceparent` and
// `tracestate` strings in every envelope and in the records' headers — and the one cheap check that keeps
// everything else from building a span while the API is the no-op.

/** The trace context a message carries (proto TraceContext's shape). */
export interface TraceHeaders {
  readonly traceparent: string;
  readonly tracestate: string;
}

// The provider the API answers with until one is registered; a fresh proxy hands over that same no-op.
const noopProvider = new ProxyTracerProvider().getDelegate();
let enabled = false;

/**
 * True once a tracer provider is registered (the SDK started, or a test's own): until then nobody builds a
 * span, reads a header for one or wraps a call. Only a positive answer is kept — providers are registered
 * once, at start.
 */
export function tracingEnabled(): boolean {
  if (enabled) return true;
  const provider = trace.getTracerProvider() as Partial<ProxyTracerProvider>;
  enabled = typeof provider.getDelegate !== 'function' || provider.getDelegate() !== noopProvider;
  return enabled;
}

const traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The `traceparent` of a span context (version 00), or undefined for an invalid one. */
export function traceparentOf(spanContext: SpanContext): string | undefined {
  if (!isSpanContextValid(spanContext)) return undefined;
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0');
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}

/** The span context a `traceparent` names (remote), or undefined when it is missing or malformed. */
export function spanContextOf(traceparent: string | undefined, tracestate?: string): SpanContext | undefined {
  if (!traceparent) return undefined;
  const m = traceparentPattern.exec(traceparent.trim().toLowerCase());
  if (!m) return undefined;
  const spanContext: SpanContext = {
    traceId: m[1] as string,
    spanId: m[2] as string,
    traceFlags: Number.parseInt(m[3] as string, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  if (!isSpanContextValid(spanContext)) return undefined;
  if (tracestate) spanContext.traceState = createTraceState(tracestate);
  return spanContext;
}

/** The trace id a `traceparent` names, or undefined. */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  return traceparent ? traceparentPattern.exec(traceparent)?.[1] : undefined;
}

/** A context whose parent is the span a `traceparent` names; `base` (the root) when it names none. */
export function contextOf(traceparent: string | undefined, tracestate?: string, base: Context = ROOT_CONTEXT): Context {
  const spanContext = spanContextOf(traceparent, tracestate);
  return spanContext ? trace.setSpanContext(base, spanContext) : base;
}

/** The trace headers of a span: what a message written under it carries. */
export function traceHeadersOf(span: Span | undefined, tracestate = ''): TraceHeaders | undefined {
  const traceparent = span && traceparentOf(span.spanContext());
  return traceparent ? { traceparent, tracestate } : undefined;
}

/** The trace headers of the span active here (none while tracing is off). */
export function activeTraceHeaders(): TraceHeaders | undefined {
  if (!tracingEnabled()) return undefined;
  return traceHeadersOf(trace.getSpan(context.active()));
}
