// `node services/tracking/src/main.ts`: tracking as its own process. SIGTERM/SIGINT stop it.
import { createLogger } from '@petition/logging';
import { startTracking } from './app.ts';
import { loadTrackingConfig } from './config.ts';

const logger = createLogger({ service: 'tracking' });
const config = loadTrackingConfig();
if (!config.brokers?.length) {
  logger.error(
    'KAFKA_BROKERS is not set: start the broker with `npm run infra:up` (or `npm start`) and pass its address',
  );
  process.exit(2);
}
const tracking = await startTracking(config, logger);
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    tracking.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'unclean stop');
        process.exit(1);
      },
    );
  });
}
