/** Record headers every record on the bus carries; integrators can filter on them without decoding. */
export const Header = {
  eventType: 'event-type',
  schemaVersion: 'schema-version',
  contentType: 'content-type',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  dlqReason: 'dlq-reason',
  dlqErrorCode: 'dlq-error-code',
  dlqSourceTopic: 'dlq-source-topic',
  dlqSourcePartition: 'dlq-source-partition',
  dlqSourceOffset: 'dlq-source-offset',
  dlqAttempts: 'dlq-attempts',
  dlqGroup: 'dlq-consumer-group',
  dlqTime: 'dlq-time',
} as const;

export const protobufContentType = 'application/x-protobuf';

export type RawHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** kafkajs hands headers over as Buffers (or arrays of them when a key repeats); we read the last. */
export function readHeaders(raw: RawHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const [key, value] of Object.entries(raw)) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) out[key] = last.toString();
  }
  return out;
}
