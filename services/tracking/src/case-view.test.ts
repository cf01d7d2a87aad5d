import { devQueryCodeSecret, queryCodeVerifier, type StaffClaims, type StaffRole } from '@petition/auth';
import { caseEvents, createBus, deadlineEvents, isolatedPrefix } from '@petition/bus';
import {
  type CaseEvent,
  CaseEvent as CaseEventCodec,
  CaseLinkedAsRepeat,
  CaseState,
  CaseSupplemented,
  CaseTakenInCharge,
  CaseUrged,
  Category,
  ClockStage,
  CoUnitBasis,
  DeadlineEvent,
  PetitionKind,
  RepeatBasis,
  SealedData,
  SupervisionAnswered,
  SupervisionClosed,
  SupervisionGround,
  SupervisionIssued,
} from '@petition/contract';
import { CaseRun, petition, realDirectory, unit } from '@petition/lifecycle/test-kit';
import { createLogger } from '@petition/logging';
import { createApiServer } from '@petition/runtime';
import { devSealKeys, parseKeyring, sealPerson } from '@petition/seal';
import { testToken, waitFor } from '@petition/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracking, type Tracking } from './app.ts';
import { addCaseViewRoutes } from './case-view.ts';
import { loadTrackingConfig } from './config.ts';
import type { Queries } from './queries.ts';

// The units' view of a case, personal data and the access audit, against the real broker and Redis over
// real HTTP: the test plays routing (the case events, the new steps among them written as routing will
// write them) and the watchdog, and asks as the holder, its co-unit, the supervisors above it, a unit
// with nothing to do with the case and the unit an accusation is about (art 30) — each with the roles
// its token carries. Then Redis loses tracking's keys, and the audit comes back the same from its topic.

const logger = createLogger({ service: 'tracking-case-view-test', level: process.env.LOG_LEVEL ?? 'warn' });
const prefix = isolatedPrefix('tracking-cases');
const bus = createBus({
  brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
  clientId: 'trk-cases-test',
  logger,
  topicPrefix: prefix,
});
const env = {
  ...process.env,
  TOPIC_PREFIX: prefix,
  TRACKING_HTTP_PORT: '0',
  TRACKING_OPS_PORT: '0',
  TRACKING_HOST: '127.0.0.1',
};
const keyring = parseKeyring(devSealKeys);
const stamp = Date.now().toString(36).toUpperCase();
const directory = realDirectory();

const petitioner = {
  name: '张三丰',
  idNumber: '330106199001011234',
  idType: '',
  phone: '13800138000',
  address: '杭州市西湖区文三路 90 号',
  email: '',
};
const representative = { ...petitioner, name: '李四光', idNumber: '330106198502023456', phone: '13900139000' };
const sealedPeople = (caseId: string) => ({
  petitioner: { personId: `p-${caseId}`, sealed: sealPerson(keyring, petitioner, caseId, 'petitioner') },
  representatives: [{ personId: `r-${caseId}`, sealed: sealPerson(keyring, representative, caseId, 'representative') }],
});

/** The next event of a run as routing writes it: one version on, the state and holder as before unless said. */
function step(run: CaseRun, actingUnitId: string, payload: CaseEvent['payload'], over: Partial<CaseEvent> = {}) {
  const last = run.events.at(-1);
  const version = (last?.envelope?.caseVersion ?? 0) + 1;
  run.at(1 / 24);
  const event = CaseEventCodec.fromPartial({
    envelope: {
      eventId: `${run.caseId}-v${version}`,
      caseId: run.caseId,
      caseVersion: version,
      occurTime: run.now,
      actingUnitId,
      producer: 'routing',
    },
    state: last?.state,
    custodyUnitId: last?.custodyUnitId,
    ...over,
  });
  event.payload = payload;
  run.events.push(event);
  return event;
}

