import type { Logger } from '@petition/logging';
import type { EachBatchPayload, Kafka, Consumer as KafkaConsumer, KafkaMessage } from 'kafkajs';
import { Header, readHeaders } from './headers.ts';
import type { Publisher } from './publisher.ts';
import { backoffDelayMs, defaultRetryPolicy, isRetryable, type RetryPolicy } from './retry.ts';
import { dlqSuffix, type TopicSpec, topicName } from './topic.ts';

export interface ConsumedRecord<T> {
  topic: TopicSpec<T>;
  key: string;
  value: T;
  headers: Record<string, string>;
  partition: number;
  offset: string;
  /** Broker timestamp, ms since the epoch. */
  timestamp: number;
}

export type Handler<T> = (record: ConsumedRecord<T>) => Promise<void>;

export type BatchHandler<T> = (records: ConsumedRecord<T>[]) => Promise<void>;

export interface Subscription<T> {
  topic: TopicSpec<T>;
  handle: Handler<T>;
  batch?: { handle: BatchHandler<T>; max: number };
}

/** Binds a handler to a topic with the topic's message type. */
export function on<T>(topic: TopicSpec<T>, handle: Handler<T>): Subscription<T> {
  return { topic, handle };
}

/**
 * Binds a handler of several records at once: consecutive records of one partition, in order, at most
 * `max` per call; their offsets move on only once it resolves, so a handler that makes its effects durable
 * together (one produce for all) keeps the at-least-once promise. A chunk that fails for good is handled
 * again record by record, so that only the bad record is parked. The handler must be idempotent.
 */
export function onBatch<T>(topic: TopicSpec<T>, handle: BatchHandler<T>, max = 500): Subscription<T> {
  return { topic, handle: (record) => handle([record]), batch: { handle, max } };
}

export interface ConsumerOptions {
  groupId: string;
  // biome-ignore lint/suspicious/noExplicitAny: each subscription carries its own message type
  subscriptions: readonly Subscription<any>[];
  /** Where a group without committed offsets starts; services rebuild from the beginning. */
  fromBeginning?: boolean;
  retry?: Partial<RetryPolicy>;
  sessionTimeoutMs?: number;
  /** Milliseconds `start()` waits for the group join before giving up. */
  joinTimeoutMs?: number;
  /**
   * Called on every (re)join with this member's partitions per topic (by its name in the catalogue, without
   * prefix), before records of them are
   * handled: handlers can wait on what it starts (e.g. catching up on state for newly owned partitions).
   */
  onAssigned?: (partitions: ReadonlyMap<string, readonly number[]>) => void;
}

export interface ConsumerStats {
  processed: number;
  retried: number;
  parked: number;
}

export interface BusConsumer {
  /** Connects, subscribes and resolves once this member has joined the group and holds partitions. */
  start(): Promise<void>;
  /** Stops taking records, lets the record in hand finish, commits what is done, leaves the group. */
  stop(): Promise<void>;
  readonly stats: Readonly<ConsumerStats>;
}

