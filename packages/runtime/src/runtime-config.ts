import { defaultKafkaClient, kafkaClients, kafkaSaslMechanisms, kafkaSecurityProtocols } from '@petition/bus';
import { bool, int, list, loadConfig, oneOf, str, url } from '@petition/config';
import { checkConnections, pemFile } from './connections.ts';

// What every service reads besides its own settings: where the broker and Redis are and how to reach them
// securely, the topic prefix and replication shared by the deployment, the log level. A service's schema
// spreads this one and adds its own; the checks across variables are in connections.ts.

export const runtimeSchema = {
  brokers: list('KAFKA_BROKERS', {
    doc: 'Bootstrap servers of the broker, e.g. `127.0.0.1:9092` (`npm run infra:up` starts one for development)',
  }),
  kafkaClient: oneOf('KAFKA_CLIENT', kafkaClients, {
    default: defaultKafkaClient,
    doc: 'Kafka client under the bus; every instance of a service must use the same one (their group protocols differ)',
  }),
  kafkaSecurityProtocol: oneOf('KAFKA_SECURITY_PROTOCOL', kafkaSecurityProtocols, {
    default: 'PLAINTEXT',
    doc: 'How the bus talks to the brokers: TLS (`SSL`, `SASL_SSL`) and SASL authentication (`SASL_*`)',
  }),
  kafkaSaslMechanism: oneOf('KAFKA_SASL_MECHANISM', kafkaSaslMechanisms, {
    default: 'SCRAM-SHA-512',
    doc: 'SASL mechanism with `SASL_*` protocols (`PLAIN` only over `SASL_SSL`)',
  }),
  kafkaSaslUsername: str('KAFKA_SASL_USERNAME', {
    optional: true,
    doc: 'SASL user of this service (required with `SASL_*` protocols)',
  }),
  kafkaSaslPassword: str('KAFKA_SASL_PASSWORD', {
    optional: true,
    secret: true,
    doc: 'SASL password (required with `SASL_*` protocols)',
  }),
  kafkaTlsCa: pemFile('KAFKA_TLS_CA', {
    optional: true,
    doc: 'PEM file of the CAs the brokers’ certificates must chain to (`SSL`, `SASL_SSL`); the system CAs when unset',
  }),
  kafkaTlsRejectUnauthorized: bool('KAFKA_TLS_REJECT_UNAUTHORIZED', {
    default: true,
    doc: 'Verify the brokers’ certificates and host names; `false` only on a test rig (the service warns at start)',
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
  topicReplicationFactor: int('TOPIC_REPLICATION_FACTOR', {
    default: 1,
    min: 1,
    max: 32,
    doc: 'Replicas of each partition of the topics created (3 on a production cluster)',
  }),
  topicMinInsyncReplicas: int('TOPIC_MIN_INSYNC_REPLICAS', {
    default: 1,
    min: 1,
    max: 32,
    doc: '`min.insync.replicas` of the topics created: replicas that must have a write (acks=all) before it counts; at most `TOPIC_REPLICATION_FACTOR` (2 in production)',
  }),
  redisUrl: url('REDIS_URL', {
    default: 'redis://127.0.0.1:6379',
    protocols: ['redis:', 'rediss:'],
    // It may carry the password (redis://:<password>@host): never shown in an error or a logged config.
    secret: true,
    doc: 'Redis (each service keeps its own key prefix): `redis://:<password>@host:port`, `rediss://` for TLS',
  }),
  redisTlsCa: pemFile('REDIS_TLS_CA', {
    optional: true,
    doc: 'PEM file of the CAs Redis’s certificate must chain to (`rediss://`); the system CAs when unset',
  }),
  logLevel: oneOf('LOG_LEVEL', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], {
    default: 'info',
    doc: 'Log level of the process',
  }),
} as const;

export type RuntimeConfig = ReturnType<typeof loadRuntimeConfig>;

/** The runtime's configuration, its variables checked alone and against each other. */
export function loadRuntimeConfig(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(runtimeSchema, env);
  checkConnections(config);
  return config;
}
