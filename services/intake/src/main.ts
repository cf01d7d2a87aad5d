// `node services/intake/src/main.ts`: intake as its own process. SIGTERM/SIGINT stop it gracefully.
import { refuseDevelopmentSecrets } from '@petition/config';
import { createLogger } from '@petition/logging';
import { configOrExit, processExit, requireBrokers } from '@petition/ops';
import { startIntake } from './app.ts';
import { developmentSecretsIn, loadIntakeConfig } from './config.ts';

const logger = createLogger({ service: 'intake' });
// A published development secret is refused here (exit 2 naming it) unless ALLOW_DEVELOPMENT_SECRETS=true.
const config = configOrExit(() => {
  const loaded = loadIntakeConfig();
  refuseDevelopmentSecrets(developmentSecretsIn(loaded));
  return loaded;
}, logger);
requireBrokers(config.brokers, logger);
const exit = processExit(logger);
const intake = await startIntake(config, logger);
exit.closes(() => intake.close());
