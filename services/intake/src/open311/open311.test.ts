import { nationalDirectory } from '@petition/directory';
import { openPerson, parseKeyring } from '@petition/seal';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devSealKeys } from '../config.ts';
import { commandLog, routingStandIn, startTestIntake, tokenFor, validPetition, waitFor } from '../test-support.ts';
import { filerOf, filerRef } from './request-store.ts';

// The Open311 GeoReport v2 façade over real HTTP, against the real broker and Redis, with routing played by
// the real lifecycle rules: the spec's examples (services, a service definition, POST and GET requests) in
// JSON and XML, and what it must never do — answer another key, echo personal data, show the content.

const secrets = {
  hotline: 'hotline-secret-0123456789abcdef',
  app: 'app-secret-0123456789abcdefghij',
  desk: 'desk-secret-0123456789abcdefghi',
};
const keysEnv = [
  `hotline:${secrets.hotline}:PHONE:unit=330106-xfj`,
  `app:${secrets.app}:APP`,
  `desk:${secrets.desk}:WEB:sees-all`,
].join(',');

let t: Awaited<ReturnType<typeof startTestIntake>>;
let log: Awaited<ReturnType<typeof commandLog>>;
let routing: Awaited<ReturnType<typeof routingStandIn>>;
const directory = nationalDirectory();

