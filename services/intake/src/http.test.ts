import { devQueryCodeSecret, generateNodeKey, queryCodeMatches, signStaffToken } from '@petition/auth';
import { caseEvents } from '@petition/bus';
import { CaseEvent, CaseState } from '@petition/contract';
import { nationalDirectory } from '@petition/directory';
import { openPerson, parseKeyring } from '@petition/seal';
import { testStaffIssuer, testStaffKey } from '@petition/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devSealKeys } from './config.ts';
import { commandLog, routingStandIn, startTestIntake, tokenFor, validPetition, waitFor } from './test-support.ts';

// Intake over real HTTP, against the real broker and Redis, with routing played by the real lifecycle rules.

let t: Awaited<ReturnType<typeof startTestIntake>>;
let log: Awaited<ReturnType<typeof commandLog>>;
let routing: Awaited<ReturnType<typeof routingStandIn>>;

beforeAll(async () => {
  t = await startTestIntake('intake-http', { INTAKE_INDEX_CHECK_INTERVAL: '200ms', INTAKE_GUESS_LIMIT: '6' });
  const directory = nationalDirectory();
  log = await commandLog(t.bus, 'test-command-log');
  routing = await routingStandIn(t.bus, directory, 'test-routing');
});

afterAll(async () => {
  await log?.stop();
  await routing?.stop();
  await t?.intake.close();
  await t?.bus.deleteOwnTopics();
  await t?.bus.close();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${t.intake.httpUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

async function register(body: unknown = validPetition()) {
  const res = await post('/v1/petitions', body);
  expect(res.status).toBe(201);
  return (await res.json()) as { caseId: string; caseNumber: string; queryCode: string; commandId: string };
}

/** Waits until routing's answer is in intake's index (the case exists for intake). */
const indexed = (caseId: string, version = 1) =>
  waitFor(
    `case ${caseId} at version ${version}`,
    async () => ((await t.intake.index.byId(caseId))?.version ?? 0) >= version,
  );

describe('POST /v1/petitions', () => {
  it('answers 201 with a case number and query code, and publishes one command with the person sealed', async () => {
    const r = await register();
    expect(r.caseNumber).toMatch(/^330106-\d{8}-[0-9A-Z]{9}-[0-9A-Z]$/);
    await waitFor('the command', () => log.seen.some((c) => c.meta?.caseId === r.caseId));
    const command = log.seen.find((c) => c.meta?.caseId === r.caseId);
    const petition = command?.command?.$case === 'registerPetition' ? command.command.value.petition : undefined;
    expect(petition?.caseNumber).toBe(r.caseNumber);
    expect(queryCodeMatches(devQueryCodeSecret, r.caseNumber, r.queryCode, petition?.queryCodeHash ?? '')).toBe(true);
    const sealed = petition?.petitioner?.sealed;
    expect(Buffer.from(sealed?.ciphertext ?? []).toString('utf8')).not.toContain('张三');
    expect(openPerson(parseKeyring(devSealKeys), sealed as never, r.caseId).name).toBe('张三');
  });

  it('names every bad field in problem+json and publishes nothing', async () => {
    // What callers asked for: a repeat follow-up of an earlier test's registration may still come meanwhile.
    const before = await log.askedNow();
    const res = await post('/v1/petitions', {
      ...validPetition(),
      category: '天气',
      title: undefined,
      regionCode: '33010',
      colour: 'red',
    });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const p = (await res.json()) as { code: string; errors: { field: string }[] };
    expect(p.code).toBe('INVALID_REQUEST');
    expect(p.errors.map((e) => e.field).sort()).toEqual(['/category', '/colour', '/regionCode', '/title']);

    const six = Array.from({ length: 6 }, (_, i) => ({ name: `代表${i}` }));
    const art20 = await post('/v1/petitions', { ...validPetition(), groupSize: 80, representatives: six });
    expect(((await art20.json()) as { detail: string }).detail).toContain('art 20');

    const checks = await post(
      '/v1/petitions',
      {
        ...validPetition(),
        regionCode: '999999',
        petitioner: { name: '李四', idNumber: '110105194912310021' },
        channel: 'LETTER',
        receivedTime: new Date(Date.now() + 3_600_000).toISOString(),
        concernedUnitId: '330100-nope',
      },
      { authorization: `Bearer ${tokenFor('330106-xfj')}` },
    );
    const fields = ((await checks.json()) as { errors: { field: string }[] }).errors.map((e) => e.field).sort();
    expect(fields).toEqual(['/concernedUnitId', '/petitioner/idNumber', '/receivedTime', '/regionCode']);

    expect((await post('/v1/petitions', '{"channel": ')).status).toBe(400);
    expect((await post('/v1/petitions', 'x'.repeat(300_000))).status).toBe(413);
    await new Promise((r) => setTimeout(r, 500));
    expect(log.asked.length).toBe(before);
  });

  it('gives the same answer for the same Idempotency-Key and body, 409 for another body', async () => {
    const key = { 'idempotency-key': `k-${Date.now()}` };
    const a = await (await post('/v1/petitions', validPetition(), key)).json();
    const again = await post('/v1/petitions', validPetition(), key);
    expect(again.status).toBe(201);
    expect(await again.json()).toEqual(a);
    const other = await post('/v1/petitions', { ...validPetition(), title: '另一件事' }, key);
    expect(other.status).toBe(409);
    expect(((await other.json()) as { code: string }).code).toBe('IDEMPOTENCY_KEY_REUSED');
  });
});

describe('unit and petitioner actions', () => {
  it('forwards and accepts with unit tokens; the caller gets routing’s event or its refusal', async () => {
    const r = await register();
    await indexed(r.caseId);
    const bureau = { authorization: `Bearer ${tokenFor('330106-xfj')}` };
    const forwarded = await post(
      `/v1/cases/${r.caseId}/forward`,
      { toUnitId: '330106-rsj', toHandlingUnit: true },
      bureau,
    );
    expect(forwarded.status).toBe(200);
    const body = (await forwarded.json()) as { status: string; event: { state: string; custodyUnitId: string } };
    expect(body).toMatchObject({
      status: 'applied',
      event: { state: 'CASE_STATE_AWAITING_ACCEPTANCE', custodyUnitId: '330106-rsj' },
    });
    await indexed(r.caseId, 2);

    // The case is with 330106-rsj now: routing refuses the bureau's accept, and the answer does not say who
    // holds the case, in what state or at what version.
    const early = await post(`/v1/cases/${r.caseId}/accept`, {}, bureau);
    expect(early.status).toBe(404);
    const refusal = (await early.json()) as Record<string, unknown>;
    expect(refusal.code).toBe('CASE_NOT_FOUND');
    expect(JSON.stringify(refusal)).not.toMatch(/330106-rsj|caseVersion|CASE_STATE/);

    const accepted = await post(
      `/v1/cases/${r.caseId}/accept`,
      {},
      { authorization: `Bearer ${tokenFor('330106-rsj')}` },
    );
    expect(accepted.status).toBe(200);
    await indexed(r.caseId, 3);
    // Routing's refusal comes back as a problem with its code and article.
    const extend = await post(
      `/v1/cases/${r.caseId}/extend`,
      { extraDays: 31, reason: '复杂' },
      { authorization: `Bearer ${tokenFor('330106-rsj')}` },
    );
    expect(extend.status).toBe(422);
    expect(await extend.json()).toMatchObject({ code: 'EXTENSION_TOO_LONG', article: '信访工作条例 第三十四条' });
  });

  it('refuses a missing or forged token before publishing', async () => {
    // What callers asked for: a repeat follow-up of an earlier test's registration may still come meanwhile.
    const before = await log.askedNow();
    const none = await post('/v1/cases/any/accept', {});
    expect(none.status).toBe(401);
    expect(((await none.json()) as { code: string }).code).toBe('TOKEN_MISSING');
    const garbage = await post('/v1/cases/any/accept', {}, { authorization: 'Bearer dev.e30.AAAA' });
    expect(garbage.status).toBe(401);
    expect(((await garbage.json()) as { code: string }).code).toBe('TOKEN_MALFORMED');
    // A well-formed token of the right issuer, signed by a key this node does not trust.
    const stranger = generateNodeKey(testStaffKey().publicJwk.kid);
    const forged = signStaffToken(
      { privateJwk: stranger.privateJwk, issuer: testStaffIssuer },
      { staffId: 'x', unitId: '000000-xfj', roles: ['handler'] },
    );
    const refused = await post('/v1/cases/any/accept', {}, { authorization: `Bearer ${forged}` });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { code: string }).code).toBe('TOKEN_BAD_SIGNATURE');
    expect(log.asked.length).toBe(before);
  });

  it('lets the petitioner act with the case number and query code only', async () => {
    const r = await register();
    await indexed(r.caseId);
    const wrong = await post('/v1/petitioner/withdraw', { caseNumber: r.caseNumber, queryCode: 'AAAAAAAAAA' });
    expect(wrong.status).toBe(401);
    const ok = await post('/v1/petitioner/withdraw', {
      caseNumber: r.caseNumber,
      queryCode: r.queryCode.toLowerCase(),
      reason: '已解决',
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ event: { state: 'CASE_STATE_WITHDRAWN' } });
  });

  it('answers 202 with a link to follow when routing is slow, and the link gives the answer later', async () => {
    const slow = await startTestIntake('intake-slow', { INTAKE_OUTCOME_WAIT: '0ms' });
    try {
      const holder = { authorization: `Bearer ${tokenFor('330106-rsj')}` };
      const res = await fetch(`${slow.intake.httpUrl}/v1/cases/c-1/accept`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...holder },
        body: '{}',
      });
      expect(res.status).toBe(202);
      const follow = res.headers.get('location') ?? '';
      expect(follow).toMatch(/^\/v1\/commands\//);
      const followUp = () => fetch(`${slow.intake.httpUrl}${follow}`, { headers: holder });
      expect((await followUp()).status).toBe(202);
      // Routing answers late: the link now gives the event.
      const commandId = follow.split('/').pop() ?? '';
      const late = CaseEvent.fromPartial({
        envelope: {
          eventId: `e-${commandId}`,
          caseId: 'c-1',
          caseVersion: 3,
          causationId: commandId,
          occurTime: new Date(),
          actingUnitId: '330106-rsj',
        },
        state: CaseState.CASE_STATE_ACCEPTED,
        custodyUnitId: '330106-rsj',
        payload: { $case: 'caseAccepted', value: { acceptingUnitId: '330106-rsj' } },
      });
      await (await slow.bus.publisher()).publish(caseEvents, [late]);
      await waitFor('the late answer', async () => (await followUp()).status === 200);
      expect(await (await followUp()).json()).toMatchObject({
        status: 'applied',
        commandId,
      });
    } finally {
      await slow.intake.close();
      await slow.bus.deleteOwnTopics();
      await slow.bus.close();
    }
  });
});

