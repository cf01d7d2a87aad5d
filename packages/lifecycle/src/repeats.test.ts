import { CaseState, RepeatBasis } from '@petition/contract';
import type { Directory } from '@petition/directory';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.ts';
import { type Body, CaseRun, payloadOf, petition, petitionerOf, realDirectory, unit, watchdog } from './test-kit.ts';

// Repeat petitions (art 19): intake flags the same person's earlier cases about a similar matter as
// candidates (as the system), staff of the holder dismiss one or confirm it by linking the case; an exact
// repeat is linked by intake itself. The case registered at 西湖区信访局 (330106-xfj) stays there meanwhile.

let directory: Directory;
beforeAll(() => {
  directory = realDirectory();
});

const registrar = '330106-xfj';
const intake = { $case: 'system', value: { service: 'intake', triggerEventId: '' } } as const;
const flag = (...candidates: { caseId: string; caseNumber?: string; score?: number }[]): Body => ({
  $case: 'flagRepeatCandidates',
  value: {
    candidates: candidates.map((c) => ({ caseNumber: `N-${c.caseId}`, score: 0.5, ...c })),
  },
});
const dismiss = (candidateCaseId: string, reason = '不是同一事项'): Body => ({
  $case: 'dismissRepeatCandidate',
  value: { candidateCaseId, reason },
});

function registered() {
  const run = new CaseRun({ now: '2026-11-20T10:00:00+08:00', directory });
  run.ok(unit(registrar), { $case: 'registerPetition', value: { petition: petition() } });
  return run;
}

describe('flagging repeat candidates', () => {
  it('records the candidates with their scores on the timeline, the case staying where and as it was', () => {
    const run = registered();
    const [event] = run.ok(intake, flag({ caseId: 'case-a', score: 0.61 }, { caseId: 'case-b', score: 0.3 }));
    expect(payloadOf(event, 'repeatCandidatesFlagged').candidates).toEqual([
      { caseId: 'case-a', caseNumber: 'N-case-a', score: 0.61 },
      { caseId: 'case-b', caseNumber: 'N-case-b', score: 0.3 },
    ]);
    expect(event.state).toBe(CaseState.CASE_STATE_REGISTERED);
    expect(event.custodyUnitId).toBe(registrar);
    expect(run.snapshot?.repeatCandidates).toEqual({ 'case-a': 'N-case-a', 'case-b': 'N-case-b' });
  });

  it('is the system’s alone (intake’s automatic match), never a unit’s or the petitioner’s', () => {
    const run = registered();
    expect(run.refused(unit(registrar), flag({ caseId: 'case-a' }))).toBe('ACTOR_NOT_ALLOWED');
    expect(run.refused(petitionerOf(run.caseNumber), flag({ caseId: 'case-a' }))).toBe('ACTOR_NOT_ALLOWED');
  });

  it('refuses an empty list, the case itself, a candidate twice, a score outside (0,1] and a missing number', () => {
    const run = registered();
    expect(run.refused(intake, flag())).toBe('INVALID_FIELD');
    expect(run.refused(intake, flag({ caseId: run.caseId }))).toBe('INVALID_FIELD');
    expect(run.refused(intake, flag({ caseId: 'case-a' }, { caseId: 'case-a' }))).toBe('INVALID_FIELD');
    expect(run.refused(intake, flag({ caseId: 'case-a', score: 0 }))).toBe('INVALID_FIELD');
    expect(run.refused(intake, flag({ caseId: 'case-a', score: 1.5 }))).toBe('INVALID_FIELD');
    expect(run.refused(intake, flag({ caseId: 'case-a', caseNumber: '' }))).toBe('INVALID_FIELD');
    expect(run.snapshot?.repeatCandidates).toBeUndefined();
  });

  it('is refused once the case has ended', () => {
    const run = registered();
    run.ok(petitionerOf(run.caseNumber), { $case: 'withdrawCase', value: { reason: '已解决' } });
    expect(run.refused(intake, flag({ caseId: 'case-a' }))).toBe('CASE_CLOSED');
  });
});

