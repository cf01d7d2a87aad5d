import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@petition/logging';
import { workspaceRoot } from './paths.ts';
import { parseProperties } from './properties.ts';

/**
 * The apache/kafka image reads its whole configuration from KAFKA_* variables once any is set:
 * `log.dirs` → KAFKA_LOG_DIRS (dots become `_`, `_` becomes `__`, `-` becomes `___`).
 */
export function propertiesToImageEnv(props: Map<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of props) {
    const name = key.replace(/_/g, '__').replace(/-/g, '___').replace(/\./g, '_').toUpperCase();
    env[`KAFKA_${name}`] = value;
  }
  return env;
}

export const containerName = (port: number) => `petition-kafka-${port}`;

/**
 * The same broker configuration (deploy/kafka/server.properties) in the official apache/kafka image,
 * for machines where a Docker engine answers. The container is named and reused, so that it outlives
 * `infra:up` like the local broker does; `infra:down` removes it.
 */
export async function startContainerKafka(
  options: { version: string; port: number; startTimeoutMs: number },
  logger: Logger,
): Promise<{ brokers: string[] }> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const props = parseProperties(readFileSync(join(workspaceRoot(), 'deploy', 'kafka', 'server.properties'), 'utf8'));
  props.set('log.dirs', '/var/lib/kafka/data');
  props.set('listeners', 'PLAINTEXT://:9092,CONTROLLER://:9093');
  props.set('advertised.listeners', `PLAINTEXT://localhost:${options.port},CONTROLLER://localhost:9093`);
  props.set('controller.quorum.voters', '1@localhost:9093');
  props.delete('controller.quorum.bootstrap.servers');
  const container = await new GenericContainer(`apache/kafka:${options.version}`)
    .withName(containerName(options.port))
    .withReuse()
    .withEnvironment({ ...propertiesToImageEnv(props), CLUSTER_ID: 'petition-local-cluster' })
    .withExposedPorts({ container: 9092, host: options.port })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .withStartupTimeout(options.startTimeoutMs)
    .start();
  logger.info({ container: container.getName(), port: options.port }, 'Kafka broker running in a container');
  return { brokers: [`localhost:${options.port}`] };
}