// A complaint to 西湖区人社局, with 西湖区教育局 as co-unit, supervised by 杭州市信访局 twice (one 督办单
// answered and closed, one open), taken in charge by the district's leader, supplemented and urged twice.
const main = new CaseRun({ now: '2026-11-20T10:00:00+08:00', directory, caseId: `cv-main-${stamp}` });
const mainNumber = `ZJ330106-20261120-CV${stamp}`;
main.ok(undefined, {
  $case: 'registerPetition',
  value: {
    petition: petition({
      caseNumber: mainNumber,
      queryCodeHash: queryCodeVerifier(devQueryCodeSecret, mainNumber, 'MAINCODE'),
      groupSize: 2,
      registeringUnitId: '330106-xfj',
      receivedTime: new Date('2026-11-20T01:00:00Z'),
      attachments: [
        {
          name: '工资条.pdf',
          mediaType: 'application/pdf',
          sizeBytes: 2048,
          sha256: new Uint8Array(32).fill(0xab),
          storageUri: 's3://petition-attachments/x',
          confidential: false,
        },
      ],
      ...sealedPeople(main.caseId),
    }),
  },
});
main.ok(unit('330106-xfj'), { $case: 'forwardCase', value: { toUnitId: '330106-rsj', toHandlingUnit: true } });
main.ok(unit('330106-rsj'), {
  $case: 'designateCoUnits',
  value: { leadUnitId: '330106-rsj', coUnitIds: ['330106-jyj'], basis: CoUnitBasis.CO_UNIT_BASIS_AGREED },
});
main.ok(unit('330106-rsj'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } });
const supervisionIssued = (id: string, due: string) =>
  step(main, '330100-xfj', {
    $case: 'supervisionIssued',
    value: SupervisionIssued.fromPartial({
      supervisionId: id,
      supervisingUnitId: '330100-xfj',
      supervisedUnitId: '330106-rsj',
      ground: SupervisionGround.SUPERVISION_GROUND_SENSITIVE,
      instructions: '请于期限内报告办理进展',
      reportDueTime: new Date(due),
      staffId: 'sup-1',
    }),
  });
supervisionIssued('sv-1', '2026-11-30T16:00:00Z');
step(main, '330106-rsj', {
  $case: 'supervisionAnswered',
  value: SupervisionAnswered.fromPartial({
    supervisionId: 'sv-1',
    unitId: '330106-rsj',
    report: { summary: '已约谈企业，工资本周发放', documentUri: 's3://docs/report-1.pdf' },
    answerTime: main.now,
    inTime: true,
  }),
});
step(main, '330100-xfj', {
  $case: 'supervisionClosed',
  value: SupervisionClosed.fromPartial({
    supervisionId: 'sv-1',
    supervisingUnitId: '330100-xfj',
    conclusion: '办理到位',
    answered: true,
  }),
});
step(main, '330106-zf', {
  $case: 'caseTakenInCharge',
  value: CaseTakenInCharge.fromPartial({
    leaderUnitId: '330106-zf',
    leaderStaffId: 'leader-7',
    note: '区长包案',
    previousLeaderStaffId: '',
  }),
});
step(main, '', {
  $case: 'caseSupplemented',
  value: CaseSupplemented.fromPartial({
    material: '补充：三个月工资条',
    attachments: [{ name: '补充.jpg', mediaType: 'image/jpeg', sizeBytes: 10, sha256: new Uint8Array(32) }],
  }),
});
step(main, '', { $case: 'caseUrged', value: CaseUrged.fromPartial({ note: '请尽快', times: 1 }) });
step(main, '', { $case: 'caseUrged', value: CaseUrged.fromPartial({ note: '再催', times: 2 }) });
supervisionIssued('sv-2', '2026-12-20T16:00:00Z');

// The same matter again, under a 督办单 of 杭州市信访局 when 西湖区信访局 (which holds it) links it to the first
// as its repeat: the link ends the case, and the open 督办单 with it.
const repeat = new CaseRun({ now: '2026-11-21T10:00:00+08:00', directory, caseId: `cv-repeat-${stamp}` });
const repeatNumber = `${mainNumber}-R`;
repeat.ok(undefined, {
  $case: 'registerPetition',
  value: { petition: petition({ caseNumber: repeatNumber, ...sealedPeople(repeat.caseId) }) },
});
step(repeat, '330100-xfj', {
  $case: 'supervisionIssued',
  value: SupervisionIssued.fromPartial({
    supervisionId: 'sv-r',
    supervisingUnitId: '330100-xfj',
    supervisedUnitId: '330106-xfj',
    ground: SupervisionGround.SUPERVISION_GROUND_URGED,
    reportDueTime: new Date('2026-12-01T16:00:00Z'),
  }),
});
step(
  repeat,
  '330106-xfj',
  {
    $case: 'caseLinkedAsRepeat',
    value: CaseLinkedAsRepeat.fromPartial({
      originalCaseId: main.caseId,
      originalCaseNumber: mainNumber,
      basis: RepeatBasis.REPEAT_BASIS_IN_PROGRESS,
      reason: '同一事项',
    }),
  },
  { state: CaseState.CASE_STATE_LINKED_AS_REPEAT },
);

