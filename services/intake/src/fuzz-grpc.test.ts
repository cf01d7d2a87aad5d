import * as grpc from '@grpc/grpc-js';
import * as contract from '@petition/contract';
import { Category, Channel, IntakeServiceService, PetitionKind } from '@petition/contract';
import { nationalDirectory } from '@petition/directory';
import { testToken } from '@petition/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ActionSpec, actionByCommand, type CommandCase } from './actions.ts';
import { fuzzAuthorization, fuzzUnits } from './fuzz-inputs.ts';
import { commandLog, protoWire, routingStandIn, startTestIntake, waitFor } from './test-support.ts';

// Every RPC of IntakeService under fuzzing over real gRPC (routing played by the real lifecycle rules):
// random valid-shaped messages (fromPartial with odd, huge, unicode, empty, out-of-range values) and
// mutated encodings sent as raw bytes, with no token, a valid one, another unit's with random roles, and
// garbage. Never INTERNAL, UNKNOWN or a hang; every refusal carries a problem with a code; and exactly
// one command reaches case-commands per OK answer (its outcome's command id) — none for a refusal.

let t: Awaited<ReturnType<typeof startTestIntake>>;
let log: Awaited<ReturnType<typeof commandLog>>;
let routing: Awaited<ReturnType<typeof routingStandIn>>;
let client: grpc.Client;
/** Real cases (registered in beforeAll), so that some fuzzed actions reach a case and are applied. */
const cases: { caseId: string; caseNumber: string; queryCode: string }[] = [];
/** Commands published before the fuzz (the setup's registrations). */
const before = new Set<string>();

interface MessageCodec {
  fromPartial(object: unknown): unknown;
  encode(message: unknown): { finish(): Uint8Array };
}
interface Rpc {
  readonly name: string;
  readonly path: string;
  readonly request: MessageCodec;
  readonly decodeResponse: (b: Buffer) => { outcome?: { commandId?: string } & Record<string, unknown> };
  readonly spec?: ActionSpec;
}

const rpcs: Rpc[] = Object.entries(IntakeServiceService).map(([name, d]) => ({
  name,
  path: d.path,
  request: (contract as unknown as Record<string, MessageCodec>)[`${d.path.split('/').pop()}Request`] as MessageCodec,
  decodeResponse: d.responseDeserialize as Rpc['decodeResponse'],
  spec: actionByCommand.get(name as CommandCase),
  // Counterexamples name the RPC, not its codec's source.
  [fc.toStringMethod]: () => name,
}));

beforeAll(async () => {
  t = await startTestIntake('intake-fuzz-grpc', { INTAKE_GUESS_LIMIT: '1000000' });
  log = await commandLog(t.bus, 'fuzz-grpc-command-log');
  routing = await routingStandIn(t.bus, nationalDirectory(), 'fuzz-grpc-routing');
  client = new grpc.Client(t.intake.grpcAddress, grpc.credentials.createInsecure());
  for (let i = 0; i < 4; i++) {
    const res = await fetch(`${t.intake.httpUrl}/v1/petitions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${testToken('330106-xfj')}` },
      body: JSON.stringify({
        channel: i % 2 ? 'VISIT' : 'WEB',
        petitioner: { name: '张三', idNumber: '11010519491231002X', phone: '13800000000' },
        regionCode: '330106',
        category: '劳动社保',
        kind: '申诉求决',
        title: `欠薪 ${i}`,
        content: '某公司拖欠工资三个月。',
      }),
    });
    expect(res.status).toBe(201);
    const r = (await res.json()) as { caseId: string; caseNumber: string; queryCode: string; commandId: string };
    cases.push(r);
    before.add(r.commandId);
  }
  await waitFor('the setup’s cases indexed', async () => {
    for (const c of cases) if (!(await t.intake.index.byId(c.caseId))) return false;
    return true;
  });
  await waitFor('the setup’s commands on the topic', () => log.seen.length >= before.size);
});

afterAll(async () => {
  client?.close();
  await log?.stop();
  await routing?.stop();
  await t?.intake.close();
  await t?.bus.deleteOwnTopics();
  await t?.bus.close();
});

