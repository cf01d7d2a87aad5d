import type { Logger } from '@petition/logging';
import { Admin, type BaseOptions, findErrorBy, ListOffsetTimestamps } from '@platformatic/kafka';
import {
  type ClusterInfo,
  committedOrZero,
  reportPartitionMismatch,
  type TopicOptions,
  topicConfigs,
  untilServed,
  type WantedTopic,
} from '../admin.ts';

const retriable = (error: unknown) => findErrorBy(error as Error, 'canRetry', true) !== null;
/**
 * A topic just created may be missing from the metadata a moment longer (the client then throws a
 * non-retriable "Unknown topic"; seen when infra:up made 16 at once): a gap to wait out, not an answer.
 */
const retriableForTopicsThatExist = (error: unknown) =>
  retriable(error) || /^Unknown topic /.test((error as Error | undefined)?.message ?? '');

/** Runs `work` on an admin client, closed afterwards (admin requests are few: start-up, tests, catch-up). */
async function withAdmin<T>(base: BaseOptions, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin(base);
  try {
    return await work(admin);
  } finally {
    await admin.close().catch(() => {});
  }
}

export const describeCluster = (base: BaseOptions): Promise<ClusterInfo> =>
  withAdmin(base, async (admin) => {
    const meta = await admin.metadata({ topics: [], forceUpdate: true });
    return {
      brokers: [...meta.brokers.values()].map((b) => `${b.host}:${b.port}`),
      controllerId: meta.controllerId,
      clusterId: meta.id,
    };
  });

/** The number of partitions of each topic (from fresh metadata); `justCreated` waits for them to be known. */
async function partitionCounts(admin: Admin, topics: readonly string[], justCreated = false) {
  const meta = await untilServed(
    () => admin.metadata({ topics: [...topics], forceUpdate: true }),
    justCreated ? retriableForTopicsThatExist : retriable,
    30_000,
  );
  return new Map(topics.map((t) => [t, meta.topics.get(t)?.partitionsCount ?? 0]));
}

async function latestOffsets(admin: Admin, topic: string, justCreated = false): Promise<Map<number, bigint>> {
  return listOffsetsAt(admin, topic, ListOffsetTimestamps.LATEST, justCreated);
}

/** Per partition, the offset ListOffsets answers for `timestamp` (LATEST: the end; a time: -1 where none). */
async function listOffsetsAt(
  admin: Admin,
  topic: string,
  timestamp: bigint,
  justCreated = false,
): Promise<Map<number, bigint>> {
  const count = (await partitionCounts(admin, [topic], justCreated)).get(topic) ?? 0;
  const partitions = Array.from({ length: count }, (_, partitionIndex) => ({ partitionIndex, timestamp }));
  const [listed] = await untilServed(
    () => admin.listOffsets({ topics: [{ name: topic, partitions }] }),
    retriable,
    30_000,
  );
  return new Map((listed?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
}

export const ensureTopics = (
  base: BaseOptions,
  wanted: readonly WantedTopic[],
  options: TopicOptions,
  logger: Logger,
) =>
  withAdmin(base, async (admin) => {
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((t) => !existing.has(t.topic));
    for (const compacted of [false, true]) {
      const topics = missing.filter((t) => t.compacted === compacted).map((t) => t.topic);
      if (topics.length === 0) continue;
      await admin.createTopics({
        topics,
        partitions: options.partitions,
        replicas: options.replicationFactor ?? 1,
        configs: topicConfigs(options, compacted),
      });
    }
    if (missing.length > 0) {
      // Metadata names the leaders before the broker serves them: asking every leader for its offsets
      // waits that gap out, so that the first produce is not refused with NOT_LEADER.
      for (const t of missing) await latestOffsets(admin, t.topic, true);
      logger.info({ topics: missing.map((t) => t.topic), partitions: options.partitions }, 'topics created');
    }
    const present = wanted.filter((t) => existing.has(t.topic)).map((t) => t.topic);
    if (present.length > 0) reportPartitionMismatch(await partitionCounts(admin, present), options, logger);
  });

export const listTopics = (base: BaseOptions) => withAdmin(base, (admin) => admin.listTopics());

export const deleteTopics = (base: BaseOptions, topics: readonly string[]) =>
  withAdmin(base, (admin) => admin.deleteTopics({ topics: [...topics] }));

export const endOffsets = (base: BaseOptions, topic: string) => withAdmin(base, (admin) => latestOffsets(admin, topic));

/** A partition with no record at or after the time (-1) starts at its end, as kafkajs answers it. */
export const offsetsAt = (base: BaseOptions, topic: string, timeMs: number) =>
  withAdmin(base, async (admin) => {
    const [found, ends] = [await listOffsetsAt(admin, topic, BigInt(timeMs)), await latestOffsets(admin, topic)];
    return new Map(
      [...ends].map(([partition, end]) => [
        partition,
        (found.get(partition) ?? -1n) < 0n ? end : (found.get(partition) as bigint),
      ]),
    );
  });

export const committedOffsets = (base: BaseOptions, groupId: string, topic: string) =>
  withAdmin(base, async (admin) => {
    const count = (await partitionCounts(admin, [topic])).get(topic) ?? 0;
    const partitionIndexes = Array.from({ length: count }, (_, i) => i);
    const [group] = await untilServed(
      () => admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: [{ name: topic, partitionIndexes }] }] }),
      retriable,
      30_000,
    );
    const found = new Map(
      (group?.topics.find((t) => t.name === topic)?.partitions ?? []).map((p) => [
        p.partitionIndex,
        committedOrZero(p.committedOffset),
      ]),
    );
    return new Map(partitionIndexes.map((p) => [p, found.get(p) ?? 0n]));
  });

export const listGroups = (base: BaseOptions) =>
  withAdmin(base, async (admin) => [...(await admin.listGroups()).keys()]);

export const setCommittedOffsets = (
  base: BaseOptions,
  groupId: string,
  topic: string,
  offsets: ReadonlyMap<number, bigint>,
) =>
  withAdmin(base, (admin) =>
    untilServed(
      () =>
        admin.alterConsumerGroupOffsets({
          groupId,
          topics: [
            { name: topic, partitionOffsets: [...offsets].map(([partition, offset]) => ({ partition, offset })) },
          ],
        }),
      retriable,
      30_000,
    ),
  );

export const deleteGroups = (base: BaseOptions, groupIds: readonly string[]) =>
  withAdmin(base, (admin) => admin.deleteGroups({ groups: [...groupIds] }));
