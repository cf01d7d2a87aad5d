// `node services/routing/src/main.ts`: routing as its own process. SIGTERM/SIGINT stop it gracefully.
import { createLogger } from '@petition/logging';
import { processExit } from '@petition/ops';
import { startRouting } from './app.ts';
import { loadRoutingConfig } from './config.ts';

const logger = createLogger({ service: 'routing' });
const config = loadRoutingConfig();
if (!config.brokers?.length) {
  logger.error(
    'KAFKA_BROKERS is not set: start the broker with `npm run infra:up` (or `npm start`) and pass its address',
  );
  process.exit(2);
}
const exit = processExit(logger);
const routing = await startRouting(config, logger);
exit.closes(() => routing.close());
