import type { ConfigError } from '@petition/config';

// A service process's way in and out, written once: its configuration or a message and exit 2; SIGTERM and
// SIGINT close it and exit 0; a service that must rebuild exits 75 for its supervisor to restart it.

const brokerHint =
  'KAFKA_BROKERS is not set: start the broker with `npm run infra:up` (or `npm start`) and pass its address';

/**
 * A service process's configuration, or a message naming every bad or missing variable and exit 2 (a
 * mistake in how it was started, not a crash with a stack trace). A missing KAFKA_BROKERS also says how to
 * get a broker.
 */
export function configOrExit<C>(load: () => C, logger: { error(msg: string): void }): C {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof Error) || error.name !== 'ConfigError') throw error;
    const problems = (error as ConfigError).problems ?? [];
    if (problems.some((p) => p.variable === 'KAFKA_BROKERS' && p.message.startsWith('not set'))) {
      logger.error(brokerHint);
    }
    logger.error(error.message);
    process.exit(2);
  }
}

/** The exit code that asks a service's supervisor to restart it (its Redis keys were flushed: rebuild). */
export const restartToRebuild = 75;

/**
 * A service process's way out: SIGTERM or SIGINT closes it and exits 0; `stop(code)` does the same with
 * another code. An unclean close exits 1.
 */
export function processExit(logger: { error(o: object, msg: string): void }) {
  let close: () => Promise<void> = async () => undefined;
  let stopping = false;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    close().then(
      () => process.exit(code),
      (err: unknown) => {
        logger.error({ err }, 'unclean stop');
        process.exit(1);
      },
    );
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => stop(0));
  return {
    stop,
    /** What stopping closes, once the service has started. */
    closes(fn: () => Promise<void>) {
      close = fn;
    },
  };
}
