import { randomUUID } from 'node:crypto';
import {
  type AuthError,
  type CaseNumberSource,
  newQueryCode,
  queryCodeHash,
  queryCodeMatches,
  type TokenKeys,
  type UnitClaims,
  verifyUnitToken,
} from '@petition/auth';
import { batchingPublisher, caseCommands, type Publisher } from '@petition/bus';
import type { CaseCommand, CaseEvent, CommandMeta, TraceContext } from '@petition/contract';
import type { Directory } from '@petition/directory';
import type { Logger } from '@petition/logging';
import { type Keyring, sealPerson, sealText } from '@petition/seal';
import type { ActionSpec } from './actions.ts';
import type { CaseIndex } from './case-index.ts';
import type { GuessLimiter } from './guesses.ts';
import type { Outcomes } from './outcomes.ts';
import { checkPetition, type PetitionBody, personIdOf, toPerson, toPetition } from './petition-request.ts';
import { invalidRequest, ProblemError, problem } from './problems.ts';

// The one path every request takes, HTTP or gRPC: identify the caller, check what can be checked here,
// publish one command (acks=all), and report routing's answer if it comes in time. Nothing is published
// before every check has passed.

export interface CoreDeps {
  readonly directory: Directory;
  readonly publisher: () => Promise<Publisher>;
  readonly index: CaseIndex;
  readonly outcomes: Outcomes;
  readonly guesses: GuessLimiter;
  readonly caseNumbers: CaseNumberSource;
  readonly tokenKeys: TokenKeys;
  readonly sealKeys: Keyring;
  readonly personIdSecret: string;
  readonly receivedMaxAgeMs: number;
  readonly outcomeWaitMs: number;
  readonly maxRepresentatives: number;
  readonly now: () => Date;
  readonly logger: Logger;
  readonly onPublished?: (kind: string) => void;
}

export interface Registered {
  readonly caseId: string;
  readonly caseNumber: string;
  readonly queryCode: string;
  readonly commandId: string;
}

export type Caller =
  /** A unit whose token the transport has verified (with `unitOf`). */
  | { readonly kind: 'unit'; readonly unit: UnitClaims }
  | { readonly kind: 'petitioner'; readonly caseNumber: string; readonly queryCode: string; readonly client: string };

export interface ActionRequest {
  readonly caseId?: string;
  readonly caller: Caller;
  readonly command: NonNullable<CaseCommand['command']>;
  readonly expectedCaseVersion?: number;
  readonly idempotencyKey?: string;
  readonly correlationId?: string;
  readonly trace?: TraceContext;
  /** How long this caller can wait for the answer (a gRPC deadline); the configured wait when shorter. */
  readonly waitMs?: number;
  /** The command id chosen beforehand (an Idempotency-Key's plan), else a new one. */
  readonly commandId?: string;
}

/** The ids a registration uses, chosen before it is published. */
export interface RegistrationPlan {
  readonly commandId: string;
  readonly caseId: string;
  readonly caseNumber: string;
  readonly queryCode: string;
}

export type ActionResult =
  | { readonly kind: 'event'; readonly commandId: string; readonly event: CaseEvent }
  | { readonly kind: 'refused'; readonly commandId: string; readonly event: CaseEvent }
  | { readonly kind: 'pending'; readonly commandId: string };

const commandMeta = (m: Partial<CommandMeta> & Pick<CommandMeta, 'commandId' | 'caseId' | 'actor'>): CommandMeta => ({
  issueTime: undefined,
  correlationId: '',
  trace: undefined,
  idempotencyKey: '',
  ...m,
});

const authProblem = (error: AuthError) =>
  problem(401, error.code, 'The unit token is missing or not valid', { detail: error.message });

