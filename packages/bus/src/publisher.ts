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

export async function createPublisher(kafka: Kafka, prefix: string): Promise<Publisher> {
  // Idempotent with one request in flight: the broker drops retried duplicates by sequence number
  // and nothing can overtake a retried batch, so per-key order survives broker failover. kafkajs keeps
  // idempotence only with unbounded retries (it warns otherwise): a send waits out a broker outage.
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 5_000 },
  });
  await producer.connect();

  const send = async (topic: string, messages: Message[]): Promise<PublishedRecord[]> => {
    if (messages.length === 0) return [];
    const meta = await producer.send({ topic, messages, acks: -1 });
    return meta.map((m) => ({ topic: m.topicName, partition: m.partition, baseOffset: m.baseOffset ?? '-1' }));
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