// ---- values ------------------------------------------------------------------------------------------

const huge = fc
  .tuple(fc.integer({ min: 10_000, max: 100_000 }), fc.constantFrom('x', '中', '😀', '\u0000', '\ud800', 'é'))
  .map(([n, c]) => c.repeat(Math.ceil(n / c.length)));
const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.constant('') },
  { weight: 2, arbitrary: fc.constantFrom(...fuzzUnits, '330106', '999999', '理由', '../../etc', '\u0000', ' ') },
  { weight: 1, arbitrary: huge },
);
// Numbers as the wire carries them (the client's encoder refuses NaN, fractions and values outside a
// field's type; a varint too large for a JS number is sent as a bigint, or spliced in by a byte mutation).
const int32 = fc.oneof(
  fc.integer({ min: -3, max: 40 }),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  fc.constantFrom(-(2 ** 31), 2 ** 31 - 1, -1),
);
const uint32 = fc.oneof(fc.integer({ min: 0, max: 400 }), fc.nat(), fc.constantFrom(2 ** 31, 2 ** 32 - 1));
const uint64 = fc.oneof(
  fc.nat({ max: 50 }),
  fc.constantFrom(2 ** 53 - 1, 1e15, 1e15 + 1),
  fc.constantFrom(2n ** 53n, 2n ** 63n, 2n ** 64n - 1n),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
);
const dates = fc.oneof(
  fc.date({ min: new Date('2020-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }),
  fc.date(),
  fc.constantFrom(
    new Date(8.64e15),
    new Date(-8.64e15),
    new Date(Number.NaN),
    new Date(0),
    new Date(-1),
    new Date('1899-12-31T23:59:59Z'),
    new Date('10000-01-01T00:00:00Z'),
    new Date('9999-12-31T23:59:59.999Z'),
  ),
);

interface SchemaNode {
  readonly type?: string;
  readonly format?: string;
  readonly enum?: readonly string[];
  readonly properties?: Record<string, SchemaNode>;
  readonly required?: readonly string[];
  readonly items?: SchemaNode;
  readonly minItems?: number;
}

/** A plausible proto3 JSON value for `schema` (mostly what a careful client sends). */
function plausibleJson(schema: SchemaNode, name = ''): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.format === 'date-time')
    return fc.constantFrom('2031-01-05T10:00:00+08:00', new Date(Date.now() + 5 * 86_400_000).toISOString());
  if (schema.type === 'boolean') return fc.boolean();
  if (schema.type === 'integer') return fc.integer({ min: 1, max: 40 });
  if (schema.type === 'array') return fc.array(plausibleJson(schema.items ?? {}, name), { minLength: 1, maxLength: 3 });
  if (schema.type === 'object') {
    const properties = schema.properties ?? {};
    return fc.record(Object.fromEntries(Object.entries(properties).map(([k, s]) => [k, plausibleJson(s, k)])), {
      requiredKeys: [...(schema.required ?? [])],
    });
  }
  if (/unitid/i.test(name)) return fc.constantFrom(...fuzzUnits);
  if (/caseid/i.test(name)) return fc.constantFrom(...cases.map((c) => c.caseId), 'no-such-case');
  return fc.constantFrom('理由充分', 'see attached', 'https://example.org/doc.pdf');
}

/** Any value of the field's JS type in the decoded message (enums as any number, Timestamps as any Date). */
function rawValue(schema: SchemaNode): fc.Arbitrary<unknown> {
  if (schema.enum) return int32;
  if (schema.format === 'date-time') return fc.option(dates, { nil: undefined });
  if (schema.type === 'boolean') return fc.boolean();
  if (schema.type === 'integer') return uint32;
  if (schema.type === 'array') return fc.array(text, { maxLength: 25 });
  if (schema.type === 'object')
    return fc.option(
      fc.record(
        {
          summary: text,
          documentUri: text,
          documentSha256: fc.uint8Array({ maxLength: 40 }),
          attachments: fc.array(
            fc.record({ name: text, sizeBytes: uint64, sha256: fc.uint8Array({ maxLength: 4 }) }, { requiredKeys: [] }),
            { maxLength: 2 },
          ),
        },
        { requiredKeys: [] },
      ),
      { nil: undefined },
    );
  return text;
}

/** The command of an action: plausible JSON decoded by its codec, then up to three fields set to anything. */
function command(spec: ActionSpec): fc.Arbitrary<unknown> {
  const schema = spec.schema as SchemaNode;
  const properties = Object.entries(schema.properties ?? {});
  const overrides =
    properties.length === 0
      ? fc.constant({})
      : fc
          .subarray(properties, { maxLength: Math.min(3, properties.length) })
          .chain((picked) => fc.record(Object.fromEntries(picked.map(([k, s]) => [k, rawValue(s)]))));
  return fc
    .tuple(
      plausibleJson(schema),
      fc.oneof({ weight: 2, arbitrary: fc.constant({}) }, { weight: 3, arbitrary: overrides }),
    )
    .map(([json, raw]) => ({ ...(spec.codec.fromJSON(json) as object), ...raw }));
}

const enumNumber = (values: Record<string, number>) =>
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...Object.values(values).filter((v) => v > 0)) }, int32);
const oddPerson = fc.record(
  {
    name: fc.oneof({ weight: 3, arbitrary: fc.constant('王五') }, text),
    idNumber: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('11010519491231002X', '') }, text),
    idType: text,
    phone: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('13900000000', '') }, text),
    address: text,
    email: fc.oneof(fc.constantFrom('a@example.org', ''), text),
  },
  { requiredKeys: ['name'] },
);
const person = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record(
      {
        name: fc.constantFrom('王五', '李四'),
        idNumber: fc.constant('11010519491231002X'),
        phone: fc.constantFrom('13900000000', '13800000000'),
        address: fc.constantFrom('杭州市西湖区', ''),
      },
      { requiredKeys: ['name'] },
    ),
  },
  { weight: 2, arbitrary: oddPerson },
);
const oddPetition = fc.record(
  {
    channel: enumNumber(Channel),
    kind: enumNumber(PetitionKind),
    category: enumNumber(Category),
    regionCode: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('330106', '110101', '330100') }, text),
    title: fc.oneof({ weight: 4, arbitrary: fc.constant('违建') }, text),
    content: fc.oneof({ weight: 4, arbitrary: fc.constant('小区违章搭建') }, text),
    anonymous: fc.boolean(),
    accusedUnitId: fc.oneof(fc.constantFrom(...fuzzUnits), text),
    concernedUnitId: fc.oneof(fc.constantFrom(...fuzzUnits), text),
    groupSize: uint32,
    registeringUnitId: fc.oneof(fc.constantFrom(...fuzzUnits), text),
    receivedTime: dates,
    externalRef: text,
    caseNumber: text,
    queryCodeHash: text,
    attachments: fc.array(fc.record({ name: text, sizeBytes: uint64 }, { requiredKeys: [] }), { maxLength: 2 }),
  },
  { requiredKeys: ['channel', 'kind', 'category', 'regionCode', 'title', 'content'] },
);
const validPetition = fc.record(
  {
    channel: fc.constantFrom(...Object.values(Channel).filter((v) => v > 0)),
    kind: fc.constantFrom(PetitionKind.PETITION_KIND_COMPLAINT, PetitionKind.PETITION_KIND_SUGGESTION),
    category: fc.constantFrom(...Object.values(Category).filter((v) => v > 0)),
    regionCode: fc.constantFrom('330106', '110101', '330102'),
    title: fc.constantFrom('违建', '欠薪', 'x'),
    content: fc.constantFrom('小区违章搭建', '拖欠工资三个月'),
    groupSize: fc.integer({ min: 0, max: 3 }),
    externalRef: fc.constantFrom('', 'ext-1'),
  },
  { requiredKeys: ['channel', 'kind', 'category', 'regionCode', 'title', 'content'] },
);
const petition = fc.oneof({ weight: 3, arbitrary: validPetition }, { weight: 2, arbitrary: oddPetition });

