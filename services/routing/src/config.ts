import { bool, int, loadConfig, str } from '@petition/config';
import { infraSchema } from '@petition/infra';

export const routingSchema = {
  ...infraSchema,
  httpPort: int('ROUTING_HTTP_PORT', {
    default: 8090,
    min: 0,
    max: 65_535,
    doc: 'Port of routing’s /healthz, /readyz, /metrics',
  }),
  host: str('ROUTING_HOST', { default: '0.0.0.0', doc: 'Address routing listens on' }),
  faultAfterPublish: bool('ROUTING_FAULT_AFTER_PUBLISH', {
    default: false,
    doc: 'Fault injection for tests only: exit right after publishing a command’s events, before committing it',
  }),
} as const;

export type RoutingConfig = ReturnType<typeof loadRoutingConfig>;
export const loadRoutingConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(routingSchema, env);
