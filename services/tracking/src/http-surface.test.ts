import { createBus, isolatedPrefix } from '@petition/bus';
import { createLogger } from '@petition/logging';
import { rawHttp, testToken } from '@petition/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracking, type Tracking } from './app.ts';
import { loadTrackingConfig } from './config.ts';

// Tracking's HTTP surfaces as a browser or a careless client meets them: security headers on every answer,
// /metrics and the docs only on the operators' port, fastify's and Node's refusals as problem+json, odd
// parameters never a 5xx, and the query code never in a URL.

const logger = createLogger({ service: 'tracking-surface-test', level: process.env.LOG_LEVEL ?? 'warn' });
const prefix = isolatedPrefix('tracking-surface');
let tracking: Tracking;
let intake: FastifyInstance;
/** What the stand-in intake was asked, path and query as they reached it. */
const forwarded: string[] = [];
const tokenOf = (unitId: string) => testToken(unitId);

beforeAll(async () => {
  intake = Fastify();
  intake.all('/*', async (request) => {
    forwarded.push(request.url);
    return { ok: true };
  });
  const intakeUrl = await intake.listen({ port: 0, host: '127.0.0.1' });
  tracking = await startTracking(
    loadTrackingConfig({
      ...process.env,
      TOPIC_PREFIX: prefix,
      TRACKING_HTTP_PORT: '0',
      TRACKING_OPS_PORT: '0',
      TRACKING_HOST: '127.0.0.1',
      TRACKING_INTAKE_URL: intakeUrl,
    }),
    logger,
  );
});

