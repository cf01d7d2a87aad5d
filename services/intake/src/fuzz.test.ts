import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandLog, startTestIntake, validPetition, waitFor } from './test-support.ts';

// Thousands of random and mutated bodies at POST /v1/petitions over real HTTP: never a 5xx, and exactly
// one published command per 201 — nothing for a refused body.

let t: Awaited<ReturnType<typeof startTestIntake>>;
let log: Awaited<ReturnType<typeof commandLog>>;

beforeAll(async () => {
  t = await startTestIntake('intake-fuzz');
  log = await commandLog(t.bus, 'fuzz-command-log');
});

afterAll(async () => {
  await log?.stop();
  await t?.intake.close();
  await t?.bus.deleteOwnTopics();
  await t?.bus.close();
});

const fields = [
  ...Object.keys(validPetition()),
  'anonymous',
  'accusedUnitId',
  'concernedUnitId',
  'groupSize',
  'representatives',
  'attachments',
  'registeringUnitId',
  'receivedTime',
  'externalRef',
  'x',
];
const plausible = fc.oneof(
  fc.constantFrom(
    '330106',
    '110101',
    '999999',
    '劳动社保',
    '检举控告',
    '建议意见',
    'LETTER',
    'VISIT',
    '330106-xfj',
    '330106-zf',
    '',
    '2026-11-20T10:00:00+08:00',
    '9999-01-01T00:00:00Z',
  ),
  fc.string({ maxLength: 30 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.record({ name: fc.string({ maxLength: 8 }), idNumber: fc.constantFrom('11010519491231002X', '123') }), {
    maxLength: 7,
  }),
  fc.anything({ maxDepth: 2 }),
);
const mutation = fc.oneof(
  fc.record({ op: fc.constant('set' as const), field: fc.constantFrom(...fields), value: plausible }),
  fc.record({ op: fc.constant('delete' as const), field: fc.constantFrom(...fields) }),
  fc.record({
    op: fc.constant('person' as const),
    field: fc.constantFrom('name', 'idNumber', 'phone', 'email', 'extra'),
    value: plausible,
  }),
);
const body = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.array(mutation, { maxLength: 4 }).map((ops) => {
      const b: Record<string, unknown> = { ...validPetition(), petitioner: { ...validPetition().petitioner } };
      for (const m of ops) {
        if (m.op === 'delete') delete b[m.field];
        else if (m.op === 'set') b[m.field] = m.value;
        else if (b.petitioner && typeof b.petitioner === 'object')
          (b.petitioner as Record<string, unknown>)[m.field] = m.value;
      }
      return JSON.stringify(b);
    }),
  },
  { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
);

describe('POST /v1/petitions under fuzzing', () => {
  it('never answers 5xx and publishes exactly one command per accepted body', async () => {
    const created = new Set<string>();
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(body, async (raw) => {
        const res = await fetch(`${t.intake.httpUrl}/v1/petitions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: raw,
        });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status).toBeLessThan(500);
        const answer = (await res.json()) as { caseId?: string; code?: string };
        if (res.status === 201) created.add(answer.caseId ?? '');
        else expect(typeof answer.code).toBe('string');
      }),
      { numRuns: 2_000 },
    );
    // Both sides were exercised.
    expect(created.size).toBeGreaterThan(50);
    expect([...statuses.keys()].some((s) => s >= 400)).toBe(true);
    await waitFor('every accepted petition on the topic', () => log.asked.length >= created.size, 60_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(log.asked.length).toBe(created.size);
    expect(new Set(log.seen.map((c) => c.meta?.caseId))).toEqual(created);
  });
});
