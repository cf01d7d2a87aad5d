import { type Context, context, type Link, trace } from '@opentelemetry/api';
import type { Logger } from '@petition/logging';
import { contextOf, failSpan, SpanKind, spanContextOf, startSpan, tracingEnabled } from '@petition/telemetry';
import type { BatchHandler, ConsumedRecord, ConsumerStats, Subscription } from './consumer.ts';
import { Header } from './headers.ts';
import type { Publisher } from './publisher.ts';
import { backoffDelayMs, isRetryable, type RetryPolicy } from './retry.ts';
import { dlqSuffix, topicName } from './topic.ts';

// What the bus does with fetched records, whatever client fetched them: skip the unwanted by header,
// decode, hand over (alone or in chunks), retry transient faults, park the rest in the DLQ, and say which
// offsets are done. A client's consumer feeds it one partition's batch at a time.

/** How the bus reads a client's record without copying it into a shape of its own. */
export interface RecordAccess<M> {
  key(message: M): Buffer | null;
  value(message: M): Buffer | null;
  offset(message: M): string;
  timestamp(message: M): number;
  /** One header's value, read without the others (the filter reads `event-type` alone). */
  header(message: M, name: string): string | undefined;
  headers(message: M): Record<string, string>;
}

/** Consecutive records of one partition, in order. */
export interface PartitionBatch<M> {
  /** The full topic name (with the prefix). */
  topic: string;
  partition: number;
  messages: readonly M[];
  /** Keeps the group membership alive during long work; throws when the group rebalances. */
  heartbeat(): Promise<void>;
  /** True once the consumer stops or loses the partition: the record in hand finishes, no more start. */
  interrupted(): boolean;
  /** Everything up to and including `offset` is done with (handled, parked or skipped). */
  processed(offset: string): void;
}

export interface DeliveryOptions {
  prefix: string;
  groupId: string;
  // biome-ignore lint/suspicious/noExplicitAny: each subscription carries its own message type
  subscriptions: readonly Subscription<any>[];
  policy: RetryPolicy;
  logger: Logger;
  publisher: () => Promise<Publisher>;
}

