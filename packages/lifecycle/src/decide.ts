import { type CaseCommand, type CaseEvent, CaseState, type CommandMeta } from '@petition/contract';
import { DirectoryError } from '@petition/directory';
import { CalendarError } from '@petition/legal-calendar';
import { type DecideContext, type Decision, eventIdOf, policyOf, type Step } from './context.ts';
import { evolve } from './evolve.ts';
import { type Refusal, Refused, refusal } from './refusals.ts';
import { type CaseSnapshot, isTerminal } from './snapshot.ts';
import { accept, guide, notAccept } from './steps/acceptance.ts';
import {
  decideReReview,
  decideReview,
  endHearing,
  evaluate,
  requestReReview,
  requestReview,
  startHearing,
} from './steps/appeals.ts';
import { expireWindow, withdraw } from './steps/closing.ts';
import { designateCoUnits, linkAsRepeat, transfer } from './steps/custody.ts';
import { supplementCase, urgeCase } from './steps/follow-up.ts';
import { assign, forward, object } from './steps/forwarding.ts';
import { extend, reply, reportCompletion } from './steps/handling.ts';
import { register } from './steps/register.ts';
import { dismissRepeatCandidate, flagRepeatCandidates } from './steps/repeats.ts';
import { answerSupervision, closeSupervision, issueSupervision, takeCharge } from './steps/supervision.ts';
import { unitMayKnowCase } from './visibility.ts';

// (state, command) → events. One entry point; each step lives in ./steps with its articles. A command is
// either applied — one or more events, each raising case_version by one — or refused with one
// CommandRefused event naming a stable code. Nothing else can come out, whatever the input.

type CommandCase = NonNullable<CaseCommand['command']>['$case'];
type Handler<C extends CommandCase> = (d: Decision<C>, s: CaseSnapshot) => Step[];

const handlers: { [C in Exclude<CommandCase, 'registerPetition'>]: Handler<C> } = {
  forwardCase: forward,
  objectToForward: object,
  assignCase: assign,
  reportCompletion,
  acceptCase: accept,
  notAcceptCase: notAccept,
  guideToLegalChannel: guide,
  designateCoUnits,
  extendDeadline: extend,
  replyCase: reply,
  evaluateCase: evaluate,
  requestReview,
  decideReview,
  requestReReview,
  startHearing,
  endHearing,
  decideReReview,
  withdrawCase: withdraw,
  linkAsRepeat,
  transferCase: transfer,
  expireWindow,
  issueSupervision,
  answerSupervision,
  closeSupervision,
  takeCharge,
  supplementCase,
  urgeCase,
  flagRepeatCandidates,
  dismissRepeatCandidate,
};

/** Commands still meaningful once the case has ended: rating the last opinion, the assignee's report. */
const afterTheEnd: ReadonlySet<CommandCase> = new Set(['evaluateCase', 'reportCompletion']);

export type Outcome =
  | { readonly kind: 'applied'; readonly events: CaseEvent[] }
  | { readonly kind: 'refused'; readonly refusal: Refusal; readonly events: CaseEvent[] };

function steps(snapshot: CaseSnapshot | undefined, command: CaseCommand, ctx: DecideContext): Step[] {
  const meta = command.meta;
  const body = command.command;
  if (!meta?.commandId || !meta.caseId || !body) throw new Refused(refusal('MALFORMED_COMMAND'));
  // A unit that may not know of the case is told what it would be told of no case at all, before any
  // other check could say something about it (its version, its state, its holder).
  const actor = meta.actor;
  if (snapshot && actor?.$case === 'unit' && !unitMayKnowCase(ctx.directory, actor.value.unitId, snapshot)) {
    throw new Refused(refusal('CASE_NOT_FOUND'));
  }
  const expected = meta.expectedCaseVersion;
  if (expected !== undefined && expected !== (snapshot?.version ?? 0)) {
    throw new Refused(
      refusal('CASE_VERSION_CONFLICT', `expected ${expected}, the case is at ${snapshot?.version ?? 0}`),
    );
  }
  if (body.$case === 'registerPetition') {
    if (snapshot) throw new Refused(refusal('CASE_EXISTS', meta.caseId));
    const region = body.value.petition?.regionCode ?? '';
    return register({ ctx, meta, command: body.value, policy: policyOf(ctx, region) });
  }
  if (!snapshot) throw new Refused(refusal('CASE_NOT_FOUND'));
  if (isTerminal(snapshot.state) && !afterTheEnd.has(body.$case)) {
    const final = snapshot.state === CaseState.CASE_STATE_FINAL;
    throw new Refused(refusal(final ? 'CASE_FINAL' : 'CASE_CLOSED'));
  }
  const handler = handlers[body.$case] as Handler<typeof body.$case>;
  return handler({ ctx, meta, command: body.value as never, policy: policyOf(ctx, snapshot.regionCode) }, snapshot);
}

