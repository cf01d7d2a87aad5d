import { createHash } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { StaffRole } from '@petition/auth';
import {
  AcceptCaseRequest,
  Category,
  Channel,
  IntakeServiceClient,
  PetitionKind,
  RegisterPetitionRequest,
} from '@petition/contract';
import { nationalDirectory } from '@petition/directory';
import { testStaffKey, testToken } from '@petition/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  commandLog,
  protoWire,
  routingStandIn,
  startTestIntake,
  tokenFor,
  validPetition,
  waitFor,
} from './test-support.ts';

// The trust issue's defects at intake, each reproduced over real HTTP and gRPC against the real broker and
// Redis (routing played by the real lifecycle rules): what a caller must not see or do, and what must never
// take the front door down.

let t: Awaited<ReturnType<typeof startTestIntake>>;
let log: Awaited<ReturnType<typeof commandLog>>;
let routing: Awaited<ReturnType<typeof routingStandIn>>;
let client: IntakeServiceClient;

beforeAll(async () => {
  t = await startTestIntake('intake-trust', { INTAKE_MAX_COMMAND_BYTES: '16384' });
  log = await commandLog(t.bus, 'trust-command-log');
  routing = await routingStandIn(t.bus, nationalDirectory(), 'trust-routing');
  client = new IntakeServiceClient(t.intake.grpcAddress, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
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
    body: JSON.stringify(body),
  });
const auth = (unitId: string) => ({ authorization: `Bearer ${tokenFor(unitId)}` });

async function register(body: unknown = validPetition(), headers: Record<string, string> = {}) {
  const res = await post('/v1/petitions', body, headers);
  expect(res.status).toBe(201);
  return (await res.json()) as { caseId: string; caseNumber: string; queryCode: string; commandId: string };
}
const indexed = (caseId: string, version = 1) =>
  waitFor(`case ${caseId} at ${version}`, async () => ((await t.intake.index.byId(caseId))?.version ?? 0) >= version);

/** A petition registered by 西湖区信访局 and forwarded by it to the district's 人社局, which now holds it. */
async function forwardedToDepartment() {
  const r = await register(validPetition(), auth('330106-xfj'));
  await indexed(r.caseId);
  const forwarded = await post(
    `/v1/cases/${r.caseId}/forward`,
    { toUnitId: '330106-rsj', toHandlingUnit: true },
    auth('330106-xfj'),
  );
  expect(forwarded.status).toBe(200);
  return r;
}

function unary<Req, Res>(method: string, request: Req, metadata = new grpc.Metadata()) {
  const fn = (client as unknown as Record<string, (...a: unknown[]) => unknown>)[method] as (
    r: Req,
    m: grpc.Metadata,
    o: grpc.CallOptions,
    cb: (e: grpc.ServiceError | null, r: Res) => void,
  ) => unknown;
  return new Promise<{ error: grpc.ServiceError | null; response: Res }>((resolve) =>
    fn.call(client, request, metadata, { deadline: Date.now() + 15_000 }, (error, response) =>
      resolve({ error, response }),
    ),
  );
}
const withToken = (unitId: string) => {
  const m = new grpc.Metadata();
  m.set('authorization', `Bearer ${tokenFor(unitId)}`);
  return m;
};

describe('1. one oversized request cannot take intake down', () => {
  it('answers a gRPC command with a 1.5 MB case id at once with a status, publishes nothing, and stays healthy', async () => {
    // What callers asked for (a repeat follow-up of an earlier registration may come meanwhile).
    const before = await log.askedNow();
    const started = Date.now();
    const { error } = await unary(
      'acceptCase',
      AcceptCaseRequest.fromPartial({ caseId: 'x'.repeat(1_500_000) }),
      withToken('330106-rsj'),
    );
    expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(Date.now() - started).toBeLessThan(10_000);
    const { error: long } = await unary(
      'acceptCase',
      AcceptCaseRequest.fromPartial({ caseId: 'x'.repeat(200_000) }),
      withToken('330106-rsj'),
    );
    expect(long?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(long?.details).toContain('/caseId');
    expect((await fetch(`${t.intake.httpUrl}/healthz`)).status).toBe(200);
    expect(log.asked.length).toBe(before);
  });

  it('refuses a command over the broker’s record size to its caller alone (413), while others batched beside it land', async () => {
    const big = { ...validPetition(), content: '很长的内容'.repeat(3_900) }; // ~58 KB of UTF-8, a valid body
    const [tooBig, ...small] = await Promise.all([
      post('/v1/petitions', big),
      ...Array.from({ length: 5 }, () => post('/v1/petitions', validPetition())),
    ]);
    expect(tooBig.status).toBe(413);
    expect(tooBig.headers.get('content-type')).toContain('application/problem+json');
    expect(((await tooBig.json()) as { code: string }).code).toBe('COMMAND_TOO_LARGE');
    expect(small.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
  });
});

describe('3. refusals do not disclose where a case is', () => {
  it('tells a unit that does not hold a case only “not found or not yours”: no holder, state or version', async () => {
    const r = await forwardedToDepartment();
    // Units with nothing to do with the case, one of them far away, and one with an If-Match probing the version.
    for (const [unitId, headers] of [
      ['330102-rsj', {}],
      ['110101-jw', {}],
      ['330106-zjj', { 'if-match': '7' }],
    ] as const) {
      const res = await post(`/v1/cases/${r.caseId}/accept`, {}, { ...auth(unitId), ...headers });
      const text = await res.text();
      expect(res.status).toBe(404);
      expect(JSON.parse(text)).toMatchObject({ code: 'CASE_NOT_FOUND' });
      expect(text).not.toMatch(/330106-rsj|330106-xfj|caseVersion|CASE_STATE|expected/);
    }
    // The same answer as for a case that does not exist at all.
    const none = await post('/v1/cases/00000000-0000-4000-8000-000000000000/accept', {}, auth('330102-rsj'));
    expect(none.status).toBe(404);
    expect(((await none.json()) as { code: string }).code).toBe('CASE_NOT_FOUND');
  });

  it('does not let an accused unit learn that an accusation exists or who handles it', async () => {
    const accusation = await register(
      { ...validPetition(), kind: '检举控告', category: '纪检监察', accusedUnitId: '330106-rsj' },
      auth('330106-xfj'),
    );
    await indexed(accusation.caseId);
    const res = await post(`/v1/cases/${accusation.caseId}/accept`, {}, auth('330106-rsj'));
    const text = await res.text();
    expect(res.status).toBe(404);
    expect(text).not.toMatch(/jw|xfj|caseVersion|检举/);
    const { response } = await unary<AcceptCaseRequest, { outcome?: { outcome?: { $case: string; value: unknown } } }>(
      'acceptCase',
      AcceptCaseRequest.fromPartial({ caseId: accusation.caseId }),
      withToken('330106-rsj'),
    );
    expect(response.outcome?.outcome?.$case).toBe('refused');
    expect(JSON.stringify(response.outcome?.outcome?.value)).not.toMatch(/jw|xfj|检举/);
    expect(response.outcome?.outcome?.value).toMatchObject({ reasonCode: 'CASE_NOT_FOUND' });
  });
});

describe('4. GET /v1/commands/{id} answers only the command’s caller', () => {
  it('refuses a caller without credentials, and another unit, and never shows the sealed petitioner or query code', async () => {
    const r = await register(validPetition(), auth('330106-xfj'));
    await indexed(r.caseId);
    const anonymous = await fetch(`${t.intake.httpUrl}/v1/commands/${r.commandId}`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/problem+json');
    const other = await fetch(`${t.intake.httpUrl}/v1/commands/${r.commandId}`, { headers: auth('330102-xfj') });
    expect(other.status).toBe(404);
    const own = await fetch(`${t.intake.httpUrl}/v1/commands/${r.commandId}`, { headers: auth('330106-xfj') });
    expect(own.status).toBe(200);
    const text = await own.text();
    expect(JSON.parse(text)).toMatchObject({ status: 'applied', event: { petitionRegistered: {} } });
    expect(text).not.toMatch(/petitioner|sealed|queryCode|representatives/i);
  });

  it('answers the petitioner of a web registration by case number and query code in headers', async () => {
    const r = await register();
    await indexed(r.caseId);
    const url = `${t.intake.httpUrl}/v1/commands/${r.commandId}`;
    // Routing's answer may come a moment after the case is indexed (202 pending until then, to anyone).
    let right: Response | undefined;
    await waitFor('the answer to the registration', async () => {
      right = await fetch(url, { headers: { 'x-case-number': r.caseNumber, 'x-query-code': r.queryCode } });
      return right.status !== 202;
    });
    expect(right?.status).toBe(200);
    expect(await right?.text()).not.toMatch(/queryCodeHash|queryCodeSealed|ciphertext/);
    const wrong = await fetch(url, { headers: { 'x-case-number': r.caseNumber, 'x-query-code': 'AAAAAAAAAA' } });
    expect(wrong.status).toBe(401);
  });
});

describe('5. query codes cannot be cracked offline', () => {
  it('publishes a keyed verifier, not an unkeyed hash, and keeps no plaintext code in Redis', async () => {
    const r = await post('/v1/petitions', validPetition(), { 'idempotency-key': `qc-${Date.now()}` });
    const registered = (await r.json()) as { caseId: string; caseNumber: string; queryCode: string };
    await waitFor('the command', () => log.seen.some((c) => c.meta?.caseId === registered.caseId));
    const command = log.seen.find((c) => c.meta?.caseId === registered.caseId);
    const petition = command?.command?.$case === 'registerPetition' ? command.command.value.petition : undefined;
    const unkeyed = createHash('sha256').update(`${registered.caseNumber}:${registered.queryCode}`).digest('hex');
    expect(petition?.queryCodeHash).toMatch(/^q1:/);
    expect(petition?.queryCodeHash).not.toContain(unkeyed);
    const redis = new Redis(t.config.redisUrl);
    try {
      const keys = await redis.keys(`${t.prefix}intake:*`);
      expect(keys.length).toBeGreaterThan(0);
      for (const key of keys) {
        const type = await redis.type(key);
        const values = type === 'string' ? [await redis.get(key)] : type === 'hash' ? await redis.hvals(key) : [];
        for (const v of values) expect(String(v)).not.toContain(registered.queryCode);
      }
    } finally {
      redis.disconnect();
    }
  });
});

describe('6. nobody registers for a unit, or backdates, without a registrar’s token', () => {
  it('refuses an anonymous registration naming a registering unit or a received time, and publishes nothing', async () => {
    // What callers asked for (a repeat follow-up of an earlier registration may come meanwhile).
    const before = await log.askedNow();
    const named = await post('/v1/petitions', { ...validPetition(), registeringUnitId: '330106-rsj' });
    expect(named.status).toBe(401);
    expect(await named.json()).toMatchObject({
      code: 'REGISTRAR_TOKEN_REQUIRED',
      errors: [{ field: '/registeringUnitId' }],
    });
    const backdated = await post('/v1/petitions', {
      ...validPetition(),
      channel: 'LETTER',
      receivedTime: new Date(Date.now() - 80 * 86_400_000).toISOString(),
    });
    expect(backdated.status).toBe(401);
    expect(await backdated.json()).toMatchObject({ errors: [{ field: '/receivedTime' }] });
    const { error } = await unary(
      'registerPetition',
      RegisterPetitionRequest.fromPartial({
        petition: { ...grpcPetition(), registeringUnitId: '330106-rsj' },
        petitioner: { name: '王五' },
      }),
    );
    expect(error?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(log.asked.length).toBe(before);
  });

  it('limits anonymous registrations per client, and registrations naming one phone number', async () => {
    const limited = await startTestIntake('intake-limits', { INTAKE_REGISTRATION_LIMIT: '3', INTAKE_PHONE_LIMIT: '2' });
    try {
      const file = (phone: string, headers: Record<string, string> = {}) =>
        fetch(`${limited.intake.httpUrl}/v1/petitions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ ...validPetition(), petitioner: { name: '李四', phone } }),
        });
      expect((await file('13700000001')).status).toBe(201);
      expect((await file('13700000001')).status).toBe(201);
      const third = await file('13700000001');
      expect(third.status).toBe(429);
      expect(await third.json()).toMatchObject({ code: 'TOO_MANY_FOR_PHONE' });
      // The refused one still counted for the client: the fourth is over the client's limit.
      const fourth = await file('13700000002');
      expect(fourth.status).toBe(429);
      expect(Number(fourth.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await fourth.json()).toMatchObject({ code: 'TOO_MANY_REGISTRATIONS' });
      // A registrar entering letters is not limited per client.
      expect((await file('13700000003', auth('330106-xfj'))).status).toBe(201);
    } finally {
      await limited.intake.close();
      await limited.bus.deleteOwnTopics();
      await limited.bus.close();
    }
  });
});

const grpcPetition = () => ({
  channel: Channel.CHANNEL_PHONE,
  kind: PetitionKind.PETITION_KIND_COMPLAINT,
  category: Category.CATEGORY_URBAN_RURAL_CONSTRUCTION,
  regionCode: '330106',
  title: '违建',
  content: '小区违章搭建',
});

describe('8. odd times are the caller’s mistake, never a 500 or INTERNAL', () => {
  it('answers a leap second and an out-of-range year over HTTP with 422 naming the field', async () => {
    const r = await register();
    await indexed(r.caseId);
    for (const reportDueTime of ['2026-12-31T23:59:60Z', '+275760-09-13T00:00:00Z', '10000-01-01T00:00:00Z']) {
      const res = await post(
        `/v1/cases/${r.caseId}/assign`,
        { assigneeUnitId: '330106-rsj', reportDueTime },
        auth('330106-xfj'),
      );
      expect(res.status, reportDueTime).toBe(422);
      expect(((await res.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe('/reportDueTime');
    }
    const letter = await post(
      '/v1/petitions',
      { ...validPetition(), channel: 'LETTER', receivedTime: '2026-06-30T23:59:60Z' },
      auth('330106-xfj'),
    );
    expect(letter.status).toBe(422);
  });

  it('answers a gRPC Timestamp in year 3,170,000 or before 1900 with INVALID_ARGUMENT', async () => {
    // The client library cannot even encode such a Date, so the bytes are written by hand (as a foreign
    // client would send them): AssignCaseRequest{case_id, command: AssignCase{assignee, report_due_time}}.
    const { lengthDelimited: field, timestamp } = protoWire;
    const text = (n: number, value: string) => field(n, Buffer.from(value));
    const request = (seconds: bigint) =>
      Buffer.concat([text(1, 'c-1'), field(3, Buffer.concat([text(1, '330106-rsj'), field(2, timestamp(seconds))]))]);
    for (const seconds of [100_000_000_000_000n, -100_000_000_000_000n, -3_000_000_000n]) {
      const error = await new Promise<grpc.ServiceError | null>((resolve) =>
        client.makeUnaryRequest(
          '/petition.v1.IntakeService/AssignCase',
          (bytes: Buffer) => bytes,
          (bytes: Buffer) => bytes,
          request(seconds),
          withToken('330106-xfj'),
          { deadline: Date.now() + 15_000 },
          (e) => resolve(e),
        ),
      );
      expect(error?.code, String(seconds)).toBe(grpc.status.INVALID_ARGUMENT);
      expect(error?.details).toContain('reportDueTime');
    }
  });
});

describe('9. read-your-writes: intake does not contradict routing with a stale index', () => {
  it('lets the unit routing just gave the case act at once, though intake’s index still shows the old holder', async () => {
    const r = await forwardedToDepartment();
    // Intake's index lags: it still says the bureau holds the case (an event it has not read yet).
    await indexed(r.caseId, 2);
    const redis = new Redis(t.config.redisUrl);
    try {
      await redis.hset(`${t.prefix}intake:case:${r.caseId}`, 'custody', '330106-xfj');
    } finally {
      redis.disconnect();
    }
    const accepted = await post(`/v1/cases/${r.caseId}/accept`, {}, auth('330106-rsj'));
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toMatchObject({ event: { state: 'CASE_STATE_ACCEPTED' } });
  });
});

describe('7. staff act by their roles, with tokens intake can verify but never mint', () => {
  const withRoles = (unitId: string, roles: StaffRole[]) => ({
    authorization: `Bearer ${testToken(unitId, { roles })}`,
  });

  it('refuses what a staff member’s roles do not permit, before publishing', async () => {
    const r = await register(validPetition(), auth('330106-xfj'));
    await indexed(r.caseId);
    // What callers asked for (a repeat follow-up of an earlier registration may come meanwhile).
    const before = await log.askedNow();
    const handlerRegisters = await post('/v1/petitions', validPetition(), withRoles('330106-xfj', ['handler']));
    expect(handlerRegisters.status).toBe(403);
    expect(await handlerRegisters.json()).toMatchObject({ code: 'ROLE_REQUIRED' });
    const registrarForwards = await post(
      `/v1/cases/${r.caseId}/forward`,
      { toUnitId: '330106-rsj', toHandlingUnit: true },
      withRoles('330106-xfj', ['registrar']),
    );
    expect(registrarForwards.status).toBe(403);
    const handlerReviews = await post(
      `/v1/cases/${r.caseId}/decide-review`,
      { decision: 'REVIEW_DECISION_UPHELD', opinion: { summary: '维持' } },
      withRoles('330106-xfj', ['handler', 'supervisor']),
    );
    expect(handlerReviews.status).toBe(403);
    expect(log.asked.length).toBe(before);
    // The handler's own work goes through.
    const forwarded = await post(
      `/v1/cases/${r.caseId}/forward`,
      { toUnitId: '330106-rsj', toHandlingUnit: true },
      withRoles('330106-xfj', ['handler']),
    );
    expect(forwarded.status).toBe(200);
  });

  it('refuses a token that lives longer than the node allows, or is made for another audience', async () => {
    const long = testToken('330106-xfj', { ttlSeconds: 30 * 86_400 });
    const res = await post('/v1/petitions', validPetition(), { authorization: `Bearer ${long}` });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'TOKEN_TOO_LONG_LIVED' });
  });

  it('will not start with a private key among the keys it is to trust', async () => {
    await expect(
      startTestIntake('intake-private', { STAFF_JWKS: JSON.stringify({ keys: [testStaffKey().privateJwk] }) }),
    ).rejects.toThrow(/BAD_KEYS/);
  });
});
