import * as grpc from '@grpc/grpc-js';
import {
  AcceptCaseRequest,
  CaseState,
  Category,
  Channel,
  ForwardCaseRequest,
  IntakeServiceClient,
  IssueSupervisionRequest,
  type IssueSupervisionResponse,
  PetitionKind,
  RegisterPetitionRequest,
  type RegisterPetitionResponse,
  SupervisionGround,
  UrgeCaseRequest,
  type UrgeCaseResponse,
} from '@petition/contract';
import { nationalDirectory } from '@petition/directory';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routingStandIn, startTestIntake, tokenFor, waitFor } from './test-support.ts';

// IntakeService over real gRPC: the same checks and answers as HTTP, as statuses with details.

let t: Awaited<ReturnType<typeof startTestIntake>>;
let routing: Awaited<ReturnType<typeof routingStandIn>>;
let client: IntakeServiceClient;

beforeAll(async () => {
  t = await startTestIntake('intake-grpc');
  routing = await routingStandIn(t.bus, nationalDirectory(), 'test-routing');
  client = new IntakeServiceClient(t.intake.grpcAddress, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  await routing?.stop();
  await t?.intake.close();
  await t?.bus.deleteOwnTopics();
  await t?.bus.close();
});

const withToken = (unitId: string) => {
  const m = new grpc.Metadata();
  m.set('authorization', `Bearer ${tokenFor(unitId)}`);
  return m;
};

function call<Req, Res>(
  method: (
    req: Req,
    md: grpc.Metadata,
    opts: grpc.CallOptions,
    cb: (e: grpc.ServiceError | null, r: Res) => void,
  ) => unknown,
  req: Req,
  md = new grpc.Metadata(),
) {
  return new Promise<{ error: grpc.ServiceError | null; response: Res }>((resolve) =>
    method.call(client, req, md, { deadline: Date.now() + 10_000 }, (error, response) => resolve({ error, response })),
  );
}

const request = (over: Partial<NonNullable<RegisterPetitionRequest['petition']>> = {}): RegisterPetitionRequest =>
  RegisterPetitionRequest.fromPartial({
    petition: {
      channel: Channel.CHANNEL_PHONE,
      kind: PetitionKind.PETITION_KIND_COMPLAINT,
      category: Category.CATEGORY_URBAN_RURAL_CONSTRUCTION,
      regionCode: '330106',
      title: '违建',
      content: '小区违章搭建',
      ...over,
    },
    petitioner: { name: '王五', phone: '13900000000' },
  });

describe('IntakeService over gRPC', () => {
  it('registers a petition, then forwards it with a unit token and returns routing’s event', async () => {
    const { error, response } = await call<RegisterPetitionRequest, RegisterPetitionResponse>(
      client.registerPetition,
      request(),
    );
    expect(error).toBeNull();
    expect(response.caseNumber).toMatch(/^330106-/);
    await waitFor('the case in the index', async () => (await t.intake.index.byId(response.caseId)) !== undefined);
    const forwarded = await call(
      client.forwardCase,
      ForwardCaseRequest.fromPartial({
        caseId: response.caseId,
        command: { toUnitId: '330106-zjj', toHandlingUnit: true },
      }),
      withToken('330106-xfj'),
    );
    expect(forwarded.error).toBeNull();
    const outcome = (forwarded.response as { outcome: { outcome: { $case: string; value: { state: number } } } })
      .outcome.outcome;
    expect(outcome.$case).toBe('event');
    expect(outcome.value.state).toBe(CaseState.CASE_STATE_AWAITING_ACCEPTANCE);
  });

  it('answers bad input with INVALID_ARGUMENT and the problem naming each field', async () => {
    const { error } = await call(client.registerPetition, request({ title: '', regionCode: '999999' }));
    expect(error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    const detail = error?.metadata.get('problem-bin')[0] as Buffer;
    const problem = JSON.parse(detail.toString('utf8')) as { errors: { field: string }[] };
    expect(problem.errors.map((e) => e.field)).toContain('/title');
  });

  it('answers a missing token with UNAUTHENTICATED and a refusal with the refused outcome', async () => {
    const none = await call(client.acceptCase, AcceptCaseRequest.fromPartial({ caseId: 'x', command: {} }));
    expect(none.error?.code).toBe(grpc.status.UNAUTHENTICATED);
    const { response } = await call<RegisterPetitionRequest, RegisterPetitionResponse>(
      client.registerPetition,
      request(),
    );
    await waitFor('the case in the index', async () => (await t.intake.index.byId(response.caseId)) !== undefined);
    const refused = await call(
      client.assignCase,
      {
        caseId: response.caseId,
        command: { assigneeUnitId: '330106-zjj', reportDueTime: new Date(Date.now() - 1000), instructions: '' },
      } as never,
      withToken('330106-xfj'),
    );
    const outcome = (refused.response as { outcome: { outcome: { $case: string; value: { reasonCode: string } } } })
      .outcome.outcome;
    expect(outcome).toMatchObject({ $case: 'refused', value: { reasonCode: 'REPORT_DUE_IN_PAST' } });
  });

  it('issues a supervision notice with a unit token and urges with the petitioner’s credentials, as HTTP does', async () => {
    const { response } = await call<RegisterPetitionRequest, RegisterPetitionResponse>(
      client.registerPetition,
      request(),
    );
    await waitFor('the case in the index', async () => (await t.intake.index.byId(response.caseId)) !== undefined);
    const issued = await call(
      client.issueSupervision,
      IssueSupervisionRequest.fromPartial({
        caseId: response.caseId,
        command: {
          ground: SupervisionGround.SUPERVISION_GROUND_SENSITIVE,
          instructions: '限期报告',
          reportDueTime: new Date(Date.now() + 3 * 86_400_000),
        },
      }),
      withToken('330100-xfj'),
    );
    expect(issued.error).toBeNull();
    expect((issued.response as IssueSupervisionResponse).outcome?.outcome).toMatchObject({
      $case: 'event',
      value: { payload: { $case: 'supervisionIssued', value: { supervisingUnitId: '330100-xfj' } } },
    });
    const credentials = { caseNumber: response.caseNumber, queryCode: response.queryCode };
    const urge = UrgeCaseRequest.fromPartial({ credentials, command: { note: '请尽快' } });
    const urged = await call(client.urgeCase, urge);
    expect((urged.response as UrgeCaseResponse).outcome?.outcome).toMatchObject({
      $case: 'event',
      value: { payload: { $case: 'caseUrged', value: { times: 1 } } },
    });
    const again = await call(client.urgeCase, urge);
    expect((again.response as UrgeCaseResponse).outcome?.outcome).toMatchObject({
      $case: 'refused',
      value: { reasonCode: 'URGED_TODAY' },
    });
  });
});
