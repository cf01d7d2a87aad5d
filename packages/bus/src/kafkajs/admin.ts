import type { Logger } from '@petition/logging';
import type { Kafka, Admin as KafkaAdmin } from 'kafkajs';
import {
  type ClusterInfo,
  committedOrZero,
  reportPartitionMismatch,
  type TopicOptions,
  topicConfigs,
  untilServed,
  type WantedTopic,
} from '../admin.ts';

const retriable = (error: unknown) => (error as { retriable?: boolean }).retriable === true;

/** Runs `work` on a connected admin client, disconnected afterwards. */
async function withAdmin<T>(kafka: Kafka, work: (admin: KafkaAdmin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export const describeCluster = (kafka: Kafka): Promise<ClusterInfo> =>
  withAdmin(kafka, async (admin) => {
    const cluster = await admin.describeCluster();
    return {
      brokers: cluster.brokers.map((b) => `${b.host}:${b.port}`),
      controllerId: cluster.controller,
      clusterId: cluster.clusterId,
    };
  });

export const ensureTopics = (kafka: Kafka, wanted: readonly WantedTopic[], options: TopicOptions, logger: Logger) =>
  withAdmin(kafka, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((t) => !existing.has(t.topic));
    if (missing.length > 0) {
      // Not kafkajs's own wait for leaders: its metadata poll gives up on a retriable
      // UNKNOWN_TOPIC_OR_PARTITION under load; the offsets asked for below wait instead.
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((t) => ({
          topic: t.topic,
          numPartitions: options.partitions,
          replicationFactor: options.replicationFactor ?? 1,
          configEntries: topicConfigs(options, t.compacted),
        })),
      });
      // Metadata names the leaders before the broker serves them: a produce in that gap gets
      // NOT_LEADER, and kafkajs's idempotent producer then resends with a reset sequence number, which the
      // broker rejects (OUT_OF_ORDER_SEQUENCE_NUMBER). Asking every leader for its offsets (retried by the
      // admin client until it answers) waits the gap out.
      for (const t of missing) await untilServed(() => admin.fetchTopicOffsets(t.topic), retriable, 60_000);
      logger.info({ topics: missing.map((t) => t.topic), partitions: options.partitions }, 'topics created');
    }
    const present = wanted.filter((t) => existing.has(t.topic)).map((t) => t.topic);
    if (present.length > 0) {
      const meta = await admin.fetchTopicMetadata({ topics: present });
      reportPartitionMismatch(new Map(meta.topics.map((t) => [t.name, t.partitions.length])), options, logger);
    }
  });

export const listTopics = (kafka: Kafka) => withAdmin(kafka, (admin) => admin.listTopics());

export const deleteTopics = (kafka: Kafka, topics: readonly string[]) =>
  withAdmin(kafka, (admin) => admin.deleteTopics({ topics: [...topics] }));

export const endOffsets = (kafka: Kafka, topic: string) =>
  withAdmin(kafka, async (admin) => {
    const offsets = await untilServed(() => admin.fetchTopicOffsets(topic), retriable, 30_000);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  });

// kafkajs answers a partition with no record at or after the time with its end (the high watermark).
export const offsetsAt = (kafka: Kafka, topic: string, timeMs: number) =>
  withAdmin(kafka, async (admin) => {
    const offsets = await untilServed(() => admin.fetchTopicOffsetsByTimestamp(topic, timeMs), retriable, 30_000);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.offset)]));
  });

export const committedOffsets = (kafka: Kafka, groupId: string, topic: string) =>
  withAdmin(kafka, async (admin) => {
    const [found] = await untilServed(() => admin.fetchOffsets({ groupId, topics: [topic] }), retriable, 30_000);
    return new Map((found?.partitions ?? []).map((p) => [p.partition, committedOrZero(BigInt(p.offset))]));
  });

export const listGroups = (kafka: Kafka) =>
  withAdmin(kafka, async (admin) => (await admin.listGroups()).groups.map((g) => g.groupId));

export const setCommittedOffsets = (
  kafka: Kafka,
  groupId: string,
  topic: string,
  offsets: ReadonlyMap<number, bigint>,
) =>
  withAdmin(kafka, (admin) =>
    untilServed(
      () =>
        admin.setOffsets({
          groupId,
          topic,
          partitions: [...offsets].map(([partition, offset]) => ({ partition, offset: offset.toString() })),
        }),
      retriable,
      30_000,
    ),
  );

export const deleteGroups = (kafka: Kafka, groupIds: readonly string[]) =>
  withAdmin(kafka, async (admin) => {
    await admin.deleteGroups([...groupIds]);
  });
