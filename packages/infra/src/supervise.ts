import type { Logger } from '@petition/logging';
import { ensureBroker, ensureRedisFor, type Infra, infraDown, infraUp, redisDown } from './infra.ts';
import type { InfraConfig } from './infra-config.ts';
import { localKafkaPid } from './local-kafka.ts';
import { localRedisPid, localRedisPort } from './local-redis.ts';

// `npm start` supervises what it runs, the infrastructure as the services: the local broker and the
// redis-server this project runs are watched, and one that exits while the network runs is started again
// (the services reconnect to it as after any outage). On stop, what was started here is stopped.

export interface SupervisedInfra extends Infra {
  /** How often the broker and redis-server were started again after exiting. */
  readonly restarts: { broker: number; redis: number };
  /** Stops watching, then stops the broker and redis-server this run started (or started again). */
  stop(): Promise<void>;
}

export interface SuperviseOptions {
  /** How often the processes are looked at. */
  everyMs?: number;
}

/** infraUp, then the local broker and redis-server kept running until `stop`. */
export async function startSupervisedInfra(
  config: InfraConfig,
  logger: Logger,
  options: SuperviseOptions = {},
): Promise<SupervisedInfra> {
  const infra = await infraUp(config, logger);
  const everyMs = options.everyMs ?? 1_000;
  const restarts = { broker: 0, redis: 0 };
  const brokerIsLocal = infra.mode === 'local';
  const redisPort = localRedisPort(config.redisUrl);
  const redisIsLocal = infra.localRedis !== undefined && redisPort !== undefined;
  let ownsBroker = infra.startedBroker;
  let ownsRedis = infra.startedRedis;
  let stopping = false;
  let round: Promise<void> = Promise.resolve();

  async function keepRunning() {
    if (brokerIsLocal && !stopping && localKafkaPid({ port: config.kafkaPort }) === undefined) {
      logger.warn({ port: config.kafkaPort }, 'the Kafka broker exited; starting it again');
      try {
        await ensureBroker(config, logger);
        restarts.broker += 1;
        ownsBroker = true;
        logger.info({ port: config.kafkaPort, restarts: restarts.broker }, 'Kafka broker started again');
      } catch (err) {
        logger.error({ err }, 'the Kafka broker could not be started again; trying again');
      }
    }
    if (redisIsLocal && !stopping && localRedisPid(redisPort) === undefined) {
      logger.warn({ port: redisPort }, 'redis-server exited; starting it again');
      try {
        await ensureRedisFor(config, logger);
        restarts.redis += 1;
        ownsRedis = true;
        logger.info({ port: redisPort, restarts: restarts.redis }, 'redis-server started again');
      } catch (err) {
        logger.error({ err }, 'redis-server could not be started again; trying again');
      }
    }
  }
  let looking = false;
  const timer = setInterval(() => {
    if (looking) return;
    looking = true;
    round = keepRunning().finally(() => {
      looking = false;
    });
  }, everyMs);

  return {
    ...infra,
    restarts,
    async stop() {
      stopping = true;
      clearInterval(timer);
      await round;
      if (ownsBroker) await infraDown(config, logger);
      if (ownsRedis) await redisDown(config, logger);
    },
  };
}
