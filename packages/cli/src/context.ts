import { type Bus, createBus } from '@petition/bus';
import { createLogger, type Logger } from '@petition/logging';
import { busSettings, loadRuntimeConfig } from '@petition/runtime';
import type { Io } from './io.ts';

// What every command is given: where to write, the deployment it works on (its broker and topic prefix), and
// a bus connected on first use, secured as the deployment's services are (the same variables). Log lines (the Kafka clients' warnings) go to stderr at `warn` unless
// LOG_LEVEL says otherwise, so that stdout carries only the result.

export interface GlobalOptions {
  brokers?: string;
  prefix?: string;
  json?: boolean;
}

export interface Context {
  readonly io: Io;
  readonly brokers: string[];
  readonly prefix: string;
  readonly json: boolean;
  readonly logger: Logger;
  /** The bus of the deployment, connected on first use. */
  bus(): Bus;
  close(): Promise<void>;
}

export const localBroker = '127.0.0.1:9092';

export function createContext(io: Io, options: GlobalOptions): Context {
  const brokers = (options.brokers ?? io.env.KAFKA_BROKERS ?? localBroker)
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  const prefix = options.prefix ?? io.env.TOPIC_PREFIX ?? '';
  const logger = createLogger({
    service: 'petition-cli',
    level: io.env.LOG_LEVEL || 'warn',
    destination: { write: (line: string) => io.err(line) },
  });
  let bus: Bus | undefined;
  return {
    io,
    brokers,
    prefix,
    json: options.json === true,
    logger,
    bus() {
      if (!bus) {
        // TLS, SASL and the client as the services of the deployment take them (KAFKA_SECURITY_PROTOCOL, …).
        const config = loadRuntimeConfig({ ...io.env, KAFKA_BROKERS: brokers.join(','), TOPIC_PREFIX: prefix });
        bus = createBus({
          brokers,
          clientId: 'petition-cli',
          logger,
          topicPrefix: prefix,
          client: config.kafkaClient,
          ...busSettings(config),
        });
      }
      return bus;
    },
    async close() {
      await bus?.close();
    },
  };
}
