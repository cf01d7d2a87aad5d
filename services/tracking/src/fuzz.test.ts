import { normalizeQueryCode, permits, queryCodeVerifier, type StaffRole, staffRoles } from '@petition/auth';
import { caseEvents, createBus, deadlineEvents, isolatedPrefix } from '@petition/bus';
import { ClockStage, DeadlineEvent, Person } from '@petition/contract';
import { CaseRun, petition, realDirectory, unit } from '@petition/lifecycle/test-kit';
import { createLogger } from '@petition/logging';
import { parseKeyring, sealPerson } from '@petition/seal';
import { testToken, waitFor } from '@petition/testing';
import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracking, type Tracking } from './app.ts';
import { loadTrackingConfig } from './config.ts';

// Every route of tracking's API (http.ts, finding.ts, notices.ts…) under fuzzing over real HTTP, beside http-surface.test.ts's fixed
// sweep: random and real unit ids and region codes, periods (impossible dates, reversed, too long, before
// retention, repeated), X-Query-Code values, and tokens of random units with random roles, garbage or none.
// Never a 5xx; every 4xx problem+json with a code; and a 200 only to whom it belongs — the petitioner
// with the right code, the unit itself, or a supervisor or leader over it.

const logger = createLogger({ service: 'tracking-fuzz-test', level: process.env.LOG_LEVEL ?? 'warn' });
const prefix = isolatedPrefix('tracking-fuzz');
const config = loadTrackingConfig({
  ...process.env,
  TOPIC_PREFIX: prefix,
  TRACKING_HTTP_PORT: '0',
  TRACKING_OPS_PORT: '0',
  TRACKING_HOST: '127.0.0.1',
  // Enough wrong guesses to reach the case's view often, and still the 429 once they run out.
  TRACKING_GUESS_LIMIT: '60',
});
let tracking: Tracking;
let intake: FastifyInstance;
const bus = createBus({ brokers: config.brokers ?? [], clientId: 'trk-fuzz', logger, topicPrefix: prefix });

const caseNumber = `ZJ330106-20261120-F${Date.now().toString(36).toUpperCase()}`;
const code = 'K7QZ-93MX';
const directory = realDirectory();
const run = new CaseRun({
  now: '2026-11-20T10:00:00+08:00',
  directory,
  caseId: `trk-fuzz-${Date.now()}`,
});
run.ok(undefined, {
  $case: 'registerPetition',
  value: {
    petition: petition({
      caseNumber,
      queryCodeHash: queryCodeVerifier(config.queryCodeSecret, caseNumber, code),
      // Sealed, so that the holder's handlers may open it (POST …/personal-data).
      petitioner: {
        personId: 'p-1',
        sealed: sealPerson(
          parseKeyring(config.sealKeys),
          Person.fromPartial({ name: '张三' }),
          run.caseId,
          'petitioner',
        ),
      },
    }),
  },
});
run.ok(unit('330106-xfj'), {
  $case: 'forwardCase',
  value: { toUnitId: '330106-rsj', toHandlingUnit: true, reason: '' },
});
run.ok(unit('330106-rsj'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } });
const clock = (payload: DeadlineEvent['payload'], n: number) =>
  DeadlineEvent.fromPartial({
    envelope: { eventId: `fz-${n}`, caseId: run.caseId, caseVersion: 3, occurTime: new Date() },
    clockId: `${run.caseId}:handling:3`,
    stage: ClockStage.CLOCK_STAGE_HANDLING,
    responsibleUnitId: '330106-rsj',
    payload,
  });

