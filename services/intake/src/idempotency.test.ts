import { devSealKeys, parseKeyring } from '@petition/seal';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createIdempotency } from './idempotency.ts';

// Idempotency keys in the real Redis, including a first request whose process died before it answered.

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `t-idem-${Date.now().toString(36)}:`;
const keyring = parseKeyring(devSealKeys);
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('Idempotency-Key', () => {
  it('a retry after the first request died takes its plan over: the same ids, one answer from then on', async () => {
    const idem = createIdempotency(redis, prefix, 60_000, 200, keyring);
    let plans = 0;
    const newPlan = () => `plan-${++plans}`;
    const worked: string[] = [];
    // The first request claims the key and never answers (its process is gone).
    void idem.once('s', 'k1', { a: 1 }, () => new Promise(() => undefined), newPlan);
    await new Promise((r) => setTimeout(r, 20));
    const early = idem.once('s', 'k1', { a: 1 }, async (p) => ({ status: 201, body: p }), newPlan);
    await expect(early).rejects.toMatchObject({ problem: { code: 'IDEMPOTENCY_IN_PROGRESS' } });
    await new Promise((r) => setTimeout(r, 250));
    const taken = await idem.once(
      's',
      'k1',
      { a: 1 },
      async (p) => {
        worked.push(p);
        return { status: 201, body: p };
      },
      newPlan,
    );
    expect(taken).toEqual({ status: 201, body: 'plan-1' });
    const again = await idem.once('s', 'k1', { a: 1 }, async () => ({ status: 201, body: 'other' }), newPlan);
    expect(again).toEqual(taken);
    expect(worked).toEqual(['plan-1']);
    await expect(
      idem.once('s', 'k1', { a: 2 }, async () => ({ status: 201, body: 'x' }), newPlan),
    ).rejects.toMatchObject({ problem: { code: 'IDEMPOTENCY_KEY_REUSED' } });
  });

  it('after server trouble a retry runs again at once under the same plan', async () => {
    const idem = createIdempotency(redis, prefix, 60_000, 60_000, keyring);
    let plans = 0;
    const newPlan = () => `plan-${++plans}`;
    await expect(
      idem.once('s', 'k2', {}, async () => Promise.reject(new Error('broker down')), newPlan),
    ).rejects.toThrow('broker down');
    const retried = await idem.once('s', 'k2', {}, async (p) => ({ status: 201, body: p }), newPlan);
    expect(retried).toEqual({ status: 201, body: 'plan-1' });
  });

  it('keeps no query code in clear in Redis: neither the plan nor the answer (issue: plaintext code at rest)', async () => {
    const idem = createIdempotency(redis, prefix, 60_000, 60_000, keyring);
    const queryCode = 'QC7X9K2M4P';
    const answer = await idem.once(
      'register:public',
      'rest-1',
      { b: 1 },
      async (plan) => ({ status: 201, body: plan }),
      () => ({ caseNumber: 'n', queryCode }),
    );
    expect(answer.body).toMatchObject({ queryCode });
    const stored = (await redis.get(`${prefix}idem:register:public:rest-1`)) ?? '';
    expect(stored.length).toBeGreaterThan(0);
    expect(stored).not.toContain(queryCode);
    expect(Buffer.from(stored, 'base64').toString('latin1')).not.toContain(queryCode);
    // And the stored answer is replayed as it was.
    const again = await idem.once(
      'register:public',
      'rest-1',
      { b: 1 },
      async () => ({ status: 500, body: 0 }),
      () => 0,
    );
    expect(again.body).toMatchObject({ queryCode });
  });
});