afterAll(async () => {
  await tracking?.close();
  await intake?.close();
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

const api = (path: string, init: RequestInit = {}) => fetch(`${tracking.httpUrl}${path}`, init);
const withToken = (unitId: string, headers: Record<string, string> = {}) => ({
  headers: { authorization: `Bearer ${tokenOf(unitId)}`, ...headers },
});

async function expectProblem(res: Response, status: number, code: string) {
  expect([res.status, res.headers.get('content-type')]).toEqual([status, 'application/problem+json; charset=utf-8']);
  const body = (await res.json()) as { status: number; code: string; detail?: string; errors?: unknown[] };
  expect(body).toMatchObject({ status, code });
  return body;
}

function expectSecure(res: Response) {
  const csp = res.headers.get('content-security-policy') ?? '';
  expect(csp).toMatch(/^default-src 'self';/);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain('unsafe-inline');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  expect(res.headers.get('x-frame-options')).toBe('DENY');
  expect(res.headers.get('x-powered-by')).toBeNull();
}

describe('security headers', () => {
  it('on every page, asset, API answer, problem and forwarded intake answer', async () => {
    for (const path of [
      '/',
      '/workbench',
      '/register',
      '/case',
      '/supervision',
      '/audit',
      '/assets/common.js',
      '/assets/case.js',
      '/assets/register.js',
      '/assets/style.css',
    ]) {
      const res = await api(path);
      expect(res.status).toBe(200);
      expectSecure(res);
    }
    expectSecure(await api('/v1/directory/stats'));
    expectSecure(await api('/v1/me'));
    expectSecure(await api('/nowhere'));
    expectSecure(
      await api('/intake/v1/anything', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }),
    );
  });
});

describe('the operators’ port', () => {
  it('serves /metrics and the OpenAPI docs; the API port does not', async () => {
    expect(tracking.opsUrl).not.toBe(tracking.httpUrl);
    const metrics = await fetch(`${tracking.opsUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('tracking_read_model_updates_total');
    const doc = (await (await fetch(`${tracking.opsUrl}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/cases/{caseNumber}', '/v1/units/{unitId}/inbox', '/v1/regions/{regionCode}/kpis']),
    );
    const ui = await fetch(`${tracking.opsUrl}/docs`);
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    for (const path of ['/metrics', '/docs', '/docs/json', '/docs/static/index.html']) {
      await expectProblem(await api(path), 404, 'NOT_FOUND');
    }
  });

  it('answers /healthz and /readyz on both ports', async () => {
    for (const base of [tracking.httpUrl, tracking.opsUrl]) {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect(await (await fetch(`${base}/readyz`)).json()).toMatchObject({ status: 'ready' });
    }
  });
});

describe('fastify’s and Node’s refusals', () => {
  const post = (path: string, body: string, contentType = 'application/json') =>
    api(path, { method: 'POST', headers: { 'content-type': contentType }, body });

  it('400 for bad JSON and a bad query parameter, 404, 405, 413, 414, 415', async () => {
    await expectProblem(await post('/intake/v1/petitions', '{"title": '), 400, 'MALFORMED_JSON');
    await expectProblem(
      await api('/v1/units/330106-rsj/kpis?from=yesterday', withToken('330106-rsj')),
      400,
      'BAD_PERIOD',
    );
    await expectProblem(await api('/v1/nowhere'), 404, 'NOT_FOUND');
    const put = await api('/v1/me', { method: 'PUT' });
    await expectProblem(put, 405, 'METHOD_NOT_ALLOWED');
    expect(put.headers.get('allow')).toContain('GET');
    await expectProblem(
      await post('/intake/v1/petitions', JSON.stringify({ pad: 'x'.repeat(70_000) })),
      413,
      'BODY_TOO_LARGE',
    );
    await expectProblem(await api(`/v1/units/${'x'.repeat(300)}`), 414, 'URI_TOO_LONG');
    await expectProblem(
      await post('/intake/v1/petitions', '<petition/>', 'application/xml'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('431 problem+json for headers too large, answered on the socket', async () => {
    const { head, body } = await rawHttp(
      tracking.httpUrl,
      `GET /v1/me HTTP/1.1\r\nHost: x\r\nCookie: ${'c'.repeat(20_000)}\r\n\r\n`,
    );
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(head.toLowerCase()).toContain('content-type: application/problem+json');
    expect(JSON.parse(body)).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE' });
  });
});

describe('KPI periods', () => {
  it('names the parameter of a date that does not exist (400, never 500)', async () => {
    for (const [query, name] of [
      ['to=2026-13-01', 'to'],
      ['to=2026-02-30', 'to'],
      ['to=99999-01-01', 'to'],
      ['to=', 'to'],
      ['from=2026-02-29&to=2026-03-10', 'from'],
      ['from=', 'from'],
    ] as const) {
      for (const path of ['/v1/regions/330000/kpis', '/v1/units/330000-xfj/kpis']) {
        const res = await api(`${path}?${query}`, withToken('330000-xfj'));
        const body = await expectProblem(res, 400, 'BAD_PERIOD');
        expect(body.detail).toBe(`${name} must be a date YYYY-MM-DD`);
        expect(body.errors).toEqual([{ field: name, in: 'query', message: 'must be a date YYYY-MM-DD' }]);
      }
    }
    // A real leap day is a date.
    expect(
      (await api('/v1/regions/330000/kpis?from=2028-02-29&to=2028-03-01', withToken('330000-xfj'))).status,
    ).not.toBe(400);
    // The calendar's last day is a period of one day (stepping past it once answered 500).
    for (const path of ['/v1/units/330000-xfj/kpis', '/v1/regions/330000/kpis']) {
      const last = await api(`${path}?from=9999-12-31&to=9999-12-31`, withToken('330000-xfj'));
      expect(last.status).toBe(200);
      expect(((await last.json()) as { period: unknown }).period).toMatchObject({
        from: '9999-12-31',
        to: '9999-12-31',
      });
    }
  });
});

describe('odd parameters', () => {
  const odd = [
    'x'.repeat(65),
    'x'.repeat(150),
    'x'.repeat(250),
    '%E5%8D%95%E4%BD%8D',
    '%00',
    '%zz',
    '%2E%2E%2F%2E%2E',
    '%F0%9F%98%80',
    '330106-rsj%00',
    "'%20OR%201=1",
  ];
  const paths = (p: string) => [
    `/v1/cases/${p}`,
    `/v1/units/${p}`,
    `/v1/units/${p}/inbox`,
    `/v1/units/${p}/kpis`,
    `/v1/units/${p}/kpis?from=${p}&to=${p}`,
    `/v1/regions/${p}/kpis`,
    `/v1/regions/330000/kpis?to=${p}`,
    `/v1/regions/${p}/overdue`,
    `/assets/${p}`,
    `/${p}`,
    `/v1/me?${p}=${p}`,
  ];

  it('are refused or not found, never a 5xx, with or without a token', async () => {
    const seen: string[] = [];
    for (const p of odd) {
      for (const path of paths(p)) {
        for (const init of [{}, withToken('330000-xfj', { 'x-query-code': 'ABCD-1234' })]) {
          const res = await api(path, init);
          if (res.status >= 500 || !(res.headers.get('content-type') ?? '').includes('json'))
            seen.push(`${res.status} ${path}`);
          await res.arrayBuffer();
        }
      }
    }
    expect(seen).toEqual([]);
  });

  it('reach intake as the browser sent them (no decoded slash or question mark)', async () => {
    const res = await api('/intake/v1/cases/a%2Fb%3Fc/accept?x=1', {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    expect(forwarded.at(-1)).toBe('/v1/cases/a%2Fb%3Fc/accept?x=1');
  });
});

describe('the petitioner’s query code', () => {
  it('is refused in the URL (400 saying where it goes), taken from X-Query-Code', async () => {
    const inUrl = await expectProblem(
      await api('/v1/cases/330106-20261120-X?queryCode=ABCD'),
      400,
      'QUERY_CODE_IN_URL',
    );
    expect(inUrl.detail).toContain('X-Query-Code');
    expect(inUrl.errors).toEqual([{ field: 'queryCode', in: 'query', message: 'send it in the X-Query-Code header' }]);
    // Even with the header as well: the code has already been written into a URL.
    await expectProblem(
      await api('/v1/cases/330106-20261120-X?queryCode=ABCD', { headers: { 'x-query-code': 'ABCD' } }),
      400,
      'QUERY_CODE_IN_URL',
    );
    await expectProblem(await api('/v1/cases/330106-20261120-X'), 400, 'QUERY_CODE_REQUIRED');
    await expectProblem(
      await api('/v1/cases/330106-20261120-X', { headers: { 'x-query-code': 'ABCD' } }),
      404,
      'CASE_NOT_FOUND',
    );
  });
});
