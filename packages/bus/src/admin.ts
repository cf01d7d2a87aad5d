import type { Logger } from '@petition/logging';
import { securityRefusal } from './security.ts';
import { dlqSuffix, type TopicSpec, topicName } from './topic.ts';

// What the bus's admin operations share across clients: the topics a deployment wants, the wait for a
// broker, and how a partition count that differs from the configured one is reported.

export interface TopicOptions {
  partitions: number;
  /** Replicas of each partition; 1 (a single local broker) when omitted. */
  replicationFactor?: number;
  /**
   * `min.insync.replicas` of each topic created: with acks=all a write succeeds only once this many
   * replicas have it. The broker's own default when omitted.
   */
  minInsyncReplicas?: number;
}

/** The topic-level configuration of a topic created with `options`. */
export function topicConfigs(options: TopicOptions, compacted: boolean): { name: string; value: string }[] {
  return [
    ...(compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : []),
    ...(options.minInsyncReplicas === undefined
      ? []
      : [{ name: 'min.insync.replicas', value: String(options.minInsyncReplicas) }]),
  ];
}

export interface ClusterInfo {
  brokers: string[];
  controllerId: number | null;
  clusterId: string;
}

export interface WantedTopic {
  topic: string;
  compacted: boolean;
}

/** Each topic under the prefix and its `.dlq` beside it. */
export function wantedTopics(
  prefix: string,
  specs: readonly Pick<TopicSpec<unknown>, 'name' | 'compacted'>[],
): WantedTopic[] {
  return specs.flatMap((spec) => [
    { topic: topicName(prefix, spec), compacted: spec.compacted === true },
    { topic: topicName(prefix, spec) + dlqSuffix, compacted: false },
  ]);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Asks `describe` until the broker answers; rejects after `timeoutMs`. */
export async function waitForBroker(
  describe: () => Promise<ClusterInfo>,
  timeoutMs: number,
  logger: Logger,
): Promise<ClusterInfo> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      return await describe();
    } catch (err) {
      // Refused credentials or an untrusted certificate stay so: report them now, not at the deadline.
      const refusal = securityRefusal(err);
      if (refusal) throw refusal;
      lastError = err;
      logger.debug({ err }, 'broker not answering yet');
      await sleep(500);
    }
  }
  throw new Error(`Kafka broker did not answer metadata requests within ${timeoutMs} ms`, { cause: lastError });
}

/** Repeats a request while it fails with an error the client calls retriable (a leader not serving yet). */
export async function untilServed<T>(
  request: () => Promise<T>,
  retriable: (error: unknown) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await request();
    } catch (error) {
      if (!retriable(error) || Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

/**
 * An existing topic keeps its partition count: raising it would move keys to other partitions and
 * break the per-case order, so a mismatch is only reported.
 */
export function reportPartitionMismatch(
  counts: ReadonlyMap<string, number>,
  options: TopicOptions,
  logger: Logger,
): void {
  for (const [topic, partitions] of counts) {
    if (partitions !== options.partitions) {
      logger.warn(
        { topic, partitions, configured: options.partitions },
        'existing topic has another partition count; left as it is',
      );
    }
  }
}

/** Committed offsets as the bus reports them: 0 where a partition has none yet. */
export const committedOrZero = (offset: bigint) => (offset < 0n ? 0n : offset);
