import { type Bus, type BusConsumer, type ConsumerOptions, dlqSuffix, partitionLags } from '@petition/bus';
import type { Logger } from '@petition/logging';
import { Counter, Gauge, type Registry } from 'prom-client';

// What an operator scales and alerts on, per service, on its /metrics: the lag of each of its consumer groups
// per topic and partition (the broker's end offset less the group's committed offset — what KEDA's Kafka
// scaler reads too), the records its consumers handled, retried, parked and skipped, and the size of the DLQs
// beside the topics it reads. The broker is asked when Prometheus scrapes, at most once per `cacheMs`.

interface Watched {
  readonly groupId: string;
  readonly topics: readonly { readonly name: string }[];
  readonly commits: boolean;
  readonly consumer: BusConsumer;
  /** What the counter has taken of this consumer's stats so far, by outcome. */
  readonly counted: Map<string, number>;
}

const outcomes = ['processed', 'retried', 'parked', 'skipped'] as const;

export function createBusMetrics(o: { bus: Bus; registry: Registry; logger: Logger; cacheMs?: number }) {
  const watched: Watched[] = [];
  const cacheMs = o.cacheMs ?? 5_000;
  let cached: { at: number; reading: Promise<Reading> } | undefined;
  type Reading = {
    lag: { group: string; topic: string; partition: number; lag: number }[];
    dlq: { topic: string; records: number }[];
  };

  async function read(): Promise<Reading> {
    const lag: Reading['lag'] = [];
    const dlqTopics = new Set<string>();
    for (const w of watched) {
      for (const topic of w.topics) {
        dlqTopics.add(topic.name);
        if (!w.commits) continue;
        const [ends, committed] = await Promise.all([
          o.bus.endOffsets(topic),
          o.bus.committedOffsets(w.groupId, topic),
        ]);
        for (const l of partitionLags(ends, committed))
          lag.push({ group: w.groupId, topic: topic.name, partition: l.partition, lag: Number(l.lag) });
      }
    }
    const dlq: Reading['dlq'] = [];
    for (const name of dlqTopics) {
      const ends = await o.bus.endOffsets({ name: `${name}${dlqSuffix}` }).catch(() => new Map<number, bigint>());
      dlq.push({ topic: `${name}${dlqSuffix}`, records: Number([...ends.values()].reduce((n, e) => n + e, 0n)) });
    }
    return { lag, dlq };
  }
  /** One reading of the broker per scrape (and per `cacheMs`), shared by the gauges that show it. */
  function reading(): Promise<Reading> {
    if (!cached || Date.now() - cached.at > cacheMs) {
      const attempt = read().catch((err) => {
        o.logger.warn({ err }, 'consumer lag could not be read from the broker');
        cached = undefined;
        return { lag: [], dlq: [] } satisfies Reading;
      });
      cached = { at: Date.now(), reading: attempt };
    }
    return cached.reading;
  }

  new Gauge({
    name: 'petition_consumer_lag',
    help: 'Records not yet committed by the consumer group: end offset less committed offset, per partition',
    labelNames: ['group', 'topic', 'partition'],
    registers: [o.registry],
    async collect() {
      this.reset();
      for (const l of (await reading()).lag)
        this.set({ group: l.group, topic: l.topic, partition: String(l.partition) }, l.lag);
    },
  });
  new Gauge({
    name: 'petition_dlq_records',
    help: 'Records ever parked on the DLQ beside a topic this service reads (its end offsets summed)',
    labelNames: ['topic'],
    registers: [o.registry],
    async collect() {
      this.reset();
      for (const d of (await reading()).dlq) this.set({ topic: d.topic }, d.records);
    },
  });
  new Counter({
    name: 'petition_consumer_records_total',
    help: 'Records of the consumer group by outcome: processed, retried (an attempt failed and is tried again), parked (in the DLQ), skipped (not wanted, by event type)',
    labelNames: ['group', 'outcome'],
    registers: [o.registry],
    collect() {
      for (const w of watched)
        for (const outcome of outcomes) {
          const now = w.consumer.stats[outcome];
          const before = w.counted.get(outcome) ?? 0;
          if (now > before) this.inc({ group: w.groupId, outcome }, now - before);
          w.counted.set(outcome, now);
        }
    },
  });

  return {
    /** Watches a consumer: its records by outcome, and — when it commits — its group's lag on each topic. */
    watch(consumer: BusConsumer, options: ConsumerOptions) {
      watched.push({
        groupId: options.groupId,
        topics: options.subscriptions.map((s) => s.topic),
        commits: options.commitOffsets ?? true,
        consumer,
        counted: new Map(),
      });
    },
  };
}
