// `node services/intake/src/main.ts`: intake as its own process. SIGTERM/SIGINT stop it gracefully.
import { refuseDevelopmentSecrets } from '@petition/config';
import { runService } from '@petition/runtime';
import { withTelemetry } from '@petition/telemetry';
import { startIntake } from './app.ts';
import { developmentSecretsIn, loadIntakeConfig } from './config.ts';

await runService({
  service: 'intake',
  // A published development secret is refused (exit 2 naming it) unless ALLOW_DEVELOPMENT_SECRETS=true.
  load: () => {
    const config = loadIntakeConfig();
    refuseDevelopmentSecrets(developmentSecretsIn(config));
    return config;
  },
  start: withTelemetry('intake', startIntake),
});
