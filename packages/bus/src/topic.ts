/** A topic of the bus: its name, its one message type, and how a record of it is keyed and labelled. */
export interface MessageCodec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

export interface TopicSpec<T> {
  /** Name without the deployment prefix, e.g. `petition.case-events.v1`. */
  readonly name: string;
  readonly codec: MessageCodec<T>;
  /** The record key: every record of a case is keyed by its case id (one partition, one order). */
  readonly keyOf: (message: T) => string;
  /** The `event-type` header: the payload's message name, so consumers can filter without decoding. */
  readonly typeOf: (message: T) => string;
  /**
   * The `event-type` header of a payload case (`$case`, e.g. `caseAccepted`), as `typeOf` writes it:
   * subscriptions name the cases they want and skip the rest by header, without decoding them.
   */
  eventTypeOfCase?(payloadCase: string): string;
  /** W3C trace context carried by the message, copied into headers. */
  readonly traceOf?: (message: T) => { traceparent?: string; tracestate?: string } | undefined;
  /** Log-compacted topics keep the latest record per key (the unit directory). */
  readonly compacted?: boolean;
  readonly schemaVersion: number;
  /** The one service that writes the topic (DESIGN "Topics"), for the AsyncAPI document. */
  readonly writer?: string;
  /** What the topic carries, one line, for the AsyncAPI document. */
  readonly description?: string;
  /** What the record key is, e.g. `the case id`, for the AsyncAPI document. */
  readonly keyDescription?: string;
  /** The payload cases the writer puts here, when fewer than the message has (two topics share one message). */
  readonly writtenCases?: readonly PayloadCase<T>[];
}

/** The `$case` names of a message's oneof (ts-proto), e.g. `'caseAccepted' | 'caseForwarded' | …`. */
export type PayloadCase<T> = {
  [K in keyof T]-?: NonNullable<T[K]> extends { $case: infer C extends string } ? C : never;
}[keyof T];

export function defineTopic<T>(spec: TopicSpec<T>): TopicSpec<T> {
  return Object.freeze({ ...spec });
}

export const dlqSuffix = '.dlq';

/** The name on the broker: prefix + name. A prefix isolates tests and nodes sharing one broker. */
export function topicName(prefix: string, spec: { name: string }): string {
  return `${prefix}${spec.name}`;
}

/** A fresh prefix for one test file or benchmark run, so that runs sharing a broker never meet. */
export function isolatedPrefix(label: string): string {
  const safe = label.replace(/[^a-zA-Z0-9-]/g, '-').slice(0, 40);
  return `t-${safe}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}.`;
}
