import type { StaffRole } from '@petition/auth';
import { nationalDirectory } from '@petition/directory';
import { testToken } from '@petition/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actions } from './actions.ts';
import { fuzzAuthorization, fuzzUnits } from './fuzz-inputs.ts';
import { suggestBodySchema } from './suggest.ts';
import { commandLog, routingStandIn, startTestIntake, validPetition, waitFor } from './test-support.ts';

// Every HTTP route of intake (as its OpenAPI document lists them) under fuzzing over real HTTP, routing
// played by the real lifecycle rules: random and mutated bodies, path parameters, content types and
// headers (Idempotency-Key, If-Match, X-Forwarded-For, X-Case-Number / X-Query-Code), with no token, a
// garbage one, and valid tokens of random units with random roles. Never a 5xx; every 4xx problem+json
// with a code; and a command reaches case-commands only for an answer that names it (201, 200, 202, or
// routing's refusal, which carries its command id) — nothing for a request intake refused itself.

let t: Awaited<ReturnType<typeof startTestIntake>>;
let log: Awaited<ReturnType<typeof commandLog>>;
let routing: Awaited<ReturnType<typeof routingStandIn>>;
/** Real cases and their registrations' command ids, so that fuzzed requests also reach real things. */
const cases: { caseId: string; caseNumber: string; queryCode: string; commandId: string }[] = [];
const before = new Set<string>();
/** method and path template of every route in the OpenAPI document. */
let documented: string[] = [];