beforeAll(async () => {
  t = await startTestIntake('intake-open311', { OPEN311_API_KEYS: keysEnv });
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

const base = () => `${t.intake.httpUrl}/open311/v2`;
const get = (path: string) => fetch(`${base()}${path}`);
const postForm = (path: string, fields: Record<string, string>) =>
  fetch(`${base()}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });

/** A GeoReport POST as the spec's example has it, for a wage complaint in 杭州市西湖区. */
const filing = (apiKey: string, extra: Record<string, string> = {}) => ({
  api_key: apiKey,
  service_code: 'LABOR_SOCIAL_SECURITY',
  'attribute[kind]': 'COMPLAINT',
  'attribute[region_code]': '330106',
  address_string: '杭州市西湖区文三路90号',
  lat: '30.2741',
  long: '120.1551',
  last_name: '王',
  first_name: '小明',
  phone: '13912345678',
  email: 'wang.xiaoming@example.com',
  description: '某建筑公司拖欠农民工工资三个月未付，请求督促支付。',
  ...extra,
});
const personal = ['王小明', '小明', '13912345678', 'wang.xiaoming@example.com', '文三路', '拖欠农民工工资'];

// A small XML reader for the answers: elements, their text and children (no attributes, no mixed content).
interface XmlElement {
  name: string;
  text: string;
  children: XmlElement[];
}
function parseXml(xml: string): XmlElement {
  expect(xml.startsWith('<?xml version="1.0" encoding="utf-8"?>')).toBe(true);
  const entities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  const decode = (s: string) => {
    if (/[<>]|&(?!(amp|lt|gt|quot|apos);)/.test(s)) throw new Error(`unescaped markup in text: ${s}`);
    return s.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => entities[e] ?? '');
  };
  const root: XmlElement = { name: '#document', text: '', children: [] };
  const stack = [root];
  const tokens = xml.replace(/^<\?xml[^?]*\?>/, '').split(/(<[^>]+>)/);
  for (const token of tokens) {
    if (token === '') continue;
    const top = stack.at(-1) as XmlElement;
    const tag = /^<(\/?)([A-Za-z_][\w.-]*)(\/?)>$/.exec(token);
    if (!tag) {
      if (token.startsWith('<')) throw new Error(`not a tag: ${token}`);
      top.text += decode(token);
      continue;
    }
    const [, closing, name, empty] = tag as unknown as [string, string, string, string];
    if (closing) {
      if (top.name !== name) throw new Error(`</${name}> closes <${top.name}>`);
      stack.pop();
      continue;
    }
    const element: XmlElement = { name, text: '', children: [] };
    top.children.push(element);
    if (!empty) stack.push(element);
  }
  expect(stack).toHaveLength(1);
  expect(root.children).toHaveLength(1);
  return root.children[0] as XmlElement;
}
const child = (e: XmlElement | undefined, name: string) => e?.children.find((c) => c.name === name);
const childTexts = (e: XmlElement | undefined) => Object.fromEntries((e?.children ?? []).map((c) => [c.name, c.text]));

async function fileOk(apiKey: string, extra: Record<string, string> = {}, format = 'json') {
  const res = await postForm(`/requests.${format}`, filing(apiKey, extra));
  const text = await res.text();
  expect([res.status, text]).toEqual([201, expect.any(String)]);
  return text;
}

/**
 * Nothing was published since the log held `before` commands: a good filing made now is the next and only
 * one to arrive (a refused request is answered only after it was refused, before anything could be sent).
 */
async function nothingPublishedSince(before: number) {
  const [filed] = JSON.parse(await fileOk(secrets.app)) as { service_request_id: string }[];
  const id = filed?.service_request_id ?? '';
  await waitFor('the good filing', () =>
    log.seen.some((c) => c.command?.$case === 'registerPetition' && c.command.value.petition?.caseNumber === id),
  );
  expect(log.asked.length).toBe(before + 1);
}

/** Waits until the façade answers for the request (routing's answer is in intake's records). */
const answered = (id: string, apiKey: string) =>
  waitFor(`request ${id}`, async () => (await get(`/requests/${id}.json?api_key=${apiKey}`)).status === 200);

describe('GET services', () => {
  it('lists one service per category, in JSON and in XML, as the spec’s example has it', async () => {
    const res = await get('/services.json');
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'application/json; charset=utf-8']);
    const list = (await res.json()) as Record<string, unknown>[];
    expect(list).toHaveLength(18);
    expect(list.find((s) => s.service_code === 'LABOR_SOCIAL_SECURITY')).toEqual({
      service_code: 'LABOR_SOCIAL_SECURITY',
      service_name: '劳动社保',
      description: expect.stringContaining('劳动社保'),
      metadata: true,
      type: 'realtime',
      keywords: expect.stringContaining('申诉求决'),
      group: '信访事项',
    });
    expect(new Set(list.map((s) => s.service_name)).size).toBe(18);

    const xmlRes = await get('/services.xml');
    expect([xmlRes.status, xmlRes.headers.get('content-type')]).toEqual([200, 'application/xml; charset=utf-8']);
    const doc = parseXml(await xmlRes.text());
    expect(doc.name).toBe('services');
    expect(doc.children.map((c) => c.name)).toEqual(Array(18).fill('service'));
    const labor = doc.children.find((s) => child(s, 'service_code')?.text === 'LABOR_SOCIAL_SECURITY');
    expect(childTexts(labor)).toMatchObject({
      service_name: '劳动社保',
      metadata: 'true',
      type: 'realtime',
      group: '信访事项',
    });
  });

  it('gives a service definition with its attributes, and the spec’s 404 for an unknown code', async () => {
    const def = (await (await get('/services/LABOR_SOCIAL_SECURITY.json')).json()) as {
      service_code: string;
      attributes: { code: string; required: boolean; datatype: string; values?: { key: string; name: string }[] }[];
    };
    expect(def.service_code).toBe('LABOR_SOCIAL_SECURITY');
    const kind = def.attributes.find((a) => a.code === 'kind');
    expect(kind).toMatchObject({ required: true, datatype: 'singlevaluelist' });
    expect(kind?.values).toEqual([
      { key: 'SUGGESTION', name: '建议意见' },
      { key: 'ACCUSATION', name: '检举控告' },
      { key: 'COMPLAINT', name: '申诉求决' },
    ]);
    expect(def.attributes.find((a) => a.code === 'region_code')).toMatchObject({ required: true });

    const xml = parseXml(await (await get('/services/LABOR_SOCIAL_SECURITY.xml')).text());
    expect(xml.name).toBe('service_definition');
    const attributes = child(xml, 'attributes');
    expect(attributes?.children.every((a) => a.name === 'attribute')).toBe(true);
    const kindXml = attributes?.children.find((a) => child(a, 'code')?.text === 'kind');
    expect(child(kindXml, 'values')?.children.map((v) => childTexts(v))).toContainEqual({
      key: 'COMPLAINT',
      name: '申诉求决',
    });

    const unknown = await get('/services/WEATHER.json');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual([{ code: 404, description: expect.stringContaining('SERVICE_NOT_FOUND') }]);
    const unknownXml = await get('/services/WEATHER.xml');
    expect(unknownXml.status).toBe(404);
    const errors = parseXml(await unknownXml.text());
    expect(errors.name).toBe('errors');
    expect(childTexts(child(errors, 'error'))).toEqual({ code: '404', description: expect.any(String) });
  });

  it('answers an unknown format extension 404, saying so', async () => {
    for (const path of ['/services.yaml', '/services', '/requests/123.html', '/services/LABOR_SOCIAL_SECURITY.csv']) {
      const res = await get(path);
      expect([path, res.status]).toEqual([path, 404]);
      const body = (await res.json()) as { code: number; description: string }[];
      expect(body[0]?.description).toContain('FORMAT_NOT_FOUND');
    }
  });
});

describe('POST requests', () => {
  it('files the petition through intake’s path: answered per spec, the person sealed, nothing echoed', async () => {
    const text = await fileOk(secrets.hotline);
    const body = JSON.parse(text) as { service_request_id: string; service_notice: string; account_id: null }[];
    expect(body).toHaveLength(1);
    const [answer] = body;
    expect(answer).toMatchObject({
      service_request_id: expect.stringMatching(/^330106-\d{8}-[0-9A-Z]{9}-[0-9A-Z]$/),
      service_notice: expect.stringContaining('第二十三条'),
      account_id: null,
    });
    for (const p of personal) expect(text).not.toContain(p);

    const id = answer?.service_request_id ?? '';
    await waitFor('the command', () =>
      log.seen.some((c) => c.command?.$case === 'registerPetition' && c.command.value.petition?.caseNumber === id),
    );
    const command = log.seen.find(
      (c) => c.command?.$case === 'registerPetition' && c.command.value.petition?.caseNumber === id,
    );
    const petition = command?.command?.$case === 'registerPetition' ? command.command.value.petition : undefined;
    // The key's channel and registering unit; the content with the place; the person sealed as intake seals.
    expect(petition).toMatchObject({ channel: 3, registeringUnitId: '330106-xfj', regionCode: '330106' });
    expect(petition?.content).toContain('拖欠农民工工资');
    expect(petition?.content).toContain('文三路90号');
    expect(command?.meta?.actor).toEqual({
      $case: 'unit',
      value: { unitId: '330106-xfj', staffId: 'open311:hotline' },
    });
    const sealed = petition?.petitioner?.sealed;
    expect(Buffer.from(sealed?.ciphertext ?? []).toString('utf8')).not.toContain('13912345678');
    const person = openPerson(parseKeyring(devSealKeys), sealed as never, command?.meta?.caseId ?? '');
    expect(person).toMatchObject({ name: '王小明', phone: '13912345678', email: 'wang.xiaoming@example.com' });
  });

  it('answers in XML as the spec’s example, for a key filing as a public channel', async () => {
    const xml = parseXml(await fileOk(secrets.app, {}, 'xml'));
    expect(xml.name).toBe('service_requests');
    const request = child(xml, 'request');
    expect(childTexts(request)).toMatchObject({
      service_request_id: expect.stringMatching(/^330106-/),
      service_notice: expect.any(String),
      account_id: '',
    });
  });

  it('refuses a missing or unknown api_key 403 and a missing service_code 400, publishing nothing', async () => {
    const before = await log.askedNow();
    const bad = await postForm('/requests.json', filing('not-a-key-0123456789abcdefgh'));
    expect(bad.status).toBe(403);
    expect(await bad.json()).toEqual([{ code: 403, description: expect.stringContaining('API_KEY_INVALID') }]);
    const { api_key: _, ...keyless } = filing('');
    expect((await postForm('/requests.json', keyless)).status).toBe(403);
    const badXml = await postForm('/requests.xml', filing('nope'));
    expect(badXml.status).toBe(403);
    expect(childTexts(child(parseXml(await badXml.text()), 'error'))).toMatchObject({ code: '403' });

    const { service_code: __, ...codeless } = filing(secrets.hotline);
    const missing = await postForm('/requests.json', codeless);
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual([{ code: 400, description: expect.stringContaining('service_code') }]);
    await nothingPublishedSince(before);
  });

  it('names each bad parameter by its Open311 name, with intake’s own checks, and never echoes a value', async () => {
    const before = await log.askedNow();
    const res = await postForm(
      '/requests.json',
      filing(secrets.hotline, {
        'attribute[kind]': 'WHATEVER',
        'attribute[region_code]': '999999',
        'attribute[id_number]': '110105194912310021',
        description: '',
      }),
    );
    expect(res.status).toBe(400);
    const [error] = (await res.json()) as { code: number; description: string }[];
    expect(error?.description).toContain('attribute[kind]');
    expect(error?.description).toContain('description');

    // The façade's own checks pass; intake's (the directory, GB 11643) refuse, named as Open311 names them.
    const deeper = await postForm(
      '/requests.json',
      filing(secrets.hotline, { 'attribute[region_code]': '999999', 'attribute[id_number]': '110105194912310021' }),
    );
    expect(deeper.status).toBe(400);
    const text = await deeper.text();
    expect(text).toContain('attribute[region_code]');
    expect(text).toContain('attribute[id_number]');
    expect(text).not.toContain('110105194912310021');

    // Art 30: only an accusation may be anonymous — intake's rule, not the façade's.
    const { last_name: _l, first_name: _f, phone: _p, email: _e, ...nameless } = filing(secrets.hotline);
    const anonymous = await postForm('/requests.json', { ...nameless, 'attribute[anonymous]': 'true' });
    expect(anonymous.status).toBe(400);
    expect(await anonymous.text()).toContain('art 30');

    // XML: a parameter name with markup in it comes back escaped, in a document that parses.
    const markup = await postForm('/requests.xml', filing(secrets.hotline, { 'attribute[<b>&x</b>]': '1' }));
    expect(markup.status).toBe(400);
    const description = child(child(parseXml(await markup.text()), 'error'), 'description')?.text;
    expect(description).toContain('attribute[<b>&x</b>]');

    // A body that is not what it says is the client's mistake, never a 5xx.
    const broken = await fetch(`${base()}/requests.xml`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"api_key": ',
    });
    expect(broken.status).toBe(400);
    expect(parseXml(await broken.text()).name).toBe('errors');
    await nothingPublishedSince(before);
  });

  it('gives the same answer for the same Idempotency-Key and parameters, as /v1/petitions does', async () => {
    const send = () => postForm('/requests.json', filing(secrets.hotline, { description: '同一请求' }));
    const key = `o-${Date.now()}`;
    const body = new URLSearchParams(filing(secrets.hotline, { description: '同一请求' })).toString();
    const once = () =>
      fetch(`${base()}/requests.json`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': key },
        body,
      });
    const first = await once();
    const again = await once();
    expect([first.status, again.status]).toEqual([201, 201]);
    expect(await again.json()).toEqual(await first.json());
    // Without a key, the same parameters sent twice are two cases.
    const [a, b] = await Promise.all([send(), send()]);
    const ids = [await a.json(), await b.json()].map(
      (r) => (r as { service_request_id: string }[])[0]?.service_request_id,
    );
    expect(new Set(ids).size).toBe(2);
  });

  it('takes JSON too, with attributes as an object', async () => {
    const { 'attribute[kind]': _k, 'attribute[region_code]': _r, ...rest } = filing(secrets.app);
    const res = await fetch(`${base()}/requests.json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        ...rest,
        lat: 30.2741,
        long: 120.1551,
        attribute: { kind: 'SUGGESTION', region_code: '330106' },
      }),
    });
    expect(res.status).toBe(201);
  });
});