export interface Delivery<M> {
  /** Subscribed topics by their full name. */
  readonly topics: readonly string[];
  /** The catalogue name (without prefix) of a full topic name, if subscribed. */
  nameOf(topic: string): string | undefined;
  deliver(batch: PartitionBatch<M>): Promise<void>;
  readonly stats: ConsumerStats;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const heartbeatEveryMs = 500;

type Outcome = 'done' | 'parked' | 'interrupted';

export function createDelivery<M>(access: RecordAccess<M>, options: DeliveryOptions): Delivery<M> {
  const { policy, logger } = options;
  const byTopic = new Map(options.subscriptions.map((s) => [topicName(options.prefix, s.topic), s]));
  const stats: ConsumerStats = { processed: 0, retried: 0, parked: 0, skipped: 0 };

  function subscriptionOf(topic: string): Subscription<unknown> {
    const sub = byTopic.get(topic);
    if (!sub) throw new Error(`no subscription for topic ${topic}`);
    return sub;
  }

  /** False for a record whose `event-type` names a case the subscription does not want. */
  const wanted = (only: ReadonlySet<string> | undefined, message: M) => {
    if (!only) return true;
    const type = access.header(message, Header.eventType);
    return type === undefined || only.has(type);
  };

  async function park(batch: PartitionBatch<M>, message: M, err: unknown, attempts: number): Promise<void> {
    const reason = err instanceof Error ? err.message : String(err);
    const code = (err as { code?: unknown } | null)?.code;
    const offset = access.offset(message);
    const publisher = await options.publisher();
    await publisher.publishRaw(batch.topic + dlqSuffix, [
      {
        key: access.key(message)?.toString() ?? null,
        value: access.value(message),
        headers: {
          ...access.headers(message),
          [Header.dlqReason]: reason,
          [Header.dlqErrorCode]: typeof code === 'string' ? code : err instanceof Error ? err.name : 'UNKNOWN',
          [Header.dlqSourceTopic]: batch.topic,
          [Header.dlqSourcePartition]: String(batch.partition),
          [Header.dlqSourceOffset]: offset,
          [Header.dlqAttempts]: String(attempts),
          [Header.dlqGroup]: options.groupId,
          [Header.dlqTime]: new Date().toISOString(),
        },
      },
    ]);
    stats.parked++;
    logger.warn(
      { topic: batch.topic, partition: batch.partition, offset, reason, attempts },
      'record parked in the DLQ',
    );
  }

  /** The record decoded, or the reason it does not decode. */
  function decode(
    batch: PartitionBatch<M>,
    sub: Subscription<unknown>,
    message: M,
  ): ConsumedRecord<unknown> | { undecodable: Error } {
    let value: unknown;
    try {
      const bytes = access.value(message);
      if (!bytes) throw new Error('record has no value');
      value = sub.topic.codec.decode(bytes);
    } catch (err) {
      return { undecodable: new Error(`undecodable record: ${(err as Error).message}`) };
    }
    // Headers are read only when a handler asks for them: few do, and reading them all costs about
    // as much as decoding the record.
    let headers: Record<string, string> | undefined;
    return {
      topic: sub.topic,
      key: access.key(message)?.toString() ?? '',
      value,
      get headers() {
        headers ??= access.headers(message);
        return headers;
      },
      partition: batch.partition,
      offset: access.offset(message),
      timestamp: access.timestamp(message),
    };
  }

  /** The record decoded, or undefined once an undecodable one is parked. */
  async function decoded(batch: PartitionBatch<M>, sub: Subscription<unknown>, message: M) {
    const record = decode(batch, sub, message);
    if (!('undecodable' in record)) return record;
    await park(batch, message, record.undecodable, 0);
    return undefined;
  }

  // A CONSUMER span for each record handled (each chunk for a batch handler), under the span that wrote it
  // (its `traceparent` header), the handler run inside it: what the handler publishes and the Redis commands
  // it sends are its children, and its log lines carry the trace id. A chunk's span hangs under its first
  // record and links every record's own. Nothing of this runs while tracing is off.
  const service = String((typeof logger.bindings === 'function' && logger.bindings().service) || 'bus');
  const parentOf = (message: M): Context =>
    contextOf(access.header(message, Header.traceparent), access.header(message, Header.tracestate));
  async function traced<R>(
    batch: PartitionBatch<M>,
    sub: Subscription<unknown>,
    messages: readonly M[],
    work: () => Promise<R>,
  ) {
    const first = messages[0];
    if (!tracingEnabled() || first === undefined) return work();
    const links: Link[] = [];
    if (messages.length > 1) {
      for (const m of messages) {
        const linked = spanContextOf(access.header(m, Header.traceparent));
        if (linked) links.push({ context: linked });
      }
    }
    const parent = parentOf(first);
    const span = startSpan(service, `process ${sub.topic.name}`, {
      kind: SpanKind.CONSUMER,
      parent,
      links,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': batch.topic,
        'messaging.destination.partition.id': String(batch.partition),
        'messaging.consumer.group.name': options.groupId,
        ...(messages.length > 1
          ? { 'messaging.batch.message_count': messages.length }
          : { 'messaging.kafka.offset': Number(access.offset(first)) }),
      },
    });
    try {
      const outcome = await context.with(trace.setSpan(parent, span), work);
      if (typeof outcome === 'object' && outcome !== null && 'failed' in outcome) failSpan(span, outcome.failed);
      return outcome;
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  }

  /** Keeps the membership alive without a call per record (the client heartbeats on its own interval anyway). */
  let lastHeartbeat = 0;
  async function heartbeat(batch: PartitionBatch<M>) {
    const now = Date.now();
    if (now - lastHeartbeat < heartbeatEveryMs) return;
    lastHeartbeat = now;
    await batch.heartbeat();
  }

  /** Runs `work` under the retry policy: 'failed' when it failed for good (after `attempts` tries). */
  async function withRetries(
    batch: PartitionBatch<M>,
    offset: string,
    work: () => Promise<void>,
  ): Promise<Outcome | { failed: unknown; attempts: number }> {
    for (let attempt = 1; ; attempt++) {
      try {
        await work();
        return 'done';
      } catch (err) {
        if (!isRetryable(err) || attempt >= policy.maxAttempts) return { failed: err, attempts: attempt };
        stats.retried++;
        logger.warn(
          { err, topic: batch.topic, partition: batch.partition, offset, attempt },
          'handler failed; retrying',
        );
        await sleep(backoffDelayMs(policy, attempt));
        await batch.heartbeat();
        if (batch.interrupted()) return 'interrupted';
      }
    }
  }

  async function handleOne(batch: PartitionBatch<M>, sub: Subscription<unknown>, message: M): Promise<Outcome> {
    const record = await decoded(batch, sub, message);
    if (!record) return 'parked';
    const outcome = await traced(batch, sub, [message], () =>
      withRetries(batch, record.offset, () => sub.handle(record)),
    );
    if (typeof outcome === 'string') return outcome;
    await park(batch, message, outcome.failed, outcome.attempts);
    return 'parked';
  }

  /** One by one; false when interrupted. Each offset moves on once its effect (or parking) is durable. */
  async function deliverEach(batch: PartitionBatch<M>, sub: Subscription<unknown>, messages: readonly M[]) {
    for (const message of messages) {
      if (batch.interrupted()) return false;
      const outcome = await handleOne(batch, sub, message);
      if (outcome === 'interrupted') return false;
      if (outcome === 'done') stats.processed++;
      batch.processed(access.offset(message));
      await heartbeat(batch);
    }
    return true;
  }

  /** A chunk for a batch handler; record by record when it fails for good. False when interrupted. */
  async function deliverChunk(
    batch: PartitionBatch<M>,
    sub: Subscription<unknown>,
    handle: BatchHandler<unknown>,
    messages: readonly M[],
  ): Promise<boolean> {
    const records: ConsumedRecord<unknown>[] = [];
    for (const message of messages) {
      const record = await decoded(batch, sub, message);
      if (record) records.push(record);
    }
    const last = access.offset(messages[messages.length - 1] as M);
    const outcome = records.length
      ? await traced(batch, sub, messages, () => withRetries(batch, last, () => handle(records)))
      : 'done';
    if (outcome === 'interrupted') return false;
    if (typeof outcome !== 'string') {
      logger.warn({ err: outcome.failed, records: records.length }, 'batch failed; handling its records one by one');
      return deliverEach(batch, sub, messages);
    }
    stats.processed += records.length;
    batch.processed(last);
    return true;
  }

  async function deliver(batch: PartitionBatch<M>): Promise<void> {
    const sub = subscriptionOf(batch.topic);
    const all = batch.messages;
    const messages = sub.only ? all.filter((m) => wanted(sub.only, m)) : all;
    stats.skipped += all.length - messages.length;
    if (sub.batch) {
      const { handle, max } = sub.batch;
      for (let i = 0; i < messages.length; i += max) {
        if (batch.interrupted()) return;
        if (!(await deliverChunk(batch, sub, handle, messages.slice(i, i + max)))) return;
        await heartbeat(batch);
      }
    } else if (!(await deliverEach(batch, sub, messages))) {
      return;
    }
    // Skipped records after the last wanted one are done with too: the offset moves past them.
    const last = all[all.length - 1];
    if (last !== undefined && messages[messages.length - 1] !== last) batch.processed(access.offset(last));
  }

  return {
    topics: [...byTopic.keys()],
    nameOf: (topic) => byTopic.get(topic)?.topic.name,
    deliver,
    stats,
  };
}
