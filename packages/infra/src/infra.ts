import { spawnSync } from 'node:child_process';
import { allTopics, createBus } from '@petition/bus';
import type { Logger } from '@petition/logging';
import { busSettings, connectRedis } from '@petition/runtime';
import { containerName, startContainerKafka } from './container-kafka.ts';
import { redisContainerName } from './container-redis.ts';
import { dockerEngineAnswers } from './docker.ts';
import type { InfraConfig } from './infra-config.ts';
import { startLocalKafka, stopLocalKafka } from './local-kafka.ts';
import { ensureRedis, localRedisPort, stopLocalRedis } from './local-redis.ts';
import type { SecureListener } from './secure-listener.ts';

export interface Infra {
  brokers: string[];
  redisUrl: string;
  /** external: KAFKA_BROKERS named one; local: Maven Central jars; container: testcontainers. */
  mode: 'external' | 'local' | 'container';
  /** True when this call started the broker (false when it was already running). */
  startedBroker: boolean;
  /** True when this call started redis-server because no Redis answered at REDIS_URL. */
  startedRedis: boolean;
  /** The redis-server this project runs for REDIS_URL (started now or earlier), if any. */
  localRedis?: { pid: number; dir: string };
  topics: string[];
  /** The local broker's SASL_SSL listener, when KAFKA_SECURE_PORT asked for one. */
  secure?: SecureListener;
}

/** How the tools reach the broker: as the services do (KAFKA_SECURITY_PROTOCOL …) when it is external. */
const connectionTo = (config: InfraConfig, mode: Infra['mode']) => (mode === 'external' ? busSettings(config) : {});

async function brokerAnswers(
  brokers: string[],
  timeoutMs: number,
  logger: Logger,
  settings: ReturnType<typeof busSettings> = {},
): Promise<void> {
  // While the broker boots every connection attempt fails, and kafkajs reports each at ERROR: silence
  // the probe; a broker that never answers is reported by waitUntilReady's own error.
  const quiet = logger.child({}, { level: 'silent' });
  const bus = createBus({ brokers, clientId: 'infra-probe', logger: quiet, ...settings });
  await bus.waitUntilReady(timeoutMs);
}

/** The broker: the one KAFKA_BROKERS names, else a container where Docker answers, else local jars. */
export async function ensureBroker(
  config: InfraConfig,
  logger: Logger,
): Promise<Pick<Infra, 'brokers' | 'mode' | 'startedBroker' | 'secure'>> {
  const ready = (brokers: string[], timeoutMs: number) => brokerAnswers(brokers, timeoutMs, logger);
  if (config.brokers) {
    await brokerAnswers(config.brokers, config.kafkaStartTimeoutMs, logger, connectionTo(config, 'external'));
    return { brokers: config.brokers, mode: 'external', startedBroker: false };
  }
  // The container has no SASL_SSL listener: asking for one means the local jars.
  if (config.kafkaSecurePort === undefined && (await dockerEngineAnswers())) {
    const { brokers } = await startContainerKafka(
      { version: config.kafkaVersion, port: config.kafkaPort, startTimeoutMs: config.kafkaStartTimeoutMs },
      logger,
    );
    await ready(brokers, config.kafkaStartTimeoutMs);
    return { brokers, mode: 'container', startedBroker: true };
  }
  const local = await startLocalKafka(
    {
      version: config.kafkaVersion,
      port: config.kafkaPort,
      controllerPort: config.controllerPort,
      securePort: config.kafkaSecurePort,
      heapMb: config.kafkaHeapMb,
      startTimeoutMs: config.kafkaStartTimeoutMs,
    },
    ready,
    logger,
  );
  return { brokers: local.brokers, mode: 'local', startedBroker: local.started, secure: local.secure };
}

/**
 * Redis answering at REDIS_URL: the one there, else (REDIS_URL on this machine) redis-server started on its
 * port. A `rediss://` URL is checked with REDIS_TLS_CA and never started.
 */
export async function ensureRedisFor(
  config: InfraConfig,
  logger: Logger,
): Promise<Pick<Infra, 'startedRedis' | 'localRedis'>> {
  if (localRedisPort(config.redisUrl) === undefined) {
    const redis = await connectRedis(config, { maxRetriesPerRequest: 1, connectTimeout: 3_000 });
    redis.disconnect();
    return { startedRedis: false };
  }
  const redis = await ensureRedis(config.redisUrl, logger);
  return {
    startedRedis: redis.started,
    localRedis: redis.pid !== undefined && redis.dir ? { pid: redis.pid, dir: redis.dir } : undefined,
  };
}

/** Broker up, Redis answering (started where none does), topics present. Safe to call again: everything is reused. */
export async function infraUp(config: InfraConfig, logger: Logger): Promise<Infra> {
  const broker = await ensureBroker(config, logger);
  const redis = await ensureRedisFor(config, logger);
  const bus = createBus({
    brokers: broker.brokers,
    clientId: 'infra',
    logger,
    topicPrefix: config.topicPrefix,
    ...connectionTo(config, broker.mode),
  });
  const topics = await bus.ensureTopics(allTopics, { partitions: config.topicPartitions });
  return { ...broker, ...redis, redisUrl: config.redisUrl, topics };
}

/** Stops the redis-server this project started for REDIS_URL, if one runs; any other Redis is left alone. */
export async function redisDown(config: InfraConfig, logger: Logger): Promise<boolean> {
  const port = localRedisPort(config.redisUrl);
  if (port === undefined) return false;
  const stopped = await stopLocalRedis(port, logger);
  if (!stopped && (await dockerEngineAnswers())) {
    const rm = spawnSync('docker', ['rm', '-f', redisContainerName(port)], { encoding: 'utf8' });
    return rm.status === 0;
  }
  return stopped;
}

/** Stops the broker this project started (local process or container); an external one is left alone. */
export async function infraDown(config: InfraConfig, logger: Logger): Promise<boolean> {
  if (config.brokers) {
    logger.info({ brokers: config.brokers }, 'KAFKA_BROKERS names an external broker: nothing to stop');
    return false;
  }
  const stopped = await stopLocalKafka({ port: config.kafkaPort }, logger);
  if (!stopped && (await dockerEngineAnswers())) {
    const rm = spawnSync('docker', ['rm', '-f', containerName(config.kafkaPort)], { encoding: 'utf8' });
    return rm.status === 0;
  }
  return stopped;
}
