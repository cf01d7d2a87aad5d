import type { Logger } from '@petition/logging';
import type { ClusterInfo, TopicOptions, WantedTopic } from './admin.ts';
import type { KafkaClientName } from './clients.ts';
import type { BusConsumer, ConsumerOptions } from './consumer.ts';
import type { Publisher } from './publisher.ts';

/** What a consumer needs from the bus it belongs to. */
export interface ConsumerDeps {
  prefix: string;
  logger: Logger;
  /** The bus's shared publisher, for parking records in the DLQ. */
  publisher: () => Promise<Publisher>;
}

/**
 * One Kafka client behind the bus: its producer, consumer and admin requests. Everything above it —
 * encoding, headers, filtering, retries, DLQ parking, commits of processed offsets — is the bus's own
 * and the same for every client.
 */
export interface KafkaDriver {
  readonly client: KafkaClientName;
  describeCluster(): Promise<ClusterInfo>;
  /** Creates the missing topics (with their configuration) and reports the partitions of existing ones. */
  ensureTopics(wanted: readonly WantedTopic[], options: TopicOptions): Promise<void>;
  listTopics(): Promise<string[]>;
  deleteTopics(topics: readonly string[]): Promise<void>;
  /** Per partition, the offset after the last record. */
  endOffsets(topic: string): Promise<Map<number, bigint>>;
  /** Per partition, the first offset whose record's timestamp is at or after `timeMs`; the end where none is. */
  offsetsAt(topic: string, timeMs: number): Promise<Map<number, bigint>>;
  /** Per partition, the offset the group has committed; 0 where none. */
  committedOffsets(groupId: string, topic: string): Promise<Map<number, bigint>>;
  listGroups(): Promise<string[]>;
  /** Sets the group's committed offsets (the group must have no members): where its next consumer starts. */
  setCommittedOffsets(groupId: string, topic: string, offsets: ReadonlyMap<number, bigint>): Promise<void>;
  /** Deletes groups that have no members, with their committed offsets. */
  deleteGroups(groupIds: readonly string[]): Promise<void>;
  publisher(prefix: string): Promise<Publisher>;
  consumer(deps: ConsumerDeps, options: ConsumerOptions): BusConsumer;
}
