import { type Context, context, isSpanContextValid, trace } from '@opentelemetry/api';
import { traceIdOf, traceparentOf, tracingEnabled } from '@petition/telemetry';
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
  /**
   * Encodes and sends the messages in one request; resolves once every replica in sync has them. `at` is
   * where each message was published from (a batcher sends later, elsewhere): its active span goes into the
   * `traceparent` header; the context active here when omitted.
   */
  publish<T>(
    topic: TopicSpec<T>,
    messages: readonly T[],
    at?: readonly (Context | undefined)[],
  ): Promise<PublishedRecord[]>;
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

type Trace = { traceparent?: string; tracestate?: string } | undefined;

/**
 * The trace context a record carries: the span active where it was published when that span is in the
 * message's own trace (or the message has none) — so a consumer's span hangs under the step that wrote the
 * record — else the message's own.
 */
function traceOfRecord(own: Trace, at: Context | undefined): Trace {
  if (!tracingEnabled()) return own;
  const ids = trace.getSpan(at ?? context.active())?.spanContext();
  if (!ids || !isSpanContextValid(ids)) return own;
  if (own?.traceparent && traceIdOf(own.traceparent) !== ids.traceId) return own;
  return { traceparent: traceparentOf(ids), tracestate: own?.tracestate || ids.traceState?.serialize() };
}

export function toMessage<T>(
  topic: TopicSpec<T>,
  message: T,
  at?: Context,
): OutgoingRecord & { key: string; value: Buffer } {
  const headers: Record<string, string> = {
    [Header.eventType]: topic.typeOf(message),
    [Header.schemaVersion]: String(topic.schemaVersion),
    [Header.contentType]: protobufContentType,
  };
  const carried = traceOfRecord(topic.traceOf?.(message), at);
  if (carried?.traceparent) headers[Header.traceparent] = carried.traceparent;
  if (carried?.tracestate) headers[Header.tracestate] = carried.tracestate;
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
    publish: (topic, messages, at) =>
      send(
        topicName(prefix, topic),
        messages.map((m, i) => toMessage(topic, m, at?.[i])),
      ),
    publishRaw: (topic, records) =>
      send(
        topic,
        records.map((r) => ({ key: r.key, value: r.value, headers: r.headers ?? {} })),
      ),
    close,
  };
}
