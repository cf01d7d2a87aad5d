import { int, list, loadConfig, port, str, url } from '@petition/config';
import { pinnedKafkaVersion } from './kafka-jars.ts';

/** The local infrastructure's settings; every service and tool reads the same variables. */
export const infraSchema = {
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
  kafkaHeapMb: int('KAFKA_HEAP_MB', { default: 768, min: 256, doc: 'Java heap of the local broker' }),
  kafkaStartTimeoutMs: int('KAFKA_START_TIMEOUT_MS', {
    default: 120_000,
    min: 1_000,
    doc: 'How long to wait for the broker to answer metadata requests',
  }),
  topicPrefix: str('TOPIC_PREFIX', {
    default: '',
    doc: 'Prepended to every topic name (nodes or tests sharing a broker)',
  }),
  topicPartitions: int('TOPIC_PARTITIONS', {
    default: 12,
    min: 1,
    max: 1_000,
    doc: 'Partitions of each topic created',
  }),
  redisUrl: url('REDIS_URL', {
    default: 'redis://127.0.0.1:6379',
    protocols: ['redis:', 'rediss:'],
    doc: 'Redis (each service keeps its own key prefix)',
  }),
} as const;

export type InfraConfig = ReturnType<typeof loadInfraConfig>;

export function loadInfraConfig(env: NodeJS.ProcessEnv = process.env) {
  return loadConfig(infraSchema, env);
}