beforeAll(async () => {
  intake = Fastify();
  intake.all('/*', async () => ({ ok: true }));
  tracking = await startTracking({ ...config, intakeUrl: await intake.listen({ port: 0, host: '127.0.0.1' }) }, logger);
  const publisher = await bus.publisher();
  await publisher.publish(caseEvents, run.events);
  await publisher.publish(deadlineEvents, [
    clock(
      {
        $case: 'clockStarted',
        value: {
          dueTime: new Date('2026-12-01T16:00:00Z'),
          periodDays: 10,
          workingDays: false,
          holidayTableVersion: '',
        },
      },
      1,
    ),
    clock({ $case: 'deadlineBreached', value: { dueTime: new Date('2026-12-01T16:00:00Z'), late: false } }, 2),
  ]);
  await waitFor('the case in the read model', async () => {
    const r = await fetch(`${tracking.httpUrl}/v1/cases/${caseNumber}`, { headers: { 'x-query-code': code } });
    return r.ok;
  });
});

afterAll(async () => {
  await tracking?.close();
  await intake?.close();
  await bus.deleteOwnTopics();
  await bus.close();
  const redis = new Redis(config.redisUrl);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

// ---- values ------------------------------------------------------------------------------------------

// Units at every level, in and out of one another's subtrees (杭州市 330100 over 西湖区 330106).
const units = [
  '330106-rsj',
  '330106-xfj',
  '330106-jyj',
  '330100-xfj',
  '330100-zf',
  '330000-xfj',
  '000000-xfj',
  '110101-jw',
  '330200-xfj',
];
const regions = ['330106', '330100', '330000', '000000', '110000', '110101', '999999', '330200'];
const odd = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('', 'x'.repeat(65), 'x'.repeat(250), '..', '%2E%2E', "' OR 1=1", '\u0000', '中文', '😀'),
);
/** A path segment: odd strings percent-encoded (lone surrogates made well-formed), or raw odd escapes. */
const segment = (real: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 5, arbitrary: real },
    { weight: 2, arbitrary: odd.map((s) => encodeURIComponent(s.toWellFormed())) },
    { weight: 1, arbitrary: fc.constantFrom('%zz', '%00', '%F0%9F%98%80', '330106-rsj%00', '%2F') },
  );
// `@own`: the caller's own unit, or its region, filled in when sent (so that supervisors meet their own).
const unitId = segment(fc.oneof(fc.constantFrom(...units), fc.constant('@own')));
const regionCode = segment(
  fc.oneof(
    { weight: 2, arbitrary: fc.constant('@own') },
    fc.constantFrom(...regions),
    fc.integer({ min: 0, max: 999_999 }).map((n) => String(n).padStart(6, '0')),
  ),
);

const today = new Date();
const day = (offset: number) => new Date(today.getTime() + offset * 86_400_000).toISOString().slice(0, 10);
const date = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -900, max: 30 }).map(day) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '2026-02-30',
      '2026-13-01',
      '2028-02-29',
      '0000-01-01',
      '9999-12-31',
      '99999-01-01',
      '2026-1-1',
      '',
      'yesterday',
      '2026-11-20T00:00:00Z',
    ),
  },
  { weight: 1, arbitrary: odd.map((s) => s.toWellFormed()) },
);
const oddPeriod = fc
  .record(
    {
      from: date,
      to: date,
      repeated: fc.constantFrom('from', 'to'),
      extra: fc.constantFrom('x=1', 'queryCode=ABCD', 'from[]=1', 'to[a]=1'),
    },
    { requiredKeys: [] },
  )
  .map(({ from, to, repeated, extra }) => {
    const q = new URLSearchParams();
    if (from !== undefined) q.append('from', from);
    if (to !== undefined) q.append('to', to);
    if (repeated !== undefined) q.append(repeated, day(-1));
    const s = q.toString();
    return [s, extra].filter(Boolean).join('&');
  });

const period = fc.oneof(
  { weight: 2, arbitrary: fc.constant('') },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 60 }))
      .map(([end, length]) => `from=${day(-(end + length))}&to=${day(-end)}`),
  },
  { weight: 3, arbitrary: oddPeriod },
);

type Token =
  | { kind: 'none' }
  | { kind: 'garbage'; header: string }
  | { kind: 'valid'; unit: string; roles: StaffRole[] };
