import type { Logger } from '@petition/logging';
import { Kafka, type LogEntry, logLevel } from 'kafkajs';

export interface BusOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** Prepended to every topic name. */
  topicPrefix?: string;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

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
