import type { BaseOptions } from '@platformatic/kafka';
import type { BusOptions } from '../clients.ts';
import type { KafkaDriver } from '../driver.ts';
import * as admin from './admin.ts';
import { createPlatformaticConsumer } from './consumer.ts';
import { createPlatformaticPublisher } from './publisher.ts';

/** The bus on @platformatic/kafka. */
export function platformaticDriver(options: BusOptions): KafkaDriver {
  const base: BaseOptions = {
    clientId: options.clientId,
    bootstrapBrokers: options.brokers,
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
    committedOffsets: (groupId, topic) => admin.committedOffsets(base, groupId, topic),
    listGroups: () => admin.listGroups(base),
    setCommittedOffsets: (groupId, topic, offsets) => admin.setCommittedOffsets(base, groupId, topic, offsets),
    deleteGroups: (groupIds) => admin.deleteGroups(base, groupIds),
    publisher: async (prefix) => createPlatformaticPublisher(base, prefix),
    consumer: (deps, consumerOptions) => createPlatformaticConsumer({ ...deps, base }, consumerOptions),
  };
}
