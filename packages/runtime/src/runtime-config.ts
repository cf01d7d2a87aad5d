import { defaultKafkaClient, kafkaClients } from '@petition/bus';
import { int, list, loadConfig, oneOf, str, url } from '@petition/config';

// What every service reads besides its own settings: where the broker and Redis are, the topic prefix
// shared by the deployment, the log level. A service's schema spreads this one and adds its own.

export const runtimeSchema = {
  brokers: list('KAFKA_BROKERS', {
    doc: 'Bootstrap servers of the broker, e.g. `127.0.0.1:9092` (`npm run infra:up` starts one for development)',
  }),
  kafkaClient: oneOf('KAFKA_CLIENT', kafkaClients, {
    default: defaultKafkaClient,
    doc: 'Kafka client under the bus; every instance of a service must use the same one (their group protocols differ)',
  }),
  topicPrefix: str('TOPIC_PREFIX', {
    default: '',
    doc: 'Prepended to every topic name and consumer group (nodes or tests sharing a broker)',
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
  logLevel: oneOf('LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], {
    default: 'info',
    doc: 'Log level of the process',
  }),
} as const;

export type RuntimeConfig = ReturnType<typeof loadRuntimeConfig>;

export const loadRuntimeConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(runtimeSchema, env);
