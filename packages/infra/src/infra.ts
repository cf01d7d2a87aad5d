import { spawnSync } from 'node:child_process';
import { allTopics, createBus } from '@petition/bus';
import type { Logger } from '@petition/logging';
import { Redis } from 'ioredis';
import { containerName, startContainerKafka } from './container-kafka.ts';
import { dockerEngineAnswers } from './docker.ts';
import type { InfraConfig } from './infra-config.ts';
import { startLocalKafka, stopLocalKafka } from './local-kafka.ts';

export interface Infra {
  brokers: string[];
  redisUrl: string;
  /** external: KAFKA_BROKERS named one; local: Maven Central jars; container: testcontainers. */
  mode: 'external' | 'local' | 'container';
  /** True when this call started the broker (false when it was already running). */
  startedBroker: boolean;
  topics: string[];
}

async function brokerAnswers(brokers: string[], timeoutMs: number, logger: Logger): Promise<void> {
  // While the broker boots every connection attempt fails, and kafkajs reports each at ERROR: silence
  // the probe; a broker that never answers is reported by waitUntilReady's own error.
  const bus = createBus({ brokers, clientId: 'infra-probe', logger: logger.child({}, { level: 'silent' }) });
  await bus.waitUntilReady(timeoutMs);
}

async function redisAnswers(redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3_000 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(`Redis at REDIS_URL=${redisUrl} does not answer: ${(err as Error).message}`, { cause: err });
  } finally {
    redis.disconnect();
  }
}

/** The broker: the one KAFKA_BROKERS names, else a container where Docker answers, else local jars. */
export async function ensureBroker(
  config: InfraConfig,
  logger: Logger,
): Promise<Pick<Infra, 'brokers' | 'mode' | 'startedBroker'>> {
  const ready = (brokers: string[], timeoutMs: number) => brokerAnswers(brokers, timeoutMs, logger);
  if (config.brokers) {
    await ready(config.brokers, config.kafkaStartTimeoutMs);
    return { brokers: config.brokers, mode: 'external', startedBroker: false };
  }
  if (await dockerEngineAnswers()) {
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
      heapMb: config.kafkaHeapMb,
      startTimeoutMs: config.kafkaStartTimeoutMs,
    },
    ready,
    logger,
  );
  return { brokers: local.brokers, mode: 'local', startedBroker: local.started };
}

/** Broker up, Redis answering, topics present. Safe to call again: everything is reused. */
export async function infraUp(config: InfraConfig, logger: Logger): Promise<Infra> {
  const broker = await ensureBroker(config, logger);
  await redisAnswers(config.redisUrl);
  const bus = createBus({ brokers: broker.brokers, clientId: 'infra', logger, topicPrefix: config.topicPrefix });
  const topics = await bus.ensureTopics(allTopics, { partitions: config.topicPartitions });
  return { ...broker, redisUrl: config.redisUrl, topics };
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