const token: fc.Arbitrary<Token> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ kind: 'none' as const }) },
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...units) }, fc.string({ minLength: 1, maxLength: 64 })),
        fc.subarray([...staffRoles] as StaffRole[], { minLength: 1 }),
      )
      .map(([u, roles]) => ({ kind: 'valid' as const, unit: u, roles })),
  },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.string({ maxLength: 60 }).map((s) => `Bearer ${s.replace(/[^ -~]/g, '')}`),
        fc.constantFrom(
          'Bearer',
          'Basic dXNlcjpwYXNz',
          `Bearer ${'a'.repeat(9_000)}`,
          `Bearer ${testToken('330100-xfj').slice(0, -3)}abc`,
          `Bearer ${testToken('330100-xfj', { now: new Date('2001-01-01T00:00:00Z') })}`,
          `bearer ${testToken('330100-xfj')}`,
        ),
      )
      .map((header) => ({ kind: 'garbage' as const, header })),
  },
);
const queryCode = fc.oneof(
  { weight: 3, arbitrary: fc.constant(code) },
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }).map((s) => s.replace(/[^ -~]/g, '')) },
  { weight: 1, arbitrary: fc.constantFrom('', 'x'.repeat(33), code.toLowerCase(), ` ${code}`) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

/** Query strings of the inbox and the boards (finding.ts): the filters' values, real and odd, and paging. */
const query = (fields: Record<string, fc.Arbitrary<string>>) =>
  fc.record(fields, { requiredKeys: [] }).map((q) => new URLSearchParams(q as Record<string, string>).toString());
const oddText = odd.map((s) => s.toWellFormed());
const inboxQuery = query({
  cursor: fc.oneof(oddText, fc.constant('OCAxMjM')),
  limit: fc.oneof(fc.integer({ min: -1, max: 300 }).map(String), oddText),
  state: fc.oneof(fc.constantFrom('CASE_STATE_ACCEPTED', 'ACCEPTED', ''), oddText),
  category: fc.oneof(fc.constantFrom('CATEGORY_LABOR_SOCIAL_SECURITY', 'CATEGORY_UNSPECIFIED'), oddText),
  overdue: fc.constantFrom('true', 'false', 'yes', ''),
  q: fc.oneof(fc.constantFrom(caseNumber, '工资', ' '), oddText),
});
const boardQuery = query({
  state: fc.oneof(fc.constantFrom('open', 'answered', 'closed', 'OPEN'), oddText),
  category: fc.oneof(fc.constantFrom('CATEGORY_LABOR_SOCIAL_SECURITY', 'UNRECOGNIZED'), oddText),
  level: fc.oneof(fc.constantFrom('county', 'prefecture', 'city'), oddText),
});
const noticesQuery = query({
  cursor: fc.oneof(fc.integer({ min: -5, max: 10_000 }).map(String), oddText),
  limit: fc.oneof(fc.integer({ min: -1, max: 300 }).map(String), oddText),
  unread: fc.constantFrom('true', 'false', 'yes'),
});
const petitionerCase = segment(fc.constantFrom(caseNumber, caseNumber, `${caseNumber}-X`, caseNumber.toLowerCase()));
/** Bodies of a read mark (notices.ts): all, ids (none of which is in an inbox here), and odd ones. */
const marks = fc.oneof(
  fc.constantFrom('{"all":true}', '{"noticeIds":["n-1"]}', '{"all":false}', '{"noticeIds":[]}', '{}', '[]', 'null'),
  odd.map((id) => JSON.stringify({ noticeIds: [id] })),
  fc.constantFrom(undefined, JSON.stringify({ noticeIds: Array.from({ length: 501 }, (_, i) => `n${i}`) })),
);

interface Route {
  readonly name: string;
  readonly path: fc.Arbitrary<string>;
  /** A JSON body, for the routes that take one (else `{}` as text for a method other than GET and HEAD). */
  readonly body?: fc.Arbitrary<string | undefined>;
}
const subscriptionId = segment(fc.oneof(fc.uuid(), odd));
/** The holder of the fuzzed case: its staff see the units' view; supervisors over it read it. */
const holder = '330106-rsj';
const caseId = segment(fc.constantFrom(run.caseId, run.caseId, `${run.caseId}-X`, caseNumber));
// Every route of http.ts, with what fills its parameters.
const routes: Route[] = [
  {
    name: 'GET /v1/cases/{caseNumber}',
    path: fc
      .tuple(
        segment(fc.constantFrom(caseNumber, caseNumber, `${caseNumber}-X`, caseNumber.toLowerCase(), run.caseId)),
        fc.oneof(
          { weight: 5, arbitrary: fc.constant(undefined) },
          { weight: 1, arbitrary: fc.constantFrom('queryCode=ABCD', `queryCode=${code}`, 'x=1') },
        ),
      )
      .map(([n, q]) => `/v1/cases/${n}${q ? `?${q}` : ''}`),
  },
  { name: 'GET /v1/me', path: fc.constant('/v1/me') },
  {
    name: 'GET /v1/units/{unitId}/inbox',
    path: fc.tuple(unitId, inboxQuery).map(([u, q]) => `/v1/units/${u}/inbox${q ? `?${q}` : ''}`),
  },
  { name: 'GET /v1/units/{unitId}/kpis', path: fc.tuple(unitId, period).map(([u, p]) => `/v1/units/${u}/kpis?${p}`) },
  {
    name: 'GET /v1/units/{unitId}/kpis.csv',
    path: fc.tuple(unitId, period).map(([u, p]) => `/v1/units/${u}/kpis.csv?${p}`),
  },
  {
    name: 'GET /v1/regions/{regionCode}/kpis',
    path: fc.tuple(regionCode, period).map(([r, p]) => `/v1/regions/${r}/kpis?${p}`),
  },
  {
    name: 'GET /v1/regions/{regionCode}/kpis.csv',
    path: fc.tuple(regionCode, period).map(([r, p]) => `/v1/regions/${r}/kpis.csv?${p}`),
  },
  {
    name: 'GET /v1/regions/{regionCode}/overdue',
    path: fc.tuple(regionCode, boardQuery).map(([r, q]) => `/v1/regions/${r}/overdue${q ? `?${q}` : ''}`),
  },
  {
    name: 'GET /v1/regions/{regionCode}/supervisions',
    path: fc.tuple(regionCode, boardQuery).map(([r, q]) => `/v1/regions/${r}/supervisions${q ? `?${q}` : ''}`),
  },
  {
    name: 'GET /v1/units/{unitId}/notices',
    path: fc.tuple(unitId, noticesQuery).map(([u, q]) => `/v1/units/${u}/notices${q ? `?${q}` : ''}`),
  },
  { name: 'POST /v1/units/{unitId}/notices/read', path: unitId.map((u) => `/v1/units/${u}/notices/read`), body: marks },
  {
    name: 'GET /v1/cases/{caseNumber}/notices',
    path: fc.tuple(petitionerCase, noticesQuery).map(([n, q]) => `/v1/cases/${n}/notices${q ? `?${q}` : ''}`),
  },
  {
    name: 'POST /v1/cases/{caseNumber}/notices/read',
    path: petitionerCase.map((n) => `/v1/cases/${n}/notices/read`),
    body: marks,
  },
  { name: 'GET /v1/units/{unitId}', path: unitId.map((u) => `/v1/units/${u}`) },
  { name: 'GET /v1/directory/stats', path: fc.constant('/v1/directory/stats') },
  {
    name: 'POST /v1/cases/{caseId}/personal-data',
    path: caseId.map((c) => `/v1/cases/${c}/personal-data`),
    body: fc.oneof(
      fc.constant(JSON.stringify({ reason: '核实信访人身份' })),
      odd.map((reason) => JSON.stringify({ reason })),
      fc.constantFrom(undefined, '{}', '[]', 'null', '{"reason":1}', JSON.stringify({ reason: 'x'.repeat(501) })),
    ),
  },
  {
    name: 'GET /v1/audit',
    path: fc
      .record(
        {
          caseId: fc.oneof(fc.constant(run.caseId), odd),
          unitId: fc.oneof(fc.constantFrom(...units), odd),
          cursor: fc.oneof(odd, fc.constant('MDAwMDAwMDAwMDAwMDAwIHg')),
          limit: fc.oneof(fc.integer({ min: -1, max: 300 }).map(String), odd),
        },
        { requiredKeys: [] },
      )
      .map((q) => `/v1/audit?${new URLSearchParams(q as Record<string, string>)}`),
  },
  // Integrators' subscriptions (subscriptions/routes.ts): no integrator is configured here, so each is refused
  // (401 — staff tokens and made-up Basic credentials are not an integrator's), whatever else comes with it.
  { name: 'GET /v1/subscriptions', path: fc.constant('/v1/subscriptions') },
  {
    name: 'POST /v1/subscriptions',
    path: fc.constant('/v1/subscriptions'),
    body: fc.oneof(
      fc.constantFrom(
        '{"name":"劳动保障","filter":{"categories":["CATEGORY_LABOR_SOCIAL_SECURITY"]}}',
        '{"name":"x","webhookUrl":"http://127.0.0.1:9/hook"}',
        '{}',
        '[]',
        'null',
      ),
      odd.map((name) => JSON.stringify({ name, filter: { unitIds: [name], eventTypes: [name] } })),
    ),
  },
  ...(['GET', 'DELETE'] as const).map((method) => ({
    name: `${method} /v1/subscriptions/{subscriptionId}`,
    path: subscriptionId.map((id) => `/v1/subscriptions/${id}`),
  })),
  ...(['pause', 'resume'] as const).map((action) => ({
    name: `POST /v1/subscriptions/{subscriptionId}/${action}`,
    path: subscriptionId.map((id) => `/v1/subscriptions/${id}/${action}`),
    body: fc.constant(undefined),
  })),
  {
    name: 'GET /v1/subscriptions/{subscriptionId}/events',
    path: fc
      .tuple(
        subscriptionId,
        fc.oneof(
          fc.constant(''),
          odd.map((t) => `?from=${encodeURIComponent(t)}`),
        ),
      )
      .map(([id, from]) => `/v1/subscriptions/${id}/events${from}`),
  },
];
for (const r of routes) Object.assign(r, { [fc.toStringMethod]: () => r.name });
// The guarded routes, whose answers depend on who asks, get twice the calls of the open ones.
const guarded = (r: Route) => !['GET /v1/me', 'GET /v1/units/{unitId}', 'GET /v1/directory/stats'].includes(r.name);
const fuzzRequest = fc
  .oneof(
    { weight: 2, arbitrary: fc.constantFrom(...routes.filter(guarded)) },
    { weight: 1, arbitrary: fc.constantFrom(...routes.filter((r) => !guarded(r))) },
  )
  .chain((route) =>
    fc.record({
      route: fc.constant(route),
      path: route.path,
      body: route.body ?? fc.constant(undefined),
      token,
      queryCode,
      forwardedFor: fc.oneof(
        { weight: 3, arbitrary: fc.constant(undefined) },
        { weight: 1, arbitrary: fc.constantFrom('1.2.3.4', 'garbage', '::1, 10.0.0.1') },
      ),
      // Mostly the route's own method, as its name says.
      method: fc.oneof(
        { weight: 12, arbitrary: fc.constant(route.name.split(' ')[0] ?? 'GET') },
        fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'),
      ),
    }),
  );
type FuzzRequest = typeof fuzzRequest extends fc.Arbitrary<infer R> ? R : never;

const decoded = (s: string | undefined) => {
  try {
    return decodeURIComponent(s ?? '');
  } catch {
    return s;
  }
};

/** Whether a 200 may go to this caller (the rules of http.ts, restated). */
function mayRead(r: FuzzRequest, path: string): boolean {
  const [, , kind, id] = path.split('?', 1)[0]?.split('/') ?? [];
  const valid = r.token.kind === 'valid' ? r.token : undefined;
  const supervisor = valid !== undefined && permits(valid.roles, 'supervise');
  /** The units' view of the case: its holder, and supervisors or leaders over it (case-view.ts). */
  const seesCase =
    valid !== undefined && (valid.unit === holder || (supervisor && directory.inSubtree(holder, valid.unit)));
  /** The petitioner of the case: its number and its code (compared as petitioners type them). */
  const petitioner = decoded(id) === caseNumber && normalizeQueryCode(r.queryCode ?? '') === normalizeQueryCode(code);
  if (r.method === 'POST') {
    // Read marks: a unit's own staff; the case's petitioner.
    if (r.route.name === 'POST /v1/units/{unitId}/notices/read')
      return valid !== undefined && decoded(id) === valid.unit;
    if (r.route.name === 'POST /v1/cases/{caseNumber}/notices/read') return petitioner;
    // Personal data: the holder's handlers and registrars, with a reason.
    return (
      r.route.name === 'POST /v1/cases/{caseId}/personal-data' &&
      decoded(id) === run.caseId &&
      valid?.unit === holder &&
      (permits(valid.roles, 'handle') || permits(valid.roles, 'register'))
    );
  }
  // No integrator is configured in this run: nothing of the subscriptions API answers 2xx.
  if (r.route.name.includes('/v1/subscriptions')) return false;
  switch (r.route.name) {
    case 'GET /v1/cases/{caseNumber}':
      // With a staff token, the segment is a case id and the answer the units' view.
      if (r.token.kind !== 'none') return decoded(id) === run.caseId && seesCase;
      // Codes are compared as petitioners type them: case, dashes, spaces and look-alikes (O/0, I/L/1) aside.
      return decoded(id) === caseNumber && normalizeQueryCode(r.queryCode ?? '') === normalizeQueryCode(code);
    case 'GET /v1/audit': {
      // Auditors, supervisors and leaders, over their own unit and its subtree.
      const unitId = new URLSearchParams(path.split('?')[1] ?? '').get('unitId');
      return (
        valid !== undefined &&
        (permits(valid.roles, 'audit') || supervisor) &&
        (unitId === null || directory.inSubtree(unitId, valid.unit))
      );
    }
    case 'GET /v1/me':
      return valid !== undefined;
    case 'GET /v1/cases/{caseNumber}/notices':
      return petitioner;
    case 'GET /v1/units/{unitId}/notices':
      // Its own unit's staff only.
      return valid !== undefined && decoded(id) === valid.unit;
    case 'GET /v1/units/{unitId}/inbox':
    case 'GET /v1/units/{unitId}/kpis':
    case 'GET /v1/units/{unitId}/kpis.csv':
      // Its own unit; or, for a supervisor or leader, a unit under its own.
      return (
        valid !== undefined &&
        (decoded(id) === valid.unit || (supervisor && directory.inSubtree(decoded(id) ?? '', valid.unit)))
      );
    case 'GET /v1/regions/{regionCode}/kpis':
    case 'GET /v1/regions/{regionCode}/kpis.csv':
    case 'GET /v1/regions/{regionCode}/overdue':
    case 'GET /v1/regions/{regionCode}/supervisions':
      // A supervisor or leader of a unit that supervises the region.
      return supervisor && directory.supervisesRegion(valid.unit, decoded(id) ?? '');
    default:
      return kind !== undefined;
  }
}

const route = (name: string) => routes.find((r) => r.name === name) as Route;
const readable: FuzzRequest[] = (
  [
    ['GET /v1/cases/{caseNumber}', `/v1/cases/${caseNumber}`, { kind: 'none' }],
    ['GET /v1/me', '/v1/me', { kind: 'valid', unit: '330106-rsj', roles: ['handler'] }],
    [
      'GET /v1/units/{unitId}/inbox',
      '/v1/units/330106-rsj/inbox',
      { kind: 'valid', unit: '330106-rsj', roles: ['handler'] },
    ],
    [
      'GET /v1/units/{unitId}/inbox',
      `/v1/units/330106-rsj/inbox?limit=1&state=CASE_STATE_ACCEPTED&q=${caseNumber}`,
      { kind: 'valid', unit: '330100-xfj', roles: ['supervisor'] },
    ],
    [
      'GET /v1/units/{unitId}/kpis.csv',
      '/v1/units/330106-rsj/kpis.csv',
      { kind: 'valid', unit: '330106-rsj', roles: ['handler'] },
    ],
    [
      'GET /v1/regions/{regionCode}/kpis.csv',
      '/v1/regions/330100/kpis.csv',
      { kind: 'valid', unit: '330100-xfj', roles: ['supervisor'] },
    ],
    [
      'GET /v1/regions/{regionCode}/supervisions',
      '/v1/regions/330106/supervisions?state=open&level=county',
      { kind: 'valid', unit: '330100-xfj', roles: ['leader'] },
    ],
    [
      'GET /v1/units/{unitId}/notices',
      '/v1/units/330106-rsj/notices?unread=true',
      { kind: 'valid', unit: '330106-rsj', roles: ['handler'] },
    ],
    [
      'POST /v1/units/{unitId}/notices/read',
      '/v1/units/330106-rsj/notices/read',
      { kind: 'valid', unit: '330106-rsj', roles: ['handler'] },
    ],
    ['GET /v1/cases/{caseNumber}/notices', `/v1/cases/${caseNumber}/notices`, { kind: 'none' }],
    ['POST /v1/cases/{caseNumber}/notices/read', `/v1/cases/${caseNumber}/notices/read`, { kind: 'none' }],
    [
      'GET /v1/units/{unitId}/kpis',
      '/v1/units/330106-rsj/kpis',
      { kind: 'valid', unit: '330100-xfj', roles: ['supervisor'] },
    ],
    [
      'GET /v1/regions/{regionCode}/kpis',
      '/v1/regions/330100/kpis',
      { kind: 'valid', unit: '330100-xfj', roles: ['leader'] },
    ],
    [
      'GET /v1/regions/{regionCode}/overdue',
      '/v1/regions/330106/overdue',
      { kind: 'valid', unit: '330100-xfj', roles: ['supervisor'] },
    ],
    ['GET /v1/units/{unitId}', '/v1/units/330106-rsj', { kind: 'none' }],
    ['GET /v1/directory/stats', '/v1/directory/stats', { kind: 'none' }],
    [
      'POST /v1/cases/{caseId}/personal-data',
      `/v1/cases/${run.caseId}/personal-data`,
      { kind: 'valid', unit: holder, roles: ['handler'] },
    ],
    ['GET /v1/audit', '/v1/audit', { kind: 'valid', unit: '330100-xfj', roles: ['auditor'] }],
  ] as const
).map(([name, path, token]) => ({
  route: route(name),
  path,
  body: !name.startsWith('POST')
    ? undefined
    : name.endsWith('/notices/read')
      ? '{"all":true}'
      : JSON.stringify({ reason: '核实信访人身份' }),
  token: token as Token,
  queryCode: code,
  forwardedFor: undefined,
  method: name.startsWith('POST') ? 'POST' : 'GET',
}));

describe('tracking’s API under fuzzing', () => {
  it('covers every route of the OpenAPI document', async () => {
    const doc = (await (await fetch(`${tracking.opsUrl}/docs/json`)).json()) as { paths: Record<string, object> };
    const documented = Object.entries(doc.paths).flatMap(([p, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(routes.map((r) => r.name).sort()).toEqual(documented.sort());
  });

  it('never answers 5xx, refuses with problem+json and a code, and answers 200 only to whom the view belongs', async () => {
    const statuses = new Map<number, number>();
    const perRoute = new Map<string, Map<number, number>>();
    const failures: string[] = [];
    const started = Date.now();

    async function send(r: FuzzRequest) {
      const own = r.token.kind === 'valid' ? encodeURIComponent(r.token.unit.toWellFormed()) : '330100-xfj';
      const path = r.path
        .replace('/units/@own', `/units/${own}`)
        .replace('/regions/@own', `/regions/${own.slice(0, 6)}`);
      const headers: Record<string, string> = {};
      if (r.token.kind === 'valid')
        headers.authorization = `Bearer ${testToken(r.token.unit, { roles: r.token.roles })}`;
      if (r.token.kind === 'garbage') headers.authorization = r.token.header;
      if (r.queryCode !== undefined) headers['x-query-code'] = r.queryCode;
      if (r.forwardedFor !== undefined) headers['x-forwarded-for'] = r.forwardedFor;
      if (r.body !== undefined) headers['content-type'] = 'application/json';
      let res: Response;
      try {
        res = await fetch(`${tracking.httpUrl}${path}`, {
          method: r.method,
          headers,
          body: r.method === 'GET' || r.method === 'HEAD' ? undefined : (r.body ?? '{}'),
        });
      } catch (error) {
        if (error instanceof TypeError && !/fetch failed/.test(error.message)) return; // refused by undici
        failures.push(`${r.method} ${path.slice(0, 120)}: ${String((error as Error).cause ?? error)}`);
        return;
      }
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const route = perRoute.get(r.route.name) ?? new Map<number, number>();
      route.set(res.status, (route.get(res.status) ?? 0) + 1);
      perRoute.set(r.route.name, route);
      const what = `${r.method} ${path.slice(0, 140)} [${r.token.kind === 'valid' ? `${r.token.unit} ${r.token.roles}` : r.token.kind}] x-query-code=${JSON.stringify(r.queryCode)} → ${res.status} ${text.slice(0, 200)}`;
      if (res.status >= 500) return failures.push(what);
      if (r.method === 'HEAD') return;
      if (res.status >= 400) {
        if (!(res.headers.get('content-type') ?? '').startsWith('application/problem+json'))
          failures.push(`not problem+json: ${what}`);
        try {
          const p = JSON.parse(text) as { code?: unknown };
          if (typeof p.code !== 'string' || !p.code) failures.push(`no code: ${what}`);
        } catch {
          failures.push(`not JSON: ${what}`);
        }
      }
      if (res.status === 200 && (r.method === 'GET' || r.method === 'POST') && !mayRead(r, path))
        failures.push(`200 to a caller it is not for: ${what}`);
    }

    await fc.assert(
      fc.asyncProperty(fc.array(fuzzRequest, { minLength: 8, maxLength: 8 }), async (batch) => {
        await Promise.all(batch.map(send));
        expect(failures).toEqual([]);
      }),
      // One batch that must be answered 200 on each route, beside the random ones.
      { numRuns: 70, endOnFailure: true, examples: [[readable]] },
    );
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    console.info(
      `tracking fuzz: ${total} requests in ${Date.now() - started} ms;`,
      Object.fromEntries([...perRoute].map(([k, v]) => [k, Object.fromEntries(v)])),
    );
    expect(perRoute.size).toBe(routes.length);
    // Both sides were exercised on the guarded routes.
    for (const name of [
      'GET /v1/units/{unitId}/inbox',
      'GET /v1/regions/{regionCode}/kpis',
      'GET /v1/cases/{caseNumber}',
      'POST /v1/cases/{caseId}/personal-data',
      'GET /v1/audit',
      'GET /v1/regions/{regionCode}/supervisions',
      'GET /v1/units/{unitId}/notices',
      'POST /v1/units/{unitId}/notices/read',
      'GET /v1/cases/{caseNumber}/notices',
    ]) {
      const seen = [...(perRoute.get(name)?.keys() ?? [])];
      expect(seen, name).toContain(200);
      expect(
        seen.some((s) => s >= 400),
        name,
      ).toBe(true);
    }
  });
});
