import type { StaffRole } from '@petition/auth';
import { nationalDirectory } from '@petition/directory';
import { testToken } from '@petition/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandLog, routingStandIn, startTestIntake, tokenFor, validPetition, waitFor } from './test-support.ts';

// 督办单, 领导包案, 补充材料 and 催办 through intake over real HTTP, against the real broker and Redis, with
// routing played by the real lifecycle rules: each action by the role it needs, routing's answer or refusal.

let t: Awaited<ReturnType<typeof startTestIntake>>;
let log: Awaited<ReturnType<typeof commandLog>>;
let routing: Awaited<ReturnType<typeof routingStandIn>>;

beforeAll(async () => {
  t = await startTestIntake('intake-supervision');
  log = await commandLog(t.bus, 'supervision-command-log');
  routing = await routingStandIn(t.bus, nationalDirectory(), 'supervision-routing');
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
    body: JSON.stringify(body),
  });
const as = (unitId: string, roles: StaffRole[]) => ({ authorization: `Bearer ${testToken(unitId, { roles })}` });

const indexed = (caseId: string, version = 1) =>
  waitFor(
    `case ${caseId} at version ${version}`,
    async () => ((await t.intake.index.byId(caseId))?.version ?? 0) >= version,
  );

/** A case registered at 西湖区信访局 and forwarded to 西湖区人社局, which holds it. */
async function atHandlingUnit() {
  const res = await post('/v1/petitions', validPetition());
  expect(res.status).toBe(201);
  const r = (await res.json()) as { caseId: string; caseNumber: string; queryCode: string };
  await indexed(r.caseId);
  const forwarded = await post(
    `/v1/cases/${r.caseId}/forward`,
    { toUnitId: '330106-rsj', toHandlingUnit: true },
    { authorization: `Bearer ${tokenFor('330106-xfj')}` },
  );
  expect(forwarded.status).toBe(200);
  await indexed(r.caseId, 2);
  return r;
}

async function expectProblem(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(await res.json()).toMatchObject({ code });
}

describe('督办单: issue, answer, close', () => {
  it('takes the supervisor role to issue and close, the holder to answer, and a unit above the holder', async () => {
    const r = await atHandlingUnit();
    const notice = {
      ground: 'SUPERVISION_GROUND_OVERDUE',
      instructions: '限期报告办理进展',
      reportDueTime: new Date(Date.now() + 5 * 86_400_000).toISOString(),
    };
    const supervise = (headers: Record<string, string>, body: unknown = notice) =>
      post(`/v1/cases/${r.caseId}/supervise`, body, headers);

    const before = log.seen.length;
    await expectProblem(await supervise(as('330100-xfj', ['handler', 'reviewer'])), 403, 'ROLE_REQUIRED');
    await expectProblem(
      await supervise(as('330100-xfj', ['supervisor']), { ...notice, ground: 'OVERDUE' }),
      422,
      'INVALID_REQUEST',
    );
    await expectProblem(
      await supervise(as('330100-xfj', ['supervisor']), { ...notice, reportDueTime: undefined }),
      422,
      'INVALID_REQUEST',
    );
    expect(log.seen.length).toBe(before);
    // The holder has the role, but no notice goes to oneself: routing refuses it.
    await expectProblem(await supervise(as('330106-rsj', ['supervisor'])), 403, 'NOT_SUPERVISOR');
    await expectProblem(
      await supervise(as('330100-xfj', ['supervisor']), {
        ...notice,
        reportDueTime: new Date(Date.now() + 90 * 86_400_000).toISOString(),
      }),
      422,
      'INVALID_FIELD',
    );

    const issued = await supervise(as('330100-xfj', ['supervisor']));
    expect(issued.status).toBe(200);
    const { event } = (await issued.json()) as {
      event: { custodyUnitId: string; supervisionIssued: { supervisionId: string; supervisingUnitId: string } };
    };
    expect(event.custodyUnitId).toBe('330106-rsj');
    expect(event.supervisionIssued).toMatchObject({
      supervisingUnitId: '330100-xfj',
      supervisedUnitId: '330106-rsj',
      ground: 'SUPERVISION_GROUND_OVERDUE',
      staffId: 'test-staff@330100-xfj',
    });
    const { supervisionId } = event.supervisionIssued;
    await expectProblem(await supervise(as('330106-xfj', ['leader'])), 422, 'SUPERVISION_ALREADY_OPEN');

    const report = { supervisionId, report: { summary: '已约谈企业，本月补发' } };
    // Only the holder answers; anyone else is told what it would be told of a case not its own.
    await expectProblem(
      await post(`/v1/cases/${r.caseId}/answer-supervision`, report, as('330100-xfj', ['handler'])),
      404,
      'CASE_NOT_FOUND',
    );
    const answered = await post(`/v1/cases/${r.caseId}/answer-supervision`, report, as('330106-rsj', ['handler']));
    expect(answered.status).toBe(200);
    expect(await answered.json()).toMatchObject({ event: { supervisionAnswered: { supervisionId, inTime: true } } });

    const closing = { supervisionId, conclusion: '办理到位' };
    await expectProblem(
      await post(`/v1/cases/${r.caseId}/close-supervision`, closing, as('330100-xfj', ['handler'])),
      403,
      'ROLE_REQUIRED',
    );
    await expectProblem(
      await post(`/v1/cases/${r.caseId}/close-supervision`, closing, as('330000-xfj', ['supervisor'])),
      403,
      'NOT_SUPERVISOR',
    );
    const closed = await post(`/v1/cases/${r.caseId}/close-supervision`, closing, as('330100-xfj', ['leader']));
    expect(closed.status).toBe(200);
    expect(await closed.json()).toMatchObject({ event: { supervisionClosed: { supervisionId, answered: true } } });
  });
});

