// `node services/routing/src/main.ts`: routing as its own process. SIGTERM/SIGINT stop it gracefully.
import { createLogger } from '@petition/logging';
import { configOrExit, processExit, requireBrokers } from '@petition/ops';
import { startRouting } from './app.ts';
import { loadRoutingConfig } from './config.ts';

const logger = createLogger({ service: 'routing' });
const config = configOrExit(loadRoutingConfig, logger);
requireBrokers(config.brokers, logger);
const exit = processExit(logger);
const routing = await startRouting(config, logger);
exit.closes(() => routing.close());
