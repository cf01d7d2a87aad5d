// `node services/routing/src/main.ts`: routing as its own process. SIGTERM/SIGINT stop it gracefully.
import { createLogger } from '@petition/logging';
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
const routing = await startRouting(config, logger);
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    routing.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'unclean stop');
        process.exit(1);
      },
    );
  });
}
