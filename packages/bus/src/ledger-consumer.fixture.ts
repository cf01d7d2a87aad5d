// A consumer process for the crash test (crash.test.ts): each record's effect is an RPUSH of its event
// id, applied through the ledger. The test kills this process with SIGKILL in the middle of a batch.
import { createLogger } from '@petition/logging';
import { Redis } from 'ioredis';
import { createBus } from './bus.ts';
import { on } from './consumer.ts';
import { createLedger } from './ledger.ts';
import { caseEvents } from './topics.ts';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const keys = env('FIXTURE_KEYS');
const redis = new Redis(env('REDIS_URL'));
const ledger = createLedger(redis, { prefix: `${keys}done:` });
const bus = createBus({
  brokers: env('KAFKA_BROKERS').split(','),
  clientId: 'crash-fixture',
  logger: createLogger({ service: 'crash-fixture', level: 'warn' }),
  topicPrefix: env('FIXTURE_PREFIX'),
});
const consumer = bus.consumer({
  groupId: 'crash',
  sessionTimeoutMs: 6_000,
  commitIntervalMs: Number(process.env.FIXTURE_COMMIT_INTERVAL_MS ?? 1_000),
  subscriptions: [
    on(caseEvents, async (r) => {
      const id = r.value.envelope?.eventId ?? '';
      const outcome = await ledger.once(id, (tx) => tx.rpush(`${keys}effects`, id));
      if (outcome === 'duplicate') await redis.incr(`${keys}duplicates`);
      // Slow enough that a batch is still in hand when the test kills the process.
      await new Promise((resolve) => setTimeout(resolve, 1));
    }),
  ],
});
await consumer.start();
await redis.set(`${keys}joined:${process.pid}`, '1');
