// `node services/notification/src/main.ts`: notification as its own process. SIGTERM/SIGINT stop it
// gracefully; when its Redis keys are flushed it exits (75) so that its supervisor restarts it to rebuild.
import { refuseDevelopmentSecrets } from '@petition/config';
import { runService } from '@petition/runtime';
import { withTelemetry } from '@petition/telemetry';
import { startNotification } from './app.ts';
import { developmentSecretsIn, loadNotificationConfig } from './config.ts';

await runService({
  service: 'notification',
  // A published development secret is refused (exit 2 naming it) unless ALLOW_DEVELOPMENT_SECRETS=true.
  load: () => {
    const config = loadNotificationConfig();
    refuseDevelopmentSecrets(developmentSecretsIn(config));
    return config;
  },
  start: withTelemetry('notification', startNotification),
});
