import { ConfigResourceTypes, ConfigSource, Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { type Bus, createBus } from './bus.ts';
import { kafkaClients } from './clients.ts';
import { testBrokers, testLogger } from './test-support.ts';
import { isolatedPrefix } from './topic.ts';
import { caseEvents, units } from './topics.ts';

// The replication of the topics the bus creates (TOPIC_REPLICATION_FACTOR, TOPIC_MIN_INSYNC_REPLICAS),
// read back from the broker by a client of its own.

async function topicConfig(topic: string) {
  const admin = new Kafka({
    clientId: 'replication-check',
    brokers: testBrokers(),
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const [described, metadata] = await Promise.all([
      admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }] }),
      admin.fetchTopicMetadata({ topics: [topic] }),
    ]);
    const entries = described.resources[0]?.configEntries ?? [];
    const entry = (name: string) => entries.find((e) => e.configName === name);
    return {
      minInsyncReplicas: entry('min.insync.replicas'),
      cleanupPolicy: entry('cleanup.policy')?.configValue,
      replicas: metadata.topics[0]?.partitions.map((p) => p.replicas.length) ?? [],
    };
  } finally {
    await admin.disconnect();
  }
}

/** The messages of an error and of those it aggregates (both clients report per-topic errors inside one). */
function reasons(error: unknown): string[] {
  if (!(error instanceof Error)) return [];
  const inner = (error as { errors?: unknown }).errors;
  return [error.message, ...(Array.isArray(inner) ? inner.flatMap(reasons) : []), ...reasons(error.cause)];
}

describe.each(kafkaClients)('topics made by the bus on %s', (client) => {
  const buses: Bus[] = [];
  const busWith = (name: string, o: { topicReplicationFactor?: number; topicMinInsyncReplicas?: number } = {}) => {
    const bus = createBus({
      brokers: testBrokers(),
      clientId: 'replication-test',
      logger: testLogger(),
      topicPrefix: isolatedPrefix(`repl-${name}-${client}`),
      client,
      ...o,
    });
    buses.push(bus);
    return bus;
  };

  afterAll(async () => {
    for (const bus of buses) {
      await bus.close();
      await bus.deleteOwnTopics();
    }
  });

  it('carry the configured min.insync.replicas as their own setting, beside compaction', async () => {
    const bus = busWith('isr', { topicReplicationFactor: 1, topicMinInsyncReplicas: 1 });
    await bus.ensureTopics([caseEvents, units], { partitions: 2 });
    for (const spec of [caseEvents, units]) {
      const config = await topicConfig(bus.topicName(spec));
      expect(config.minInsyncReplicas).toMatchObject({ configValue: '1', configSource: ConfigSource.TOPIC_CONFIG });
      expect(config.replicas).toEqual([1, 1]);
    }
    expect((await topicConfig(bus.topicName(units))).cleanupPolicy).toBe('compact');
    expect((await topicConfig(bus.topicName(caseEvents))).cleanupPolicy).toBe('delete');
  });

  it('leave min.insync.replicas to the broker when none is configured', async () => {
    const bus = busWith('default');
    await bus.ensureTopics([caseEvents], { partitions: 1 });
    const { minInsyncReplicas } = await topicConfig(bus.topicName(caseEvents));
    expect(minInsyncReplicas?.configSource).not.toBe(ConfigSource.TOPIC_CONFIG);
  });

  it('ask for the configured replication factor: more replicas than brokers is refused by the broker', async () => {
    const bus = busWith('rf3', { topicReplicationFactor: 3 });
    const refusal = await bus.ensureTopics([caseEvents], { partitions: 1 }).catch((err: unknown) => err);
    expect(reasons(refusal).join('\n')).toMatch(/[Rr]eplication.factor is (invalid|below 1 or larger)/);
    expect(await bus.deleteOwnTopics()).toBe(0);
  });
});
