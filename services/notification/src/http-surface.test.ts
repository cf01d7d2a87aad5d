import { createBus, isolatedPrefix } from '@petition/bus';
import { createLogger } from '@petition/logging';
import { rawHttp } from '@petition/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Notification, startNotification } from './app.ts';
import { loadNotificationConfig } from './config.ts';

// Notification's HTTP (the operators' server: health, metrics, the parked replay) as a careless client
// meets it: security headers on every answer, fastify's and Node's refusals as problem+json with a code.

const logger = createLogger({ service: 'notification-surface-test', level: process.env.LOG_LEVEL ?? 'warn' });
const prefix = isolatedPrefix('notification-surface');
let notification: Notification;

beforeAll(async () => {
  notification = await startNotification(
    loadNotificationConfig({
      ...process.env,
      TOPIC_PREFIX: prefix,
      NOTIFY_HTTP_PORT: '0',
      NOTIFY_HOST: '127.0.0.1',
      NOTIFY_OPS_TOKEN: 'ops-token-for-the-test',
    }),
    logger,
  );
});

afterAll(async () => {
  await notification?.close();
  const bus = createBus({
    brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
    clientId: 't',
    logger,
    topicPrefix: prefix,
  });
  await bus.deleteOwnTopics();
  await bus.close();
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

const at = (path: string, init: RequestInit = {}) => fetch(`${notification.httpUrl}${path}`, init);
const replay = (body: string, contentType = 'application/json') =>
  at('/v1/parked/replay', {
    method: 'POST',
    headers: { 'content-type': contentType, authorization: 'Bearer ops-token-for-the-test' },
    body,
  });

function expectSecure(res: Response) {
  expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  expect(res.headers.get('x-powered-by')).toBeNull();
}

async function expectProblem(res: Response, status: number, code: string) {
  expect([res.status, res.headers.get('content-type')]).toEqual([status, 'application/problem+json; charset=utf-8']);
  expectSecure(res);
  expect(await res.json()).toMatchObject({ status, code });
}

describe('notification’s HTTP', () => {
  it('sends the security headers with health, readiness and metrics', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) {
      const res = await at(path);
      expect(res.status).toBe(200);
      expectSecure(res);
    }
  });

  it('answers fastify’s refusals as problem+json: 400, 401, 404, 405, 413, 415', async () => {
    await expectProblem(await replay('{"all": '), 400, 'MALFORMED_JSON');
    await expectProblem(await at('/v1/parked/replay', { method: 'POST' }), 401, 'OPS_TOKEN_REQUIRED');
    await expectProblem(await at('/v1/nowhere'), 404, 'NOT_FOUND');
    const get = await at('/v1/parked/replay');
    await expectProblem(get, 405, 'METHOD_NOT_ALLOWED');
    expect(get.headers.get('allow')).toBe('POST');
    await expectProblem(await replay(JSON.stringify({ pad: 'x'.repeat(1_100_000) })), 413, 'BODY_TOO_LARGE');
    await expectProblem(await replay('<all/>', 'application/xml'), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers headers too large with a problem+json 431 on the socket', async () => {
    const { head, body } = await rawHttp(
      notification.httpUrl,
      `GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: ${'p'.repeat(20_000)}\r\n\r\n`,
    );
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(JSON.parse(body)).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE' });
  });
});
