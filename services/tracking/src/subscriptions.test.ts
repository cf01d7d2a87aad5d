import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { devQueryCodeSecret, queryCodeVerifier } from '@petition/auth';
import { caseEvents, createBus, isolatedPrefix } from '@petition/bus';
import {
  FeedError,
  type FeedEvent,
  memorySeenStore,
  subscribeGrpc,
  subscribeSse,
  subscriptionsClient,
  verifyWebhook,
  WebhookError,
} from '@petition/client';
import { type CaseEvent, Category, PetitionKind } from '@petition/contract';
import { CaseRun, petition, realDirectory, unit } from '@petition/lifecycle/test-kit';
import { createLogger } from '@petition/logging';
import { devSealKeys, parseKeyring, sealPerson } from '@petition/seal';
import { testToken, waitFor } from '@petition/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracking, type Tracking } from './app.ts';
import { loadTrackingConfig } from './config.ts';
import { decodePosition } from './subscriptions/position.ts';

// Integrators' subscriptions against the real broker and Redis, over real HTTP (SSE) and gRPC, with the
// client package an integrator would use: the test plays routing (case events as the lifecycle makes them)
// and three integrators — a district hotline that sees events only, a city discipline office with the
// personal-data scope, and a client whose operators gave it no events scope.

const logger = createLogger({ service: 'tracking-subscriptions-test', level: process.env.LOG_LEVEL ?? 'warn' });
const prefix = isolatedPrefix('tracking-subs');
const bus = createBus({
  brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
  clientId: 'trk-subs-test',
  logger,
  topicPrefix: prefix,
});
const hotline = { clientId: 'xihu-hotline', secret: 'xihu-hotline-secret-0001' };
const discipline = { clientId: 'city-discipline', secret: 'city-discipline-secret-01' };
const scopeless = { clientId: 'scopeless', secret: 'scopeless-secret-000001' };
const env = {
  ...process.env,
  TOPIC_PREFIX: prefix,
  TRACKING_HTTP_PORT: '0',
  TRACKING_OPS_PORT: '0',
  TRACKING_GRPC_PORT: '0',
  TRACKING_HOST: '127.0.0.1',
  TRACKING_STREAM_HEARTBEAT: '300ms',
  TRACKING_INTEGRATORS: JSON.stringify([
    {
      clientId: hotline.clientId,
      name: '西湖区 12345',
      unitId: '330106-xfj',
      scopes: ['events'],
      secret: hotline.secret,
    },
    {
      clientId: discipline.clientId,
      name: '杭州市纪委监委',
      unitId: '330100-xfj',
      scopes: ['events', 'personal-data'],
      secret: discipline.secret,
      allowPrivateTargets: true,
    },
    { clientId: scopeless.clientId, unitId: '330106-xfj', scopes: ['personal-data'], secret: scopeless.secret },
  ]),
};
const keyring = parseKeyring(devSealKeys);
const stamp = Date.now().toString(36).toUpperCase();
const directory = realDirectory();
const petitioner = {
  name: '王小明',
  idNumber: '330106199203034567',
  idType: '',
  phone: '13700137000',
  address: '杭州市西湖区天目山路 1 号',
  email: '',
};

let serial = 0;
/** A case as routing would write it: registered, then the steps given, each by the unit named. */
function caseOf(
  over: Parameters<typeof petition>[0],
  steps: (run: CaseRun) => void = () => {},
): { run: CaseRun; number: string } {
  const caseId = `sub-${stamp}-${++serial}`;
  const number = `ZJ-SUB-${stamp}-${serial}`;
  const run = new CaseRun({ now: '2026-11-20T10:00:00+08:00', directory, caseId });
  run.ok(undefined, {
    $case: 'registerPetition',
    value: {
      petition: petition({
        caseNumber: number,
        queryCodeHash: queryCodeVerifier(devQueryCodeSecret, number, `CODE${serial}`),
        registeringUnitId: '330106-xfj',
        petitioner: { personId: `person-${caseId}`, sealed: sealPerson(keyring, petitioner, caseId, 'petitioner') },
        ...over,
      }),
    },
  });
  steps(run);
  return { run, number };
}
/** Forwarded by the district bureau to its labour bureau, which accepts it. */
const acceptedAtLabour = (run: CaseRun) => {
  run.ok(unit('330106-xfj'), { $case: 'forwardCase', value: { toUnitId: '330106-rsj', toHandlingUnit: true } });
  run.ok(unit('330106-rsj'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } });
};
const publish = async (events: readonly CaseEvent[]) => (await bus.publisher()).publish(caseEvents, events);
const typeOf = (e: CaseEvent) => `petition.v1.${(e.payload?.$case ?? '').replace(/^./, (c) => c.toUpperCase())}`;
const idsOf = (events: readonly { envelope?: { eventId: string } }[]) => events.map((e) => e.envelope?.eventId ?? '');

