import { CaseEvent } from '@petition/contract';
import type { ActionResult } from './core.ts';
import { type Problem, problem } from './problems.ts';

// Routing's answer to a command as the HTTP caller sees it.

const refusalStatus: Record<string, number> = {
  CASE_NOT_FOUND: 404,
  CASE_VERSION_CONFLICT: 409,
  NOT_IN_CUSTODY: 403,
  ACTOR_NOT_ALLOWED: 403,
  WRONG_CASE_NUMBER: 403,
};

export function refusalProblem(commandId: string, event: CaseEvent): Problem {
  const r = event.payload?.$case === 'commandRefused' ? event.payload.value : undefined;
  const code = r?.reasonCode ?? 'REFUSED';
  return problem(refusalStatus[code] ?? 422, code, r?.messageEn ?? 'refused', {
    detail: r?.messageZh,
    messageZh: r?.messageZh,
    article: r?.article,
    retryable: r?.retryable ?? false,
    commandId,
    caseVersion: event.envelope?.caseVersion,
  });
}

export const followUri = (commandId: string) => `/v1/commands/${commandId}`;

export function renderResult(result: ActionResult): { status: number; body: unknown; location?: string } {
  switch (result.kind) {
    case 'event':
      return {
        status: 200,
        body: { commandId: result.commandId, status: 'applied', event: CaseEvent.toJSON(result.event) },
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
