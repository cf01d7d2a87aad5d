import { randomUUID } from 'node:crypto';
import {
  AuthError,
  type CaseNumberSource,
  federatedQueryCodeLength,
  newQueryCode,
  permits,
  publicQueryCodeVerifier,
  queryCodeLength,
  queryCodeMatches,
  queryCodeVerifier,
  type StaffClaims,
  type StaffPermission,
  type StaffTokenVerifier,
} from '@petition/auth';
import { batchingPublisher, caseCommands, type Publisher, RecordTooLargeError } from '@petition/bus';
import type { CaseCommand, CaseEvent, CaseState, CommandMeta, TraceContext } from '@petition/contract';
import type { Directory } from '@petition/directory';
import type { Logger } from '@petition/logging';
import { type Keyring, sealPerson, sealText } from '@petition/seal';
import type { ActionSpec } from './actions.ts';
import type { CaseIndex } from './case-index.ts';
import type { GuessLimiter, RegistrationLimiter } from './guesses.ts';
import type { Outcomes } from './outcomes.ts';
import { checkPetition, type PetitionBody, personIdOf, toPerson, toPetition } from './petition-request.ts';
import { invalidRequest, ProblemError, problem } from './problems.ts';
import { followUpRepeats } from './repeat-follow-up.ts';
import { type FoundRepeat, type RepeatAction, registrationOf, repeatAction } from './repeats.ts';

// The one path every request takes, HTTP or gRPC: identify the caller, check what can be checked here,
// publish one command (acks=all), and report routing's answer if it comes in time. Nothing is published
// before every check has passed.

export interface CoreDeps {
  readonly directory: Directory;
  readonly publisher: () => Promise<Publisher>;
  readonly index: CaseIndex;
  readonly outcomes: Outcomes;
  readonly guesses: GuessLimiter;
  readonly registrations: RegistrationLimiter;
  /** The node's secret under which query codes are verified (never leaves intake and tracking). */
  readonly queryCodeSecret: string;
  /**
   * In a federation a case is followed at other nodes, which do not hold this node's secret: its query code
   * is then the longer kind whose verifier needs none (packages/auth query-code.ts).
   */
  readonly federated?: boolean;
  /** The largest command the broker takes (its record size, less room for the batch around it). */
  readonly maxCommandBytes: number;
  readonly caseNumbers: CaseNumberSource;
  /** Verifies staff tokens with the trusted nodes' public keys (intake holds no key that could sign one). */
  readonly staffTokens: StaffTokenVerifier;
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
  /** The same person's earlier cases found similar (art 19), and what intake asked routing to do with them. */
  readonly repeats: RepeatAction;
}

export type Caller =
  /** A unit's staff member whose token the transport has verified (with `unitOf`). */
  | { readonly kind: 'unit'; readonly unit: StaffClaims }
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
  error.retryable
    ? problem(503, error.code, 'The keys to check staff tokens cannot be had now; retry', {
        detail: error.message,
        retryable: true,
      })
    : problem(401, error.code, 'The staff token is missing or not valid', { detail: error.message });

/** Refuses a staff member whose roles do not permit `permission` (before anything is published). */
export function requireRole(claims: StaffClaims, permission: StaffPermission, what: string) {
  if (permits(claims.roles, permission)) return;
  throw new ProblemError(
    problem(403, 'ROLE_REQUIRED', `Your roles do not permit ${what}`, {
      detail: `${what} needs the ${permission} permission; the token carries ${claims.roles.join(', ')}`,
    }),
  );
}