describe('operations', () => {
  it('rebuilds its case index from case-events after its Redis keys are flushed', async () => {
    const r = await register();
    await indexed(r.caseId);
    const redis = new Redis(t.config.redisUrl);
    try {
      // Only this intake's keys: the Redis is shared with other tests.
      const keys = await redis.keys(`${t.prefix}intake:*`);
      expect(keys.length).toBeGreaterThan(0);
      await redis.del(...keys);
      expect(await t.intake.index.byId(r.caseId)).toBeUndefined();
      await indexed(r.caseId);
      const ok = await post('/v1/petitioner/evaluate', {
        caseNumber: r.caseNumber,
        queryCode: r.queryCode,
        stage: 'OPINION_STAGE_HANDLING',
        evaluation: 'EVALUATION_SATISFIED',
      });
      // Known again: the petitioner is recognised, and routing refuses only because nothing was answered yet.
      expect(((await ok.json()) as { code: string }).code).toBe('NOTHING_TO_EVALUATE');
    } finally {
      redis.disconnect();
    }
  });

  it('serves health and readiness, and on the operators’ port metrics and the OpenAPI document', async () => {
    expect((await fetch(`${t.intake.httpUrl}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${t.intake.httpUrl}/readyz`)).json()).toMatchObject({ status: 'ready' });
    expect(await (await fetch(`${t.intake.opsUrl}/metrics`)).text()).toContain('intake_commands_published_total');
    const doc = (await (await fetch(`${t.intake.opsUrl}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/petitions', '/v1/cases/{caseId}/accept', '/v1/petitioner/evaluate']),
    );
    const missing = await fetch(`${t.intake.httpUrl}/nowhere`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('guessing', () => {
  const wrongUntilTurnedAway = async (send: (queryCode: string) => Promise<Response>) => {
    let status = 0;
    for (let i = 0; i < 8 && status !== 429; i++) status = (await send(`WRONG${i}`)).status;
    return status;
  };

  it('counts the client that tracking’s page proxy names, not the proxy', async () => {
    const r = await register();
    await indexed(r.caseId);
    const from = (client: string) => (queryCode: string) =>
      post('/v1/petitioner/withdraw', { caseNumber: r.caseNumber, queryCode }, { 'x-forwarded-for': client });
    expect(await wrongUntilTurnedAway(from('203.0.113.7'))).toBe(429);
    // Another petitioner behind the same proxy is still served.
    const other = await from('203.0.113.8')(r.queryCode);
    expect([200, 202]).toContain(other.status);
  });

  it('does not take X-Forwarded-For from a peer it does not trust', async () => {
    const strict = await startTestIntake('intake-untrusted', {
      INTAKE_TRUSTED_PROXIES: '192.0.2.1',
      INTAKE_GUESS_LIMIT: '3',
    });
    try {
      const from = (client: string) => (queryCode: string) =>
        fetch(`${strict.intake.httpUrl}/v1/petitioner/withdraw`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
          body: JSON.stringify({ caseNumber: 'X0000000000', queryCode }),
        });
      expect(await wrongUntilTurnedAway(from('203.0.113.7'))).toBe(429);
      // The address it claims is not believed: it is the same peer, turned away.
      expect((await from('203.0.113.9')('WRONG')).status).toBe(429);
    } finally {
      await strict.intake.close();
      await strict.bus.close();
    }
  });

  // Last in the file: it uses up this client's attempts.
  it('turns a client away after too many wrong query codes, even with the right one', async () => {
    const r = await register();
    await indexed(r.caseId);
    const attempt = (queryCode: string) => post('/v1/petitioner/withdraw', { caseNumber: r.caseNumber, queryCode });
    let status = 0;
    for (let i = 0; i < 8 && status !== 429; i++) status = (await attempt(`WRONG${i}`)).status;
    expect(status).toBe(429);
    const right = await attempt(r.queryCode);
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await right.json()) as { code: string }).code).toBe('TOO_MANY_ATTEMPTS');
  });
});
