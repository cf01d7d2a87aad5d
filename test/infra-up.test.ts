// `npm run infra:up` as another process would run it: the broker it reports takes records from one
// process and hands them to another, and a second `up` reuses everything.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { caseEvents, createBus, isolatedPrefix, on } from '@petition/bus';
import { CaseEvent } from '@petition/contract';
import { createLogger } from '@petition/logging';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../packages/infra/src/cli.ts', import.meta.url));
const prefix = isolatedPrefix('infra-up');

async function infraUp(): Promise<{ brokers: string; redisUrl: string; log: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, TOPIC_PREFIX: prefix, TOPIC_PARTITIONS: '3', LOG_LEVEL: 'info' };
  // Where the harness started the broker itself, `up` must find it as a broker of this project, not
  // be told where it is.
  if (process.env.TEST_BROKER_MODE !== 'external') delete env.KAFKA_BROKERS;
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, 'up'], { env });
  const brokers = /^KAFKA_BROKERS=(.+)$/m.exec(stdout)?.[1] ?? '';
  const redisUrl = /^REDIS_URL=(.+)$/m.exec(stdout)?.[1] ?? '';
  return { brokers, redisUrl, log: stderr + stdout };
}

describe('infra:up', () => {
  it('prints a broker that another process can produce to and consume from, and is idempotent', async () => {
    const first = await infraUp();
    expect(first.brokers).toBe(process.env.KAFKA_BROKERS);
    expect(first.redisUrl).toMatch(/^redis:\/\//);
    expect(first.log).toContain('topics created');

    const second = await infraUp();
    expect(second.brokers).toBe(first.brokers);
    expect(second.log).not.toContain('topics created');

    const bus = createBus({
      brokers: first.brokers.split(','),
      clientId: 'infra-up-test',
      logger: createLogger({ service: 'infra-up-test', level: 'warn' }),
      topicPrefix: prefix,
    });
    try {
      const event = CaseEvent.fromPartial({ envelope: { eventId: 'e-infra-1', caseId: 'case-infra', caseVersion: 1 } });
      const got: CaseEvent[] = [];
      const consumer = bus.consumer({
        groupId: 'infra-up',
        subscriptions: [on(caseEvents, async (r) => void got.push(r.value))],
      });
      await consumer.start();
      await (await bus.publisher()).publish(caseEvents, [event]);
      const deadline = Date.now() + 30_000;
      while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(got).toEqual([event]);
    } finally {
      await bus.close();
      await bus.deleteOwnTopics();
    }
  });
});
