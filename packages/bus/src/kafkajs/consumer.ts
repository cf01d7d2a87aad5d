import type { EachBatchPayload, Kafka, Consumer as KafkaConsumer, KafkaMessage } from 'kafkajs';
import { type BusConsumer, type ConsumerOptions, consumerDefaults } from '../consumer.ts';
import { createDelivery, type RecordAccess } from '../delivery.ts';
import type { ConsumerDeps } from '../driver.ts';
import { readHeaders } from '../headers.ts';
import { type CommitOffsets, createOffsetCommits, type PartitionCommit } from '../offset-commits.ts';
import { defaultRetryPolicy } from '../retry.ts';

type Deps = ConsumerDeps & { kafka: Kafka };

const access: RecordAccess<KafkaMessage> = {
  key: (m) => m.key,
  value: (m) => m.value,
  offset: (m) => m.offset,
  timestamp: (m) => Number(m.timestamp),
  header(m, name) {
    const value = m.headers?.[name];
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    return last?.toString();
  },
  headers: (m) => readHeaders(m.headers),
};

/** kafkajs's commit request shape: offsets grouped by topic. */
const byTopic = (offsets: readonly PartitionCommit[]) => {
  const topics = new Map<string, { partition: number; offset: string }[]>();
  for (const { topic, partition, offset } of offsets) {
    topics.set(topic, [...(topics.get(topic) ?? []), { partition, offset }]);
  }
  return [...topics].map(([topic, partitions]) => ({ topic, partitions }));
};

export function createKafkajsConsumer(deps: Deps, options: ConsumerOptions): BusConsumer {
  const logger = deps.logger.child({ group: options.groupId });
  const delivery = createDelivery(access, {
    prefix: deps.prefix,
    groupId: options.groupId,
    subscriptions: options.subscriptions,
    policy: { ...defaultRetryPolicy, ...options.retry },
    logger,
    publisher: deps.publisher,
  });
  const consumer: KafkaConsumer = deps.kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeoutMs ?? consumerDefaults.sessionTimeoutMs,
    allowAutoTopicCreation: false,
    minBytes: options.fetchMinBytes ?? consumerDefaults.fetchMinBytes,
    maxWaitTimeInMs: options.fetchMaxWaitMs ?? consumerDefaults.fetchMaxWaitMs,
  });
  // kafkajs's own auto-commit commits after every batch, whatever its interval (runner.js, handleBatch):
  // it is off, and the bus commits what it has processed. From outside a batch through the public API,
  // which kafkajs refuses silently once it stops running: stop() commits before it disconnects.
  const commitOutside: CommitOffsets = (offsets) =>
    consumer.commitOffsets(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })));
  const commits = createOffsetCommits({
    intervalMs: options.commitIntervalMs ?? consumerDefaults.commitIntervalMs,
    commit: commitOutside,
    logger,
    enabled: options.commitOffsets ?? true,
  });
  let stopping = false;
  let inHand: Promise<void> | undefined;

  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    const assigned = new Map(Object.entries(event.payload.memberAssignment));
    commits.retain(assigned);
    if (!options.onAssigned) return;
    const named = new Map<string, number[]>();
    for (const [topic, partitions] of assigned) {
      const name = delivery.nameOf(topic);
      if (name) named.set(name, partitions);
    }
    options.onAssigned(named);
  });
  // A rebalance noticed between batches: what is processed is committed before the group re-forms (the
  // broker takes commits of the old generation until every member has rejoined), so that whoever gets
  // a partition next starts after it.
  consumer.on(consumer.events.REBALANCING, () => {
    commits.flush().catch((err) => logger.warn({ err }, 'commit before the rebalance failed'));
  });

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    if (stopping) return;
    const { topic, partition, messages } = payload.batch;
    // Inside a batch kafkajs commits directly, with the generation it is in.
    const commitInside: CommitOffsets = (offsets) => payload.commitOffsetsIfNecessary({ topics: byTopic(offsets) });
    const work = delivery.deliver({
      topic,
      partition,
      messages,
      heartbeat: async () => {
        try {
          await payload.heartbeat();
        } catch (err) {
          // A rebalance noticed mid-batch: commit what is done before kafkajs rejoins.
          await commits.flush(commitInside).catch(() => {});
          throw err;
        }
      },
      interrupted: () => stopping || !payload.isRunning() || payload.isStale(),
      processed(offset) {
        // The effect (or the parking) is durable: only now may the offset move past this record.
        payload.resolveOffset(offset);
        commits.processed(topic, partition, offset);
      },
    });
    inHand = work.catch(() => {});
    await work;
  }

  const subscribed = () => delivery.topics.map((topic) => ({ topic }));
  return {
    stats: delivery.stats,
    pause: () => consumer.pause(subscribed()),
    resume: () => consumer.resume(subscribed()),
    async start() {
      const timeoutMs = options.joinTimeoutMs ?? consumerDefaults.joinTimeoutMs;
      let timer: NodeJS.Timeout | undefined;
      let off: (() => void) | undefined;
      const joined = new Promise<void>((resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`group ${options.groupId} not joined within ${timeoutMs} ms`)),
          timeoutMs,
        );
        off = consumer.on(consumer.events.GROUP_JOIN, () => resolve());
      });
      try {
        await consumer.connect();
        await consumer.subscribe({ topics: [...delivery.topics], fromBeginning: options.fromBeginning ?? true });
        // One partition at a time: kafkajs re-delivered batches unprocessed with concurrent partitions
        // (tulios/kafkajs#1700), and a case's records must be applied in order anyway.
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: 1,
          eachBatch,
        });
        await joined;
      } catch (err) {
        joined.catch(() => {});
        await consumer.disconnect().catch(() => {});
        throw err;
      } finally {
        clearTimeout(timer);
        off?.();
      }
      commits.startInterval();
      logger.info({ topics: delivery.topics }, 'consumer joined its group');
    },
    async stop() {
      // No record starts after this; the one in hand finishes, then everything processed is committed
      // while kafkajs still runs, and only then does the member leave.
      stopping = true;
      commits.stopInterval();
      await inHand;
      await commits.flush().catch((err) => logger.warn({ err }, 'commit on stop failed'));
      await consumer.disconnect();
      logger.info({ ...delivery.stats }, 'consumer stopped');
    },
  };
}