describe('GET requests', () => {
  it('answers the key that filed it with status and agency, in JSON and XML — never content or the person', async () => {
    const [filed] = JSON.parse(await fileOk(secrets.hotline)) as { service_request_id: string }[];
    const id = filed?.service_request_id ?? '';
    await answered(id, secrets.hotline);
    const res = await get(`/requests/${id}.json?api_key=${secrets.hotline}`);
    const text = await res.text();
    const [request] = JSON.parse(text) as Record<string, string>[];
    const holder = (await t.intake.index.byNumber(id))?.custodyUnitId ?? '';
    expect(request).toEqual({
      service_request_id: id,
      status: 'open',
      status_notes: expect.any(String),
      service_name: '劳动社保',
      service_code: 'LABOR_SOCIAL_SECURITY',
      agency_responsible: directory.unit(holder)?.name,
      service_notice: expect.any(String),
      requested_datetime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/),
      updated_datetime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/),
      address_id: '330106',
    });
    expect(request?.agency_responsible).toMatch(/杭州市西湖区/);
    for (const p of personal) expect(text).not.toContain(p);
    expect(text).not.toContain('description');

    const xmlText = await (await get(`/requests/${id}.xml?api_key=${secrets.hotline}`)).text();
    const xml = parseXml(xmlText);
    expect(xml.name).toBe('service_requests');
    expect(childTexts(child(xml, 'request'))).toMatchObject({
      service_request_id: id,
      status: 'open',
      agency_responsible: request?.agency_responsible,
      service_code: 'LABOR_SOCIAL_SECURITY',
    });
    for (const p of personal) expect(xmlText).not.toContain(p);

    // The bureau forwards the case to the labour bureau: the answer follows its holder and state.
    const caseId = (await t.intake.index.byNumber(id))?.caseId ?? '';
    const forwarded = await fetch(`${t.intake.httpUrl}/v1/cases/${caseId}/forward`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokenFor('330106-xfj')}` },
      body: JSON.stringify({ toUnitId: '330106-rsj', toHandlingUnit: true }),
    });
    expect(forwarded.status).toBe(200);
    await waitFor('the forward in the answer', async () => {
      const [now] = (await (await get(`/requests/${id}.json?api_key=${secrets.hotline}`)).json()) as Record<
        string,
        string
      >[];
      return now?.agency_responsible === directory.unit('330106-rsj')?.name;
    });
    const [moved] = (await (await get(`/requests/${id}.json?api_key=${secrets.hotline}`)).json()) as Record<
      string,
      string
    >[];
    expect(moved).toMatchObject({ status: 'open', status_notes: '待受理' });
  });

  it('is 404 for an unknown id and for another key’s request alike; a key that sees all reads it', async () => {
    const [filed] = JSON.parse(await fileOk(secrets.hotline)) as { service_request_id: string }[];
    const id = filed?.service_request_id ?? '';
    await answered(id, secrets.hotline);
    const other = await get(`/requests/${id}.json?api_key=${secrets.app}`);
    const unknown = await get(`/requests/330106-20260101-000000000-0.json?api_key=${secrets.app}`);
    expect([other.status, unknown.status]).toEqual([404, 404]);
    expect(await other.text()).toBe(await unknown.text());
    const otherXml = await get(`/requests/${id}.xml?api_key=${secrets.app}`);
    expect(otherXml.status).toBe(404);
    expect(parseXml(await otherXml.text()).name).toBe('errors');

    expect((await get(`/requests/${id}.json?api_key=${secrets.desk}`)).status).toBe(200);
    expect((await get(`/requests/${id}.json`)).status).toBe(403);
    expect((await get(`/requests/${id}.json?api_key=wrong`)).status).toBe(403);

    // The list: a key's own requests only.
    const mine = (await (await get(`/requests.json?api_key=${secrets.app}`)).json()) as {
      service_request_id: string;
    }[];
    expect(mine.map((r) => r.service_request_id)).not.toContain(id);
    const hotline = (await (await get(`/requests.json?api_key=${secrets.hotline}&status=open`)).json()) as {
      service_request_id: string;
    }[];
    expect(hotline.map((r) => r.service_request_id)).toContain(id);
  });

  it('shows no key a petition filed elsewhere that claims to be the façade’s', async () => {
    // The filer's name counts only with the MAC this node made for that case.
    const ref = filerRef('node-secret', 'case-1', 'app');
    expect(filerOf('node-secret', 'case-1', ref)).toBe('app');
    expect(filerOf('node-secret', 'case-2', ref)).toBeUndefined();
    expect(filerOf('other-secret', 'case-1', ref)).toBeUndefined();
    expect(filerOf('node-secret', 'case-1', 'open311:app:00000000000000000000000000000000')).toBeUndefined();

    const res = await fetch(`${t.intake.httpUrl}/v1/petitions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...validPetition(), externalRef: 'open311:app:00000000000000000000000000000000' }),
    });
    expect(res.status).toBe(201);
    const { caseId, caseNumber } = (await res.json()) as { caseId: string; caseNumber: string };
    await waitFor('the case indexed', async () => ((await t.intake.index.byId(caseId))?.version ?? 0) >= 1);
    // A façade request filed after it is answered, so the forged one has been read too.
    const [later] = JSON.parse(await fileOk(secrets.app)) as { service_request_id: string }[];
    await answered(later?.service_request_id ?? '', secrets.app);
    for (const secret of [secrets.app, secrets.desk]) {
      expect((await get(`/requests/${caseNumber}.json?api_key=${secret}`)).status).toBe(404);
    }
  });
});