// An accusation against 西湖区信访局, held by 西湖区纪委, which the accused bureau oversees by place.
const accusation = new CaseRun({ now: '2026-11-20T12:00:00+08:00', directory, caseId: `cv-acc-${stamp}` });
accusation.ok(undefined, {
  $case: 'registerPetition',
  value: {
    petition: petition({
      caseNumber: `${mainNumber}-A`,
      kind: PetitionKind.PETITION_KIND_ACCUSATION,
      category: Category.CATEGORY_DISCIPLINE_SUPERVISION,
      accusedUnitId: '330106-xfj',
      ...sealedPeople(accusation.caseId),
    }),
  },
});
accusation.ok(unit('330100-xfj'), {
  $case: 'forwardCase',
  value: { toUnitId: '330106-jw', toHandlingUnit: true, reason: '' },
});

// An anonymous accusation: nobody's data to open.
const anonymous = new CaseRun({ now: '2026-11-20T13:00:00+08:00', directory, caseId: `cv-anon-${stamp}` });
anonymous.ok(undefined, {
  $case: 'registerPetition',
  value: {
    petition: petition({
      caseNumber: `${mainNumber}-N`,
      kind: PetitionKind.PETITION_KIND_ACCUSATION,
      category: Category.CATEGORY_DISCIPLINE_SUPERVISION,
      accusedUnitId: '330106-gaj',
      anonymous: true,
      petitioner: undefined,
    }),
  },
});

let tracking: Tracking;
const token = (unitId: string, roles: StaffRole[], staffId = `staff-${roles.join('-')}@${unitId}`) =>
  testToken(unitId, { roles, staffId });
const view = (caseId: string, bearer: string) =>
  fetch(`${tracking.httpUrl}/v1/cases/${caseId}`, { headers: { authorization: `Bearer ${bearer}` } });
