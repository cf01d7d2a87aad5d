import type { Kafka } from 'kafkajs';
import {
  type ClusterInfo,
  committedOffsets,
  deleteTopicsWithPrefix,
  endOffsets,
  ensureTopics,
  highestCommitted,
  type TopicOptions,
  waitForBroker,
} from './admin.ts';
import type { BusConsumer, ConsumerOptions } from './consumer.ts';
import { type BusOptions, createKafka } from './kafka-client.ts';
import { createKafkajsConsumer } from './kafkajs/consumer.ts';
import { createPublisher, type Publisher } from './publisher.ts';
import { type TopicSpec, topicName } from './topic.ts';

/** One service's connection to the event bus: a shared publisher, any number of consumers. */
export interface Bus {
  readonly prefix: string;
  topicName(spec: { name: string }): string;
  waitUntilReady(timeoutMs?: number): Promise<ClusterInfo>;
  ensureTopics(
    specs: readonly Pick<TopicSpec<unknown>, 'name' | 'compacted'>[],
    options: TopicOptions,
  ): Promise<string[]>;
  deleteOwnTopics(): Promise<number>;
  /** Per partition, the offset after the last record now in the topic. */
  endOffsets(spec: { name: string }): Promise<Map<number, bigint>>;
  /** Per partition, the offset `groupId` has committed on the topic (0 where none). */
  committedOffsets(groupId: string, spec: { name: string }): Promise<Map<number, bigint>>;
  /** Per partition, the highest offset any group whose id (without the prefix) matches `groups` has committed. */
  highestCommitted(groups: RegExp, spec: { name: string }): Promise<Map<number, bigint>>;
  /** The idempotent producer, connected on first use and shared by everything on this bus. */
  publisher(): Promise<Publisher>;
  consumer(options: ConsumerOptions): BusConsumer;
  /** Stops every consumer (in-flight records finish, offsets commit), then disconnects the producer. */
  close(): Promise<void>;
}

export function createBus(options: BusOptions): Bus {
  const kafka: Kafka = createKafka(options);
  const prefix = options.topicPrefix ?? '';
  // Consumer groups carry the prefix as topics do: services of two deployments (tests, nodes, benchmarks)
  // sharing a broker never meet in one group, where one would be given the other's partitions.
  const groupName = (groupId: string) => `${prefix}${groupId}`;
  const logger = options.logger;
  const consumers: BusConsumer[] = [];
  let publisher: Promise<Publisher> | undefined;
  const getPublisher = () => {
    publisher ??= createPublisher(kafka, prefix, logger).catch((err) => {
      publisher = undefined;
      throw err;
    });
    return publisher;
  };

  return {
    prefix,
    topicName: (spec) => topicName(prefix, spec),
    waitUntilReady: (timeoutMs = 60_000) => waitForBroker(kafka, timeoutMs, logger),
    ensureTopics: (specs, topicOptions) => ensureTopics(kafka, prefix, specs, topicOptions, logger),
    deleteOwnTopics: () => deleteTopicsWithPrefix(kafka, prefix),
    endOffsets: (spec) => endOffsets(kafka, topicName(prefix, spec)),
    committedOffsets: (groupId, spec) => committedOffsets(kafka, groupName(groupId), topicName(prefix, spec)),
    highestCommitted: (groups, spec) =>
      highestCommitted(
        kafka,
        (groupId) => groupId.startsWith(prefix) && groups.test(groupId.slice(prefix.length)),
        topicName(prefix, spec),
      ),
    publisher: getPublisher,
    consumer(consumerOptions) {
      const consumer = createKafkajsConsumer(
        { kafka, prefix, logger, publisher: getPublisher },
        { ...consumerOptions, groupId: groupName(consumerOptions.groupId) },
      );
      consumers.push(consumer);
      return consumer;
    },
    async close() {
      await Promise.all(consumers.map((c) => c.stop()));
      if (publisher) await (await publisher).close();
    },
  };
}
