import type { Logger } from '@petition/logging';
import { Kafka, type LogEntry, logLevel } from 'kafkajs';
import type { BusOptions } from '../clients.ts';
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

export function createKafka(options: BusOptions): Kafka {
  return new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
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
    committedOffsets: (groupId, topic) => admin.committedOffsets(kafka, groupId, topic),
    listGroups: () => admin.listGroups(kafka),
    setCommittedOffsets: (groupId, topic, offsets) => admin.setCommittedOffsets(kafka, groupId, topic, offsets),
    deleteGroups: (groupIds) => admin.deleteGroups(kafka, groupIds),
    publisher: (prefix) => createKafkajsPublisher(kafka, prefix, logger),
    consumer: (deps, consumerOptions) => createKafkajsConsumer({ ...deps, kafka }, consumerOptions),
  };
}
