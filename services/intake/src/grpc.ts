import * as grpc from '@grpc/grpc-js';
import {
  ActionOutcome,
  type CaseCommand,
  Category,
  Channel,
  IntakeServiceService,
  type Person,
  type Petition,
  PetitionKind,
} from '@petition/contract';
import type { Logger } from '@petition/logging';
import { activeTraceHeaders, contextOf, SpanKind, startSpan, tracingEnabled, withinSpan } from '@petition/telemetry';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { type ActionSpec, actionByCommand, commandOf } from './actions.ts';
import type { Core } from './core.ts';
import { type PetitionBody, petitionBodySchema } from './petition-request.ts';
import { invalidRequest, type Problem, ProblemError, problem, schemaFindings } from './problems.ts';
import { refusalForCaller } from './render.ts';
import type { FoundRepeat, RepeatAction } from './repeats.ts';
import { decodedDateProblems } from './times.ts';
import { categoryNames, channelNames, kindNames } from './vocabulary.ts';

// IntakeService for provincial nodes and other systems: the same operations as HTTP through the same
// core, the same JSON schemas applied to the messages' proto3 JSON, deadlines honoured, and every
// problem as a status with the problem document in the `problem-bin` trailer.

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats.default(ajv);
const checkPetitionBody = ajv.compile(petitionBodySchema);
const checkAction = new Map<ActionSpec, ReturnType<typeof ajv.compile>>();

const statusOf = (httpStatus: number): grpc.status =>
  ({
    400: grpc.status.INVALID_ARGUMENT,
    401: grpc.status.UNAUTHENTICATED,
    403: grpc.status.PERMISSION_DENIED,
    404: grpc.status.NOT_FOUND,
    409: grpc.status.ABORTED,
    413: grpc.status.RESOURCE_EXHAUSTED,
    415: grpc.status.INVALID_ARGUMENT,
    429: grpc.status.RESOURCE_EXHAUSTED,
    422: grpc.status.INVALID_ARGUMENT,
    // Retryable (the staff keys cannot be fetched now): not INTERNAL, which a client does not retry.
    503: grpc.status.UNAVAILABLE,
  })[httpStatus] ?? (httpStatus < 500 ? grpc.status.FAILED_PRECONDITION : grpc.status.INTERNAL);

function serviceError(p: Problem): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  metadata.set('problem-bin', Buffer.from(JSON.stringify(p)));
  return { code: statusOf(p.status), details: `${p.code}: ${p.detail ?? p.title}`, metadata };
}

function schemaProblems(validate: ReturnType<typeof ajv.compile>, json: unknown) {
  if (validate(json)) return;
  throw new ProblemError(invalidRequest(schemaFindings(validate.errors ?? [])));
}

const nameOf = <V>(names: Readonly<Record<string, V>>, value: V) =>
  Object.entries(names).find(([, v]) => v === value)?.[0] ?? '';
const optional = (s: string) => (s ? s : undefined);
const personBody = (p: Person) => ({
  name: p.name,
  idNumber: optional(p.idNumber),
  phone: optional(p.phone),
  address: optional(p.address),
  email: optional(p.email),
});

/** The proto petition as the JSON body HTTP takes, so both are checked by the same rules. */
function petitionBody(
  petition: Petition | undefined,
  petitioner: Person | undefined,
  representatives: Person[],
): PetitionBody {
  const p = petition ?? ({} as Petition);
  const body: Record<string, unknown> = {
    channel: nameOf(channelNames, p.channel ?? Channel.CHANNEL_UNSPECIFIED),
    regionCode: p.regionCode ?? '',
    category: nameOf(categoryNames, p.category ?? Category.CATEGORY_UNSPECIFIED),
    kind: nameOf(kindNames, p.kind ?? PetitionKind.PETITION_KIND_UNSPECIFIED),
    title: p.title ?? '',
    content: p.content ?? '',
    petitioner: petitioner ? personBody(petitioner) : undefined,
    anonymous: p.anonymous || undefined,
    accusedUnitId: optional(p.accusedUnitId ?? ''),
    concernedUnitId: optional(p.concernedUnitId ?? ''),
    groupSize: p.groupSize || undefined,
    representatives: representatives.length > 0 ? representatives.map(personBody) : undefined,
    registeringUnitId: optional(p.registeringUnitId ?? ''),
    receivedTime: p.receivedTime?.toISOString(),
    externalRef: optional(p.externalRef ?? ''),
  };
  for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
  return body as unknown as PetitionBody;
}

