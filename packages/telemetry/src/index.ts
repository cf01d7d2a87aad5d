export { SpanKind } from '@opentelemetry/api';
export { failSpan, type SpanStart, serviceAttribute, startSpan, withinSpan } from './spans.ts';
export { exportConfigured, startTelemetry, type Telemetry, withTelemetry } from './start-telemetry.ts';
export {
  activeTraceHeaders,
  contextOf,
  spanContextOf,
  type TraceHeaders,
  traceHeadersOf,
  traceIdOf,
  traceparentOf,
  tracingEnabled,
} from './trace-context.ts';
