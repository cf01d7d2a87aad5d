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

/** A record as it goes on the wire, whatever the client: key, protobuf bytes, the bus's headers. */
export interface OutgoingRecord {
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export function toMessage<T>(topic: TopicSpec<T>, message: T): OutgoingRecord & { key: string; value: Buffer } {
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

/** Sends records to a full topic name in one request, acks=all, through one client's producer. */
export type SendRecords = (topic: string, records: OutgoingRecord[]) => Promise<PublishedRecord[]>;

/** The bus's publisher over a client's send: encoding, headers and the prefix are the same for every client. */
export function publisherOver(prefix: string, send: SendRecords, close: () => Promise<void>): Publisher {
  return {
    publish: (topic, messages) =>
      send(
        topicName(prefix, topic),
        messages.map((m) => toMessage(topic, m)),
      ),
    publishRaw: (topic, records) =>
      send(
        topic,
        records.map((r) => ({ key: r.key, value: r.value, headers: r.headers ?? {} })),
      ),
    close,
  };
}