describe('a careless or hostile client', () => {
  it('never gets a 5xx: every refusal is GeoReport’s errors, in the format asked for, and parses', async () => {
    const segment = fc.oneof(
      fc.constantFrom('services', 'requests', 'services.json', 'requests.xml', 'requests.json', 'services.xml'),
      // (`.` and `..` would leave /open311/v2 before sending: fetch resolves them.)
      fc
        .string({ maxLength: 12 })
        .map((s) => encodeURIComponent(s))
        .filter((s) => s !== '.' && s !== '..'),
      fc.constantFrom('.json', '.xml', '%2e.json', 'LABOR_SOCIAL_SECURITY.xml', '330106-20260101-000000000-0.json'),
    );
    const fields = fc.dictionary(
      fc.oneof(
        fc.constantFrom('api_key', 'service_code', 'description', 'lat', 'long', 'attribute[kind]', 'media_url'),
        fc.string({ maxLength: 10 }),
      ),
      fc.oneof(fc.string({ maxLength: 30 }), fc.constant(secrets.hotline), fc.constant('LABOR_SOCIAL_SECURITY')),
      { maxKeys: 8 },
    );
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
      path: fc.array(segment, { minLength: 1, maxLength: 3 }).map((p) => p.join('/')),
      query: fc.oneof(
        fc.constant(''),
        fields.map((f) => `?${new URLSearchParams(f)}`),
      ),
      contentType: fc.constantFrom(
        'application/x-www-form-urlencoded',
        'application/json',
        'text/plain',
        'application/xml',
      ),
      body: fc.oneof(
        fields.map((f) => new URLSearchParams(f).toString()),
        fields.map((f) => JSON.stringify(f)),
        fc.string(),
      ),
    });
    const failures: string[] = [];
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const withBody = r.method !== 'GET';
        const res = await fetch(`${base()}/${r.path}${r.query}`, {
          method: r.method,
          headers: withBody ? { 'content-type': r.contentType } : {},
          body: withBody ? r.body : undefined,
        });
        const text = await res.text();
        const what = `${r.method} /${r.path}${r.query} → ${res.status} ${text.slice(0, 160)}`;
        if (res.status >= 500) failures.push(what);
        if (res.status < 400) return;
        const xml = (res.headers.get('content-type') ?? '').startsWith('application/xml');
        try {
          if (xml) expect(parseXml(text).name).toBe('errors');
          else expect(JSON.parse(text)).toEqual([{ code: res.status, description: expect.any(String) }]);
        } catch (error) {
          failures.push(`${String(error)}: ${what}`);
        }
      }),
      { numRuns: 300 },
    );
    expect(failures).toEqual([]);
  });
});