beforeAll(async () => {
  t = await startTestIntake('intake-fuzz-routes');
  log = await commandLog(t.bus, 'fuzz-routes-command-log');
  routing = await routingStandIn(t.bus, nationalDirectory(), 'fuzz-routes-routing');
  for (let i = 0; i < 4; i++) {
    const res = await fetch(`${t.intake.httpUrl}/v1/petitions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(i % 2 ? { authorization: bearer('330106-xfj') } : {}) },
      body: JSON.stringify({ ...validPetition(), title: `setup ${i}` }),
    });
    expect(res.status).toBe(201);
    const r = (await res.json()) as (typeof cases)[number];
    cases.push(r);
    before.add(r.commandId);
  }
  await waitFor('the setup’s cases indexed', async () => {
    for (const c of cases) if (!(await t.intake.index.byId(c.caseId))) return false;
    return true;
  });
  await waitFor('the setup’s commands on the topic', () => log.seen.length >= before.size);
  const doc = (await (await fetch(`${t.intake.opsUrl}/docs/json`)).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  documented = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
  );
});

afterAll(async () => {
  await log?.stop();
  await routing?.stop();
  await t?.intake.close();
  await t?.bus.deleteOwnTopics();
  await t?.bus.close();
});

const bearer = (unitId: string, roles?: StaffRole[]) => `Bearer ${testToken(unitId, roles ? { roles } : {})}`;

// ---- routes ------------------------------------------------------------------------------------------

interface SchemaNode {
  readonly type?: string;
  readonly format?: string;
  readonly pattern?: string;
  readonly enum?: readonly string[];
  readonly properties?: Record<string, SchemaNode>;
  readonly required?: readonly string[];
  readonly items?: SchemaNode;
}
interface Route {
  readonly method: 'GET' | 'POST';
  /** As the OpenAPI document writes it. */
  readonly template: string;
  /** The body's schema (POST). */
  readonly schema?: SchemaNode;
  readonly who: 'public' | 'unit' | 'petitioner' | 'caller';
}

const credentials: Record<string, SchemaNode> = { caseNumber: { type: 'string' }, queryCode: { type: 'string' } };
const routes: Route[] = (
  [
    { method: 'POST', template: '/v1/petitions', who: 'public' },
    { method: 'POST', template: '/v1/petitions/suggest', schema: suggestBodySchema, who: 'unit' },
    ...actions.map(
      (a): Route =>
        a.who === 'unit'
          ? { method: 'POST', template: `/v1/cases/{caseId}/${a.path}`, schema: a.schema, who: 'unit' }
          : {
              method: 'POST',
              template: `/v1/petitioner/${a.path}`,
              who: 'petitioner',
              schema: {
                ...(a.schema as SchemaNode),
                properties: { ...(a.schema as SchemaNode).properties, ...credentials },
                required: [...((a.schema as SchemaNode).required ?? []), 'caseNumber', 'queryCode'],
              },
            },
    ),
    { method: 'GET', template: '/v1/commands/{commandId}', who: 'caller' },
    { method: 'GET', template: '/asyncapi.json', who: 'public' },
    { method: 'GET', template: '/healthz', who: 'public' },
    { method: 'GET', template: '/readyz', who: 'public' },
  ] as Route[]
).map((r) => ({ ...r, [fc.toStringMethod]: () => `${r.method} ${r.template}` }));

// ---- values ------------------------------------------------------------------------------------------

const printable = (s: string) => s.replace(/[^ -~]/g, '');
const huge = fc
  .tuple(fc.integer({ min: 1_000, max: 300_000 }), fc.constantFrom('x', '中', '😀', '\u0000', 'é'))
  .map(([n, c]) => c.repeat(Math.ceil(n / c.length)));
const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 2, arbitrary: fc.constantFrom('', ' ', ...fuzzUnits, '330106', '理由', '\u0000', '\ud800', '<script>') },
  { weight: 1, arbitrary: huge },
);
const jsonValue = fc.oneof(
  { weight: 3, arbitrary: text },
  { weight: 2, arbitrary: fc.oneof(fc.integer(), fc.double({ noNaN: true }), fc.constantFrom(1e308, -1, 0, 2 ** 53)) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

/** What a careful client puts in a field of `schema`. */
function plausible(schema: SchemaNode, name = ''): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.format === 'date-time')
    return fc.constantFrom('2031-01-05T10:00:00+08:00', new Date(Date.now() + 5 * 86_400_000).toISOString());
  if (schema.type === 'boolean') return fc.boolean();
  if (schema.type === 'integer') return fc.integer({ min: 1, max: 40 });
  if (schema.type === 'array') return fc.array(plausible(schema.items ?? {}, name), { minLength: 1, maxLength: 3 });
  if (schema.type === 'object')
    return fc.record(
      Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, plausible(s, k)])),
      { requiredKeys: [...(schema.required ?? [])] },
    );
  if (/unitid/i.test(name)) return fc.constantFrom(...fuzzUnits);
  // The real cases exist only once beforeAll ran: a marker, resolved when the request is sent.
  if (/caseid/i.test(name))
    return fc.oneof(
      fc.nat(3).map((i) => `#caseId:${i}`),
      fc.constant('no-such-case'),
    );
  if (name === 'caseNumber')
    return fc.oneof(
      fc.nat(3).map((i) => `#caseNumber:${i}`),
      fc.constant('330106-20260101-0001'),
    );
  if (name === 'queryCode')
    return fc.oneof(
      fc.nat(3).map((i) => `#queryCode:${i}`),
      fc.constant('AAAA-BBBB'),
    );
  return fc.constantFrom('理由充分', 'see attached', 'https://example.org/doc.pdf');
}
const real = (v: string) => {
  const m = /^#(caseId|caseNumber|queryCode):(\d)$/.exec(v);
  const c = m ? cases[Number(m[2])] : undefined;
  return c && m ? c[m[1] as 'caseId' | 'caseNumber' | 'queryCode'] : v;
};
const resolve = (o: Record<string, unknown>) => {
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'string') o[k] = real(v);
    else if (Array.isArray(v)) o[k] = v.map((x) => (typeof x === 'string' ? real(x) : x));
  }
  return o;
};

const edit = fc.oneof(
  fc.record({ op: fc.constant('set' as const), field: fc.string({ maxLength: 12 }), value: jsonValue }),
  fc.record({ op: fc.constant('setKnown' as const), pick: fc.nat(), value: jsonValue }),
  fc.record({ op: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('nested' as const), pick: fc.nat(), value: fc.anything({ maxDepth: 3 }) }),
);
const rawEdit = fc.oneof(
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), s: fc.string({ unit: 'binary', maxLength: 4 }) }),
  fc.record({ op: fc.constant('dupKey' as const) }),
);

