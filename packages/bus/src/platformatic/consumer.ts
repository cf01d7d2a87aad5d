import {
  type BaseOptions,
  Consumer,
  type ConsumerGroupJoinPayload,
  type Message,
  type MessagesStream,
  stringDeserializer,
} from '@platformatic/kafka';
import { sleep } from '../admin.ts';
import { type BusConsumer, type ConsumerOptions, consumerDefaults } from '../consumer.ts';
import { createDelivery, type PartitionBatch, type RecordAccess } from '../delivery.ts';
import type { ConsumerDeps } from '../driver.ts';
import { createOffsetCommits } from '../offset-commits.ts';
import { defaultRetryPolicy } from '../retry.ts';

type Record = Message<Buffer, Buffer, string, Buffer>;
type Stream = MessagesStream<Buffer, Buffer, string, Buffer>;

const access: RecordAccess<Record> = {
  key: (m) => m.key ?? null,
  value: (m) => m.value ?? null,
  offset: (m) => m.offset.toString(),
  timestamp: (m) => Number(m.timestamp),
  header: (m, name) => m.headers.get(name)?.toString(),
  headers(m) {
    const out: { [name: string]: string } = {};
    for (const [name, value] of m.headers) out[name] = value.toString();
    return out;
  },
};

const partitionKey = (topic: string, partition: number) => `${topic}:${partition}`;

/**
 * The bus's consumer on @platformatic/kafka. The client fetches into a stream and keeps the group
 * membership with heartbeats of its own; the bus reads the stream one partition's run at a time and
 * commits only what it has processed (the client's autocommit would commit what it fetched).
 *
 * The client rejoins by itself when a heartbeat reports a rebalance; the join waits (in the protocol
 * metadata hook every JoinGroup asks for) until the record in hand is done and what is processed is
 * committed, so no partition is handed to another member while this one still works on it. After a
 * join the client fetches again from the committed offsets: records still in the stream of partitions
 * this member lost are dropped, those of partitions it kept and already handled are passed over.
 */
