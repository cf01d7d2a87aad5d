import { generateNodeKey } from '@petition/auth';
import { caseEvents, defineTopic, dlqSuffix, Header, linkTopic, on } from '@petition/bus';
import { type CaseEvent, InterconnectRecord } from '@petition/contract';
import { nationalDirectory, unitDissolved } from '@petition/directory';
import { createRecordSigner, signingKeyHeader } from '@petition/federation';
import { nextResidentId, testToken, waitFor } from '@petition/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningNode, startTestFederation, type TestFederation } from './federation-support.ts';

// The federation over real brokers and real MirrorMaker 2, over HTTP: three nodes (national, Zhejiang 33,
// Ningxia 64), each with its own broker, Redis database, key and services. Petitions and actions enter at
// a node's intake; what people see is read back from that node's tracking.

let fed: TestFederation;
const auth = (unitId: string) => ({ authorization: `Bearer ${testToken(unitId)}` });
type Json = Record<string, unknown>;
interface Filed {
  caseId: string;
  caseNumber: string;
  queryCode: string;
}

beforeAll(async () => {
  fed = await startTestFederation('e2e', [
    { id: 'national', watchdog: true },
    // Zhejiang: one county bureau routes by hand, so that its staff can transfer a case themselves.
    { id: '33', routeModes: '330102-xfj=manual,330200-xfj=manual' },
    // Ningxia keeps what it is given: its bureaus route by hand. Its directory already says that the
    // Yinchuan city bureau merged into the provincial one; Zhejiang's does not know it yet.
    {
      id: '64',
      routeModes: '64=manual',
      directoryChanges: [
        unitDissolved(
          nationalDirectory(),
          '640100-xfj',
          { successorUnitId: '640000-xfj', reason: '机构改革' },
          new Date(),
        ),
      ],
    },
  ]);
}, 300_000);

afterAll(async () => {
  await fed?.close();
}, 180_000);

const at = (id: string): RunningNode => fed.node(id);

