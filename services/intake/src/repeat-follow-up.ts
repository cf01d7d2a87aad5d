import type { CaseCommand } from '@petition/contract';
import type { Logger } from '@petition/logging';
import type { Outcomes } from './outcomes.ts';
import {
  automaticLinkReason,
  type FoundRepeat,
  type RepeatAction,
  type RepeatRegistration,
  type RepeatStore,
} from './repeats.ts';

// What intake does after a registration about the same person's earlier cases it found (art 19): which
// step follows is `repeatAction` (repeats.ts, pure); this sends it and watches routing's answers.

export interface RepeatFollowUpDeps {
  /** Publishes a command on the new case as intake itself (a system actor), answering its command id. */
  readonly sendAsIntake: (command: NonNullable<CaseCommand['command']>) => Promise<string>;
  readonly outcomes: Pick<Outcomes, 'onAnswer'>;
  readonly repeats: Pick<RepeatStore, 'recordNow'>;
  readonly logger: Logger;
}

/**
 * After the registration `commandId` of `caseId` was published: remembers the registration once routing has
 * applied it, and flags the candidates or links the exact repeat — on the case's own partition right behind
 * its registration, so routing applies them only once the case exists (a refused registration refuses them
 * too, for no case, and nothing changes).
 */
export async function followUpRepeats(
  deps: RepeatFollowUpDeps,
  registered: { readonly caseId: string; readonly commandId: string },
  repeats: RepeatAction,
  remember: RepeatRegistration | undefined,
): Promise<void> {
  const { caseId, commandId } = registered;
  if (remember) {
    // Remembered once routing has applied it (the index's consumer also will, later): the person's next
    // petition, perhaps a minute away, finds this one. Watched from here, before anything else is sent;
    // the registrar has their answer meanwhile.
    deps.outcomes.onAnswer(commandId, (answer) => {
      if (answer.payload?.$case === 'commandRefused') return;
      deps.repeats
        .recordNow(remember)
        .catch((err) => deps.logger.warn({ err, caseId }, 'repeat index: registration not remembered at once'));
    });
  }
  const flag = (candidates: readonly FoundRepeat[]) =>
    deps.sendAsIntake({
      $case: 'flagRepeatCandidates',
      value: { candidates: candidates.map(({ caseId, caseNumber, score }) => ({ caseId, caseNumber, score })) },
    });
  if (repeats.kind === 'flag') await flag(repeats.candidates);
  if (repeats.kind === 'link') {
    const linkId = await deps.sendAsIntake({
      $case: 'linkAsRepeat',
      value: {
        originalCaseId: repeats.original.caseId,
        basis: repeats.basis,
        reason: automaticLinkReason(repeats.original),
      },
    });
    // Routing may refuse the link (the original closed meanwhile, or not yet known to it): staff are then
    // shown the candidates instead. Best effort, not awaited; a refusal for no case (the registration
    // refused) needs nothing.
    deps.outcomes.onAnswer(linkId, (answer) => {
      const refused = answer.payload?.$case === 'commandRefused' ? answer.payload.value.reasonCode : undefined;
      if (!refused || refused === 'CASE_NOT_FOUND') return;
      flag(repeats.candidates).catch((err) =>
        deps.logger.warn({ err, caseId }, 'repeat link refused: candidates not flagged instead'),
      );
    });
  }
}
