import { type ClusterInfo, type TopicOptions, waitForBroker, wantedTopics } from './admin.ts';
import { type BusOptions, type KafkaClientName, resolveKafkaClient } from './clients.ts';
import type { BusConsumer, ConsumerOptions } from './consumer.ts';
import type { KafkaDriver } from './driver.ts';
import { kafkajsDriver } from './kafkajs/client.ts';
import { platformaticDriver } from './platformatic/client.ts';
import type { Publisher } from './publisher.ts';
import { type TopicSpec, topicName } from './topic.ts';

/** One service's connection to the event bus: a shared publisher, any number of consumers. */
export interface Bus {
  readonly prefix: string;
  /** The Kafka client underneath. */
  readonly client: KafkaClientName;
  topicName(spec: { name: string }): string;
  waitUntilReady(timeoutMs?: number): Promise<ClusterInfo>;
  ensureTopics(
    specs: readonly Pick<TopicSpec<unknown>, 'name' | 'compacted'>[],
    options: TopicOptions,
  ): Promise<string[]>;
  deleteOwnTopics(): Promise<number>;
  /** The topics of this bus's prefix that the broker has, without the prefix. */
  listTopics(): Promise<string[]>;
  /** Per partition, the offset after the last record now in the topic. */
  endOffsets(spec: { name: string }): Promise<Map<number, bigint>>;
  /** Per partition, the first offset of a record written at or after `time`; the end where none was. */
  offsetsAt(spec: { name: string }, time: Date): Promise<Map<number, bigint>>;
  /** Per partition, the offset `groupId` has committed on the topic (0 where none). */
  committedOffsets(groupId: string, spec: { name: string }): Promise<Map<number, bigint>>;
  /**
   * Sets where `groupId` (without the prefix) starts on the topic: a reader from a position (a resume token)
   * is a consumer of a group of its own whose offsets were set here first. The group must have no members.
   */
  setCommittedOffsets(groupId: string, spec: { name: string }, offsets: ReadonlyMap<number, bigint>): Promise<void>;
  /** The consumer groups of this bus's prefix on the broker, named without the prefix. */
  listGroups(): Promise<string[]>;
  /** Deletes groups (without the prefix) that have no members left, so that readers leave nothing behind. */
  deleteGroups(groupIds: readonly string[]): Promise<void>;
  /** Per partition, the highest offset any group whose id (without the prefix) matches `groups` has committed. */
  highestCommitted(groups: RegExp, spec: { name: string }): Promise<Map<number, bigint>>;
  /** The idempotent producer, connected on first use and shared by everything on this bus. */
  publisher(): Promise<Publisher>;
  consumer(options: ConsumerOptions): BusConsumer;
  /** Stops every consumer (in-flight records finish, offsets commit), then disconnects the producer. */
  close(): Promise<void>;
}

const drivers: Record<KafkaClientName, (options: BusOptions) => KafkaDriver> = {
  kafkajs: kafkajsDriver,
  platformatic: platformaticDriver,
};

export function createBus(options: BusOptions): Bus {
  const driver = drivers[resolveKafkaClient(options.client)](options);
  const prefix = options.topicPrefix ?? '';
  // Consumer groups carry the prefix as topics do: services of two deployments (tests, nodes, benchmarks)
  // sharing a broker never meet in one group, where one would be given the other's partitions.
  const groupName = (groupId: string) => `${prefix}${groupId}`;
  const logger = options.logger;
  const consumers: BusConsumer[] = [];
  let publisher: Promise<Publisher> | undefined;
  const getPublisher = () => {
    publisher ??= driver.publisher(prefix).catch((err) => {
      publisher = undefined;
      throw err;
    });
    return publisher;
  };

  return {
    prefix,
    client: driver.client,
    topicName: (spec) => topicName(prefix, spec),
    waitUntilReady: (timeoutMs = 60_000) => waitForBroker(() => driver.describeCluster(), timeoutMs, logger),
    async ensureTopics(specs, topicOptions) {
      const wanted = wantedTopics(prefix, specs);
      const replication = {
        replicationFactor: topicOptions.replicationFactor ?? options.topicReplicationFactor,
        minInsyncReplicas: topicOptions.minInsyncReplicas ?? options.topicMinInsyncReplicas,
      };
      await driver.ensureTopics(wanted, { ...topicOptions, ...replication });
      return wanted.map((t) => t.topic);
    },
    async deleteOwnTopics() {
      if (prefix === '') throw new Error('refusing to delete topics without a prefix');
      const topics = (await driver.listTopics()).filter((t) => t.startsWith(prefix));
      if (topics.length > 0) await driver.deleteTopics(topics);
      return topics.length;
    },
    async listTopics() {
      return (await driver.listTopics()).filter((t) => t.startsWith(prefix)).map((t) => t.slice(prefix.length));
    },
    endOffsets: (spec) => driver.endOffsets(topicName(prefix, spec)),
    offsetsAt: (spec, time) => driver.offsetsAt(topicName(prefix, spec), time.getTime()),
    committedOffsets: (groupId, spec) => driver.committedOffsets(groupName(groupId), topicName(prefix, spec)),
    setCommittedOffsets: (groupId, spec, offsets) =>
      driver.setCommittedOffsets(groupName(groupId), topicName(prefix, spec), offsets),
    async listGroups() {
      return (await driver.listGroups()).filter((g) => g.startsWith(prefix)).map((g) => g.slice(prefix.length));
    },
    deleteGroups: (groupIds) => driver.deleteGroups(groupIds.map(groupName)),
    async highestCommitted(groups, spec) {
      const topic = topicName(prefix, spec);
      const highest = new Map<number, bigint>();
      for (const groupId of await driver.listGroups()) {
        if (!groupId.startsWith(prefix) || !groups.test(groupId.slice(prefix.length))) continue;
        for (const [p, at] of await driver.committedOffsets(groupId, topic)) {
          if (at > (highest.get(p) ?? 0n)) highest.set(p, at);
        }
      }
      return highest;
    },
    publisher: getPublisher,
    consumer(consumerOptions) {
      const consumer = driver.consumer(
        { prefix, logger, publisher: getPublisher },
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