const caseId = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...[0, 1, 2, 3].map((i) => () => cases[i]?.caseId ?? '')) },
  { weight: 2, arbitrary: text.map((s) => () => s) },
  { weight: 1, arbitrary: fc.constant(() => '00000000-0000-4000-8000-000000000000') },
);
const credentials = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.nat(3).map((i) => () => ({ caseNumber: cases[i]?.caseNumber, queryCode: cases[i]?.queryCode })),
  },
  {
    weight: 3,
    arbitrary: fc.tuple(fc.nat(3), fc.option(text), fc.option(text)).map(([i, n, q]) => () => ({
      caseNumber: n ?? cases[i]?.caseNumber,
      queryCode: q ?? 'AAAA-BBBB',
    })),
  },
  { weight: 1, arbitrary: fc.constant(() => undefined) },
);
const options = fc.option(
  fc.record({ idempotencyKey: text, expectedCaseVersion: fc.option(uint64, { nil: undefined }) }, { requiredKeys: [] }),
  { nil: undefined },
);

/** A request object for `rpc` (its fields read when sent: the real cases exist only once beforeAll ran). */
function message(rpc: Rpc): fc.Arbitrary<() => unknown> {
  if (!rpc.spec) {
    return fc
      .record(
        {
          petition: fc.option(petition, { nil: undefined, freq: 8 }),
          petitioner: fc.option(person, { nil: undefined, freq: 5 }),
          representatives: fc.oneof(
            { weight: 3, arbitrary: fc.constant([]) },
            { weight: 1, arbitrary: fc.array(person, { maxLength: 7 }) },
          ),
          options,
        },
        { requiredKeys: ['petition', 'petitioner'] },
      )
      .map((m) => () => m);
  }
  return fc
    .record(
      {
        caseId,
        credentials,
        options,
        command: fc.option(command(rpc.spec), { nil: undefined, freq: 8 }),
        junk: fc.option(fc.anything({ maxDepth: 2 }), { nil: undefined }),
      },
      { requiredKeys: ['caseId', 'credentials', 'command'] },
    )
    .map(({ caseId: id, credentials: creds, junk, ...rest }) => () => ({
      ...rest,
      caseId: id(),
      credentials: creds(),
      ...(junk === undefined ? {} : { junk }),
    }));
}

