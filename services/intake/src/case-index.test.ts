import { randomUUID } from 'node:crypto';
import { CaseEvent, CaseState } from '@petition/contract';
import { indexEpoch } from '@petition/runtime';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createCaseIndex } from './case-index.ts';
import { createOutcomes } from './outcomes.ts';

// The case index and the answers kept from case-events, a batch at a time, in the real Redis.

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `t-case-index-${Date.now().toString(36)}:`;
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

const event = (
  caseId: string,
  version: number,
  o: { custody?: string; number?: string; causationId?: string } = {},
) => {
  const common = {
    envelope: { eventId: randomUUID(), caseId, caseVersion: version, causationId: o.causationId ?? '' },
    state: version === 1 ? CaseState.CASE_STATE_REGISTERED : CaseState.CASE_STATE_ASSIGNED,
    custodyUnitId: o.custody ?? '330106-xfj',
  };
  if (!o.number) return CaseEvent.fromPartial(common);
  const petition = { caseNumber: o.number, queryCodeHash: `hash-${o.number}` };
  return CaseEvent.fromPartial({ ...common, payload: { $case: 'petitionRegistered', value: { petition } } });
};

describe('case index', () => {
  it('applies a batch in order in one call: each case at its latest version, older and repeated events change nothing', async () => {
    const index = createCaseIndex(redis, prefix);
    const epoch = await indexEpoch(redis, prefix);
    const [a, b] = [randomUUID(), randomUUID()];
    const batch = [
      event(a, 1, { number: 'A-1' }),
      event(a, 2, { custody: '330106-rsj' }),
      event(b, 1, { number: 'B-1' }),
      event(a, 1, { number: 'A-1' }), // redelivered within the batch
      event(a, 2, { custody: '330106-other' }), // the same version again
    ];
    expect(await index.applyMany(batch, epoch)).toBe(3);
    expect(await index.byId(a)).toMatchObject({ caseNumber: 'A-1', queryCodeHash: 'hash-A-1', version: 2 });
    expect((await index.byId(a))?.custodyUnitId).toBe('330106-rsj');
    expect(await index.byNumber('B-1')).toMatchObject({ caseId: b, version: 1, custodyUnitId: '330106-xfj' });
    expect(await index.byNumber('NO-SUCH')).toBeUndefined();
    // The whole batch again (a redelivery after a crash): nothing moves.
    expect(await index.applyMany(batch, epoch)).toBe(0);
    expect(await index.apply(event(b, 2, { custody: '330106-rsj' }), epoch)).toBe(true);
    expect((await index.byId(b))?.version).toBe(2);
  });

  it('writes nothing once its epoch is gone (a flush): the rebuild must not find a case as already applied', async () => {
    const index = createCaseIndex(redis, prefix);
    const epoch = await indexEpoch(redis, prefix);
    await redis.del(`${prefix}index-epoch`);
    const c = randomUUID();
    expect(await index.applyMany([event(c, 1, { number: 'C-1' }), event(c, 2)], epoch)).toBe(-1);
    expect(await index.byId(c)).toBeUndefined();
    expect(await index.byNumber('C-1')).toBeUndefined();
    const next = await indexEpoch(redis, prefix);
    expect(next).not.toBe(epoch);
    expect(await index.applyMany([event(c, 1, { number: 'C-1' })], epoch)).toBe(-1);
    expect(await index.applyMany([event(c, 1, { number: 'C-1' })], next)).toBe(1);
  });
});

describe('answers to commands', () => {
  it('keeps the first event of each command from a batch and wakes whoever waits on it', async () => {
    const outcomes = createOutcomes(redis, prefix);
    const caseId = randomUUID();
    const [first, later] = [event(caseId, 1, { causationId: 'cmd-1' }), event(caseId, 2, { causationId: 'cmd-1' })];
    const waiting = outcomes.wait('cmd-1', 5_000);
    await new Promise((r) => setTimeout(r, 50));
    await outcomes.recordMany([event(caseId, 3), first, later, event(caseId, 4, { causationId: 'cmd-2' })]);
    expect((await waiting)?.envelope?.eventId).toBe(first.envelope?.eventId);
    expect((await outcomes.get('cmd-1'))?.envelope?.eventId).toBe(first.envelope?.eventId);
    expect((await outcomes.get('cmd-2'))?.envelope?.caseVersion).toBe(4);
    // Read again later (a redelivery): the answer stays the first.
    await outcomes.recordMany([later]);
    expect((await outcomes.get('cmd-1'))?.envelope?.eventId).toBe(first.envelope?.eventId);
    expect(outcomes.waitingCount).toBe(0);
  });
});
