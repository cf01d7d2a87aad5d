// `node services/notification/src/main.ts`: notification as its own process. SIGTERM/SIGINT stop it
// gracefully; when its Redis keys are flushed it exits (75) so that its supervisor restarts it to rebuild.
import { refuseDevelopmentSecrets } from '@petition/config';
import { createLogger } from '@petition/logging';
import { configOrExit, processExit, requireBrokers } from '@petition/ops';
import { startNotification } from './app.ts';
import { developmentSecretsIn, loadNotificationConfig } from './config.ts';

const logger = createLogger({ service: 'notification' });
// A published development secret is refused here (exit 2 naming it) unless ALLOW_DEVELOPMENT_SECRETS=true.
const config = configOrExit(() => {
  const loaded = loadNotificationConfig();
  refuseDevelopmentSecrets(developmentSecretsIn(loaded));
  return loaded;
}, logger);
requireBrokers(config.brokers, logger);
const exit = processExit(logger);
// When its Redis keys are flushed it exits (75) so that its supervisor restarts it to rebuild them.
const notification = await startNotification(config, logger, { onEpochLost: () => exit.stop(75) });
exit.closes(() => notification.close());