// ---- byte mutations ----------------------------------------------------------------------------------

const mutation = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  // A field of any number and wire type, e.g. a 10-byte varint where a uint64 or a Timestamp's seconds go.
  fc.record({
    op: fc.constant('field' as const),
    at: fc.nat(),
    field: fc.integer({ min: 1, max: 40 }),
    wire: fc.integer({ min: 0, max: 7 }),
    payload: fc.oneof(
      fc.uint8Array({ maxLength: 12 }),
      fc.constant(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])),
      fc.constant(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80])),
    ),
  }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

/** Where each RPC's Timestamp lives: [the request's field holding the command or petition, its time field]. */
const timeFields: Record<string, readonly [number, number]> = {
  registerPetition: [1, 14], // petition.received_time
  assignCase: [3, 2], // command.report_due_time
  replyCase: [3, 3], // command.delivery_time
  decideReview: [3, 3],
  decideReReview: [3, 3],
  issueSupervision: [3, 3], // command.report_due_time
};
const { lengthDelimited } = protoWire;
/**
 * A Timestamp no Date can hold (seconds up to ±2^63, nanos out of range), appended as another occurrence of
 * the time field inside the command or petition: protobuf merges it into the message the request carries.
 */
function withTime(bytes: Buffer, [outer, inner]: readonly [number, number], seconds: bigint, nanos: number) {
  return Buffer.concat([bytes, lengthDelimited(outer, lengthDelimited(inner, protoWire.timestamp(seconds, nanos)))]);
}
const farTime = fc.record({
  seconds: fc.oneof(
    fc.constantFrom(
      10n ** 15n, // a Date of year ~31 million: no valid Date
      2n ** 53n + 1n, // beyond a JS number
      -(2n ** 63n),
      2n ** 63n - 1n,
      -62135596801n, // 0000-12-31
      253402300800n, // 10000-01-01
      -2208988801n, // 1899-12-31T23:59:59Z
      1767225600n, // 2026-01-01, with odd nanos
    ),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  ),
  nanos: fc.oneof(fc.constantFrom(0, -1, 999_999_999, 1_000_000_000, 2 ** 31 - 1, -(2 ** 31))),
});

