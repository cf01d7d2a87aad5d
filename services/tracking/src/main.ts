// `node services/tracking/src/main.ts`: tracking as its own process. SIGTERM/SIGINT stop it; a flush of its
// Redis keys makes it exit (75) to be restarted and rebuild.
import { refuseDevelopmentSecrets } from '@petition/config';
import { createLogger } from '@petition/logging';
import { configOrExit, processExit, requireBrokers } from '@petition/ops';
import { startTracking } from './app.ts';
import { developmentSecretsIn, loadTrackingConfig } from './config.ts';

const logger = createLogger({ service: 'tracking' });
// A published development secret is refused here (exit 2 naming it) unless ALLOW_DEVELOPMENT_SECRETS=true.
const config = configOrExit(() => {
  const loaded = loadTrackingConfig();
  refuseDevelopmentSecrets(developmentSecretsIn(loaded));
  return loaded;
}, logger);
requireBrokers(config.brokers, logger);
const exit = processExit(logger);
// When its Redis keys are flushed it exits (75) so that its supervisor restarts it to rebuild them.
const tracking = await startTracking(config, logger, { onEpochLost: () => exit.stop(75) });
exit.closes(() => tracking.close());
