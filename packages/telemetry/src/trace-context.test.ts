import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { exportConfigured } from './start-telemetry.ts';
import {
  activeTraceHeaders,
  contextOf,
  spanContextOf,
  traceIdOf,
  traceparentOf,
  tracingEnabled,
} from './trace-context.ts';

const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('W3C trace context', () => {
  it('reads a traceparent into a remote span context and writes it back unchanged', () => {
    const ids = spanContextOf(traceparent, 'congo=t61rcWkgMzE');
    expect(ids).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
    expect(ids?.traceState?.get('congo')).toBe('t61rcWkgMzE');
    expect(ids && traceparentOf(ids)).toBe(traceparent);
    expect(traceIdOf(traceparent)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('takes nothing from a missing, malformed or all-zero traceparent', () => {
    for (const bad of [
      undefined,
      '',
      'garbage',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
    ]) {
      expect(spanContextOf(bad)).toBeUndefined();
      expect(contextOf(bad)).toBe(ROOT_CONTEXT);
    }
    expect(traceIdOf('garbage')).toBeUndefined();
  });

  it('gives a context whose span is the one the traceparent names', () => {
    expect(trace.getSpanContext(contextOf(traceparent))?.spanId).toBe('00f067aa0ba902b7');
  });

  it('is off, and builds nothing, while no tracer provider is registered', () => {
    expect(tracingEnabled()).toBe(false);
    expect(activeTraceHeaders()).toBeUndefined();
  });
});

describe('exportConfigured', () => {
  it('starts the SDK only when the standard variables configure an exporter', () => {
    expect(exportConfigured({})).toBe(false);
    expect(exportConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(exportConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(exportConfigured({ OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    expect(exportConfigured({ OTEL_TRACES_EXPORTER: 'console' })).toBe(true);
    expect(exportConfigured({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBe(
      false,
    );
    expect(exportConfigured({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' })).toBe(false);
    expect(exportConfigured({ OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
  });
});
