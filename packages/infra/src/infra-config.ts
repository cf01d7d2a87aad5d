import { int, list, loadConfig, port, str } from '@petition/config';
import { runtimeSchema } from '@petition/runtime';
import { pinnedKafkaVersion } from './kafka-jars.ts';

/**
 * The development tools' settings: the services' own (packages/runtime) with the broker optional (a local
 * one is started when none is named), and how to run that local broker.
 */
export const infraSchema = {
  ...runtimeSchema,
  brokers: list('KAFKA_BROKERS', {
    optional: true,
    doc: 'Bootstrap servers of a running broker; when unset, a local broker is started',
  }),
  kafkaVersion: str('KAFKA_VERSION', {
    default: pinnedKafkaVersion(),
    doc: 'Apache Kafka version fetched from Maven Central',
  }),
  kafkaPort: port('KAFKA_PORT', { default: 9092, doc: 'Client port of the local broker' }),
  controllerPort: port('KAFKA_CONTROLLER_PORT', { default: 9093, doc: 'KRaft controller port of the local broker' }),
  kafkaSecurePort: port('KAFKA_SECURE_PORT', {
    optional: true,
    doc: 'A SASL_SSL listener of the local broker on this port (SCRAM user and self-signed CA in `.local/kafka/node-<port>/secure`); none when unset',
  }),
  kafkaHeapMb: int('KAFKA_HEAP_MB', { default: 768, min: 256, doc: 'Java heap of the local broker' }),
  kafkaStartTimeoutMs: int('KAFKA_START_TIMEOUT_MS', {
    default: 120_000,
    min: 1_000,
    doc: 'How long to wait for the broker to answer metadata requests',
  }),
} as const;

export type InfraConfig = ReturnType<typeof loadInfraConfig>;

export function loadInfraConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(infraSchema, env);
}
