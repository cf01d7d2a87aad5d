// `node services/deadline-watchdog/src/main.ts`: the watchdog as its own process. SIGTERM/SIGINT stop it
// gracefully; when its Redis keys are flushed it exits (75) so that its supervisor restarts it to rebuild.
import { createLogger } from '@petition/logging';
import { configOrExit, processExit, requireBrokers } from '@petition/ops';
import { startWatchdog } from './app.ts';
import { loadWatchdogConfig } from './config.ts';

const logger = createLogger({ service: 'deadline-watchdog' });
const config = configOrExit(loadWatchdogConfig, logger);
requireBrokers(config.brokers, logger);
const exit = processExit(logger);
// When its Redis keys are flushed it exits (75) so that its supervisor restarts it to rebuild them.
const watchdog = await startWatchdog(config, logger, { onEpochLost: () => exit.stop(75) });
exit.closes(() => watchdog.close());