export function createPlatformaticConsumer(
  deps: ConsumerDeps & { base: BaseOptions },
  options: ConsumerOptions,
): BusConsumer {
  const logger = deps.logger.child({ group: options.groupId });
  const delivery = createDelivery(access, {
    prefix: deps.prefix,
    groupId: options.groupId,
    subscriptions: options.subscriptions,
    policy: { ...defaultRetryPolicy, ...options.retry },
    logger,
    publisher: deps.publisher,
  });
  const sessionTimeout = options.sessionTimeoutMs ?? consumerDefaults.sessionTimeoutMs;
  const fetching = {
    minBytes: options.fetchMinBytes ?? consumerDefaults.fetchMinBytes,
    maxWaitTime: options.fetchMaxWaitMs ?? consumerDefaults.fetchMaxWaitMs,
  };

  let stopping = false;
  // Paused, the loop reads nothing from the stream; the client stops fetching once the stream's buffer is full.
  let paused = false;
  let stopped: Promise<void> | undefined;
  let rebalancing = false;
  let joinedOnce = false;
  let committing = false;
  let inHand: Promise<void> = Promise.resolve();
  let wake: (() => void) | undefined;
  let stream: Stream | undefined;
  let loop: Promise<void> | undefined;
  // What this member holds now (full topic names), and per partition the next offset not yet handled.
  let assigned = new Map<string, readonly number[]>();
  const handledUpTo = new Map<string, bigint>();

  const consumer = new Consumer<Buffer, Buffer, string, Buffer>({
    ...deps.base,
    groupId: options.groupId,
    sessionTimeout,
    rebalanceTimeout: Math.max(sessionTimeout, 60_000),
    heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeout / 3)),
    autocommit: false,
    ...fetching,
    deserializers: { headerKey: stringDeserializer },
    protocolsMetadata: beforeJoin,
  });

  const commits = createOffsetCommits({
    intervalMs: options.commitIntervalMs ?? consumerDefaults.commitIntervalMs,
    async commit(offsets) {
      committing = true;
      try {
        await consumer.commit({
          offsets: offsets.map((o) => ({ ...o, offset: BigInt(o.offset), leaderEpoch: -1 })),
        });
      } finally {
        committing = false;
      }
    },
    logger,
    enabled: options.commitOffsets ?? true,
  });

  /** Every JoinGroup asks for its protocol metadata first: a rejoin waits for the work in hand and a commit. */
  async function beforeJoin(): Promise<Buffer> {
    // The first join has nothing to finish. A commit in flight is not waited for: the client may be
    // rejoining because that very commit was refused, and it retries the commit after the join.
    if (joinedOnce) {
      rebalancing = true;
      await inHand;
      if (!committing) {
        await commits.flush().catch((err) => logger.warn({ err }, 'commit before the rebalance failed'));
      }
    }
    return Buffer.alloc(0);
  }

  consumer.on('consumer:group:rebalance', () => {
    rebalancing = true;
  });
  consumer.on('consumer:group:join', (payload: ConsumerGroupJoinPayload) => {
    assigned = new Map((payload.assignments ?? []).map((a) => [a.topic, a.partitions]));
    commits.retain(assigned);
    for (const key of handledUpTo.keys()) {
      const at = key.lastIndexOf(':');
      if (!assigned.get(key.slice(0, at))?.includes(Number(key.slice(at + 1)))) handledUpTo.delete(key);
    }
    rebalancing = false;
    if (options.onAssigned) {
      const named = new Map<string, readonly number[]>();
      for (const [topic, partitions] of assigned) {
        const name = delivery.nameOf(topic);
        if (name) named.set(name, partitions);
      }
      options.onAssigned(named);
    }
    wake?.();
  });
  // The client emits 'error' when a rejoin fails for good; unheard, an 'error' event would end the process.
  (consumer as unknown as NodeJS.EventEmitter).on('error', (err: unknown) =>
    logger.error({ err }, 'consumer group membership failed'),
  );

  const holds = (topic: string, partition: number) => assigned.get(topic)?.includes(partition) === true;

  /** Waits until the stream has records, the group has re-formed, or the consumer stops. */
  const nextWake = () =>
    new Promise<void>((resolve) => {
      wake = resolve;
    });

  function batchOf(topic: string, partition: number, messages: Record[]): PartitionBatch<Record> {
    const key = partitionKey(topic, partition);
    return {
      topic,
      partition,
      messages,
      // The client heartbeats on its own timer.
      heartbeat: async () => {},
      interrupted: () => stopping || rebalancing || !holds(topic, partition),
      processed(offset) {
        handledUpTo.set(key, BigInt(offset) + 1n);
        commits.processed(topic, partition, offset);
      },
    };
  }

  /** Delivers what the stream holds now, one partition's run at a time, in order within each partition. */
  async function deliverAll(records: Record[]): Promise<void> {
    const runs = new Map<string, Record[]>();
    for (const record of records) {
      const key = partitionKey(record.topic, record.partition);
      const run = runs.get(key);
      if (run) run.push(record);
      else runs.set(key, [record]);
    }
    for (const [key, run] of runs) {
      const { topic, partition } = run[0] as Record;
      // Fetched before a rebalance: another member reads this partition now.
      if (!holds(topic, partition)) continue;
      // Fetched again from the committed offset after a rejoin: what was handled is passed over.
      const from = handledUpTo.get(key);
      const fresh = from === undefined ? run : run.filter((r) => r.offset >= from);
      if (fresh.length === 0) continue;
      if (stopping || rebalancing) return;
      await delivery.deliver(batchOf(topic, partition, fresh));
    }
  }

  function openStream(): Promise<Stream> {
    return consumer.consume({
      topics: [...delivery.topics],
      mode: 'committed',
      fallbackMode: (options.fromBeginning ?? true) ? 'earliest' : 'latest',
      autocommit: false,
      ...fetching,
    });
  }

  function listen(s: Stream) {
    s.on('readable', () => wake?.());
    s.on('error', (err) => logger.error({ err }, 'consumer stream failed'));
    s.on('close', () => wake?.());
  }

  async function run(): Promise<void> {
    while (!stopping) {
      const current = stream;
      if (!current || current.destroyed) {
        // A stream the client gave up on (a fetch it could not recover): commit what is done, then read
        // again from the committed offsets.
        await commits.flush().catch(() => {});
        await sleep(1_000);
        if (stopping) break;
        try {
          stream = await openStream();
          listen(stream);
        } catch (err) {
          logger.error({ err }, 'consumer stream could not be reopened');
        }
        continue;
      }
      if (paused) {
        await nextWake();
        continue;
      }
      if (rebalancing) {
        await Promise.race([nextWake(), sleep(1_000)]);
        // The client runs heartbeats only while the member is in a formed group: the join is over.
        if (consumer.isActive()) rebalancing = false;
        continue;
      }
      const records: Record[] = [];
      for (let r = current.read() as Record | null; r !== null; r = current.read() as Record | null) records.push(r);
      if (records.length === 0) {
        await nextWake();
        continue;
      }
      const work = deliverAll(records);
      inHand = work.catch(() => {});
      try {
        await work;
      } catch (err) {
        // The records of this read that were not handled are still ahead of the committed offsets:
        // reading again from there (a new stream) hands them over again.
        logger.error({ err }, 'delivery failed; reading again from the committed offsets');
        await commits.flush().catch(() => {});
        await current.close().catch(() => {});
        stream = undefined;
      }
    }
  }

  return {
    stats: delivery.stats,
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      wake?.();
    },
    async start() {
      const timeoutMs = options.joinTimeoutMs ?? consumerDefaults.joinTimeoutMs;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`group ${options.groupId} not joined within ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        // The client joins the group before it hands out the stream.
        stream = await Promise.race([openStream(), timedOut]);
      } catch (err) {
        await consumer.close(true).catch(() => {});
        throw err;
      } finally {
        clearTimeout(timer);
      }
      joinedOnce = true;
      listen(stream);
      loop = run().catch((err) => logger.error({ err }, 'consumer loop failed'));
      commits.startInterval();
      logger.info({ topics: delivery.topics }, 'consumer joined its group');
    },
    stop() {
      stopped ??= (async () => {
        // No record starts after this; the one in hand finishes, then everything processed is committed
        // and only then does the member leave.
        stopping = true;
        commits.stopInterval();
        wake?.();
        await loop;
        await commits.flush().catch((err) => logger.warn({ err }, 'commit on stop failed'));
        await stream?.close().catch(() => {});
        await consumer.close().catch((err) => logger.warn({ err }, 'leaving the group failed'));
        logger.info({ ...delivery.stats }, 'consumer stopped');
      })();
      return stopped;
    },
  };
}