interface Deps {
  kafka: Kafka;
  prefix: string;
  logger: Logger;
  publisher: () => Promise<Publisher>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Outcome = { kind: 'done' } | { kind: 'parked' } | { kind: 'interrupted' };

export function createConsumer(deps: Deps, options: ConsumerOptions): BusConsumer {
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...options.retry };
  const logger = deps.logger.child({ group: options.groupId });
  const byTopic = new Map(options.subscriptions.map((s) => [topicName(deps.prefix, s.topic), s]));
  const stats: ConsumerStats = { processed: 0, retried: 0, parked: 0 };
  const consumer: KafkaConsumer = deps.kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: options.sessionTimeoutMs ?? 30_000,
    allowAutoTopicCreation: false,
  });
  if (options.onAssigned) {
    const notify = options.onAssigned;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const assigned = new Map<string, number[]>();
      for (const [topic, partitions] of Object.entries(event.payload.memberAssignment)) {
        const sub = byTopic.get(topic);
        if (sub) assigned.set(sub.topic.name, partitions);
      }
      notify(assigned);
    });
  }

  async function park(
    topic: string,
    partition: number,
    message: KafkaMessage,
    err: unknown,
    attempts: number,
  ): Promise<void> {
    const reason = err instanceof Error ? err.message : String(err);
    const code = (err as { code?: unknown } | null)?.code;
    const publisher = await deps.publisher();
    await publisher.publishRaw(topic + dlqSuffix, [
      {
        key: message.key?.toString() ?? null,
        value: message.value,
        headers: {
          ...readHeaders(message.headers),
          [Header.dlqReason]: reason,
          [Header.dlqErrorCode]: typeof code === 'string' ? code : err instanceof Error ? err.name : 'UNKNOWN',
          [Header.dlqSourceTopic]: topic,
          [Header.dlqSourcePartition]: String(partition),
          [Header.dlqSourceOffset]: message.offset,
          [Header.dlqAttempts]: String(attempts),
          [Header.dlqGroup]: options.groupId,
          [Header.dlqTime]: new Date().toISOString(),
        },
      },
    ]);
    stats.parked++;
    logger.warn({ topic, partition, offset: message.offset, reason, attempts }, 'record parked in the DLQ');
  }

  function subscriptionOf(topic: string) {
    const sub = byTopic.get(topic);
    if (!sub) throw new Error(`no subscription for topic ${topic}`);
    return sub;
  }

  /** The record decoded, or undefined once an undecodable one is parked. */
  async function decoded(payload: EachBatchPayload, message: KafkaMessage) {
    const { topic, partition } = payload.batch;
    const sub = subscriptionOf(topic);
    let value: unknown;
    try {
      if (!message.value) throw new Error('record has no value');
      value = sub.topic.codec.decode(message.value);
    } catch (err) {
      await park(topic, partition, message, new Error(`undecodable record: ${(err as Error).message}`), 0);
      return undefined;
    }
    const record: ConsumedRecord<unknown> = {
      topic: sub.topic,
      key: message.key?.toString() ?? '',
      value,
      headers: readHeaders(message.headers),
      partition,
      offset: message.offset,
      timestamp: Number(message.timestamp),
    };
    return record;
  }

  /** Runs `work` under the retry policy: 'failed' when it failed for good (after `attempt` tries). */
  async function withRetries(
    payload: EachBatchPayload,
    offset: string,
    work: () => Promise<void>,
  ): Promise<Outcome | { kind: 'failed'; err: unknown; attempts: number }> {
    const { topic, partition } = payload.batch;
    for (let attempt = 1; ; attempt++) {
      try {
        await work();
        return { kind: 'done' };
      } catch (err) {
        if (!isRetryable(err) || attempt >= policy.maxAttempts) return { kind: 'failed', err, attempts: attempt };
        stats.retried++;
        logger.warn({ err, topic, partition, offset, attempt }, 'handler failed; retrying');
        await sleep(backoffDelayMs(policy, attempt));
        await payload.heartbeat();
        if (!payload.isRunning() || payload.isStale()) return { kind: 'interrupted' };
      }
    }
  }

  async function handleOne(payload: EachBatchPayload, message: KafkaMessage): Promise<Outcome> {
    const record = await decoded(payload, message);
    if (!record) return { kind: 'parked' };
    const outcome = await withRetries(payload, message.offset, () =>
      subscriptionOf(payload.batch.topic).handle(record),
    );
    if (outcome.kind !== 'failed') return outcome;
    await park(payload.batch.topic, payload.batch.partition, message, outcome.err, outcome.attempts);
    return { kind: 'parked' };
  }

  /** A chunk for a batch handler; record by record when it fails for good. */
  async function handleChunk(
    payload: EachBatchPayload,
    messages: KafkaMessage[],
    handle: BatchHandler<unknown>,
  ): Promise<Outcome> {
    const records: ConsumedRecord<unknown>[] = [];
    for (const message of messages) {
      const record = await decoded(payload, message);
      if (record) records.push(record);
    }
    const last = messages[messages.length - 1] as KafkaMessage;
    const outcome = records.length
      ? await withRetries(payload, last.offset, () => handle(records))
      : { kind: 'done' as const };
    if (outcome.kind === 'interrupted') return outcome;
    if (outcome.kind === 'failed') {
      logger.warn({ err: outcome.err, records: records.length }, 'batch failed; handling its records one by one');
      for (const message of messages) {
        const one = await handleOne(payload, message);
        if (one.kind === 'interrupted') return one;
        if (one.kind === 'done') stats.processed++;
        payload.resolveOffset(message.offset);
      }
      return { kind: 'done' };
    }
    stats.processed += records.length;
    payload.resolveOffset(last.offset);
    return { kind: 'done' };
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const batch = subscriptionOf(payload.batch.topic).batch;
    if (batch) {
      const { messages } = payload.batch;
      for (let i = 0; i < messages.length; i += batch.max) {
        if (!payload.isRunning() || payload.isStale()) return;
        const outcome = await handleChunk(payload, messages.slice(i, i + batch.max), batch.handle);
        if (outcome.kind === 'interrupted') return;
        await payload.heartbeat();
      }
      return;
    }
    for (const message of payload.batch.messages) {
      if (!payload.isRunning() || payload.isStale()) return;
      const outcome = await handleOne(payload, message);
      if (outcome.kind === 'interrupted') return;
      if (outcome.kind === 'done') stats.processed++;
      // The effect (or the parking) is durable: only now may the offset move past this record.
      payload.resolveOffset(message.offset);
      await payload.heartbeat();
    }
    // kafkajs commits the resolved offsets after each batch, and on stop once the batch in hand is done.
  }

  return {
    stats,
    async start() {
      const timeoutMs = options.joinTimeoutMs ?? 60_000;
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
        await consumer.subscribe({ topics: [...byTopic.keys()], fromBeginning: options.fromBeginning ?? true });
        // One partition at a time: kafkajs re-delivered batches unprocessed with concurrent partitions
        // (tulios/kafkajs#1700), and a case's records must be applied in order anyway.
        await consumer.run({ eachBatchAutoResolve: false, partitionsConsumedConcurrently: 1, eachBatch });
        await joined;
      } catch (err) {
        joined.catch(() => {});
        await consumer.disconnect().catch(() => {});
        throw err;
      } finally {
        clearTimeout(timer);
        off?.();
      }
      logger.info({ topics: [...byTopic.keys()] }, 'consumer joined its group');
    },
    async stop() {
      await consumer.disconnect();
      logger.info({ ...stats }, 'consumer stopped');
    },
  };
}
