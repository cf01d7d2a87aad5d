import { createLogger, type Logger } from '@petition/logging';
import { checkConnections, hasConnectionConfig } from './connections.ts';
import { configOrExit, processExit, restartToRebuild } from './process-exit.ts';
import type { ServiceHooks } from './service-runtime.ts';

/**
 * A service's process (its main.ts): the logger, the configuration (exit 2 naming what is wrong), the
 * service started, and its way out — SIGTERM/SIGINT close it and exit 0; a flush of its Redis keys that it
 * cannot rebuild in place exits 75 for its supervisor to restart it; a failed start exits 1.
 */
export async function runService<C, S extends { close(): Promise<void> }>(o: {
  service: string;
  /** Loads (and checks) the configuration; a ConfigError is reported and exits 2. */
  load: () => C;
  start: (config: C, logger: Logger, hooks: ServiceHooks) => Promise<S>;
}): Promise<S> {
  const logger = createLogger({ service: o.service });
  // The connection variables are checked against each other here too, so that every service exits 2 for them.
  const config = configOrExit(() => {
    const loaded = o.load();
    if (hasConnectionConfig(loaded)) checkConnections(loaded);
    return loaded;
  }, logger);
  const exit = processExit(logger);
  try {
    const service = await o.start(config, logger, { onEpochLost: () => exit.stop(restartToRebuild) });
    exit.closes(() => service.close());
    return service;
  } catch (err) {
    logger.error({ err }, `${o.service} failed to start`);
    process.exit(1);
  }
}