/** A body for `route`: plausible JSON edited, any JSON, raw text, or something hostile. */
function body(route: Route): fc.Arbitrary<() => string | Uint8Array | undefined> {
  const base: fc.Arbitrary<() => Record<string, unknown>> =
    route.template === '/v1/petitions'
      ? fc.constant(() => ({ ...validPetition(), petitioner: { ...validPetition().petitioner } }))
      : route.schema
        ? plausible(route.schema).map((b) => () => resolve({ ...(b as Record<string, unknown>) }))
        : fc.constant(() => ({}));
  const edited = fc
    .tuple(
      base,
      fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 2, arbitrary: fc.array(edit, { maxLength: 3 }) }),
      fc.oneof(
        { weight: 6, arbitrary: fc.constant([]) },
        { weight: 1, arbitrary: fc.array(rawEdit, { maxLength: 1 }) },
      ),
    )
    .map(([make, edits, raws]) => () => {
      const b = make();
      for (const e of edits) {
        const keys = Object.keys(b);
        const key = 'pick' in e ? (keys[e.pick % Math.max(1, keys.length)] ?? 'x') : e.field;
        if (e.op === 'delete') delete b[key];
        else b[key] = e.value;
      }
      let s = JSON.stringify(b);
      for (const r of raws) {
        if (r.op === 'truncate') s = s.slice(0, r.at % (s.length + 1));
        else if (r.op === 'insert') s = s.slice(0, r.at % (s.length + 1)) + r.s + s.slice(r.at % (s.length + 1));
        else s = s.replace(/^\{/, '{"title":1,');
      }
      return s;
    });
  return fc.oneof(
    { weight: 8, arbitrary: edited },
    { weight: 1, arbitrary: fc.json({ maxDepth: 3 }).map((s) => () => s) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map((s) => () => s) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        () => '',
        () => 'null',
        () => '[]',
        () => '"x"',
        () => '{"__proto__":{"admin":true}}',
        () => '{"constructor":{"prototype":{"admin":true}}}',
        () => '['.repeat(50_000),
        () => `{"title":"${'x'.repeat(300_000)}"}`,
        () => Uint8Array.from([0xff, 0xfe, 0x00, 0x7b]),
        () => undefined,
      ),
    },
  );
}

/** A path parameter: a real id, an odd one, or something that is no id at all. */
const param = fc.oneof(
  { weight: 4, arbitrary: fc.nat(3).map((i) => () => cases[i]?.caseId ?? '') },
  { weight: 2, arbitrary: fc.nat(3).map((i) => () => cases[i]?.commandId ?? '') },
  { weight: 2, arbitrary: text.map((s) => () => encodeURIComponent(s.slice(0, 300).toWellFormed())) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      () => '%zz',
      () => '%00',
      () => '..%2F..',
      () => '%2E%2E',
      () => 'x'.repeat(65),
      () => 'x'.repeat(250),
      () => '%F0%9F%98%80',
      () => "'%20OR%201=1",
      () => '00000000-0000-4000-8000-000000000000',
    ),
  },
);

const headerText = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 40 }).map(printable) },
  { weight: 1, arbitrary: fc.constantFrom('', 'x'.repeat(201), 'x'.repeat(4_000), 'ÿé') },
);
const contentType = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'APPLICATION/JSON',
      'application/json; charset=latin1',
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/problem+json',
      'application/octet-stream',
      '',
      'garbage',
    ),
  },
  { weight: 1, arbitrary: headerText },
);
const headers = fc.record(
  {
    'idempotency-key': fc.oneof({ weight: 2, arbitrary: fc.constantFrom('k1', 'k2') }, headerText),
    'if-match': fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom('0', '1', '2', '999999999999999') },
      fc.constantFrom('-1', '1.5', '9'.repeat(20), 'W/"1"'),
      headerText,
    ),
    'x-forwarded-for': fc.oneof(
      fc.constantFrom('1.2.3.4', '::1', '10.0.0.1, 1.2.3.4', 'unknown', '999.1.1.1'),
      headerText,
    ),
    'x-case-number': fc.oneof(
      fc.nat(3).map((i) => `#caseNumber:${i}`),
      headerText,
    ),
    'x-query-code': fc.oneof(
      fc.nat(3).map((i) => `#queryCode:${i}`),
      headerText,
    ),
    'x-request-id': headerText,
  },
  { requiredKeys: [] },
);
const method = fc.oneof(
  { weight: 15, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'GET', 'POST', 'HEAD', 'OPTIONS') },
);

// Registration and the command lookup are two routes of 24 but take most traffic: more of the calls.
const anyRoute = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...routes.filter((r) => r.template === '/v1/petitions')) },
  { weight: 2, arbitrary: fc.constantFrom(...routes.filter((r) => r.template === '/v1/commands/{commandId}')) },
  { weight: 1, arbitrary: fc.constantFrom(...routes.filter((r) => r.template === '/v1/petitions/suggest')) },
  { weight: 12, arbitrary: fc.constantFrom(...routes.filter((r) => r.template.includes('/v1/cases/'))) },
  { weight: 4, arbitrary: fc.constantFrom(...routes.filter((r) => r.template.includes('/v1/petitioner/'))) },
  { weight: 1, arbitrary: fc.constantFrom(...routes.filter((r) => !r.template.startsWith('/v1/'))) },
);
const fuzzRequest = anyRoute.chain((route) =>
  fc.record({
    route: fc.constant(route),
    param,
    body: body(route),
    contentType,
    headers,
    token: fuzzAuthorization,
    method,
    query: fc.option(fc.constantFrom('?x=1', '?queryCode=ABCD', '?a[b]=1&a[c]=2', '?%zz'), { nil: '', freq: 6 }),
  }),
);
type FuzzRequest = typeof fuzzRequest extends fc.Arbitrary<infer R> ? R : never;

