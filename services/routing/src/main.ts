// `node services/routing/src/main.ts`: routing as its own process. SIGTERM/SIGINT stop it gracefully.
import { runService } from '@petition/runtime';
import { withTelemetry } from '@petition/telemetry';
import { startRouting } from './app.ts';
import { loadRoutingConfig } from './config.ts';

await runService({
  service: 'routing',
  load: () => loadRoutingConfig(),
  start: withTelemetry('routing', startRouting),
});
