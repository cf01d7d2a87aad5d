// `node services/intake/src/main.ts`: intake as its own process. SIGTERM/SIGINT stop it gracefully.
import { createLogger } from '@petition/logging';
import { processExit } from '@petition/ops';
import { startIntake } from './app.ts';
import { loadIntakeConfig } from './config.ts';

const logger = createLogger({ service: 'intake' });
const config = loadIntakeConfig();
if (!config.brokers?.length) {
  logger.error(
    'KAFKA_BROKERS is not set: start the broker with `npm run infra:up` (or `npm start`) and pass its address',
  );
  process.exit(2);
}
const exit = processExit(logger);
const intake = await startIntake(config, logger);
exit.closes(() => intake.close());
