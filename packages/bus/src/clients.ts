import type { Logger } from '@petition/logging';

/** The Kafka clients the bus runs on; each is a driver behind the same `Bus`. */
export const kafkaClients = ['kafkajs', 'platformatic'] as const;

export type KafkaClientName = (typeof kafkaClients)[number];

/** The client when neither `BusOptions.client` nor `KAFKA_CLIENT` names one. */
export const defaultKafkaClient: KafkaClientName = 'platformatic';

export interface BusOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** Prepended to every topic name. */
  topicPrefix?: string;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** The Kafka client; by default `KAFKA_CLIENT`, else `defaultKafkaClient`. */
  client?: KafkaClientName;
  /** TLS to the brokers (the SSL and SASL_SSL protocols); plaintext when omitted. */
  tls?: BusTls;
  /** SASL authentication (the SASL_PLAINTEXT and SASL_SSL protocols); none when omitted. */
  sasl?: BusSasl;
  /** Replicas of each partition of the topics `ensureTopics` creates, unless its options say; 1 when omitted. */
  topicReplicationFactor?: number;
  /** `min.insync.replicas` of the topics `ensureTopics` creates, unless its options say; the broker's default when omitted. */
  topicMinInsyncReplicas?: number;
}

/** Kafka's names for how a client talks to a listener. */
export const kafkaSecurityProtocols = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'] as const;
export type KafkaSecurityProtocol = (typeof kafkaSecurityProtocols)[number];

/** The SASL mechanisms both clients speak with a username and a password. */
export const kafkaSaslMechanisms = ['SCRAM-SHA-256', 'SCRAM-SHA-512', 'PLAIN'] as const;
export type KafkaSaslMechanism = (typeof kafkaSaslMechanisms)[number];

export interface BusTls {
  /** PEM certificates of the CAs the brokers' certificates must chain to; the system's CAs when omitted. */
  ca?: string;
  /** False accepts any certificate (a test rig only): the connection is encrypted but nobody is verified. */
  rejectUnauthorized?: boolean;
}

export interface BusSasl {
  mechanism: KafkaSaslMechanism;
  username: string;
  password: string;
}

/** A client name that is none of `kafkaClients`. */
export class UnknownKafkaClientError extends Error {
  readonly code = 'BUS_UNKNOWN_KAFKA_CLIENT';
  readonly retryable = false;
  readonly client: string;
  constructor(client: string) {
    super(
      `unknown Kafka client '${client}': KAFKA_CLIENT (or BusOptions.client) must be one of ${kafkaClients.join(', ')}`,
    );
    this.name = 'UnknownKafkaClientError';
    this.client = client;
  }
}

/** The client an option or else the environment (`KAFKA_CLIENT`) names, checked. */
export function resolveKafkaClient(
  chosen?: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): KafkaClientName {
  const fromEnv = env.KAFKA_CLIENT;
  const name = chosen ?? (fromEnv === undefined || fromEnv === '' ? defaultKafkaClient : fromEnv);
  if (!(kafkaClients as readonly string[]).includes(name)) throw new UnknownKafkaClientError(name);
  return name as KafkaClientName;
}
