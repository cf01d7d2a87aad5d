import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { addOpsAction } from './index.ts';

// Operator actions that change state: done for the configured bearer token only, refused while none is set.

async function appWith(token: string | undefined) {
  let runs = 0;
  const app = Fastify();
  addOpsAction(app, { path: '/v1/act', token, variable: 'TEST_OPS_TOKEN', run: async () => ({ runs: ++runs }) });
  await app.ready();
  return { app, runs: () => runs };
}

describe('addOpsAction', () => {
  it('refuses everyone while no token is configured', async () => {
    const { app, runs } = await appWith(undefined);
    const r = await app.inject({ method: 'POST', url: '/v1/act', headers: { authorization: 'Bearer ' } });
    expect(r.statusCode).toBe(403);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r.json()).toMatchObject({ status: 403, detail: 'TEST_OPS_TOKEN is not set' });
    expect(runs()).toBe(0);
  });

  it('acts for the token only, once per call', async () => {
    const { app, runs } = await appWith('s3cret-token');
    for (const authorization of ['', 'Bearer s3cret-toke', 'bearer s3cret-token', 's3cret-token']) {
      const r = await app.inject({ method: 'POST', url: '/v1/act', headers: { authorization } });
      expect(r.statusCode).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer');
    }
    expect(runs()).toBe(0);
    const ok = await app.inject({ method: 'POST', url: '/v1/act', headers: { authorization: 'Bearer s3cret-token' } });
    expect(ok.json()).toEqual({ runs: 1 });
  });
});