describe('dismissing a candidate', () => {
  it('is kept on the timeline with the unit and reason, and the candidate can be dismissed only once', () => {
    const run = registered();
    run.ok(intake, flag({ caseId: 'case-a' }, { caseId: 'case-b' }));
    const [event] = run.ok(unit(registrar), dismiss('case-a'));
    expect(payloadOf(event, 'repeatCandidateDismissed')).toEqual({
      candidateCaseId: 'case-a',
      candidateCaseNumber: 'N-case-a',
      unitId: registrar,
      reason: '不是同一事项',
    });
    expect(event.state).toBe(CaseState.CASE_STATE_REGISTERED);
    expect(run.snapshot?.repeatCandidates).toEqual({ 'case-b': 'N-case-b' });
    expect(run.refused(unit(registrar), dismiss('case-a'))).toBe('NOT_A_REPEAT_CANDIDATE');
  });

  it('takes only a flagged candidate, from the holder’s staff only', () => {
    const run = registered();
    run.ok(intake, flag({ caseId: 'case-a' }));
    expect(run.refused(unit(registrar), dismiss('case-z'))).toBe('NOT_A_REPEAT_CANDIDATE');
    expect(run.refused(unit(registrar), dismiss(''))).toBe('INVALID_FIELD');
    expect(run.refused(unit('330100-xfj'), dismiss('case-a'))).toBe('NOT_IN_CUSTODY');
    expect(run.refused(petitionerOf(run.caseNumber), dismiss('case-a'))).toBe('ACTOR_NOT_ALLOWED');
    expect(run.refused(intake, dismiss('case-a'))).toBe('ACTOR_NOT_ALLOWED');
  });

  it('is refused after the case has ended (confirmed as a repeat of another candidate)', () => {
    const run = registered();
    run.cases.set('case-a', { caseId: 'case-a', caseNumber: 'N-case-a', state: CaseState.CASE_STATE_ACCEPTED });
    run.ok(intake, flag({ caseId: 'case-a' }, { caseId: 'case-b' }));
    run.ok(unit(registrar), {
      $case: 'linkAsRepeat',
      value: { originalCaseId: 'case-a', basis: RepeatBasis.REPEAT_BASIS_IN_PROGRESS, reason: '确认重复' },
    });
    expect(run.state).toBe(CaseState.CASE_STATE_LINKED_AS_REPEAT);
    expect(run.refused(unit(registrar), dismiss('case-b'))).toBe('CASE_CLOSED');
  });

  it('survives a snapshot written and read back', () => {
    const run = registered();
    run.ok(intake, flag({ caseId: 'case-a' }));
    const snapshot = run.snapshot;
    if (!snapshot) return expect.fail('no snapshot');
    expect(decodeSnapshot(encodeSnapshot(snapshot)).repeatCandidates).toEqual({ 'case-a': 'N-case-a' });
  });
});

describe('an exact repeat linked automatically', () => {
  const link: Body = {
    $case: 'linkAsRepeat',
    value: { originalCaseId: 'case-a', basis: RepeatBasis.REPEAT_BASIS_IN_PROGRESS, reason: '自动比对：相似度 0.93' },
  };

  it('is linked by intake as the system, whoever registered the case', () => {
    const run = registered();
    run.cases.set('case-a', { caseId: 'case-a', caseNumber: 'N-case-a', state: CaseState.CASE_STATE_ACCEPTED });
    const [event] = run.ok(intake, link);
    expect(payloadOf(event, 'caseLinkedAsRepeat')).toMatchObject({
      originalCaseId: 'case-a',
      originalCaseNumber: 'N-case-a',
    });
    expect(event.envelope?.actingUnitId).toBe('');
  });

  it('is not linked by another system actor', () => {
    const run = registered();
    run.cases.set('case-a', { caseId: 'case-a', caseNumber: 'N-case-a', state: CaseState.CASE_STATE_ACCEPTED });
    expect(run.refused(watchdog, link)).toBe('ACTOR_NOT_ALLOWED');
  });
});
