// `node services/tracking/src/main.ts`: tracking as its own process. SIGTERM/SIGINT stop it; a flush of its
// Redis keys makes it exit (75) to be restarted and rebuild.
import { refuseDevelopmentSecrets } from '@petition/config';
import { runService } from '@petition/runtime';
import { withTelemetry } from '@petition/telemetry';
import { startTracking } from './app.ts';
import { developmentSecretsIn, loadTrackingConfig } from './config.ts';

await runService({
  service: 'tracking',
  // A published development secret is refused (exit 2 naming it) unless ALLOW_DEVELOPMENT_SECRETS=true.
  load: () => {
    const config = loadTrackingConfig();
    refuseDevelopmentSecrets(developmentSecretsIn(config));
    return config;
  },
  start: withTelemetry('tracking', startTracking),
});