function mutate(bytes: Uint8Array, ops: readonly Mutation[]): Buffer {
  let b = Buffer.from(bytes);
  for (const m of ops) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    switch (m.op) {
      case 'flip':
        if (b.length) b[at % b.length] = (b[at % b.length] ?? 0) ^ (1 << m.bit);
        break;
      case 'set':
        if (b.length) b[at % b.length] = m.byte;
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.n)]);
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'field': {
        const tag = Buffer.from([
          (((m.field << 3) | m.wire) & 0x7f) | (m.field >= 16 ? 0x80 : 0),
          ...(m.field >= 16 ? [m.field >> 4] : []),
        ]);
        b = Buffer.concat([b.subarray(0, at), tag, m.payload, b.subarray(at)]);
        break;
      }
    }
  }
  return b;
}

// ---- the call ----------------------------------------------------------------------------------------

interface Answer {
  readonly code: grpc.status;
  readonly details: string;
  readonly problem?: Buffer;
  readonly response?: Buffer;
}

function send(rpc: Rpc, bytes: Buffer, authorization: string | undefined) {
  const metadata = new grpc.Metadata();
  if (authorization !== undefined) metadata.set('authorization', authorization);
  return new Promise<Answer>((resolve) =>
    client.makeUnaryRequest(
      rpc.path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      metadata,
      { deadline: Date.now() + 10_000 },
      (error: grpc.ServiceError | null, response?: Buffer) =>
        resolve(
          error
            ? {
                code: error.code,
                details: error.details,
                problem: error.metadata?.get('problem-bin')[0] as Buffer | undefined,
              }
            : { code: grpc.status.OK, details: '', response },
        ),
    ),
  );
}

// Registration is one RPC of 27 but has the largest message: it gets a fifth of the calls.
const anyRpc = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...rpcs.filter((r) => !r.spec)) },
  { weight: 20, arbitrary: fc.constantFrom(...rpcs.filter((r) => r.spec)) },
);
const fuzzCall = anyRpc.chain((rpc) =>
  fc.record({
    rpc: fc.constant(rpc),
    message: message(rpc),
    mutations: fc.oneof(
      { weight: 3, arbitrary: fc.constant([] as Mutation[]) },
      { weight: 2, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 4 }) },
    ),
    time: fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: farTime }),
    random: fc.oneof(
      { weight: 9, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
    ),
    token: fuzzAuthorization,
  }),
);

const forbidden = new Set([
  grpc.status.INTERNAL,
  grpc.status.UNKNOWN,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.UNAVAILABLE,
  grpc.status.CANCELLED,
  grpc.status.UNIMPLEMENTED,
]);