describe('领导包案', () => {
  it('takes the leader role; a leader above the holder takes charge, and the same leader only once', async () => {
    const r = await atHandlingUnit();
    const take = (headers: Record<string, string>) =>
      post(`/v1/cases/${r.caseId}/take-charge`, { note: '亲自协调' }, headers);
    await expectProblem(await take(as('330106-zf', ['supervisor', 'handler'])), 403, 'ROLE_REQUIRED');
    const taken = await take(as('330106-zf', ['leader']));
    expect(taken.status).toBe(200);
    expect(await taken.json()).toMatchObject({
      event: { caseTakenInCharge: { leaderUnitId: '330106-zf', leaderStaffId: 'test-staff@330106-zf' } },
    });
    await expectProblem(await take(as('330106-zf', ['leader'])), 422, 'ALREADY_IN_CHARGE');
    // A unit with no part in the case learns nothing of it.
    await expectProblem(await take(as('330106-zjj', ['leader'])), 404, 'CASE_NOT_FOUND');
  });
});

describe('the petitioner’s 补充材料 and 催办', () => {
  it('supplements with material and attachments, and urges once a day, by case number and query code', async () => {
    const r = await atHandlingUnit();
    const me = { caseNumber: r.caseNumber, queryCode: r.queryCode };
    await expectProblem(await post('/v1/petitioner/supplement', { ...me, material: '' }), 422, 'INVALID_REQUEST');
    await expectProblem(
      await post('/v1/petitioner/supplement', { ...me, material: 'x'.repeat(5001) }),
      422,
      'INVALID_REQUEST',
    );
    const sha256 = Buffer.alloc(32, 7).toString('base64');
    const supplemented = await post('/v1/petitioner/supplement', {
      ...me,
      material: '补充三个月的工资条',
      attachments: [{ name: '工资条.pdf', mediaType: 'application/pdf', sizeBytes: 2048, sha256 }],
    });
    expect(supplemented.status).toBe(200);
    expect(await supplemented.json()).toMatchObject({
      event: {
        custodyUnitId: '330106-rsj',
        caseSupplemented: {
          material: '补充三个月的工资条',
          attachments: [{ name: '工资条.pdf', mediaType: 'application/pdf', sizeBytes: 2048, sha256 }],
        },
      },
    });
    // A unit cannot speak for the petitioner, nor a wrong code.
    await expectProblem(
      await post(`/v1/petitioner/urge`, { caseNumber: r.caseNumber, queryCode: 'AAAA-BBBB' }),
      401,
      'BAD_CREDENTIALS',
    );
    const urged = await post('/v1/petitioner/urge', { ...me, note: '请尽快处理' });
    expect(urged.status).toBe(200);
    expect(await urged.json()).toMatchObject({ event: { caseUrged: { note: '请尽快处理', times: 1 } } });
    await expectProblem(await post('/v1/petitioner/urge', me), 422, 'URGED_TODAY');
  });
});
