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
