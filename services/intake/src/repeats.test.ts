import { CaseState, RepeatBasis } from '@petition/contract';
import { describe, expect, it } from 'vitest';
import { type FoundRepeat, repeatAction, repeatsBody } from './repeats.ts';

// What follows a registration once the same person's earlier cases about a similar matter are found (pure).

const found = (over: Partial<FoundRepeat> & Pick<FoundRepeat, 'caseId'>): FoundRepeat => ({
  caseNumber: `N-${over.caseId}`,
  score: 0.5,
  verdict: 'candidate',
  state: CaseState.CASE_STATE_ACCEPTED,
  ...over,
});

describe('repeatAction', () => {
  it('does nothing when nothing was found', () => {
    expect(repeatAction([])).toEqual({ kind: 'none' });
  });

  it('links an exact repeat of a case in progress, or of a final one, with the basis to match', () => {
    const inProgress = found({ caseId: 'a', verdict: 'exact', score: 0.93 });
    expect(repeatAction([inProgress, found({ caseId: 'b' })])).toEqual({
      kind: 'link',
      original: inProgress,
      basis: RepeatBasis.REPEAT_BASIS_IN_PROGRESS,
      candidates: [inProgress, found({ caseId: 'b' })],
    });
    const final = found({ caseId: 'f', verdict: 'exact', state: CaseState.CASE_STATE_FINAL });
    expect(repeatAction([final])).toMatchObject({ kind: 'link', basis: RepeatBasis.REPEAT_BASIS_FINAL });
  });

  it('takes a case not yet in the index (registered moments ago) as in progress', () => {
    expect(repeatAction([found({ caseId: 'a', verdict: 'exact', state: undefined })])).toMatchObject({
      kind: 'link',
      basis: RepeatBasis.REPEAT_BASIS_IN_PROGRESS,
    });
  });

  it('flags an exact repeat of a case closed otherwise (not accepted) for staff, with the candidates', () => {
    const closed = found({ caseId: 'a', verdict: 'exact', state: CaseState.CASE_STATE_NOT_ACCEPTED });
    const other = found({ caseId: 'b' });
    expect(repeatAction([closed, other])).toEqual({ kind: 'flag', candidates: [closed, other] });
  });

  it('never offers a withdrawn case or one itself linked as a repeat', () => {
    expect(
      repeatAction([
        found({ caseId: 'w', verdict: 'exact', state: CaseState.CASE_STATE_WITHDRAWN }),
        found({ caseId: 'r', state: CaseState.CASE_STATE_LINKED_AS_REPEAT }),
      ]),
    ).toEqual({ kind: 'none' });
  });

  it('is told to the registrar with scores to two places', () => {
    const a = found({ caseId: 'a', score: 0.4567 });
    expect(repeatsBody({ kind: 'flag', candidates: [a] })).toEqual({
      repeatCandidates: [{ caseId: 'a', caseNumber: 'N-a', score: 0.46, verdict: 'candidate' }],
    });
    expect(repeatsBody({ kind: 'none' })).toEqual({ repeatCandidates: [] });
  });
});