export function createCore(deps: CoreDeps) {
  const commands = batchingPublisher(deps.publisher, caseCommands);
  async function publish(command: CaseCommand) {
    await commands.publish(command);
    deps.onPublished?.(command.command?.$case ?? 'unknown');
  }

  function unitOf(token: string | undefined) {
    try {
      return verifyUnitToken(deps.tokenKeys, token, deps.now());
    } catch (error) {
      throw new ProblemError(authProblem(error as AuthError));
    }
  }

  /** The ids a registration will use, chosen before anything is published (idempotency.ts keeps them). */
  function planRegistration(regionCode: string): RegistrationPlan {
    return {
      commandId: randomUUID(),
      caseId: randomUUID(),
      caseNumber: deps.caseNumbers.next(regionCode, deps.now()),
      queryCode: newQueryCode(),
    };
  }

  async function register(
    body: PetitionBody,
    meta: { correlationId?: string; unit?: UnitClaims; trace?: TraceContext },
    plan: RegistrationPlan = planRegistration(body.regionCode),
  ) {
    const now = deps.now();
    // A unit entering a letter or visit registers it for itself; other channels come without a token.
    const unit = meta.unit;
    if (unit && body.registeringUnitId && body.registeringUnitId !== unit.unitId) {
      throw new ProblemError(
        problem(403, 'ACTOR_NOT_ALLOWED', 'A unit registers petitions for itself only', {
          errors: [{ field: '/registeringUnitId', message: `the token names ${unit.unitId}` }],
        }),
      );
    }
    const problems = checkPetition(body, {
      directory: deps.directory,
      now,
      receivedMaxAgeMs: deps.receivedMaxAgeMs,
      maxRepresentatives: deps.maxRepresentatives,
    });
    if (problems.length > 0) throw new ProblemError(invalidRequest(problems));
    const { caseId, caseNumber, queryCode, commandId } = plan;
    const petition = toPetition(
      { ...body, registeringUnitId: body.registeringUnitId ?? unit?.unitId },
      { caseNumber, queryCodeHash: queryCodeHash(caseNumber, queryCode) },
    );
    const sealed = (p: NonNullable<PetitionBody['petitioner']>, purpose: string) => ({
      personId: personIdOf(deps.personIdSecret, p),
      sealed: sealPerson(deps.sealKeys, toPerson(p), caseId, purpose),
    });
    if (body.petitioner) {
      petition.petitioner = sealed(body.petitioner, 'petitioner');
      petition.queryCodeSealed = sealText(deps.sealKeys, queryCode, caseId, 'query-code');
    }
    petition.representatives = (body.representatives ?? []).map((r) => sealed(r, 'representative'));
    await publish({
      meta: commandMeta({
        commandId,
        caseId,
        issueTime: now,
        correlationId: meta.correlationId ?? commandId,
        trace: meta.trace,
        actor: unit
          ? { $case: 'unit', value: { unitId: unit.unitId, staffId: unit.staffId } }
          : { $case: 'system', value: { service: 'intake', triggerEventId: '' } },
      }),
      command: { $case: 'registerPetition', value: { petition } },
    });
    deps.logger.info({ caseId, caseNumber, commandId, region: body.regionCode }, 'petition registered');
    return { caseId, caseNumber, queryCode, commandId } satisfies Registered;
  }

  async function identify(
    spec: ActionSpec,
    req: ActionRequest,
  ): Promise<{ actor: CommandMeta['actor']; caseId: string }> {
    if (req.caller.kind === 'petitioner') {
      if (spec.who !== 'petitioner')
        throw new ProblemError(problem(403, 'ACTOR_NOT_ALLOWED', 'Only a unit may do this'));
      const { caseNumber, queryCode, client } = req.caller;
      await deps.guesses.check(client);
      const known = caseNumber ? await deps.index.byNumber(caseNumber) : undefined;
      // One answer for an unknown number and a wrong code: nothing to learn from guessing.
      if (!known || !queryCode || !queryCodeMatches(caseNumber, queryCode, known.queryCodeHash)) {
        await deps.guesses.failed(client);
        throw new ProblemError(problem(401, 'BAD_CREDENTIALS', 'The case number or the query code is wrong'));
      }
      return { actor: { $case: 'petitioner', value: { caseNumber, personId: '' } }, caseId: known.caseId };
    }
    if (spec.who !== 'unit')
      throw new ProblemError(problem(403, 'ACTOR_NOT_ALLOWED', 'Only the petitioner may do this'));
    const unit = req.caller.unit;
    const caseId = req.caseId ?? '';
    if (spec.custodianOnly) {
      const known = await deps.index.byId(caseId);
      if (known && known.custodyUnitId !== unit.unitId) {
        throw new ProblemError(
          problem(403, 'NOT_IN_CUSTODY', 'The case is not in the custody of your unit', {
            detail: `the case is with ${known.custodyUnitId}`,
          }),
        );
      }
    }
    return { actor: { $case: 'unit', value: { unitId: unit.unitId, staffId: unit.staffId } }, caseId };
  }

  async function act(spec: ActionSpec, req: ActionRequest): Promise<ActionResult> {
    const { actor, caseId } = await identify(spec, req);
    if (!caseId) throw new ProblemError(invalidRequest([{ field: 'caseId', message: 'is required' }]));
    const commandId = req.commandId ?? randomUUID();
    await publish({
      meta: commandMeta({
        commandId,
        caseId,
        issueTime: deps.now(),
        correlationId: req.correlationId ?? commandId,
        trace: req.trace,
        idempotencyKey: req.idempotencyKey ?? '',
        expectedCaseVersion: req.expectedCaseVersion,
        actor,
      }),
      command: req.command,
    });
    const waitMs = Math.min(deps.outcomeWaitMs, req.waitMs ?? deps.outcomeWaitMs);
    const event = await deps.outcomes.wait(commandId, waitMs);
    if (!event) return { kind: 'pending', commandId };
    return { kind: event.payload?.$case === 'commandRefused' ? 'refused' : 'event', commandId, event };
  }

  return { planRegistration, register, act, unitOf };
}

export type Core = ReturnType<typeof createCore>;
