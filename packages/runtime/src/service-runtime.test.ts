import { caseEvents, deadlineEvents, isolatedPrefix, units } from '@petition/bus';
import { createLogger } from '@petition/logging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer, problemCatalogue } from './http-problems.ts';
import { addHealthRoutes } from './ops-server.ts';
import { type Runtime, startRuntime } from './service-runtime.ts';

// The skeleton against the real broker and Redis, as a service uses it: an API server whose errors are all
// problem+json, the operators' server, and the one ordered stop.

const logger = createLogger({ service: 'runtime-test', level: process.env.LOG_LEVEL ?? 'warn' });
const config = {
  brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
  topicPrefix: isolatedPrefix('runtime'),
  topicPartitions: 2,
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
};

const thingProblems = problemCatalogue({
  NO_SUCH_THING: { status: 404, title: 'No such thing' },
  THING_LOCKED: { status: 409, title: 'The thing is locked' },
});

let rt: Runtime;
let api: string;
let ops: string;

beforeAll(async () => {
  rt = await startRuntime({ service: 'runtime-test', config, logger, topics: [caseEvents, units] });
  await rt.connectRedis();
  const app = createApiServer({ bodyLimit: 1024 });
  app.post(
    '/v1/things',
    { schema: { body: { type: 'object', properties: { n: { type: 'integer' } } } } },
    async () => ({
      ok: true,
    }),
  );
  app.get<{ Params: { id: string } }>('/v1/things/:id', async (request) => {
    if (request.params.id === 'locked') throw thingProblems.error('THING_LOCKED', { detail: 'try later' });
    throw thingProblems.error('NO_SUCH_THING', { detail: `no thing ${request.params.id}` });
  });
  addHealthRoutes(app, { checks: rt.checks() });
  api = await rt.listen(app, { port: 0, host: '127.0.0.1' });
  ops = await rt.listenOps({ port: 0, host: '127.0.0.1' });
});
afterAll(() => rt?.close());

async function expectProblem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as { status: number; code: string; type: string; title: string };
  expect(body).toMatchObject({ status, code, type: `urn:petition:problem:${code.toLowerCase().replaceAll('_', '-')}` });
  return body;
}
const post = (body: string) =>
  fetch(`${api}/v1/things`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('a service’s API server', () => {
  it('answers a body that is not JSON with 400 MALFORMED_JSON', async () => {
    await expectProblem(await post('{"n": '), 400, 'MALFORMED_JSON');
  });
  it('answers an unknown route with 404 NOT_FOUND, a known one with another method with 405', async () => {
    await expectProblem(await fetch(`${api}/v1/nowhere`), 404, 'NOT_FOUND');
    await expectProblem(await fetch(`${api}/v1/things`, { method: 'DELETE' }), 405, 'METHOD_NOT_ALLOWED');
  });
  it('answers a body over its limit with 413 BODY_TOO_LARGE', async () => {
    await expectProblem(await post(JSON.stringify({ n: 1, pad: 'x'.repeat(2_000) })), 413, 'BODY_TOO_LARGE');
  });
  it('answers a field the schema refuses with 400 naming it', async () => {
    const body = await expectProblem(await post('{"n": "one"}'), 400, 'INVALID_REQUEST');
    expect(body).toMatchObject({ errors: [{ field: '/n' }] });
  });
  it('answers a problem of the service’s own catalogue with its status and title', async () => {
    const body = await expectProblem(await fetch(`${api}/v1/things/locked`), 409, 'THING_LOCKED');
    expect(body).toMatchObject({ title: 'The thing is locked', detail: 'try later' });
    await expectProblem(await fetch(`${api}/v1/things/7`), 404, 'NO_SUCH_THING');
  });
  it('is ready while its broker and Redis answer', async () => {
    for (const base of [api, ops]) {
      const res = await fetch(`${base}/readyz`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ checks: { broker: true, redis: true, accepting: true } });
    }
  });
});

describe('the ordered stop', () => {
  it('stops taking requests, then consumers, then work in flight, then the producer, then Redis', async () => {
    const other = await startRuntime({ service: 'runtime-test-stop', config, logger, topics: [caseEvents] });
    const redis = await other.connectRedis();
    const seen: string[] = [];
    const signal = () => {
      let fire: () => void = () => undefined;
      const fired = new Promise<void>((resolve) => {
        fire = resolve;
      });
      return { fire, fired };
    };
    const arrived = signal();
    const answer = signal();
    const consumersStopped = signal();
    const app = createApiServer();
    app.get('/slow', async () => {
      arrived.fire();
      await answer.fired;
      seen.push('request answered');
      return { ok: true };
    });
    const url = await other.listen(app, { port: 0, host: '127.0.0.1' });
    other.onClose('consumers', 'seen', () => {
      seen.push(`consumers (closing: ${other.closing})`);
      consumersStopped.fire();
    });
    // Work queued before the stop that finishes only after the consumers have stopped: the producer waits.
    void other.serialQueue().run(async () => {
      await consumersStopped.fired;
      await new Promise((resolve) => setTimeout(resolve, 20));
      seen.push('work in flight finished');
    });
    other.onClose('bus', 'seen', () => void seen.push(`bus (redis: ${redis.status})`));

    const status = fetch(`${url}/slow`).then((r) => r.status);
    await arrived.fired;
    const closed = other.close();
    expect(other.closing).toBe(true);
    answer.fire();
    expect(await status).toBe(200);
    await closed;
    expect(seen).toEqual([
      'request answered',
      'consumers (closing: true)',
      'work in flight finished',
      'bus (redis: ready)',
    ]);
    expect(redis.status).toBe('end');
    // A second close is the same stop.
    await other.close();
  });
});

describe('the start of a network', () => {
  it('starts every service that starts at once on a fresh prefix, each making the topics it misses', async () => {
    // The five services of a network on a prefix of its own (the fault proof's runs) all miss the topics
    // and ask for them together: one told that a topic another has just made exists must still start.
    const fresh = { ...config, topicPrefix: isolatedPrefix('runtime-together') };
    const topics = [caseEvents, deadlineEvents, units];
    const started = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        startRuntime({ service: `runtime-test-together-${i}`, config: fresh, logger, topics }),
      ),
    );
    const runtimes = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    try {
      expect(started.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []))).toEqual([]);
      for (const t of topics) expect((await runtimes[0]?.bus.endOffsets(t))?.size).toBe(fresh.topicPartitions);
    } finally {
      for (const rt of runtimes) await rt.close();
      await runtimes[0]?.bus.deleteOwnTopics();
    }
  });
});
