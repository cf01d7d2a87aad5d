import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bus, createBus } from './bus.ts';
import { kafkaClients } from './clients.ts';
import { caseAccepted, redisUrl, testBrokers, testLogger, waitFor } from './test-support.ts';
import { isolatedPrefix } from './topic.ts';
import { caseEvents } from './topics.ts';

const fixture = fileURLToPath(new URL('./ledger-consumer.fixture.ts', import.meta.url));

const exited = (child: ChildProcess) => new Promise((resolve) => child.once('exit', resolve));

describe.each(kafkaClients)('a consumer on %s killed mid-batch', (client) => {
  const keys = `test:bus-crash:${randomUUID()}:`;
  const prefix = isolatedPrefix(`bus-crash-${client}`);
  let bus: Bus;
  let redis: Redis;

  function startFixture(): ChildProcess {
    return spawn(process.execPath, [fixture], {
      env: {
        ...process.env,
        FIXTURE_KEYS: keys,
        FIXTURE_PREFIX: prefix,
        FIXTURE_COMMIT_INTERVAL_MS: '200',
        KAFKA_CLIENT: client,
        KAFKA_BROKERS: testBrokers().join(','),
        REDIS_URL: redisUrl(),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }

  beforeAll(async () => {
    redis = new Redis(redisUrl());
    bus = createBus({
      brokers: testBrokers(),
      clientId: 'crash-test',
      logger: testLogger(),
      topicPrefix: prefix,
      client,
    });
    await bus.ensureTopics([caseEvents], { partitions: 12 });
  });

  afterAll(async () => {
    await bus.close();
    await bus.deleteOwnTopics();
    const left = await redis.keys(`${keys}*`);
    if (left.length > 0) await redis.del(...left);
    redis.disconnect();
  });

  it('loses nothing after restart, re-delivers no more than it had not committed, and the ledger applies no record twice', async () => {
    const total = 3_000;
    const events = Array.from({ length: total }, (_, i) =>
      caseAccepted(`case-crash-${i % 97}`, Math.floor(i / 97) + 1),
    );
    const publisher = await bus.publisher();
    for (let i = 0; i < total; i += 500) await publisher.publish(caseEvents, events.slice(i, i + 500));
    const effects = () => redis.llen(`${keys}effects`);

    const first = startFixture();
    await waitFor('the first consumer to apply some records', async () => (await effects()) >= 600, 60_000);
    first.kill('SIGKILL');
    await exited(first);
    const appliedBeforeKill = await effects();
    expect(appliedBeforeKill).toBeLessThan(total);
    // Offsets are committed on an interval: what the killed process applied after its last commit is all
    // that can come again.
    const committedAtKill = [...(await bus.committedOffsets('crash', caseEvents)).values()].reduce(
      (n, o) => n + Number(o),
      0,
    );
    expect(committedAtKill).toBeLessThanOrEqual(appliedBeforeKill);

    const second = startFixture();
    try {
      await waitFor('every record applied', async () => (await effects()) >= total, 90_000);
      // Give redeliveries a moment to show up as extra effects if the ledger let any through.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    } finally {
      second.kill('SIGTERM');
      await exited(second);
    }

    const applied = await redis.lrange(`${keys}effects`, 0, -1);
    expect(applied.length).toBe(total);
    expect(new Set(applied)).toEqual(new Set(events.map((e) => e.envelope?.eventId)));
    // The kill left applied records uncommitted: they came again and the ledger skipped them.
    const duplicates = Number(await redis.get(`${keys}duplicates`));
    expect(duplicates).toBeGreaterThan(0);
    expect(duplicates).toBeLessThanOrEqual(appliedBeforeKill - committedAtKill);
  }, 180_000);
});
