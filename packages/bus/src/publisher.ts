import type { Logger } from '@petition/logging';
import type { Kafka, Message, Producer } from 'kafkajs';
import { Header, protobufContentType } from './headers.ts';
import { type TopicSpec, topicName } from './topic.ts';

export interface PublishedRecord {
  topic: string;
  partition: number;
  baseOffset: string;
}

export interface RawRecord {
  key: string | null;
  value: Buffer | null;
  headers?: Record<string, string>;
}

export interface Publisher {
  /** Encodes and sends the messages in one request; resolves once every replica in sync has them. */
  publish<T>(topic: TopicSpec<T>, messages: readonly T[]): Promise<PublishedRecord[]>;
  /** Sends records as they are, to a full topic name (DLQ parking, replays). */
  publishRaw(topic: string, records: readonly RawRecord[]): Promise<PublishedRecord[]>;
  close(): Promise<void>;
}

export function toMessage<T>(topic: TopicSpec<T>, message: T): Message {
  const headers: Record<string, string> = {
    [Header.eventType]: topic.typeOf(message),
    [Header.schemaVersion]: String(topic.schemaVersion),
    [Header.contentType]: protobufContentType,
  };
  const trace = topic.traceOf?.(message);
  if (trace?.traceparent) headers[Header.traceparent] = trace.traceparent;
  if (trace?.tracestate) headers[Header.tracestate] = trace.tracestate;
  const bytes = topic.codec.encode(message).finish();
  return {
    key: topic.keyOf(message),
    value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    headers,
  };
}

/** True for kafkajs's idempotent-producer failure after a retried batch (anywhere in the cause chain). */
export function isSequenceReset(error: unknown): boolean {
  for (let e = error as { type?: string; cause?: unknown; originalError?: unknown } | undefined; e; ) {
    if (e.type === 'OUT_OF_ORDER_SEQUENCE_NUMBER' || e.type === 'UNKNOWN_PRODUCER_ID') return true;
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return false;
}

const maxProducerResets = 5;

export async function createPublisher(kafka: Kafka, prefix: string, logger: Logger): Promise<Publisher> {
  // Idempotent with one request in flight: the broker drops retried duplicates by sequence number
  // and nothing can overtake a retried batch, so per-key order survives broker failover. kafkajs keeps
  // idempotence only with unbounded retries (it warns otherwise): a send waits out a broker outage.
  const open = async () => {
    const p: Producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 5_000 },
    });
    await p.connect();
    return p;
  };
  let producer = await open();

  // After a leader change kafkajs may resend a batch with its sequence reset, which the broker refuses
  // for good. A new producer (a new producer id) sends the batch again: records of it that had been
  // written appear twice, which consumers absorb (they are idempotent by event or command id).
  const send = async (topic: string, messages: Message[]): Promise<PublishedRecord[]> => {
    if (messages.length === 0) return [];
    for (let resets = 0; ; resets++) {
      try {
        const meta = await producer.send({ topic, messages, acks: -1 });
        return meta.map((m) => ({ topic: m.topicName, partition: m.partition, baseOffset: m.baseOffset ?? '-1' }));
      } catch (error) {
        if (!isSequenceReset(error) || resets >= maxProducerResets) throw error;
        logger.warn(
          { topic, records: messages.length, resets: resets + 1 },
          'producer sequence reset; resending with a new producer',
        );
        await producer.disconnect().catch(() => undefined);
        producer = await open();
      }
    }
  };

  return {
    publish: (topic, messages) =>
      send(
        topicName(prefix, topic),
        messages.map((m) => toMessage(topic, m)),
      ),
    publishRaw: (topic, records) =>
      send(
        topic,
        records.map((r) => ({ ...r })),
      ),
    close: () => producer.disconnect(),
  };
}