const bearer = (metadata: grpc.Metadata) => {
  const v = metadata.get('authorization')[0];
  return typeof v === 'string' && v.startsWith('Bearer ') ? v.slice(7).trim() : undefined;
};

const remainingMs = (call: Call) => {
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : Number(deadline);
  // Leave time for the answer to travel back.
  return Number.isFinite(at) && at > 0 ? Math.max(0, at - Date.now() - 100) : undefined;
};

interface AnyRequest {
  caseId?: string;
  options?: { idempotencyKey: string; expectedCaseVersion?: number };
  command?: unknown;
  credentials?: { caseNumber: string; queryCode: string };
  petition?: Petition;
  petitioner?: Person;
  representatives?: Person[];
}
type Call = grpc.ServerUnaryCall<AnyRequest, unknown>;
type Unary = (call: Call, callback: grpc.sendUnaryData<unknown>) => void;

/** The request's own fields (the command and petition bodies have their JSON schemas), as HTTP limits them. */
const envelopeSchema = ajv.compile({
  type: 'object',
  properties: {
    caseId: { type: 'string', maxLength: 64 },
    options: {
      type: 'object',
      properties: {
        idempotencyKey: { type: 'string', maxLength: 200 },
        expectedCaseVersion: { type: 'integer', minimum: 0, maximum: 1e15 },
      },
    },
    credentials: {
      type: 'object',
      properties: { caseNumber: { type: 'string', maxLength: 64 }, queryCode: { type: 'string', maxLength: 32 } },
    },
  },
});

/** What no handler may see: oversized ids and keys, times that do not decode to a usable date. */
function checkEnvelope(request: AnyRequest) {
  const badTimes = decodedDateProblems(request);
  if (badTimes.length > 0) throw new ProblemError(invalidRequest(badTimes));
  const { caseId, options, credentials } = request;
  schemaProblems(envelopeSchema, { caseId, options, credentials });
}

/** A request that does not decode as its type: grpc-js would answer INTERNAL; `unary` answers 400. */
class Undecodable {
  readonly reason: string;
  constructor(reason: string) {
    this.reason = reason;
  }
}
const tolerantService = Object.fromEntries(
  Object.entries(IntakeServiceService).map(([name, d]) => [
    name,
    {
      ...d,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return d.requestDeserialize(bytes);
        } catch (error) {
          return new Undecodable(error instanceof Error ? error.message : String(error));
        }
      },
    },
  ]),
) as unknown as typeof IntakeServiceService;

const metadataText = (metadata: grpc.Metadata, key: string) => {
  const v = metadata.get(key)[0];
  return typeof v === 'string' ? v : undefined;
};

/**
 * Runs a call inside a SERVER span (its parent the caller's `traceparent` metadata) when tracing is on, so
 * that the command it publishes carries the span's trace (`activeTraceHeaders` in the handlers).
 */
function tracedCall(call: Call, answered: () => Promise<{ code: number }>): void {
  if (!tracingEnabled()) {
    void answered();
    return;
  }
  const parent = contextOf(metadataText(call.metadata, 'traceparent'), metadataText(call.metadata, 'tracestate'));
  const path = call.getPath();
  const span = startSpan('intake', path.replace(/^\//, ''), {
    kind: SpanKind.SERVER,
    parent,
    attributes: { 'rpc.system': 'grpc', 'rpc.method': path },
  });
  void withinSpan(span, parent, async () => {
    const { code } = await answered();
    span.setAttribute('rpc.grpc.status_code', code);
  });
}

function unary(logger: Logger, work: (call: Call) => Promise<unknown>): Unary {
  return (call, callback) =>
    tracedCall(call, () =>
      // Through a promise, so that a problem thrown before the first await is answered like any other.
      Promise.resolve(call)
        .then((c) => {
          if (c.request instanceof Undecodable)
            throw new ProblemError(
              problem(400, 'MALFORMED_MESSAGE', 'The message does not decode as its protobuf type', {
                detail: c.request.reason,
              }),
            );
          checkEnvelope(c.request);
          return work(c);
        })
        .then(
          (response) => {
            callback(null, response);
            return { code: grpc.status.OK };
          },
          (error: unknown) => {
            const failed =
              error instanceof ProblemError
                ? serviceError(error.problem)
                : serviceError(problem(500, 'INTERNAL', 'Something went wrong on our side'));
            if (!(error instanceof ProblemError)) logger.error({ err: error }, 'grpc call failed');
            callback(failed);
            return { code: failed.code ?? grpc.status.UNKNOWN };
          },
        ),
    );
}

