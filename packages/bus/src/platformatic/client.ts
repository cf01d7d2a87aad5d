import type { BaseOptions, SASLOptions } from '@platformatic/kafka';
import type { BusOptions, BusSasl, BusTls } from '../clients.ts';
import type { KafkaDriver } from '../driver.ts';
import * as admin from './admin.ts';
import { createPlatformaticConsumer } from './consumer.ts';
import { createPlatformaticPublisher } from './publisher.ts';

/** The client's `tls`: Node's TLS options. */
export function platformaticTls(tls: BusTls): NonNullable<BaseOptions['tls']> {
  return { ...(tls.ca === undefined ? {} : { ca: [tls.ca] }), rejectUnauthorized: tls.rejectUnauthorized ?? true };
}

/** The client's `sasl`: it names the mechanisms as Kafka does. */
export const platformaticSasl = ({ mechanism, username, password }: BusSasl): SASLOptions => ({
  mechanism,
  username,
  password,
});

/** The bus on @platformatic/kafka. */
export function platformaticDriver(options: BusOptions): KafkaDriver {
  // The admin, the producer and every consumer are made from `base`: all connect the same way.
  const base: BaseOptions = {
    clientId: options.clientId,
    bootstrapBrokers: options.brokers,
    ...(options.tls ? { tls: platformaticTls(options.tls) } : {}),
    ...(options.sasl ? { sasl: platformaticSasl(options.sasl) } : {}),
    connectTimeout: options.connectionTimeoutMs ?? 3_000,
    timeout: options.requestTimeoutMs ?? 30_000,
    retries: 8,
    retryDelay: 250,
  };
  const logger = options.logger;
  return {
    client: 'platformatic',
    describeCluster: () => admin.describeCluster(base),
    ensureTopics: (wanted, topicOptions) => admin.ensureTopics(base, wanted, topicOptions, logger),
    listTopics: () => admin.listTopics(base),
    deleteTopics: (topics) => admin.deleteTopics(base, topics),
    endOffsets: (topic) => admin.endOffsets(base, topic),
    offsetsAt: (topic, timeMs) => admin.offsetsAt(base, topic, timeMs),
    committedOffsets: (groupId, topic) => admin.committedOffsets(base, groupId, topic),
    listGroups: () => admin.listGroups(base),
    setCommittedOffsets: (groupId, topic, offsets) => admin.setCommittedOffsets(base, groupId, topic, offsets),
    deleteGroups: (groupIds) => admin.deleteGroups(base, groupIds),
    publisher: async (prefix) => createPlatformaticPublisher(base, prefix),
    consumer: (deps, consumerOptions) => createPlatformaticConsumer({ ...deps, base }, consumerOptions),
  };
}
