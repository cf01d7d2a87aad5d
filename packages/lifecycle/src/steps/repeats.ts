import { custodian, type Decision, required, type Step, step, system } from '../context.ts';
import { refuse } from '../refusals.ts';
import type { CaseSnapshot } from '../snapshot.ts';

// Repeat petitions (art 19): at registration intake compares the petition with the same person's earlier
// cases (packages/repeats). An exact repeat of a case in progress or final is linked at once
// (LinkAsRepeat, custody.ts); the others are flagged here as candidates, and staff of the holder confirm
// one (LinkAsRepeat again) or dismiss each. Neither step moves the case; both stay on its timeline.

/** The most candidates one flag carries: the per-person bound of intake's repeat index. */
export const maxRepeatCandidates = 32;

export function flagRepeatCandidates(d: Decision<'flagRepeatCandidates'>, s: CaseSnapshot): Step[] {
  // Only intake's automatic match flags: a person who thinks the case repeats another links it.
  system(d.meta);
  const { candidates } = d.command;
  if (candidates.length === 0) refuse('INVALID_FIELD', 'candidates is empty');
  if (candidates.length > maxRepeatCandidates) refuse('INVALID_FIELD', `at most ${maxRepeatCandidates} candidates`);
  const seen = new Set<string>();
  for (const [i, candidate] of candidates.entries()) {
    const caseId = required(candidate.caseId, `candidates[${i}].caseId`);
    required(candidate.caseNumber, `candidates[${i}].caseNumber`);
    if (caseId === s.caseId) refuse('INVALID_FIELD', 'a case cannot repeat itself');
    if (seen.has(caseId)) refuse('INVALID_FIELD', `candidates[${i}].caseId ${caseId} is given twice`);
    seen.add(caseId);
    if (!(candidate.score > 0 && candidate.score <= 1)) {
      refuse('INVALID_FIELD', `candidates[${i}].score must lie in (0,1], got ${candidate.score}`);
    }
  }
  return [
    step(s.state, s.custodyUnitId, {
      $case: 'repeatCandidatesFlagged',
      value: { candidates: candidates.map(({ caseId, caseNumber, score }) => ({ caseId, caseNumber, score })) },
    }),
  ];
}

export function dismissRepeatCandidate(d: Decision<'dismissRepeatCandidate'>, s: CaseSnapshot): Step[] {
  const unit = custodian(d.ctx, d.meta, s);
  const candidateId = required(d.command.candidateCaseId, 'candidateCaseId');
  const candidateNumber = s.repeatCandidates?.[candidateId];
  if (candidateNumber === undefined) refuse('NOT_A_REPEAT_CANDIDATE', candidateId);
  return [
    step(s.state, s.custodyUnitId, {
      $case: 'repeatCandidateDismissed',
      value: {
        candidateCaseId: candidateId,
        candidateCaseNumber: candidateNumber,
        unitId: unit.unitId,
        reason: d.command.reason,
      },
    }),
  ];
}