const peerOf = (call: Call) => call.getPeer().replace(/:\d+$/, '');

const candidateOf = ({ caseId, caseNumber, score }: FoundRepeat) => ({ caseId, caseNumber, score });
const repeatCandidatesOf = (action: RepeatAction) =>
  action.kind === 'link'
    ? [candidateOf(action.original)]
    : action.kind === 'flag'
      ? action.candidates.map(candidateOf)
      : [];

export async function createGrpc(deps: {
  core: Core;
  logger: Logger;
  port: number;
  host: string;
  /** The largest request taken, as HTTP's body limit: a larger one is refused by grpc-js before decoding. */
  maxMessageBytes: number;
}) {
  const { core, logger } = deps;
  const outcome = async (call: Call, spec: ActionSpec, caller: Parameters<Core['act']>[1]['caller']) => {
    const json =
      spec.codec.fromJSON === undefined
        ? {}
        : (spec.codec as unknown as { toJSON(m: unknown): unknown }).toJSON(call.request.command ?? {});
    let validate = checkAction.get(spec);
    if (!validate) {
      validate = ajv.compile(spec.schema);
      checkAction.set(spec, validate);
    }
    schemaProblems(validate, json);
    const result = await core.act(spec, {
      caseId: call.request.caseId,
      caller,
      command: commandOf(spec, json),
      expectedCaseVersion: call.request.options?.expectedCaseVersion,
      idempotencyKey: optional(call.request.options?.idempotencyKey ?? ''),
      waitMs: remainingMs(call),
      trace: activeTraceHeaders(),
    });
    const o: ActionOutcome =
      result.kind === 'pending'
        ? ActionOutcome.fromPartial({
            commandId: result.commandId,
            outcome: {
              $case: 'pending',
              value: { commandId: result.commandId, followUri: `/v1/commands/${result.commandId}` },
            },
          })
        : result.kind === 'refused' && result.event.payload?.$case === 'commandRefused'
          ? {
              commandId: result.commandId,
              outcome: { $case: 'refused', value: refusalForCaller(result.event.payload.value) },
            }
          : { commandId: result.commandId, outcome: { $case: 'event', value: result.event } };
    return { outcome: o };
  };

  const handlers: Record<string, Unary> = {
    registerPetition: unary(logger, async (call) => {
      const body = petitionBody(call.request.petition, call.request.petitioner, call.request.representatives ?? []);
      schemaProblems(checkPetitionBody, body);
      const token = bearer(call.metadata);
      const unit = token ? await core.unitOf(token) : undefined;
      const r = await core.register(body, { unit, client: peerOf(call), trace: activeTraceHeaders() });
      return {
        caseId: r.caseId,
        caseNumber: r.caseNumber,
        queryCode: r.queryCode,
        outcome: {
          commandId: r.commandId,
          outcome: { $case: 'pending', value: { commandId: r.commandId, followUri: `/v1/commands/${r.commandId}` } },
        },
        // As the HTTP answer lists them (repeats.ts), with the unrounded score.
        repeatCandidates: repeatCandidatesOf(r.repeats),
        linkedAsRepeatOf: r.repeats.kind === 'link' ? candidateOf(r.repeats.original) : undefined,
      };
    }),
  };
  for (const [command, spec] of actionByCommand) {
    const rpc = command as NonNullable<CaseCommand['command']>['$case'];
    handlers[rpc] = unary(logger, async (call) =>
      spec.who === 'unit'
        ? outcome(call, spec, { kind: 'unit', unit: await core.unitOf(bearer(call.metadata)) })
        : outcome(call, spec, {
            kind: 'petitioner',
            caseNumber: call.request.credentials?.caseNumber ?? '',
            queryCode: call.request.credentials?.queryCode ?? '',
            client: peerOf(call),
          }),
    );
  }
  const server = new grpc.Server({
    'grpc.max_receive_message_length': deps.maxMessageBytes,
    'grpc.max_send_message_length': 4 * 1024 * 1024,
  });
  server.addService(tolerantService, handlers as unknown as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${deps.host}:${deps.port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 5_000).unref();
      }),
  };
}
