import { caseEvents, isolatedPrefix, on, units } from '@petition/bus';
import { CaseEvent } from '@petition/contract';
import { createLogger } from '@petition/logging';
import { waitFor } from '@petition/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from './http-problems.ts';
import { type Runtime, startRuntime } from './service-runtime.ts';

// The signals an operator scales and alerts on, read from a service's /metrics against the real broker: the
// lag of a consumer group rises while it is stopped and falls back once it reads again; its records by
// outcome; the DLQ beside its topic; the API's latency by route template.

const logger = createLogger({ service: 'bus-metrics-test', level: process.env.LOG_LEVEL ?? 'warn' });
const config = {
  brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
  topicPrefix: isolatedPrefix('bus-metrics'),
  topicPartitions: 2,
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
};
let rt: Runtime;
let ops: string;
let api: string;

beforeAll(async () => {
  rt = await startRuntime({ service: 'metrics-test', config, logger, topics: [caseEvents, units] });
  const app = createApiServer();
  app.get<{ Params: { id: string } }>('/v1/things/:id', async (request) => ({ id: request.params.id }));
  api = await rt.listen(app, { port: 0, host: '127.0.0.1' });
  ops = await rt.listenOps({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await rt?.close();
  await rt?.bus.deleteOwnTopics();
});

const metrics = async () => (await fetch(`${ops}/metrics`)).text();
/** The sum of a metric's samples whose labels contain every `label="value"` given. */
function sampled(text: string, name: string, labels: readonly string[] = []): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && labels.every((l) => line.includes(l)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}
const events = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) =>
    CaseEvent.fromPartial({
      envelope: { eventId: `${tag}-${i}`, caseId: `${tag}-case-${i}`, caseVersion: 1, producer: 'test' },
      payload: { $case: 'caseAccepted', value: { acceptingUnitId: '330106-rsj' } },
    }),
  );

describe('a service’s /metrics', () => {
  it('shows a group’s lag rise while its consumer is stopped, and fall back once it reads again', async () => {
    const group = 'lag-watched';
    const seen = new Set<string>();
    const start = () => {
      const consumer = rt.consumer({
        groupId: group,
        commitIntervalMs: 100,
        subscriptions: [on(caseEvents, async (r) => void seen.add(r.value.envelope?.eventId ?? ''))],
      });
      return consumer;
    };
    const publisher = await rt.bus.publisher();
    let consumer = start();
    await consumer.start();
    await publisher.publish(caseEvents, events(10, 'before'));
    await waitFor('the first records read', () => seen.size >= 10);
    const lagOf = async () => sampled(await metrics(), 'petition_consumer_lag', [`group="${group}"`]);
    await waitFor('no lag while it reads', async () => (await lagOf()) === 0, 20_000);
    await consumer.stop();
    await publisher.publish(caseEvents, events(25, 'while-stopped'));
    await waitFor('the lag of what came while it was stopped', async () => (await lagOf()) === 25, 20_000);
    consumer = start();
    await consumer.start();
    await waitFor('the lag gone once it reads again', async () => (await lagOf()) === 0, 30_000);
    await consumer.stop();
    const text = await metrics();
    expect(sampled(text, 'petition_consumer_records_total', [`group="${group}"`, 'outcome="processed"'])).toBe(35);
    expect(text).toMatch(/petition_dlq_records\{topic="[^"]*petition\.case-events\.v1\.dlq"\} 0/);
  });

  it('times the API’s answers by route template, never by the ids in the path', async () => {
    for (const id of ['a', 'b', 'c']) expect((await fetch(`${api}/v1/things/${id}`)).status).toBe(200);
    expect((await fetch(`${api}/nowhere`)).status).toBe(404);
    const text = await metrics();
    expect(
      sampled(text, 'petition_http_request_duration_seconds_count', ['route="/v1/things/:id"', 'status="200"']),
    ).toBe(3);
    expect(sampled(text, 'petition_http_request_duration_seconds_count', ['status="404"'])).toBe(1);
    expect(text).not.toMatch(/route="\/v1\/things\/a"/);
  });
});