let tracking: Tracking;
const api = (credentials: { clientId: string; secret: string }) => subscriptionsClient(tracking.httpUrl, credentials);
const basic = (c: { clientId: string; secret: string }) =>
  `Basic ${Buffer.from(`${c.clientId}:${c.secret}`).toString('base64')}`;
const grpcAddress = () => `127.0.0.1:${tracking.grpcPort}`;

/**
 * Reads a feed until `count` events have come and the stream's position has passed every offset case-events
 * had when reading began (so anything more the filter let through would have come too); then stops.
 */
async function readAll(
  open: (signal: AbortSignal, onPosition: (token: string) => void) => AsyncGenerator<FeedEvent>,
  subscriptionId: string,
  count: number,
): Promise<FeedEvent[]> {
  const end = await bus.endOffsets(caseEvents);
  const got: FeedEvent[] = [];
  const stop = new AbortController();
  let passedEnd = false;
  const done = () => got.length >= count && passedEnd;
  const onPosition = (token: string) => {
    const at = decodePosition(subscriptionId, token);
    passedEnd = [...end].every(([p, o]) => (at.get(p) ?? 0n) >= o);
    if (done()) stop.abort();
  };
  const timer = setTimeout(() => stop.abort(), 60_000);
  try {
    for await (const event of open(stop.signal, onPosition)) {
      got.push(event);
      if (done()) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return got;
}
/** readAll over SSE or gRPC from where the subscription began. */
async function readFeed(kind: 'sse' | 'grpc', credentials: typeof hotline, subscriptionId: string, count: number) {
  return readAll(
    (signal, onPosition) =>
      kind === 'sse'
        ? subscribeSse(tracking.httpUrl, { ...credentials, subscriptionId, signal, onPosition })
        : subscribeGrpc(grpcAddress(), { ...credentials, subscriptionId, signal, onPosition }),
    subscriptionId,
    count,
  );
}

beforeAll(async () => {
  tracking = await startTracking(loadTrackingConfig(env), logger);
});

afterAll(async () => {
  await tracking?.close();
  await bus.close();
  await bus.deleteOwnTopics();
});

describe('a subscription made by API', () => {
  // The hotline's: labour cases, their registrations and acceptances.
  let labour: string;
  // The discipline office's: every registration in 西湖区, with personal data.
  let registrations: string;
  const cases = {
    labour: caseOf({}, acceptedAtLabour),
    construction: caseOf({ category: Category.CATEGORY_URBAN_RURAL_CONSTRUCTION }, acceptedAtLabour),
    // An accusation against the hotline's own unit, at the city bureau: never the hotline's (art 30).
    againstHotline: caseOf({
      kind: PetitionKind.PETITION_KIND_ACCUSATION,
      accusedUnitId: '330106-xfj',
      registeringUnitId: '330100-xfj',
      title: '举报西湖区信访局某干部',
      content: '检举内容：某干部收受礼金',
    }),
    // Another district's case: not the hotline's to see.
    elsewhere: caseOf({ regionCode: '330102', registeringUnitId: '330102-xfj' }, (run) =>
      run.ok(unit('330102-xfj'), { $case: 'forwardCase', value: { toUnitId: '330102-rsj', toHandlingUnit: true } }),
    ),
    // An accusation against the labour bureau: the hotline sees it, without its free text.
    againstLabour: caseOf(
      {
        kind: PetitionKind.PETITION_KIND_ACCUSATION,
        accusedUnitId: '330106-rsj',
        title: '举报人社局',
        content: '检举人社局工作人员',
      },
      (run) =>
        run.ok(unit('330106-xfj'), { $case: 'forwardCase', value: { toUnitId: '330100-xfj', toHandlingUnit: false } }),
    ),
  };

  beforeAll(async () => {
    labour = (
      await api(hotline).create({
        name: '劳动保障',
        filter: { categories: ['CATEGORY_LABOR_SOCIAL_SECURITY'], eventTypes: ['PetitionRegistered', 'CaseAccepted'] },
      })
    ).id;
    registrations = (
      await api(discipline).create({
        name: '西湖区登记',
        filter: { regionCodes: ['330106'], eventTypes: ['petition.v1.PetitionRegistered'] },
      })
    ).id;
    for (const c of Object.values(cases)) await publish(c.run.events);
  });

  it('delivers exactly the events its filter selects, over SSE and gRPC alike — none of an accusation against its own unit', async () => {
    const expected = [cases.labour, cases.againstLabour].flatMap((c) =>
      c.run.events.filter((e) => ['petition.v1.PetitionRegistered', 'petition.v1.CaseAccepted'].includes(typeOf(e))),
    );
    for (const kind of ['sse', 'grpc'] as const) {
      const got = await readFeed(kind, hotline, labour, expected.length);
      expect(got.map((e) => e.eventId).sort()).toEqual(idsOf(expected).sort());
      expect(got.some((e) => e.caseId === cases.againstHotline.run.caseId)).toBe(false);
      expect(new Set(got.map((e) => e.eventType))).toEqual(
        new Set(['petition.v1.PetitionRegistered', 'petition.v1.CaseAccepted']),
      );
    }
  });

  it('without the personal-data scope: no one’s data, no accusation’s free text, never the query-code verifier', async () => {
    const got = await readFeed('sse', hotline, labour, 3);
    const text = JSON.stringify(got);
    for (const secret of [petitioner.name, petitioner.idNumber, petitioner.phone, '检举人社局工作人员', '举报人社局'])
      expect(text).not.toContain(secret);
    expect(text).not.toMatch(/queryCode|q1:/);
    const registered = got.find((e) => e.caseId === cases.labour.run.caseId && e.eventType.endsWith('Registered'));
    const shown = registered?.event as unknown as { petitionRegistered: { petition: Record<string, unknown> } };
    // A complaint's matter is the hotline's to read; the petitioner only by pseudonym.
    expect(shown.petitionRegistered.petition).toMatchObject({
      title: '工资拖欠',
      petitioner: { personId: `person-${cases.labour.run.caseId}` },
    });
  });

  it('with the personal-data scope: the data opened, and each delivery in the access audit', async () => {
    const expected = [cases.labour, cases.construction, cases.againstHotline, cases.againstLabour].map(
      (c) => c.run.events[0] as CaseEvent,
    );
    const got = await readFeed('grpc', discipline, registrations, expected.length);
    expect(got.map((e) => e.eventId).sort()).toEqual(idsOf(expected).sort());
    const accusation = got.find((e) => e.caseId === cases.againstHotline.run.caseId);
    expect(accusation?.event).toMatchObject({
      petitionRegistered: {
        petition: {
          content: '检举内容：某干部收受礼金',
          petitioner: { name: petitioner.name, idNumber: petitioner.idNumber, phone: petitioner.phone },
        },
      },
    });
    expect(JSON.stringify(got)).not.toMatch(/queryCode|q1:/);
    const auditor = testToken('330100-xfj', { roles: ['auditor'] });
    await waitFor('the deliveries in the audit', async () => {
      const r = await fetch(`${tracking.httpUrl}/v1/audit?limit=200`, {
        headers: { authorization: `Bearer ${auditor}` },
      });
      const { entries } = (await r.json()) as { entries: { caseId: string; staffId: string; clientAddress: string }[] };
      const mine = entries.filter((e) => e.staffId === 'integrator:city-discipline');
      return expected.every((e) => mine.some((m) => m.caseId === e.envelope?.caseId));
    });
  });

  it('is its integrator’s alone, refuses what its credentials and scopes do not allow, and names every mistake', async () => {
    const post = (credentials: typeof hotline, body: unknown) =>
      fetch(`${tracking.httpUrl}/v1/subscriptions`, {
        method: 'POST',
        headers: { authorization: basic(credentials), 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    const wrong = await fetch(`${tracking.httpUrl}/v1/subscriptions`, {
      headers: { authorization: basic({ ...hotline, secret: 'not-the-secret-at-all' }) },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect(wrong.headers.get('content-type')).toMatch(/problem\+json/);
    expect((await fetch(`${tracking.httpUrl}/v1/subscriptions`)).status).toBe(401);
    expect(await (await post(scopeless, { name: 'x' })).json()).toMatchObject({ status: 403, code: 'SCOPE_REQUIRED' });
    // Another integrator's subscription is no subscription, by API, SSE and gRPC.
    await expect(api(hotline).get(registrations)).rejects.toMatchObject({
      problem: 'SUBSCRIPTION_NOT_FOUND',
      status: 404,
    });
    await expect(readFeed('sse', hotline, registrations, 1)).rejects.toMatchObject({
      problem: 'SUBSCRIPTION_NOT_FOUND',
    });
    await expect(readFeed('grpc', hotline, registrations, 1)).rejects.toMatchObject({
      problem: 'SUBSCRIPTION_NOT_FOUND',
    });
    expect(await (await post(hotline, { name: 'x', filter: { unitIds: ['330102-rsj'] } })).json()).toMatchObject({
      status: 422,
      code: 'INVALID_FILTER',
    });
    expect(await (await post(hotline, { name: 'x', filter: { eventTypes: ['CaseVanished'] } })).json()).toMatchObject({
      code: 'INVALID_FILTER',
    });
    expect(
      await (await post(hotline, { name: 'x', filter: { kinds: ['PETITION_KIND_RUMOUR'] } })).json(),
    ).toMatchObject({
      code: 'INVALID_FILTER',
    });
    // A webhook into the node's own network is refused unless the operators allow the integrator that.
    for (const target of [
      'http://127.0.0.1:9/hook',
      'https://10.1.2.3/hook',
      'https://[::1]/hook',
      'https://localhost/x',
    ])
      expect(await (await post(hotline, { name: 'x', webhookUrl: target })).json()).toMatchObject({
        status: 422,
        code: 'TARGET_NOT_ALLOWED',
      });
    expect(await (await post(hotline, '{"name":')).json()).toMatchObject({ status: 400 });
    expect(await (await post(hotline, { filter: {} })).json()).toMatchObject({ status: 400 });
    // A token of another subscription, or made up, is refused.
    const other = (await api(hotline).create({ name: '另一个' })).id;
    const foreignToken = (await api(discipline).get(registrations)).startToken;
    for (const token of [foreignToken, `${other}.!!`, `${other}.${Buffer.from('0:x').toString('base64url')}`]) {
      const r = await fetch(`${tracking.httpUrl}/v1/subscriptions/${other}/events`, {
        headers: { authorization: basic(hotline), 'last-event-id': token },
      });
      expect(await r.json()).toMatchObject({ status: 400, code: 'BAD_RESUME_TOKEN' });
    }
    await api(hotline).delete(other);
    await expect(api(hotline).get(other)).rejects.toMatchObject({ status: 404 });
  });

  it('pauses — its streams refused and ended — and resumes from where it stood', async () => {
    const client = api(hotline);
    const stop = new AbortController();
    const ended = (async () => {
      try {
        for await (const _ of subscribeSse(tracking.httpUrl, {
          ...hotline,
          subscriptionId: labour,
          signal: stop.signal,
        }));
        return 'ended';
      } catch (err) {
        return (err as FeedError).problem;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await client.pause(labour)).state).toBe('paused');
    // The open stream ends; reopening it is refused while paused.
    expect(await ended).toBe('SUBSCRIPTION_PAUSED');
    await expect(readFeed('sse', hotline, labour, 1)).rejects.toBeInstanceOf(FeedError);
    await expect(readFeed('grpc', hotline, labour, 1)).rejects.toMatchObject({ problem: 'SUBSCRIPTION_PAUSED' });
    expect((await client.resume(labour)).state).toBe('active');
    expect((await readFeed('sse', hotline, labour, 3)).length).toBe(3);
    expect((await client.list()).map((s) => s.id)).toContain(labour);
    stop.abort();
  });
});

describe('a webhook subscription', () => {
  let receiver: Server;
  const calls: { headers: IncomingHttpHeaders; body: Buffer }[] = [];
  let answered = 0;

  beforeAll(async () => {
    receiver = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      calls.push({ headers: req.headers, body: Buffer.concat(chunks) });
      // The first call is asked to come back in a second.
      if (++answered === 1) res.writeHead(429, { 'retry-after': '1' }).end();
      else res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  it('POSTs each selected event signed, honours Retry-After, and a replayed call fails verification', async () => {
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const made = await api(discipline).create({
      name: '受理回调',
      filter: { eventTypes: ['CaseAccepted'], regionCodes: ['330106'] },
      webhookUrl: url,
    });
    expect(made.webhookSecret).toMatch(/^whsec_/);
    expect(JSON.stringify(await api(discipline).get(made.id))).not.toContain(made.webhookSecret);
    const later = caseOf({}, acceptedAtLabour);
    await publish(later.run.events);
    const accepted = later.run.events.find((e) => e.payload?.$case === 'caseAccepted');
    await waitFor('the acceptance delivered', () => calls.length >= 2);
    const seen = memorySeenStore();
    const delivered = calls.at(-1);
    if (!delivered) throw new Error('no call');
    const verified = await verifyWebhook({
      secret: made.webhookSecret ?? '',
      headers: delivered.headers,
      body: delivered.body,
      seen,
    });
    expect(verified.id).toBe(accepted?.envelope?.eventId);
    expect(JSON.parse(delivered.body.toString())).toMatchObject({
      eventId: accepted?.envelope?.eventId,
      eventType: 'petition.v1.CaseAccepted',
      caseNumber: later.number,
    });
    // The retry came after the receiver's Retry-After, with the same id.
    expect(calls[0]?.headers['webhook-id']).toBe(calls[1]?.headers['webhook-id']);
    const replay = verifyWebhook({
      secret: made.webhookSecret ?? '',
      headers: delivered.headers,
      body: delivered.body,
      seen,
    });
    await expect(replay).rejects.toMatchObject({ code: 'WEBHOOK_REPLAYED' });
    await expect(replay).rejects.toBeInstanceOf(WebhookError);
    // Only what the filter selects: the registration and the forward were not posted.
    expect(new Set(calls.map((c) => c.headers['webhook-id']))).toEqual(new Set([accepted?.envelope?.eventId]));
    await api(discipline).delete(made.id);
  });
});

describe('a webhook paused while its endpoint refuses', () => {
  it('does not count the event as delivered: once resumed, the endpoint gets it', async () => {
    const got: string[] = [];
    let refusing = true;
    const receiver = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      if (refusing) return void res.writeHead(503).end();
      got.push(String(req.headers['webhook-id']));
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/paused-hook`;
      const made = await api(discipline).create({
        name: '暂停回调',
        filter: { eventTypes: ['CaseAccepted'] },
        webhookUrl: url,
      });
      const later = caseOf({}, acceptedAtLabour);
      await publish(later.run.events);
      const accepted = later.run.events.find((e) => e.payload?.$case === 'caseAccepted')?.envelope?.eventId;
      // Refused at least once, then paused mid-delivery; the endpoint recovers while it is paused.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await api(discipline).pause(made.id);
      refusing = false;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(got).toEqual([]);
      await api(discipline).resume(made.id);
      await waitFor('the event delivered after the resume', () => got.includes(accepted ?? ''), 30_000);
      await api(discipline).delete(made.id);
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });
});

describe('an integrator down for a minute', () => {
  it('resumes from its token over SSE and gRPC across a restart and a flush: nothing missing, nothing twice', async () => {
    const subscriptionId = (await api(hotline).create({ name: '全部', filter: { regionCodes: ['330106'] } })).id;
    const before = Array.from({ length: 3 }, () => caseOf({}, acceptedAtLabour));
    for (const c of before) await publish(c.run.events);
    const beforeIds = before.flatMap((c) => idsOf(c.run.events));
    // Both read everything there is, and go away with their last token.
    const tokens: Record<'sse' | 'grpc', string> = { sse: '', grpc: '' };
    for (const kind of ['sse', 'grpc'] as const) {
      const got = await readFeed(kind, hotline, subscriptionId, beforeIds.length);
      expect(got.map((e) => e.eventId).sort()).toEqual([...beforeIds].sort());
      tokens[kind] = got.at(-1)?.resumeToken ?? '';
    }
    // The minute they are away: cases keep coming, tracking restarts, and its Redis keys are flushed.
    const during: ReturnType<typeof caseOf>[] = [];
    const awayUntil = Date.now() + 60_000;
    for (let i = 0; i < 4; i++) {
      const c = caseOf({}, acceptedAtLabour);
      await publish(c.run.events);
      during.push(c);
      if (i === 1) {
        await tracking.close();
        const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
        const keys = await redis.keys(`${prefix}trk:*`);
        expect(keys.length).toBeGreaterThan(0);
        await redis.del(...keys);
        redis.disconnect();
        tracking = await startTracking(loadTrackingConfig(env), logger);
      }
      await new Promise((resolve) => setTimeout(resolve, 12_000));
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, awayUntil - Date.now())));
    const duringIds = during.flatMap((c) => idsOf(c.run.events));
    for (const kind of ['sse', 'grpc'] as const) {
      const got = await readAll(
        (signal, onPosition) =>
          kind === 'sse'
            ? subscribeSse(tracking.httpUrl, {
                ...hotline,
                subscriptionId,
                resumeToken: tokens[kind],
                signal,
                onPosition,
              })
            : subscribeGrpc(grpcAddress(), {
                ...hotline,
                subscriptionId,
                resumeToken: tokens[kind],
                signal,
                onPosition,
              }),
        subscriptionId,
        duringIds.length,
      );
      // Exactly what came while it was away: none missing, none twice, none from before.
      expect(got.map((e) => e.eventId).sort()).toEqual([...duringIds].sort());
    }
  }, 240_000);
});
