import { CaseState, PetitionKind } from '@petition/contract';
import type { Directory } from '@petition/directory';
import { concealedFrom } from '@petition/jurisdiction';
import type { DeadlinePolicy } from '@petition/legal-calendar';
import { type CaseSnapshot, isTerminal } from './snapshot.ts';

// What must hold of every case, whatever commands reached it. Property tests check it after each step;
// routing may check it before publishing.

export function invariantViolations(s: CaseSnapshot, directory: Directory, policy: DeadlinePolicy): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };
  check(s.version >= 1, 'version below 1');
  check(s.state !== CaseState.CASE_STATE_UNSPECIFIED, 'no state');
  check(directory.unit(s.custodyUnitId) !== undefined, `custody with unknown unit ${s.custodyUnitId}`);
  check(!concealedFrom(directory, s.custodyUnitId, s), 'custody with a unit the accusation is kept from (art 30)');
  check(!s.anonymous || s.kind === PetitionKind.PETITION_KIND_ACCUSATION, 'anonymous but not an accusation');
  check(s.representatives <= policy.maxRepresentatives, 'too many representatives (art 20)');
  check(s.extensions <= policy.maxExtensions, 'extended more than once (art 34)');
  check(s.extensionDays <= policy.maxExtensionDays, 'extended beyond 30 days (art 34)');
  const needs: Partial<Record<CaseState, [boolean, string]>> = {
    [CaseState.CASE_STATE_ACCEPTED]: [!!s.acceptingUnitId && !!s.handlingDueTime, 'accepted without acceptance'],
    [CaseState.CASE_STATE_AWAITING_EVALUATION]: [!!s.reply, 'awaiting evaluation without a reply'],
    [CaseState.CASE_STATE_UNDER_REVIEW]: [
      s.review?.unitId === s.custodyUnitId,
      'under review but not with the reviewer',
    ],
    [CaseState.CASE_STATE_REVIEWED]: [!!s.review?.opinion, 'reviewed without a review opinion'],
    [CaseState.CASE_STATE_UNDER_RE_REVIEW]: [
      s.reReview?.unitId === s.custodyUnitId,
      'under re-review but not with the re-reviewer',
    ],
    [CaseState.CASE_STATE_FINAL]: [s.closure !== undefined, 'final without a closure'],
    [CaseState.CASE_STATE_LINKED_AS_REPEAT]: [!!s.linkedToCaseId, 'linked without an original'],
  };
  const need = needs[s.state];
  if (need) check(...need);
  check(
    !s.review || s.kind === PetitionKind.PETITION_KIND_COMPLAINT,
    'a review of a case that is not a complaint (art 35)',
  );
  check(!s.reReview || !!s.review?.opinion, 're-review before a review opinion (art 36)');
  check(!s.closure || isTerminal(s.state), 'closed but not in an end state');
  check(!s.supervision || !isTerminal(s.state), 'a supervision notice open on a case that has ended');
  return problems;
}
