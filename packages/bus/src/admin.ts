import type { Logger } from '@petition/logging';
import type { Kafka } from 'kafkajs';
import { dlqSuffix, type TopicSpec, topicName } from './topic.ts';

export interface TopicOptions {
  partitions: number;
  replicationFactor?: number;
}

export interface ClusterInfo {
  brokers: string[];
  controllerId: number | null;
  clusterId: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once the broker answers a metadata request; rejects after `timeoutMs`. */
export async function waitForBroker(kafka: Kafka, timeoutMs: number, logger: Logger): Promise<ClusterInfo> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return {
        brokers: cluster.brokers.map((b) => `${b.host}:${b.port}`),
        controllerId: cluster.controller,
        clusterId: cluster.clusterId,
      };
    } catch (err) {
      lastError = err;
      logger.debug({ err }, 'broker not answering yet');
      await sleep(500);
    } finally {
      await admin.disconnect().catch(() => {});
    }
  }
  throw new Error(`Kafka broker did not answer metadata requests within ${timeoutMs} ms`, { cause: lastError });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Repeats a request while it fails with a retriable protocol error (a leader not serving yet). */
async function untilServed<T>(request: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await request();
    } catch (error) {
      if (!(error as { retriable?: boolean }).retriable || Date.now() > deadline) throw error;
      await pause(100);
    }
  }
}

/**
 * Creates each topic and its `.dlq` if missing. An existing topic keeps its partition count: raising
 * it would move keys to other partitions and break the per-case order, so a mismatch is only reported.
 */
export async function ensureTopics(
  kafka: Kafka,
  prefix: string,
  specs: readonly Pick<TopicSpec<unknown>, 'name' | 'compacted'>[],
  options: TopicOptions,
  logger: Logger,
): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const wanted = specs.flatMap((spec) => [
      { topic: topicName(prefix, spec), compacted: spec.compacted === true },
      { topic: topicName(prefix, spec) + dlqSuffix, compacted: false },
    ]);
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
          configEntries: t.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
        })),
      });
      // Metadata names the leaders before the broker serves them: a produce in that gap gets
      // NOT_LEADER, and kafkajs's idempotent producer then resends with a reset sequence number, which the
      // broker rejects (OUT_OF_ORDER_SEQUENCE_NUMBER). Asking every leader for its offsets (retried by the
      // admin client until it answers) waits the gap out.
      for (const t of missing) await untilServed(() => admin.fetchTopicOffsets(t.topic), 60_000);
      logger.info({ topics: missing.map((t) => t.topic), partitions: options.partitions }, 'topics created');
    }
    const present = wanted.filter((t) => existing.has(t.topic)).map((t) => t.topic);
    if (present.length > 0) {
      const meta = await admin.fetchTopicMetadata({ topics: present });
      for (const t of meta.topics) {
        if (t.partitions.length !== options.partitions) {
          logger.warn(
            { topic: t.name, partitions: t.partitions.length, configured: options.partitions },
            'existing topic has another partition count; left as it is',
          );
        }
      }
    }
    return wanted.map((t) => t.topic);
  } finally {
    await admin.disconnect();
  }
}

/** Removes every topic whose name starts with `prefix` (test and benchmark clean-up). */
export async function deleteTopicsWithPrefix(kafka: Kafka, prefix: string): Promise<number> {
  if (prefix === '') throw new Error('refusing to delete topics without a prefix');
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
    return topics.length;
  } finally {
    await admin.disconnect();
  }
}

/** The next offset of every partition of a topic (where a consumer that has read everything stands). */
export async function endOffsets(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await untilServed(() => admin.fetchTopicOffsets(topic), 30_000);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
}

const offsetsOf = (found: { partitions: { partition: number; offset: string }[] } | undefined) =>
  new Map((found?.partitions ?? []).map((p) => [p.partition, BigInt(Math.max(0, Number(p.offset)))]));

/** The offsets a consumer group has committed on a topic, per partition (0 where it has none yet). */
export async function committedOffsets(kafka: Kafka, groupId: string, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [found] = await untilServed(() => admin.fetchOffsets({ groupId, topics: [topic] }), 30_000);
    return offsetsOf(found);
  } finally {
    await admin.disconnect();
  }
}

/** Per partition, the highest offset any group whose id matches has committed on a topic. */
export async function highestCommitted(
  kafka: Kafka,
  groups: (groupId: string) => boolean,
  topic: string,
): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const highest = new Map<number, bigint>();
    for (const { groupId } of (await admin.listGroups()).groups) {
      if (!groups(groupId)) continue;
      const [found] = await untilServed(() => admin.fetchOffsets({ groupId, topics: [topic] }), 30_000);
      for (const [p, at] of offsetsOf(found)) if (at > (highest.get(p) ?? 0n)) highest.set(p, at);
    }
    return highest;
  } finally {
    await admin.disconnect();
  }
}
