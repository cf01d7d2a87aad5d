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

// kafkajs logs every retried request at ERROR ("coordinator is loading", "leader not available") even
// though it recovers on its own; those are debug noise unless the retry finally fails.
const retriedRequest = /^\[Connection\] Response /;

function logCreator(logger: Logger) {
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, ...rest } = log;
      const fields = { kafkajs: rest };
      if (level === logLevel.ERROR && !retriedRequest.test(message)) logger.error(fields, message);
      else if (level === logLevel.WARN) logger.warn(fields, message);
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
