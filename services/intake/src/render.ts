import { CaseEvent, type CommandRefused } from '@petition/contract';
import type { ActionResult } from './core.ts';
import { type Problem, problem } from './problems.ts';

// Routing's answer to a command as the caller sees it (HTTP and GET /v1/commands alike).

const refusalStatus: Record<string, number> = {
  CASE_VERSION_CONFLICT: 409,
  ACTOR_NOT_ALLOWED: 403,
  WRONG_CASE_NUMBER: 403,
  // The unit knows the case but does not stand where 督办 or 包案 needs it: above the holder.
  NOT_SUPERVISOR: 403,
  NOT_LEADER_OF_CASE: 403,
  // Another node of the federation holds the case now, or is taking it over: the message names the node.
  CASE_MOVED: 409,
  HANDOFF_IN_PROGRESS: 409,
};

/**
 * Refusals about a case the caller does not hold, or may not know of: one answer for all of them, with no
 * holder, state or version, so that probing teaches nothing (routing refuses a unit that may not know of a
 * case exactly as it refuses an unknown case id).
 */
const notYours: ReadonlySet<string> = new Set(['CASE_NOT_FOUND', 'NOT_IN_CUSTODY']);

export const notFoundOrNotYours = (commandId?: string) =>
  problem(404, 'CASE_NOT_FOUND', 'No such case, or not one your unit may act on', {
    messageZh: '信访件不存在或不在本单位',
    retryable: false,
    ...(commandId ? { commandId } : {}),
  });

/** A refusal as gRPC hands it over, under the same rule. */
export function refusalForCaller(refused: CommandRefused): CommandRefused {
  if (!notYours.has(refused.reasonCode)) return refused;
  const answer = notFoundOrNotYours();
  return {
    ...refused,
    reasonCode: answer.code,
    messageEn: answer.title,
    messageZh: String(answer.messageZh),
    article: '',
    retryable: false,
  };
}

export function refusalProblem(commandId: string, event: CaseEvent): Problem {
  const r = event.payload?.$case === 'commandRefused' ? event.payload.value : undefined;
  const code = r?.reasonCode ?? 'REFUSED';
  if (notYours.has(code)) return notFoundOrNotYours(commandId);
  return problem(refusalStatus[code] ?? 422, code, r?.messageEn ?? 'refused', {
    detail: r?.messageZh,
    messageZh: r?.messageZh,
    article: r?.article,
    retryable: r?.retryable ?? false,
    commandId,
    caseVersion: event.envelope?.caseVersion,
  });
}

/**
 * The event as a caller is shown it: a registration without its sealed people, its query-code verifier and
 * sealed code (what a caller sent it has already; none of it is for anyone else to collect).
 */
export function eventForCaller(event: CaseEvent): unknown {
  const json = CaseEvent.toJSON(event) as { petitionRegistered?: { petition?: Record<string, unknown> } };
  const petition = json.petitionRegistered?.petition;
  if (petition) {
    for (const field of ['petitioner', 'representatives', 'queryCodeHash', 'queryCodeSealed']) delete petition[field];
  }
  return json;
}

export const followUri = (commandId: string) => `/v1/commands/${commandId}`;

export function renderResult(result: ActionResult): { status: number; body: unknown; location?: string } {
  switch (result.kind) {
    case 'event':
      return {
        status: 200,
        body: { commandId: result.commandId, status: 'applied', event: eventForCaller(result.event) },
      };
    case 'refused':
      return { status: 0, body: refusalProblem(result.commandId, result.event) };
    default:
      return {
        status: 202,
        body: { commandId: result.commandId, status: 'pending', follow: followUri(result.commandId) },
        location: followUri(result.commandId),
      };
  }
}
