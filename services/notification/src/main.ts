// `node services/notification/src/main.ts`: notification as its own process. SIGTERM/SIGINT stop it.
import { createLogger } from '@petition/logging';
import { processExit } from '@petition/ops';
import { startNotification } from './app.ts';
import { loadNotificationConfig } from './config.ts';

const logger = createLogger({ service: 'notification' });
const config = loadNotificationConfig();
if (!config.brokers?.length) {
  logger.error(
    'KAFKA_BROKERS is not set: start the broker with `npm run infra:up` (or `npm start`) and pass its address',
  );
  process.exit(2);
}
const exit = processExit(logger);
const notification = await startNotification(config, logger);
exit.closes(() => notification.close());
