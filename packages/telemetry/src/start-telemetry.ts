import type { Logger } from '@petition/logging';

// The process's tracing, started from the standard OTEL_* variables
// (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/): the Node SDK when an
// exporter is configured and the SDK is not disabled, else nothing at all — the API stays the no-op, no
// span is built and nothing goes on the network. The SDK is loaded only when it starts.

export interface Telemetry {
  /** True when the SDK runs (spans are recorded and exported). */
  readonly exporting: boolean;
  /** Sends the spans still buffered and stops; once. */
  shutdown(): Promise<void>;
}

const truthy = (v: string | undefined) => v?.trim().toLowerCase() === 'true';
const set = (v: string | undefined) => v !== undefined && v.trim() !== '';

/** Whether the variables ask for traces to be exported: an exporter named (not `none`) or an endpoint given. */
export function exportConfigured(env: Readonly<Record<string, string | undefined>>): boolean {
  if (truthy(env.OTEL_SDK_DISABLED)) return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  if (exporters.length > 0) return !exporters.every((e) => e === 'none');
  return set(env.OTEL_EXPORTER_OTLP_ENDPOINT) || set(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

const off: Telemetry = { exporting: false, shutdown: async () => {} };

/**
 * Starts tracing for `service` (its `service.name`, unless OTEL_SERVICE_NAME names another) when the
 * variables configure an exporter; the SDK reads the rest (endpoint, headers, protocol, sampler,
 * propagators) itself. Metrics and logs stay with Prometheus and stdout unless their own OTEL_*_EXPORTER asks.
 */
export async function startTelemetry(
  service: string,
  logger: Logger,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Telemetry> {
  if (!exportConfigured(env)) return off;
  const { startNodeSdk } = await import('@opentelemetry/sdk-node');
  const sdk = startNodeSdk({
    resourceAttributes: set(env.OTEL_SERVICE_NAME) ? {} : { 'service.name': service },
    ...(set(env.OTEL_METRICS_EXPORTER) ? {} : { metricReaders: [] }),
    ...(set(env.OTEL_LOGS_EXPORTER) ? {} : { logRecordProcessors: [] }),
  });
  logger.info(
    {
      exporter: env.OTEL_TRACES_EXPORTER || 'otlp',
      endpoint: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined,
    },
    'tracing: exporting spans',
  );
  let stopped: Promise<void> | undefined;
  return {
    exporting: true,
    shutdown() {
      stopped ??= sdk.shutdown().catch((err: unknown) => logger.warn({ err }, 'tracing: flushing the spans failed'));
      return stopped;
    },
  };
}

/**
 * A service's start function with tracing around it (for runService in its main.ts): tracing starts before
 * the service, and its spans are flushed once the service has closed.
 */
export function withTelemetry<C, H, S extends { close(): Promise<void> }>(
  service: string,
  start: (config: C, logger: Logger, hooks: H) => Promise<S>,
): (config: C, logger: Logger, hooks: H) => Promise<S> {
  return async (config, logger, hooks) => {
    const telemetry = await startTelemetry(service, logger);
    let started: S;
    try {
      started = await start(config, logger, hooks);
    } catch (err) {
      await telemetry.shutdown();
      throw err;
    }
    const close = started.close.bind(started);
    started.close = async () => {
      try {
        await close();
      } finally {
        await telemetry.shutdown();
      }
    };
    return started;
  };
}
