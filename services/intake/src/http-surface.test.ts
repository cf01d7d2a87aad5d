import { readAsyncApiDocument } from '@petition/asyncapi';
import { allTopics } from '@petition/bus';
import { rawHttp } from '@petition/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIntake } from './test-support.ts';

// Intake's HTTP surface as a careless client meets it: security headers on every answer, /metrics and the
// docs only on the operators' port, and fastify's and Node's own refusals as problem+json with a code.

let t: Awaited<ReturnType<typeof startTestIntake>>;

beforeAll(async () => {
  t = await startTestIntake('intake-surface', { INTAKE_BODY_LIMIT_BYTES: '4096' });
});

afterAll(async () => {
  await t?.intake.close();
  await t?.bus.deleteOwnTopics();
  await t?.bus.close();
});

const api = (path: string, init: RequestInit = {}) => fetch(`${t.intake.httpUrl}${path}`, init);
const post = (path: string, body: string, contentType = 'application/json') =>
  api(path, { method: 'POST', headers: { 'content-type': contentType }, body });

async function expectProblem(res: Response, status: number, code: string) {
  expect([res.status, res.headers.get('content-type')]).toEqual([status, 'application/problem+json; charset=utf-8']);
  expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  expect(res.headers.get('x-powered-by')).toBeNull();
  const body = (await res.json()) as { status: number; code: string; detail?: string };
  expect(body).toMatchObject({ status, code });
  return body;
}

describe('the operators’ port', () => {
  it('serves /metrics and the OpenAPI docs; the API port answers 404 problem+json for them', async () => {
    expect(t.intake.opsUrl).not.toBe(t.intake.httpUrl);
    expect((await fetch(`${t.intake.opsUrl}/metrics`)).status).toBe(200);
    const doc = (await (await fetch(`${t.intake.opsUrl}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/v1/petitions');
    expect((await fetch(`${t.intake.opsUrl}/docs`)).status).toBe(200);
    for (const path of ['/metrics', '/docs', '/docs/json', '/docs/static/index.html']) {
      await expectProblem(await api(path), 404, 'NOT_FOUND');
    }
    for (const base of [t.intake.httpUrl, t.intake.opsUrl]) {
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      expect(health.headers.get('x-content-type-options')).toBe('nosniff');
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
    }
  });
});

describe('the AsyncAPI document', () => {
  it('is served at /asyncapi.json on the API port, as kept in docs/asyncapi.json, and documented', async () => {
    const res = await api('/asyncapi.json');
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'application/json; charset=utf-8']);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const text = await res.text();
    expect(text).toBe(readAsyncApiDocument());
    const doc = JSON.parse(text) as { asyncapi: string; channels: Record<string, { address: string }> };
    expect(doc.asyncapi).toBe('3.0.0');
    const addresses = Object.values(doc.channels).map((c) => c.address);
    for (const topic of allTopics) expect(addresses).toContain(topic.name);
    const openApi = (await (await fetch(`${t.intake.opsUrl}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openApi.paths)).toContain('/asyncapi.json');
  });

  it('answers 405 problem+json to anything but a read', async () => {
    await expectProblem(await post('/asyncapi.json', '{}'), 405, 'METHOD_NOT_ALLOWED');
  });
});

describe('fastify’s and Node’s refusals as problem+json', () => {
  it('400 for bad JSON or a bad URL, 404, 405 with Allow, 413, 414, 415 — never a 5xx', async () => {
    await expectProblem(await post('/v1/petitions', '{"title": '), 400, 'MALFORMED_JSON');
    await expectProblem(await post('/v1/petitions', ''), 400, 'MALFORMED_JSON');
    await expectProblem(await api('/v1/cases/%zz/accept', { method: 'POST' }), 400, 'BAD_URL');
    const missing = await expectProblem(await api('/nowhere?queryCode=SECRET'), 404, 'NOT_FOUND');
    expect(missing.detail).not.toContain('SECRET');
    const get = await api('/v1/petitions');
    await expectProblem(get, 405, 'METHOD_NOT_ALLOWED');
    expect(get.headers.get('allow')).toBe('POST');
    await expectProblem(
      await post('/v1/petitions', JSON.stringify({ content: 'x'.repeat(5000) })),
      413,
      'BODY_TOO_LARGE',
    );
    await expectProblem(await post(`/v1/cases/${'c'.repeat(201)}/accept`, '{}'), 414, 'URI_TOO_LONG');
    await expectProblem(
      await post('/v1/petitions', 'title=x', 'application/x-www-form-urlencoded'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('431 problem+json for headers too large, answered on the socket', async () => {
    const { head, body } = await rawHttp(
      t.intake.httpUrl,
      `POST /v1/petitions HTTP/1.1\r\nHost: x\r\nX-Pad: ${'p'.repeat(20_000)}\r\n\r\n`,
    );
    expect(head.split('\r\n')[0]).toBe('HTTP/1.1 431 Request Header Fields Too Large');
    expect(head.toLowerCase()).toContain('content-type: application/problem+json');
    expect(JSON.parse(body)).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE' });
  });
});
