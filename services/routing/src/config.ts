import { bool, durationMs, int, list, loadConfig, oneOf, str } from '@petition/config';
import { federationSchema } from '@petition/federation';
import { runtimeSchema } from '@petition/runtime';

export const routingSchema = {
  ...runtimeSchema,
  ...federationSchema,
  httpPort: int('ROUTING_HTTP_PORT', {
    default: 8090,
    min: 0,
    max: 65_535,
    doc: 'Port of routing’s /healthz, /readyz, /metrics',
  }),
  host: str('ROUTING_HOST', { default: '0.0.0.0', doc: 'Address routing listens on' }),
  routeMode: oneOf('ROUTING_ROUTE_MODE', ['chain', 'direct', 'manual'], {
    default: 'chain',
    doc: 'How a bureau passes on a new case: down through each level’s bureau, straight to the unit with authority, or only by its staff',
  }),
  routeModes: list('ROUTING_ROUTE_MODES', {
    optional: true,
    doc: 'Per-bureau exceptions, `<unit id or region code prefix>=<mode>`, e.g. `000000-xfj=direct,33=manual`',
  }),
  snapshotIntervalMs: durationMs('ROUTING_SNAPSHOT_INTERVAL', {
    default: 10_000,
    min: 100,
    doc: 'How often routing writes the cases that changed to its snapshots topic; a start replays only the case-events after the last one',
  }),
  faultAfterPublish: bool('ROUTING_FAULT_AFTER_PUBLISH', {
    default: false,
    doc: 'Fault injection for tests only: exit right after publishing a command’s events, before committing it',
  }),
} as const;

export type RoutingConfig = ReturnType<typeof loadRoutingConfig>;
export const loadRoutingConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(routingSchema, env);