export function createCore(deps: CoreDeps) {
  const commands = batchingPublisher(deps.publisher, caseCommands, { maxBatchBytes: deps.maxCommandBytes });
  async function publish(command: CaseCommand) {
    try {
      await commands.publish(command);
    } catch (error) {
      // Refused to its caller alone, before it is queued: a record over the broker's size would fail the
      // whole batch it travels in, and everyone else's command with it.
      if (!(error instanceof RecordTooLargeError)) throw error;
      throw new ProblemError(
        problem(413, 'COMMAND_TOO_LARGE', 'The request makes a command larger than the broker takes', {
          detail: error.message,
        }),
      );
    }
    deps.onPublished?.(command.command?.$case ?? 'unknown');
  }

  async function unitOf(token: string | undefined): Promise<StaffClaims> {
    try {
      return await deps.staffTokens.verify(token);
    } catch (error) {
      if (error instanceof AuthError) throw new ProblemError(authProblem(error));
      throw error;
    }
  }

  /** The ids a registration will use, chosen before anything is published (idempotency.ts keeps them). */
  function planRegistration(regionCode: string): RegistrationPlan {
    return {
      commandId: randomUUID(),
      caseId: randomUUID(),
      caseNumber: deps.caseNumbers.next(regionCode, deps.now()),
      queryCode: newQueryCode(deps.federated ? federatedQueryCodeLength : queryCodeLength),
    };
  }

  async function register(
    body: PetitionBody,
    meta: { correlationId?: string; unit?: StaffClaims; trace?: TraceContext; client?: string },
    plan: RegistrationPlan = planRegistration(body.regionCode),
  ) {
    const now = deps.now();
    // A unit entering a letter or visit registers it for itself; other channels come without a token, and
    // without a token nobody names the registering unit or dates a petition back: a forged case would land
    // in any unit's inbox, already overdue and counted against its KPIs.
    const unit = meta.unit;
    if (!unit) {
      const unitOnly = [
        body.registeringUnitId !== undefined && {
          field: '/registeringUnitId',
          message: 'is set by a registrar’s token',
        },
        body.receivedTime !== undefined && {
          field: '/receivedTime',
          message: 'only a registrar dates a petition back',
        },
      ].filter((e) => e !== false);
      if (unitOnly.length > 0) {
        throw new ProblemError(
          problem(401, 'REGISTRAR_TOKEN_REQUIRED', 'Only a unit’s registrar may do this', {
            detail: unitOnly.map((e) => `${e.field}: ${e.message}`).join('; '),
            errors: unitOnly,
          }),
        );
      }
    }
    if (unit) {
      requireRole(unit, 'register', 'registering a petition');
      if (body.receivedTime !== undefined) requireRole(unit, 'backdate', 'dating a petition back');
    }
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
    // Counted only once the body is good: a client is limited by what it files, not by its typing errors.
    const phones = [body.petitioner, ...(body.representatives ?? [])].flatMap((p) => (p?.phone ? [p.phone] : []));
    const { caseId, caseNumber, queryCode, commandId } = plan;
    // The same person's earlier cases are looked up while the limits are taken: two round trips at once.
    const lookedUp = body.petitioner
      ? registrationOf(
          caseId,
          {
            caseNumber,
            title: body.title,
            content: body.content,
            receivedTime: undefined,
            petitioner: { personId: personIdOf(deps.personIdSecret, body.petitioner) },
          },
          now,
        )
      : undefined;
    const [, repeats] = await Promise.all([
      deps.registrations.take({ client: unit ? undefined : (meta.client ?? 'unknown'), phones }),
      lookedUp ? findRepeats(lookedUp) : ({ kind: 'none' } as const),
    ]);
    const petition = toPetition(
      { ...body, registeringUnitId: body.registeringUnitId ?? unit?.unitId },
      {
        caseNumber,
        queryCodeHash: deps.federated
          ? publicQueryCodeVerifier(caseNumber, queryCode)
          : queryCodeVerifier(deps.queryCodeSecret, caseNumber, queryCode),
      },
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
    // The signature computed once: what was looked up is what is remembered, dated as the petition is.
    const repeatRegistration = lookedUp && {
      ...lookedUp,
      entry: { ...lookedUp.entry, registeredAt: petition.receivedTime ?? now },
    };
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
    await followUpRepeats(
      {
        sendAsIntake: (command) => {
          const followUpId = randomUUID();
          return publish({
            meta: commandMeta({
              commandId: followUpId,
              caseId,
              issueTime: deps.now(),
              correlationId: meta.correlationId ?? commandId,
              trace: meta.trace,
              actor: { $case: 'system', value: { service: 'intake', triggerEventId: '' } },
            }),
            command,
          }).then(() => followUpId);
        },
        outcomes: deps.outcomes,
        repeats: deps.index.repeats,
        logger: deps.logger,
      },
      { caseId, commandId },
      repeats,
      repeatRegistration,
    );
    deps.logger.info(
      { caseId, caseNumber, commandId, region: body.regionCode, repeats: repeats.kind },
      'petition registered',
    );
    return { caseId, caseNumber, queryCode, commandId, repeats } satisfies Registered;
  }

  /** The same person's earlier cases found similar, with their states from the case index, and what follows. */
  async function findRepeats(registration: NonNullable<ReturnType<typeof registrationOf>>): Promise<RepeatAction> {
    const matches = await deps.index.repeats.find(registration);
    const found: FoundRepeat[] = await Promise.all(
      matches.map(async (m) => ({ ...m, state: (await deps.index.byId(m.caseId))?.state as CaseState | undefined })),
    );
    return repeatAction(found);
  }

  /** The petitioner's case, once the case number and query code are checked (guessing limited per client). */
  async function petitionerCase(caseNumber: string, queryCode: string, client: string) {
    // Looked up while the guesses are counted (one round trip), and used only once the client may guess.
    const [, known] = await Promise.all([
      deps.guesses.check(client),
      caseNumber ? deps.index.byNumber(caseNumber) : undefined,
    ]);
    // One answer for an unknown number and a wrong code: nothing to learn from guessing.
    if (!known || !queryCode || !queryCodeMatches(deps.queryCodeSecret, caseNumber, queryCode, known.queryCodeHash)) {
      await deps.guesses.failed(client);
      throw new ProblemError(problem(401, 'BAD_CREDENTIALS', 'The case number or the query code is wrong'));
    }
    return known;
  }

  /**
   * Whether the caller sent the command this event answers: the unit that acted, or the petitioner of the
   * case (a registration made without a token is answered to whoever holds its number and query code).
   */
  async function sentBy(caller: Caller, event: CaseEvent): Promise<boolean> {
    if (caller.kind === 'unit') return event.envelope?.actingUnitId === caller.unit.unitId;
    const known = await petitionerCase(caller.caseNumber, caller.queryCode, caller.client);
    return known.caseId === event.envelope?.caseId && !event.envelope?.actingUnitId;
  }

  async function identify(
    spec: ActionSpec,
    req: ActionRequest,
  ): Promise<{ actor: CommandMeta['actor']; caseId: string }> {
    if (req.caller.kind === 'petitioner') {
      if (spec.who !== 'petitioner')
        throw new ProblemError(problem(403, 'ACTOR_NOT_ALLOWED', 'Only a unit may do this'));
      const { caseNumber, queryCode, client } = req.caller;
      const known = await petitionerCase(caseNumber, queryCode, client);
      return { actor: { $case: 'petitioner', value: { caseNumber, personId: '' } }, caseId: known.caseId };
    }
    if (spec.who !== 'unit')
      throw new ProblemError(problem(403, 'ACTOR_NOT_ALLOWED', 'Only the petitioner may do this'));
    const unit = req.caller.unit;
    requireRole(unit, spec.permission, spec.path);
    const caseId = req.caseId ?? '';
    // Who holds the case is routing's to decide: intake's index follows case-events and may not have seen
    // the step that just gave this unit the case, so an early refusal here would contradict routing.
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

  return { planRegistration, register, act, unitOf, petitionerCase, sentBy };
}

export type Core = ReturnType<typeof createCore>;