const open = (caseId: string, bearer: string, body: unknown) =>
  fetch(`${tracking.httpUrl}/v1/cases/${caseId}/personal-data`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
type Entry = { eventId: string; caseId: string; unitId: string; staffId: string; reason: string; subjects: string[] };
const auditPage = async (bearer: string, query = '') => {
  const r = await fetch(`${tracking.httpUrl}/v1/audit${query}`, { headers: { authorization: `Bearer ${bearer}` } });
  return { status: r.status, body: (await r.json()) as { entries: Entry[]; next: string | null; code?: string } };
};
/** Every page of the audit as `bearer` sees it. */
const wholeAudit = async (bearer: string, query = '') => {
  const entries: Entry[] = [];
  let cursor: string | null = '';
  while (cursor !== null) {
    const { body } = await auditPage(bearer, `?limit=2${query}${cursor ? `&cursor=${cursor}` : ''}`);
    entries.push(...body.entries);
    cursor = body.next;
  }
  return entries;
};

const handler = token('330106-rsj', ['handler']);
const anonymousHolder = token(anonymous.events.at(-1)?.custodyUnitId ?? '', ['handler']);
const cityAuditor = token('330100-xfj', ['auditor']);

beforeAll(async () => {
  tracking = await startTracking(loadTrackingConfig(env), logger);
  const publisher = await bus.publisher();
  await publisher.publish(caseEvents, [...main.events, ...repeat.events, ...accusation.events, ...anonymous.events]);
  await publisher.publish(deadlineEvents, [
    DeadlineEvent.fromPartial({
      envelope: { eventId: `d-${main.caseId}`, caseId: main.caseId, caseVersion: 4 },
      clockId: `${main.caseId}:handling:4`,
      stage: ClockStage.CLOCK_STAGE_HANDLING,
      responsibleUnitId: '330106-rsj',
      payload: { $case: 'clockStarted', value: { dueTime: new Date('2027-01-19T16:00:00Z'), periodDays: 60 } },
    }),
  ]);
  await waitFor('the cases read', async () => {
    const [a, b] = await Promise.all([view(main.caseId, handler), view(anonymous.caseId, anonymousHolder)]);
    return a.ok && b.ok && ((await a.json()) as { clocks: unknown[] }).clocks.length === 1;
  });
});

afterAll(async () => {
  await tracking?.close();
  await bus.deleteOwnTopics();
  await bus.close();
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

/** What a unit that may not see a case gets: exactly what a case that does not exist gives. */
async function expectNoCase(r: Response) {
  const body = await r.json();
  const none = await (await view(`no-such-case-${stamp}`, handler)).json();
  expect([r.status, r.headers.get('content-type')]).toEqual([404, 'application/problem+json; charset=utf-8']);
  expect(body).toEqual(none);
  expect(body).toMatchObject({ code: 'CASE_NOT_FOUND' });
}

describe('the units’ view of a case', () => {
  it('shows the holder every section, and no one’s personal data', async () => {
    const r = await view(main.caseId, handler);
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const body = (await r.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      caseId: main.caseId,
      caseNumber: mainNumber,
      version: main.events.length,
      state: 'CASE_STATE_ACCEPTED',
      holder: { unitId: '330106-rsj', name: '杭州市西湖区人力资源和社会保障局', level: 'county' },
      title: '工资拖欠',
      content: '某公司拖欠工资三个月',
      category: 'CATEGORY_LABOR_SOCIAL_SECURITY',
      kind: 'PETITION_KIND_COMPLAINT',
      channel: 'CHANNEL_WEB',
      region: { code: '330106', name: '杭州市西湖区' },
      receivedTime: '2026-11-20T01:00:00.000Z',
      registeringUnit: { unitId: '330106-xfj', name: '杭州市西湖区信访局' },
      anonymous: false,
      groupSize: 2,
      attachments: [{ name: '工资条.pdf', mediaType: 'application/pdf', sizeBytes: 2048, sha256: 'ab'.repeat(32) }],
      petitioner: { personId: `p-${main.caseId}` },
      representatives: [{ personId: `r-${main.caseId}` }],
      clocks: [{ stage: 'CLOCK_STAGE_HANDLING', dueTime: '2027-01-19T16:00:00.000Z', state: 'running' }],
      coUnits: { lead: { unitId: '330106-rsj' }, co: [{ unitId: '330106-jyj', name: '杭州市西湖区教育局' }] },
      repeats: { original: null, linked: [{ caseId: repeat.caseId, caseNumber: repeatNumber }] },
      leader: { unitId: '330106-zf', staffId: 'leader-7', note: '区长包案', unitName: '杭州市西湖区人民政府' },
      supplements: [
        { material: '补充：三个月工资条', attachments: [{ name: '补充.jpg', sha256: '00'.repeat(32), sizeBytes: 10 }] },
      ],
      urges: 2,
      access: { readOnly: false, mayOpenPersonalData: true },
    });
    expect(body.supervisions).toEqual([
      expect.objectContaining({
        supervisionId: 'sv-1',
        state: 'closed',
        ground: 'SUPERVISION_GROUND_SENSITIVE',
        instructions: '请于期限内报告办理进展',
        reportDueTime: '2026-11-30T16:00:00.000Z',
        report: expect.objectContaining({ summary: '已约谈企业，工资本周发放' }),
        inTime: true,
        conclusion: '办理到位',
        supervisingUnit: expect.objectContaining({ unitId: '330100-xfj', name: '杭州市信访局' }),
      }),
      expect.objectContaining({ supervisionId: 'sv-2', state: 'open', reportDueTime: '2026-12-20T16:00:00.000Z' }),
    ]);
    expect((body.timeline as { label: string }[]).map((t) => t.label)).toEqual([
      '登记',
      '转送',
      '确定牵头单位',
      '受理',
      '督办',
      '督办回复',
      '督办办结',
      '领导包案',
      '补充材料',
      '催办',
      '催办',
      '督办',
    ]);
    const text = JSON.stringify(body);
    for (const secret of [petitioner.name, petitioner.idNumber, petitioner.phone, petitioner.address])
      expect(text).not.toContain(secret);
    for (const secret of [representative.name, representative.idNumber, representative.phone])
      expect(text).not.toContain(secret);
    expect(text).not.toMatch(/sealed|queryCodeHash|ciphertext/);
  });

  it('shows the petitioner the leader, their material and urging, but not what passes between units over a 督办单', async () => {
    const r = await fetch(`${tracking.httpUrl}/v1/cases/${mainNumber}`, { headers: { 'x-query-code': 'MAINCODE' } });
    expect(r.status).toBe(200);
    const seen = (await r.json()) as { timeline: { step: string }[]; clocks: { stage: string }[] };
    const steps = seen.timeline.map((e) => e.step);
    expect(steps).toEqual(expect.arrayContaining(['caseTakenInCharge', 'caseSupplemented', 'caseUrged']));
    expect(steps.filter((step) => step.startsWith('supervision'))).toEqual([]);
    const staff = (await (await view(main.caseId, handler)).json()) as { timeline: { step: string }[] };
    expect(staff.timeline.map((e) => e.step)).toEqual(
      expect.arrayContaining(['supervisionIssued', 'supervisionClosed']),
    );
  });

  it('names the original from the repeat, whose end closed its open 督办单', async () => {
    const r = await view(repeat.caseId, token('330106-xfj', ['registrar']));
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({
      state: 'CASE_STATE_LINKED_AS_REPEAT',
      repeats: { original: { caseId: main.caseId, caseNumber: mainNumber }, linked: [] },
      supervisions: [{ supervisionId: 'sv-r', state: 'closed', endedWithCase: true }],
    });
    // No 督办单 left open on it (what the inbox and the boards read, finding.ts); the first case's is.
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    try {
      expect(await redis.hexists(`${prefix}trk:c:${repeat.caseId}`, 'supervision')).toBe(0);
      const open = JSON.parse((await redis.hget(`${prefix}trk:c:${main.caseId}`, 'supervision')) ?? '{}');
      expect(open).toMatchObject({ supervisionId: 'sv-2', state: 'open' });
    } finally {
      redis.disconnect();
    }
  });

  it('lets the co-unit and the supervisors above the holder read it, and nobody else', async () => {
    for (const bearer of [
      token('330106-jyj', ['handler']),
      token('330100-xfj', ['supervisor']),
      token('330106-zf', ['leader']),
      token('330000-xfj', ['supervisor']),
    ]) {
      const r = await view(main.caseId, bearer);
      expect(r.status).toBe(200);
      expect(await r.json()).toMatchObject({ access: { readOnly: true, mayOpenPersonalData: false } });
    }
    // Above the holder but without the supervisor's role; a unit of another district; the holder's sibling.
    await expectNoCase(await view(main.caseId, token('330100-xfj', ['handler', 'auditor'])));
    await expectNoCase(await view(main.caseId, token('330105-rsj', ['supervisor', 'handler'])));
    await expectNoCase(await view(main.caseId, token('330106-gaj', ['supervisor'])));
    const unsigned = await fetch(`${tracking.httpUrl}/v1/cases/${main.caseId}`, {
      headers: { authorization: 'Bearer nonsense' },
    });
    expect(unsigned.status).toBe(401);
  });

  it('never shows an accusation to the accused unit, though it oversees the holder’s district (art 30)', async () => {
    await expectNoCase(await view(accusation.caseId, token('330106-xfj', ['supervisor', 'handler'])));
    expect((await view(accusation.caseId, token('330106-jw', ['handler']))).status).toBe(200);
    expect((await view(accusation.caseId, token('330100-xfj', ['supervisor']))).status).toBe(200);
  });
});

describe('personal data and the access audit', () => {
  const reason = '核实身份，电话联系信访人';
  const openings: string[] = [];

  it('opens the people of the case to a handler of the holder who says why, once the audit has it', async () => {
    const r = await open(main.caseId, handler, { reason });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const body = (await r.json()) as { auditEventId: string };
    expect(body).toMatchObject({
      petitioner: {
        name: petitioner.name,
        idNumber: petitioner.idNumber,
        idType: '',
        phone: petitioner.phone,
        address: petitioner.address,
      },
      representatives: [{ subject: 'representative:1', name: representative.name, phone: representative.phone }],
    });
    openings.push(body.auditEventId);
    const registrar = await open(main.caseId, token('330106-rsj', ['registrar']), { reason: '登记信息核对' });
    expect(registrar.status).toBe(200);
    openings.push(((await registrar.json()) as { auditEventId: string }).auditEventId);
    const jw = await open(accusation.caseId, token('330106-jw', ['handler']), { reason: '核实检举人身份' });
    expect(jw.status).toBe(200);
    openings.push(((await jw.json()) as { auditEventId: string }).auditEventId);
  });

  it('refuses anyone else, and a reason left out — writing no audit record for any of them', async () => {
    const refusals: [Response, number, string][] = [
      [await open(main.caseId, handler, {}), 400, 'INVALID_REQUEST'],
      [await open(main.caseId, handler, { reason: 'ab' }), 400, 'INVALID_REQUEST'],
      [await open(main.caseId, handler, { reason: '      ' }), 400, 'REASON_REQUIRED'],
      [
        await open(main.caseId, token('330106-rsj', ['reviewer', 'auditor', 'supervisor']), { reason }),
        403,
        'ROLE_REQUIRED',
      ],
      [await open(main.caseId, token('330100-xfj', ['supervisor', 'handler']), { reason }), 403, 'ROLE_REQUIRED'],
      [await open(main.caseId, token('330100-xfj', ['auditor']), { reason }), 404, 'CASE_NOT_FOUND'],
      [await open(main.caseId, token('330106-jyj', ['handler']), { reason }), 403, 'ROLE_REQUIRED'],
      [await open(main.caseId, token('330105-rsj', ['handler']), { reason }), 404, 'CASE_NOT_FOUND'],
      [
        await open(accusation.caseId, token('330106-xfj', ['handler', 'supervisor']), { reason }),
        404,
        'CASE_NOT_FOUND',
      ],
      [await open(anonymous.caseId, anonymousHolder, { reason }), 404, 'NO_PERSONAL_DATA'],
      [await open(`no-such-case-${stamp}`, handler, { reason }), 404, 'CASE_NOT_FOUND'],
    ];
    for (const [r, status, code] of refusals) {
      expect([r.status, ((await r.json()) as { code: string }).code]).toEqual([status, code]);
    }
    // A last opening after them: once it is in the audit, anything the refusals had written would be too
    // (the records of a case are in order on its partition).
    const last = await open(main.caseId, handler, { reason: '再次核实地址' });
    openings.push(((await last.json()) as { auditEventId: string }).auditEventId);
    await waitFor('the last opening in the audit', async () =>
      (await wholeAudit(cityAuditor)).some((e) => e.eventId === openings.at(-1)),
    );
    const ofMain = await wholeAudit(cityAuditor, `&caseId=${main.caseId}`);
    expect(ofMain.map((e) => e.eventId)).toEqual([openings[3], openings[1], openings[0]]);
  });

  it('shows every opening to the auditors and supervisors over the unit, newest first, and no one else', async () => {
    const all = await wholeAudit(cityAuditor);
    expect(all.map((e) => e.eventId)).toEqual([openings[3], openings[2], openings[1], openings[0]]);
    expect(all[3]).toMatchObject({
      caseId: main.caseId,
      caseNumber: mainNumber,
      staffId: 'staff-handler@330106-rsj',
      unitId: '330106-rsj',
      roles: ['handler'],
      reason,
      subjects: ['petitioner', 'representative:1'],
      fields: [
        'PERSONAL_DATA_FIELD_NAME',
        'PERSONAL_DATA_FIELD_ID_NUMBER',
        'PERSONAL_DATA_FIELD_PHONE',
        'PERSONAL_DATA_FIELD_ADDRESS',
      ],
    });
    // The holder's superior (the district government, which also leads its place) and the unit itself; a
    // supervisor over the province.
    const ids = async (bearer: string, query = '') => (await wholeAudit(bearer, query)).map((e) => e.eventId);
    const mainOnly = [openings[3], openings[1], openings[0]];
    expect(await ids(token('330106-zf', ['auditor']))).toEqual(all.map((e) => e.eventId));
    expect(await ids(token('330106-rsj', ['auditor']))).toEqual(mainOnly);
    expect(await ids(token('330000-zf', ['supervisor']))).toEqual(all.map((e) => e.eventId));
    expect(await ids(cityAuditor, '&unitId=330106-jw')).toEqual([openings[2]]);
    // Another district's bureau sees none; the accused bureau not the accusation's (art 30), though it is over
    // 西湖区纪委 by place.
    expect(await ids(token('330105-xfj', ['auditor']))).toEqual([]);
    expect(await ids(token('330106-xfj', ['auditor']))).toEqual(mainOnly);
    expect(await ids(token('330106-xfj', ['auditor']), '&unitId=330106-jw')).toEqual([]);
    // A handler is no auditor; a unit outside one's subtree is refused; a made-up cursor and a bad limit named.
    expect((await auditPage(handler)).body.code).toBe('ROLE_REQUIRED');
    expect((await auditPage(handler)).status).toBe(403);
    expect(await auditPage(token('330106-rsj', ['auditor']), '?unitId=330106-jw')).toMatchObject({
      status: 403,
      body: { code: 'NOT_YOUR_UNIT' },
    });
    expect(await auditPage(cityAuditor, '?cursor=bm9wZQ')).toMatchObject({ status: 400, body: { code: 'BAD_CURSOR' } });
    expect(await auditPage(cityAuditor, '?limit=0')).toMatchObject({ status: 400, body: { code: 'INVALID_REQUEST' } });
    expect((await fetch(`${tracking.httpUrl}/v1/audit`)).status).toBe(401);
  });

  it('keeps the audit through a flush of tracking’s keys: rebuilt from its topic, the same entries', async () => {
    const before = await wholeAudit(cityAuditor);
    const caseBefore = await (await view(main.caseId, handler)).json();
    expect(before).toHaveLength(4);
    await tracking.close();
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const keys = await redis.keys(`${prefix}trk:*`);
    expect(keys.some((key) => key.startsWith(`${prefix}trk:pd:`))).toBe(true);
    await redis.del(...keys);
    redis.disconnect();
    tracking = await startTracking(loadTrackingConfig(env), logger);
    await waitFor('the audit rebuilt', async () => (await wholeAudit(cityAuditor)).length === before.length);
    expect(await wholeAudit(cityAuditor)).toEqual(before);
    await waitFor('the case rebuilt', async () => {
      const r = await view(main.caseId, handler);
      return r.ok && JSON.stringify(await r.json()) === JSON.stringify(caseBefore);
    });
  });
});

describe('an opening the audit cannot take', () => {
  it('shows nothing and answers 503 when the access-audit topic does not take the record', async () => {
    const caseId = `cv-503-${stamp}`;
    const sealed = Buffer.from(
      SealedData.encode(sealPerson(keyring, petitioner, caseId, 'petitioner')).finish(),
    ).toString('base64');
    const tried: unknown[] = [];
    const app = createApiServer();
    addCaseViewRoutes(app, {
      redis: { hgetall: async () => ({ petitioner: sealed }) } as unknown as Redis,
      prefix: 'unused:',
      directory,
      queries: {
        caseDetails: async () => ({
          caseNumber: 'N-503',
          holder: { unitId: '330106-rsj' },
          matter: { kind: PetitionKind.PETITION_KIND_COMPLAINT, accusedUnitId: '' },
          coUnits: null,
          anonymous: false,
          petitioner: { personId: 'p-503' },
          representatives: [],
        }),
      } as unknown as Queries,
      caller: async () => ({ staffId: 's-1', unitId: '330106-rsj', roles: ['handler'] }) as unknown as StaffClaims,
      keyring,
      publishAudit: async (event) => {
        tried.push(event);
        throw new Error('the broker is away');
      },
      now: () => new Date(),
    });
    const r = await app.inject({
      method: 'POST',
      url: `/v1/cases/${caseId}/personal-data`,
      payload: { reason: '核实身份' },
    });
    expect([r.statusCode, r.json().code, r.headers['retry-after']]).toEqual([503, 'AUDIT_UNAVAILABLE', '5']);
    expect(tried).toHaveLength(1);
    expect(r.body).not.toContain(petitioner.name);
    expect(r.body).not.toContain(petitioner.phone);
    await app.close();
  });
});
