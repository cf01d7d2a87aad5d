import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { answerProblems } from './http-problems.ts';
import { createRegistry, listenOps } from './index.ts';
import { secureHeaders } from './secure-headers.ts';

// Every answer — a page, JSON, a problem, the operators' server — carries the security headers.

const expectSecure = (headers: Record<string, unknown>) => {
  expect(headers['content-security-policy']).toMatch(/^default-src 'self';/);
  expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(headers['content-security-policy']).not.toContain('unsafe-inline');
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['x-powered-by']).toBeUndefined();
};

describe('secureHeaders', () => {
  it('sets them on pages, JSON, errors and unrouted requests alike', async () => {
    const app = Fastify();
    secureHeaders(app);
    answerProblems(app);
    app.get('/', async (_q, reply) => reply.type('text/html').send('<!doctype html><p>hi</p>'));
    app.get('/v1/x', async () => ({ x: 1 }));
    app.get('/v1/fail', async () => {
      throw new Error('no');
    });
    for (const url of ['/', '/v1/x', '/v1/fail', '/nowhere']) expectSecure((await app.inject({ url })).headers);
    await app.close();
  });

  it('sets them on the operators’ server, which lets Swagger UI style itself', async () => {
    const ops = await listenOps({ port: 0, host: '127.0.0.1', registry: createRegistry(), checks: () => ({}) });
    try {
      for (const path of ['/healthz', '/metrics', '/nowhere']) {
        const res = await fetch(`${ops.url}${path}`);
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
        expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
        expect(res.headers.get('content-security-policy')).not.toMatch(/script-src[^;]*unsafe-inline/);
      }
    } finally {
      await ops.close();
    }
  });
});