// ---- the property ------------------------------------------------------------------------------------

describe('intake’s HTTP routes under fuzzing', () => {
  it('fuzzes every route of the OpenAPI document', () => {
    const fuzzed = routes.map((r) => `${r.method} ${r.template}`);
    expect(documented.length).toBeGreaterThan(20);
    expect(fuzzed.filter((r) => r !== 'GET /healthz' && r !== 'GET /readyz').sort()).toEqual([...documented].sort());
  });

  it('never answers 5xx, refuses with problem+json and a code, and publishes only what an answer names', async () => {
    const named = new Set<string>();
    const statuses = new Map<number, number>();
    const perRoute = new Map<string, number>();
    const failures: string[] = [];
    const started = Date.now();

    async function send(r: FuzzRequest) {
      const path = r.route.template.replace(/\{\w+\}/, r.param()) + r.query;
      const method = r.method ?? r.route.method;
      const h: Record<string, string> = {};
      for (const [k, v] of Object.entries(r.headers)) h[k] = real(v);
      const auth = r.token();
      if (auth !== undefined) h.authorization = auth;
      const payload = method === 'GET' || method === 'HEAD' ? undefined : r.body();
      if (payload !== undefined && r.contentType) h['content-type'] = r.contentType;
      let res: Response;
      try {
        res = await fetch(`${t.intake.httpUrl}${path}`, { method, headers: h, body: payload });
      } catch (error) {
        // undici refuses some requests before sending them (a header it will not write, a bad URL).
        if (error instanceof TypeError && !/fetch failed/.test(error.message)) return;
        failures.push(`${method} ${path.slice(0, 120)}: ${String((error as Error).cause ?? error)}`);
        return;
      }
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const key = `${r.route.method} ${r.route.template}`;
      perRoute.set(key, (perRoute.get(key) ?? 0) + 1);
      const text = await res.text();
      const what = `${method} ${path.slice(0, 120)} → ${res.status} ${text.slice(0, 200)}`;
      if (res.status >= 500) return failures.push(what);
      if (method === 'HEAD') return;
      let answer: { code?: unknown; commandId?: unknown } = {};
      try {
        answer = JSON.parse(text);
      } catch {
        return failures.push(`not JSON: ${what}`);
      }
      if (res.status >= 400) {
        if (!(res.headers.get('content-type') ?? '').startsWith('application/problem+json'))
          failures.push(`not problem+json (${res.headers.get('content-type')}): ${what}`);
        if (typeof answer.code !== 'string' || !answer.code) failures.push(`no code: ${what}`);
      }
      if (method === 'POST' && typeof answer.commandId === 'string') named.add(answer.commandId);
    }

    await fc.assert(
      fc.asyncProperty(fc.array(fuzzRequest, { minLength: 8, maxLength: 8 }), async (batch) => {
        await Promise.all(batch.map(send));
        expect(failures).toEqual([]);
      }),
      { numRuns: 65, endOnFailure: true },
    );
    const total = [...statuses.values()].reduce((a, b) => a + b, 0);
    console.info(
      `HTTP routes fuzz: ${total} requests in ${Date.now() - started} ms; statuses`,
      Object.fromEntries([...statuses].sort(([a], [b]) => a - b)),
      `commands named by answers: ${named.size}`,
    );
    // Every route was reached, and both sides were exercised.
    expect(perRoute.size).toBe(routes.length);
    expect(named.size).toBeGreaterThan(20);
    expect([...statuses.keys()].filter((s) => s >= 400).length).toBeGreaterThan(3);
    const published = () => log.asked.map((c) => c.meta?.commandId ?? '').filter((id) => !before.has(id));
    await waitFor('every named command on the topic', () => published().length >= named.size, 30_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(published().length).toBe(named.size);
    expect(new Set(published())).toEqual(named);
  });
});
