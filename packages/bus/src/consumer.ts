import type { RetryPolicy } from './retry.ts';
import type { PayloadCase, TopicSpec } from './topic.ts';

// The consumer API every Kafka client of the bus offers alike (kafkajs/, platformatic/): subscriptions,
// options and what a handler is given. What is done with a fetched record lives in delivery.ts, the
// commits of processed offsets in offset-commits.ts.

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
  /** The `event-type` header values wanted; undefined when every record is. */
  only?: ReadonlySet<string>;
}

export interface SubscribeOptions<T> {
  /**
   * The payload cases wanted (`$case` names, e.g. `'petitionRegistered'`). A record of another case is
   * skipped by its `event-type` header, before it is decoded: it reaches no handler, and its offset moves
   * on as if it had been handled. A record without the header is decoded and handed over.
   */
  only?: readonly PayloadCase<T>[];
}

export interface BatchSubscribeOptions<T> extends SubscribeOptions<T> {
  /** Most records in one call of the handler. */
  max?: number;
}

function wantedTypes<T>(topic: TopicSpec<T>, only: readonly string[] | undefined): ReadonlySet<string> | undefined {
  if (only === undefined) return undefined;
  const typeOfCase = topic.eventTypeOfCase;
  if (!typeOfCase) throw new Error(`topic ${topic.name} names no payload cases: a subscription to it cannot filter`);
  return new Set(only.map((c) => typeOfCase.call(topic, c)));
}

/** Binds a handler to a topic with the topic's message type. */
export function on<T>(topic: TopicSpec<T>, handle: Handler<T>, options: SubscribeOptions<T> = {}): Subscription<T> {
  return { topic, handle, only: wantedTypes(topic, options.only) };
}

/**
 * Binds a handler of several records at once: consecutive records of one partition, in order, at most
 * `max` (500) per call; their offsets move on only once it resolves, so a handler that makes its effects
 * durable together (one produce for all) keeps the at-least-once promise. A chunk that fails for good is
 * handled again record by record, so that only the bad record is parked. The handler must be idempotent.
 */
export function onBatch<T>(
  topic: TopicSpec<T>,
  handle: BatchHandler<T>,
  options: BatchSubscribeOptions<T> = {},
): Subscription<T> {
  return {
    topic,
    handle: (record) => handle([record]),
    batch: { handle, max: options.max ?? 500 },
    only: wantedTypes(topic, options.only),
  };
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
   * How often processed offsets are committed (they are also committed on stop and before a rebalance).
   * A commit per fetched batch costs the broker a request per batch in every group; handlers are
   * idempotent, so a crash re-delivers at most this much work, which they absorb.
   */
  commitIntervalMs?: number;
  /**
   * A fetch is answered once this many bytes are ready or `fetchMaxWaitMs` has passed. Waiting for a
   * few records instead of one turns a fetch per produce into a fetch per many.
   */
  fetchMinBytes?: number;
  /** The longest a fetch waits for `fetchMinBytes`: the latency each hop may add when traffic is thin. */
  fetchMaxWaitMs?: number;
  /**
   * Called on every (re)join with this member's partitions per topic (by its name in the catalogue, without
   * prefix), before records of them are
   * handled: handlers can wait on what it starts (e.g. catching up on state for newly owned partitions).
   */
  onAssigned?: (partitions: ReadonlyMap<string, readonly number[]>) => void;
  /**
   * false: nothing is committed. For a reader that rebuilds what it keeps in memory from `fromBeginning` at
   * every start (a directory, a state): it keeps its position while it runs, and the broker forgets its
   * group once it is empty, instead of keeping one group of offsets per process that ever ran.
   */
  commitOffsets?: boolean;
}

/**
 * Defaults of the consumer's request pacing. A case crosses ~8 hops from intake to an inbox; at 20 ms
 * the longest a hop waits on a quiet topic, the wait adds at most ~160 ms to the 500 ms p99 budget,
 * while a busy topic fills 32 KiB (~90 records of ~370 bytes) sooner and answers at once.
 */
export const consumerDefaults = {
  commitIntervalMs: 1_000,
  fetchMinBytes: 32 * 1024,
  fetchMaxWaitMs: 20,
  sessionTimeoutMs: 30_000,
  joinTimeoutMs: 60_000,
} as const;

export interface ConsumerStats {
  processed: number;
  retried: number;
  parked: number;
  /** Records passed over by their `event-type` header (a subscription's `only`), never decoded. */
  skipped: number;
}

export interface BusConsumer {
  /** Connects, subscribes and resolves once this member has joined the group and holds partitions. */
  start(): Promise<void>;
  /** Stops taking records, lets the record in hand finish, commits what is done, leaves the group. */
  stop(): Promise<void>;
  /**
   * Stops fetching, keeping its place and its partitions (the record in hand finishes; what was fetched
   * before may still be handled): a reader that has caught up costs no fetches until it is resumed.
   */
  pause(): void;
  /** Fetches again from where it was paused. */
  resume(): void;
  readonly stats: Readonly<ConsumerStats>;
}
