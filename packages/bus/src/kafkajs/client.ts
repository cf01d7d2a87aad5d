import type { ConnectionOptions } from 'node:tls';
import type { Logger } from '@petition/logging';
import { Kafka, type LogEntry, logLevel, type SASLOptions } from 'kafkajs';
import type { BusOptions, BusSasl, BusTls } from '../clients.ts';
import type { KafkaDriver } from '../driver.ts';
import * as admin from './admin.ts';
import { createKafkajsConsumer } from './consumer.ts';
import { createKafkajsPublisher } from './publisher.ts';

// kafkajs logs every failed response at ERROR ("coordinator is loading", "not the leader") and again
// for each retry, although it recovers on its own: responses are debug noise, retries a warning; what
// is left at ERROR is a final failure.
const failedResponse = /^Response \w+\(key: /;

function logCreator(logger: Logger) {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...rest } = log;
      const fields = { kafkajs: rest };
      const retrying = typeof rest.retryCount === 'number';
      if (level === logLevel.ERROR && !failedResponse.test(message) && !retrying) logger.error(fields, message);
      else if (level === logLevel.WARN || (level === logLevel.ERROR && retrying)) logger.warn(fields, message);
      else if (level === logLevel.INFO) logger.info(fields, message);
      else logger.debug(fields, message);
    };
}

/** kafkajs's `ssl`: Node's TLS options (it sets the server name to the broker's host itself). */
export function kafkajsTls(tls: BusTls): ConnectionOptions {
  return { ...(tls.ca === undefined ? {} : { ca: [tls.ca] }), rejectUnauthorized: tls.rejectUnauthorized ?? true };
}

/** kafkajs's `sasl`: the same mechanisms, named in lower case. */
export function kafkajsSasl(sasl: BusSasl): SASLOptions {
  const { username, password } = sasl;
  switch (sasl.mechanism) {
    case 'SCRAM-SHA-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'SCRAM-SHA-512':
      return { mechanism: 'scram-sha-512', username, password };
    case 'PLAIN':
      return { mechanism: 'plain', username, password };
  }
}

export function createKafka(options: BusOptions): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    // One Kafka object serves the admin, the producer and every consumer: all connect the same way.
    ...(options.tls ? { ssl: kafkajsTls(options.tls) } : {}),
    ...(options.sasl ? { sasl: kafkajsSasl(options.sasl) } : {}),
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    logLevel: logLevel.INFO,
    logCreator: logCreator(options.logger.child({ component: 'kafkajs' })),
    retry: { initialRetryTime: 100, retries: 8 },
  });
}

/** The bus on kafkajs (2.2.4, unmaintained since 2023, kept working). */
export function kafkajsDriver(options: BusOptions): KafkaDriver {
  const kafka = createKafka(options);
  const logger = options.logger;
  return {
    client: 'kafkajs',
    describeCluster: () => admin.describeCluster(kafka),
    ensureTopics: (wanted, topicOptions) => admin.ensureTopics(kafka, wanted, topicOptions, logger),
    listTopics: () => admin.listTopics(kafka),
    deleteTopics: (topics) => admin.deleteTopics(kafka, topics),
    endOffsets: (topic) => admin.endOffsets(kafka, topic),
    offsetsAt: (topic, timeMs) => admin.offsetsAt(kafka, topic, timeMs),
    committedOffsets: (groupId, topic) => admin.committedOffsets(kafka, groupId, topic),
    listGroups: () => admin.listGroups(kafka),
    setCommittedOffsets: (groupId, topic, offsets) => admin.setCommittedOffsets(kafka, groupId, topic, offsets),
    deleteGroups: (groupIds) => admin.deleteGroups(kafka, groupIds),
    publisher: (prefix) => createKafkajsPublisher(kafka, prefix, logger),
    consumer: (deps, consumerOptions) => createKafkajsConsumer({ ...deps, kafka }, consumerOptions),
  };
}