async function post(url: string, body: Json, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function file(node: string, over: Json, unitId: string): Promise<Filed> {
  const r = await post(
    `${at(node).intake.httpUrl}/v1/petitions`,
    {
      channel: 'WEB',
      petitioner: { name: '王五', idNumber: nextResidentId(), phone: '13800000000', address: '杭州市西湖区' },
      regionCode: '330106',
      category: '劳动社保',
      kind: '申诉求决',
      title: '拖欠工资',
      content: '某公司拖欠工资三个月，请求处理。',
      ...over,
    },
    auth(unitId),
  );
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body as unknown as Filed;
}

async function act(node: string, unitId: string, c: Filed, path: string, body: Json = {}) {
  const r = await post(`${at(node).intake.httpUrl}/v1/cases/${c.caseId}/${path}`, body, auth(unitId));
  const event = r.body.event as { state?: string; custodyUnitId?: string; payload?: Json } | undefined;
  return { status: r.status, state: event?.state, holder: event?.custodyUnitId, code: r.body.code, body: r.body };
}

interface View {
  state: string;
  heldAt?: { node: string; trackingUrl?: string };
  holder?: { unitId: string };
  timeline: { step: string; unitId: string; detail?: string }[];
}
async function view(node: string, c: Filed) {
  const res = await fetch(`${at(node).tracking.httpUrl}/v1/cases/${c.caseNumber}`, {
    headers: { 'x-query-code': c.queryCode },
  });
  return { status: res.status, body: (await res.json()) as View & Json };
}
async function seen(node: string, c: Filed, what: string, ready: (v: View) => boolean): Promise<View> {
  let last: { status: number; body: unknown } | undefined;
  try {
    await waitFor(
      `${what} at node ${node}`,
      async () => {
        last = await view(node, c);
        return last.status === 200 && ready(last.body as View);
      },
      90_000,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; node ${node} last answered ${JSON.stringify(last)}`);
  }
  return last?.body as View;
}
const heldBy = (unitId: string) => (v: View) => v.holder?.unitId === unitId;
const steps = (v: View) => v.timeline.map((e) => e.step);

/** Every event of a case on a node's own case-events topic, read from its broker. */
async function eventsAt(node: string, caseId: string): Promise<CaseEvent[]> {
  const bus = fed.busOf(node);
  const found: CaseEvent[] = [];
  const ends = await bus.endOffsets(caseEvents);
  const read = new Map<number, bigint>();
  const consumer = bus.consumer({
    groupId: `fed-read-${node}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`,
    fromBeginning: true,
    subscriptions: [
      on(caseEvents, async (r) => {
        if (r.value.envelope?.caseId === caseId) found.push(r.value);
        read.set(r.partition, BigInt(r.offset) + 1n);
      }),
    ],
  });
  await consumer.start();
  await waitFor('the topic read to its end', () => [...ends].every(([p, end]) => (read.get(p) ?? 0n) >= end), 30_000);
  await bus.close();
  return found;
}

describe('the federation, over real brokers and MirrorMaker 2', { timeout: 180_000 }, () => {
  it('a petition registered at the national bureau for a Zhejiang county matter ends at the county unit on node 33, and shows at the national node', async () => {
    const c = await file('national', {}, '000000-xfj');
    // The national node hands it down; node 33 writes it from its provincial bureau to the county department.
    const v = await seen('33', c, 'the county department to hold it', heldBy('330106-rsj'));
    expect(steps(v)).toEqual(expect.arrayContaining(['caseHandedOff', 'handoffAccepted', 'caseForwarded']));
    // Upward visibility: the national node reads the case as node 33 writes it.
    await seen('national', c, 'the county department as holder', heldBy('330106-rsj'));
    // The KPI counters are kept by a reader of their own, so they may follow the case view a moment later.
    let figures: { status: number; counts?: Record<string, number> } = { status: 0 };
    await waitFor(
      'the KPIs of region 330000 at the national node to count the case',
      async () => {
        const kpis = await fetch(`${at('national').tracking.httpUrl}/v1/regions/330000/kpis`, {
          headers: auth('000000-xfj'),
        });
        const body = (await kpis.json()) as { counts?: Record<string, number> };
        figures = { status: kpis.status, counts: body.counts };
        return kpis.status === 200 && Object.values(body.counts ?? {}).some((n) => n > 0);
      },
      60_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; last answered ${JSON.stringify(figures)}`);
    });
    // Node 33 writes it: an acceptance there is applied; the same sent to the national node is refused,
    // naming node 33.
    expect((await act('33', '330106-rsj', c, 'accept')).state).toBe('CASE_STATE_ACCEPTED');
    const elsewhere = await act('national', '330106-rsj', c, 'accept');
    expect(elsewhere).toMatchObject({ status: 409, code: 'CASE_MOVED' });
    expect(JSON.stringify(elsewhere.body)).toContain('node 33');
    // The petitioner's case number and query code work at the case's own region node and at the national
    // node; node 64 says where to ask.
    expect((await view('33', c)).status).toBe(200);
    const ningxia = await view('64', c);
    expect(ningxia).toMatchObject({ status: 404, body: { code: 'CASE_AT_ANOTHER_NODE', node: '33' } });
  });

  it('a transfer from a Zhejiang unit to a Ningxia unit (33 → 64) is acknowledged, and only 64 writes the case afterwards', async () => {
    const c = await file('33', { regionCode: '330102' }, '330102-xfj');
    await seen('33', c, 'registration', heldBy('330102-xfj'));
    const moved = await act('33', '330102-xfj', c, 'transfer', {
      toUnitId: '640000-xfj',
      reason: 'TRANSFER_REASON_MANUAL',
      note: '当事人现居宁夏',
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    // Acknowledged: node 33 appends 64's HandoffAccepted; the case leaves the Zhejiang bureau's inbox.
    const acknowledged = await seen('33', c, 'the acknowledgement', (v) => steps(v).includes('handoffAccepted'));
    // The petitioner asking Zhejiang is told which node follows the case now.
    expect(acknowledged.heldAt).toMatchObject({ node: '64' });
    await seen('64', c, 'the Ningxia bureau to hold it', heldBy('640000-xfj'));
    const refused = await act('33', '330102-xfj', c, 'transfer', {
      toUnitId: '330102-rsj',
      reason: 'TRANSFER_REASON_MANUAL',
    });
    expect(refused).toMatchObject({ status: 409, code: 'CASE_MOVED' });
    const assigned = await act('64', '640000-xfj', c, 'forward', { toUnitId: '640200-xfj', reason: '交由市信访局' });
    expect(assigned.status, JSON.stringify(assigned.body)).toBe(200);
    // Each version of the case was written by one node: 33 up to its handoff, 64 from its acceptance on.
    const at64 = await eventsAt('64', c.caseId);
    const versions = at64.map((e) => e.envelope?.caseVersion);
    expect(new Set(versions).size).toBe(versions.length);
    const acceptance = at64.find((e) => e.payload?.$case === 'handoffAccepted');
    expect(at64.filter((e) => e.payload?.$case === 'handoffAccepted')).toHaveLength(1);
    const at33 = await eventsAt('33', c.caseId);
    const after = (acceptance?.envelope?.caseVersion ?? 0) + 1;
    expect(at33.filter((e) => (e.envelope?.caseVersion ?? 0) >= after)).toEqual([]);
  });

  it('a review of a provincial decision goes up to the national level', async () => {
    const c = await file('33', { regionCode: '330200' }, '330200-xfj');
    await seen('33', c, 'registration', heldBy('330200-xfj'));
    expect(
      (
        await act('33', '330200-xfj', c, 'forward', {
          toUnitId: '330000-zf',
          toHandlingUnit: true,
          reason: '省政府决定事项',
        })
      ).status,
    ).toBe(200);
    expect((await act('33', '330000-zf', c, 'accept')).status).toBe(200);
    const replied = await act('33', '330000-zf', c, 'reply', {
      opinion: { summary: '维持原决定' },
      disposition: 'REPLY_DISPOSITION_EXPLAINED',
    });
    expect(replied.status, JSON.stringify(replied.body)).toBe(200);
    const review = await post(`${at('33').intake.httpUrl}/v1/petitioner/request-review`, {
      caseNumber: c.caseNumber,
      queryCode: c.queryCode,
      reason: '不服省政府意见',
    });
    expect(review.status, JSON.stringify(review.body)).toBe(200);
    await seen('national', c, 'the State Council office to review it', heldBy('000000-zf'));
    const decided = await act('national', '000000-zf', c, 'decide-review', {
      decision: 'REVIEW_DECISION_UPHELD',
      opinion: { summary: '维持' },
    });
    expect(decided).toMatchObject({ status: 200, state: 'CASE_STATE_REVIEWED' });
  });

  it('a handoff the receiver refuses comes back to the sender with a reason, and the sender holds the case again', async () => {
    const c = await file('33', { regionCode: '330102' }, '330102-xfj');
    await seen('33', c, 'registration', heldBy('330102-xfj'));
    // To the merged-away bureau, which node 33 still believes in.
    const sent = await act('33', '330102-xfj', c, 'transfer', {
      toUnitId: '640100-xfj',
      reason: 'TRANSFER_REASON_MANUAL',
    });
    expect(sent.status).toBe(200);
    const back = await seen('33', c, 'the refusal', (v) => steps(v).includes('handoffRefused'));
    expect(back.timeline.find((e) => e.step === 'handoffRefused')?.detail).toContain('STEP_REFUSED');
    expect(back.holder?.unitId).toBe('330102-xfj');
    // Zhejiang writes it again.
    const again = await act('33', '330102-xfj', c, 'transfer', {
      toUnitId: '330102-rsj',
      reason: 'TRANSFER_REASON_MANUAL',
    });
    expect(again).toMatchObject({ status: 200, holder: '330102-rsj' });
  });

  it('MirrorMaker killed in the middle of a handoff and restarted: the case arrives once', async () => {
    const c = await file('33', { regionCode: '330102' }, '330102-xfj');
    await seen('33', c, 'registration', heldBy('330102-xfj'));
    fed.mirrorMaker()?.kill();
    const sent = await act('33', '330102-xfj', c, 'transfer', {
      toUnitId: '640000-xfj',
      reason: 'TRANSFER_REASON_MANUAL',
    });
    expect(sent.status).toBe(200);
    // In transit, nobody writes it: node 33 says it is on its way.
    const meanwhile = await act('33', '330102-xfj', c, 'transfer', {
      toUnitId: '330102-rsj',
      reason: 'TRANSFER_REASON_MANUAL',
    });
    expect(meanwhile).toMatchObject({ status: 409, code: 'HANDOFF_IN_PROGRESS' });
    await fed.startMirror();
    await seen('64', c, 'the case at Ningxia', heldBy('640000-xfj'));
    await seen('33', c, 'the acknowledgement', (v) => steps(v).includes('handoffAccepted'));
    const at64 = await eventsAt('64', c.caseId);
    expect(at64.filter((e) => e.payload?.$case === 'handoffAccepted')).toHaveLength(1);
    const versions = at64.map((e) => e.envelope?.caseVersion);
    expect(new Set(versions).size).toBe(versions.length);
  });

  it('a forged record on an interconnect topic (a key that is not node 33’s) is parked with its reason, never applied', async () => {
    const bus = fed.busOf('64');
    const link = linkTopic('33', '64');
    const forger = createRecordSigner(generateNodeKey('forger').privateJwk);
    const kidOf33 = at('33').privateJwk.kid ?? '';
    const caseId = `forged-${Date.now()}`;
    const record = InterconnectRecord.encode({
      recordId: `handoff:${caseId}`,
      fromNodeId: '33',
      toNodeId: '64',
      sendTime: new Date(),
      body: {
        $case: 'handoff',
        value: { handoffId: `h-${caseId}`, caseId, sendingUnitId: '330102-xfj', toUnitId: '640000-xfj', history: [] },
      },
    }).finish();
    const value = Buffer.from(record);
    // Signed by a stranger: once under its own key id, once under node 33's.
    await (await bus.publisher()).publishRaw(bus.topicName(link), [
      { key: caseId, value, headers: forger.sign(value) },
      { key: caseId, value, headers: { ...forger.sign(value), [signingKeyHeader]: kidOf33 } },
    ]);
    const parked: Record<string, string>[] = [];
    const dlq = defineTopic<{ bytes: Uint8Array }>({
      name: link.name + dlqSuffix,
      codec: { encode: (m) => ({ finish: () => m.bytes }), decode: (bytes) => ({ bytes }) },
      schemaVersion: 1,
      keyOf: () => '',
      typeOf: () => '',
    });
    const reader = bus.consumer({
      groupId: `fed-dlq-${Date.now().toString(36)}`,
      fromBeginning: true,
      subscriptions: [
        on(dlq, async (r) => {
          if (r.key === caseId) parked.push(r.headers);
        }),
      ],
    });
    await reader.start();
    await waitFor('the forged records in the DLQ', () => parked.length >= 2, 60_000);
    await bus.close();
    expect(parked.map((h) => h[Header.dlqErrorCode])).toEqual(['UNKNOWN_SIGNING_KEY', 'BAD_SIGNATURE']);
    expect((await eventsAt('64', caseId)).filter((e) => (e.envelope?.caseVersion ?? 0) > 0)).toEqual([]);
  });

  it('a node’s broker restarted: a handoff to it waits and completes when it is back', async () => {
    const c = await file('33', { regionCode: '330102' }, '330102-xfj');
    await seen('33', c, 'registration', heldBy('330102-xfj'));
    await fed.stopBroker('64');
    const sent = await act('33', '330102-xfj', c, 'transfer', {
      toUnitId: '640000-xfj',
      reason: 'TRANSFER_REASON_MANUAL',
    });
    expect(sent.status).toBe(200);
    await fed.startBroker('64');
    await seen('64', c, 'the case at Ningxia after its broker came back', heldBy('640000-xfj'));
    await seen('33', c, 'the acknowledgement', (v) => steps(v).includes('handoffAccepted'));
  });
});