function envelopeOf(meta: CommandMeta | undefined, caseVersion: number, index: number, ctx: DecideContext) {
  const commandId = meta?.commandId ?? '';
  return {
    eventId: eventIdOf(commandId, index),
    caseId: meta?.caseId ?? '',
    caseVersion,
    occurTime: ctx.now,
    actingUnitId: meta?.actor?.$case === 'unit' ? meta.actor.value.unitId : '',
    correlationId: meta?.correlationId || commandId,
    causationId: commandId,
    trace: meta?.trace,
    producer: ctx.producer ?? 'routing',
  };
}

/** A refusal for what the rules or the bad data behind a command threw; anything else is a bug and rethrown. */
function refusalOf(error: unknown): Refusal {
  if (error instanceof Refused) return error.refusal;
  // A date the calendar cannot use (an invalid timestamp in the command) is the caller's bad field.
  if (error instanceof CalendarError) return refusal('INVALID_FIELD', error.message);
  if (error instanceof DirectoryError) return refusal('UNKNOWN_UNIT', error.message);
  throw error;
}

/** Decides one command against the case as it stands. Never throws for a bad command: it refuses. */
export function decide(snapshot: CaseSnapshot | undefined, command: CaseCommand, ctx: DecideContext): Outcome {
  const version = snapshot?.version ?? 0;
  try {
    const events = steps(snapshot, command, ctx).map(
      (s, i): CaseEvent => ({
        envelope: envelopeOf(command.meta, version + i + 1, i, ctx),
        state: s.state,
        custodyUnitId: s.custodyUnitId,
        payload: s.payload,
      }),
    );
    return { kind: 'applied', events };
  } catch (error) {
    const r = refusalOf(error);
    // A refusal is an event of the case; for a case that does not exist it stands at version 0.
    return refused(snapshot, command, ctx, r, snapshot ? version + 1 : 0);
  }
}

function refused(
  snapshot: CaseSnapshot | undefined,
  command: CaseCommand,
  ctx: DecideContext,
  r: Refusal,
  caseVersion: number,
): Outcome {
  const event: CaseEvent = {
    envelope: envelopeOf(command.meta, caseVersion, 0, ctx),
    state: snapshot?.state ?? CaseState.CASE_STATE_UNSPECIFIED,
    custodyUnitId: snapshot?.custodyUnitId ?? '',
    payload: {
      $case: 'commandRefused',
      value: {
        commandId: command.meta?.commandId ?? '',
        commandKind: command.command?.$case ?? '',
        reasonCode: r.code,
        messageZh: r.zh,
        messageEn: r.en,
        article: r.article,
        retryable: r.retryable,
      },
    },
  };
  return { kind: 'refused', refusal: r, events: [event] };
}

/**
 * The refusal of a command for a case this node does not write (another node holds it, or a handoff is on
 * its way): at version 0, like a refusal for an unknown case, because the case's versions belong to the
 * node that writes it. Nothing changes. CASE_NOT_FOUND is what a unit that may not know of the case is told
 * instead (art 30): nothing about its state or holder.
 */
export function refuseForAnotherNode(
  snapshot: CaseSnapshot | undefined,
  command: CaseCommand,
  ctx: DecideContext,
  code: 'CASE_MOVED' | 'HANDOFF_IN_PROGRESS' | 'UNIT_ON_ANOTHER_NODE' | 'CASE_NOT_FOUND',
  detail: string,
): Outcome {
  return refused(code === 'CASE_NOT_FOUND' ? undefined : snapshot, command, ctx, refusal(code, detail || undefined), 0);
}

/** Decides and folds the outcome: the case after the command (unchanged but for its version if refused). */
export function decideAndEvolve(snapshot: CaseSnapshot | undefined, command: CaseCommand, ctx: DecideContext) {
  const outcome = decide(snapshot, command, ctx);
  let next = snapshot;
  for (const event of outcome.events) next = evolve(next, event);
  return { outcome, snapshot: next };
}
