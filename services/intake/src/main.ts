// `node services/intake/src/main.ts`: intake as its own process. SIGTERM/SIGINT stop it gracefully.
import { createLogger } from '@petition/logging';
import { configOrExit, processExit, requireBrokers } from '@petition/ops';
import { startIntake } from './app.ts';
import { loadIntakeConfig } from './config.ts';

const logger = createLogger({ service: 'intake' });
const config = configOrExit(loadIntakeConfig, logger);
requireBrokers(config.brokers, logger);
const exit = processExit(logger);
const intake = await startIntake(config, logger);
exit.closes(() => intake.close());