describe('IntakeService under fuzzing', () => {
  it('covers every RPC of the service', () => {
    expect(rpcs.length).toBe(28);
    for (const rpc of rpcs) {
      expect(rpc.request, rpc.name).toBeDefined();
      expect(rpc.name === 'registerPetition' || rpc.spec !== undefined, rpc.name).toBe(true);
    }
  });

  it('never answers INTERNAL, UNKNOWN or late, refuses with a problem, and publishes exactly one command per OK', async () => {
    const ok = new Set<string>();
    const statuses = new Map<string, number>();
    const perRpc = new Map<string, number>();
    const outcomes = new Map<string, number>();
    const failures: string[] = [];
    let unsendable = 0;
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(fc.array(fuzzCall, { minLength: 8, maxLength: 8 }), async (batch) => {
        await Promise.all(
          batch.map(async ({ rpc, message: m, mutations, time, random, token: auth }) => {
            let bytes: Buffer;
            try {
              const field = timeFields[rpc.name];
              const encoded = Buffer.from(rpc.request.encode(rpc.request.fromPartial(m())).finish());
              const timed = time && field ? withTime(encoded, field, time.seconds, time.nanos) : encoded;
              bytes = random !== undefined ? Buffer.from(random) : mutate(timed, mutations);
            } catch {
              unsendable++; // the client's own encoder refused the value: nothing went out
              return;
            }
            const answer = await send(rpc, bytes, auth());
            const name = grpc.status[answer.code] ?? String(answer.code);
            statuses.set(name, (statuses.get(name) ?? 0) + 1);
            perRpc.set(rpc.name, (perRpc.get(rpc.name) ?? 0) + 1);
            const what = `${rpc.name} ${name} ${answer.details.slice(0, 200)} (${bytes.length} bytes: ${bytes.subarray(0, 60).toString('hex')})`;
            if (forbidden.has(answer.code)) failures.push(what);
            if (answer.code === grpc.status.OK) {
              const outcome = rpc.decodeResponse(answer.response ?? Buffer.alloc(0)).outcome;
              const commandId = outcome?.commandId;
              const how = `OK ${(outcome?.outcome as { $case?: string } | undefined)?.$case}`;
              outcomes.set(how, (outcomes.get(how) ?? 0) + 1);
              if (!commandId) failures.push(`OK without a command id: ${what}`);
              else ok.add(commandId);
              return;
            }
            // grpc-js's own refusal of an oversized message is the one answer without intake's problem.
            if (!answer.problem) {
              if (!(answer.code === grpc.status.RESOURCE_EXHAUSTED && /larger than/i.test(answer.details)))
                failures.push(`no problem-bin: ${what}`);
              return;
            }
            try {
              const p = JSON.parse(answer.problem.toString('utf8')) as { code?: unknown };
              if (typeof p.code !== 'string' || !p.code) failures.push(`problem without a code: ${what}`);
            } catch {
              failures.push(`problem-bin not JSON: ${what}`);
            }
          }),
        );
        expect(failures).toEqual([]);
      }),
      { numRuns: 70, endOnFailure: true },
    );
    const calls = [...statuses.values()].reduce((a, b) => a + b, 0);
    console.info(
      `gRPC fuzz: ${calls} calls (${unsendable} not encodable by the client) in ${Date.now() - started} ms;`,
      Object.fromEntries(statuses),
      Object.fromEntries(outcomes),
    );
    // Every RPC was called, and both sides were exercised.
    expect(perRpc.size).toBe(rpcs.length);
    expect(ok.size).toBeGreaterThan(10);
    expect(calls - ok.size).toBeGreaterThan(100);
    const published = () => log.asked.map((c) => c.meta?.commandId ?? '').filter((id) => !before.has(id));
    await waitFor('every OK answer’s command on the topic', () => published().length >= ok.size, 30_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(published().length).toBe(ok.size);
    expect(new Set(published())).toEqual(ok);
  });
});

describe('a problem of ours over gRPC', () => {
  it('answers UNAVAILABLE with the problem, not INTERNAL, when the staff keys cannot be fetched (503)', async () => {
    const down = await startTestIntake('intake-fuzz-grpc-keys', { STAFF_JWKS: 'https://127.0.0.1:1/jwks.json' });
    const other = new grpc.Client(down.intake.grpcAddress, grpc.credentials.createInsecure());
    try {
      const bytes = Buffer.from(
        contract.AcceptCaseRequest.encode(contract.AcceptCaseRequest.fromPartial({ caseId: 'x' })).finish(),
      );
      const metadata = new grpc.Metadata();
      metadata.set('authorization', `Bearer ${testToken('330106-xfj')}`);
      const error = await new Promise<grpc.ServiceError | null>((resolve) =>
        other.makeUnaryRequest(
          IntakeServiceService.acceptCase.path,
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          metadata,
          { deadline: Date.now() + 10_000 },
          (e: grpc.ServiceError | null) => resolve(e),
        ),
      );
      expect(error?.code).toBe(grpc.status.UNAVAILABLE);
      const problem = JSON.parse(String(error?.metadata.get('problem-bin')[0])) as { code: string; retryable: boolean };
      expect(problem).toMatchObject({ code: 'KEYS_UNAVAILABLE', retryable: true });
    } finally {
      other.close();
      await down.intake.close();
      await down.bus.deleteOwnTopics();
      await down.bus.close();
    }
  });
});
