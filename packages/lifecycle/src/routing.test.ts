import {
  CaseState,
  CoUnitBasis,
  LegalChannel,
  NotAcceptedReason,
  PetitionKind,
  RepeatBasis,
  TransferReason,
  UnitLevel,
} from '@petition/contract';
import type { Directory } from '@petition/directory';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Body, CaseRun, payloadOf, petition, petitionerOf, realDirectory, unit } from './test-kit.ts';

// Registration, forwarding, assignment and the notices of the unit with authority (arts 19–31), over the
// real directory: 西湖区 (330106) in 杭州 (330100), 浙江 (330000).

let directory: Directory;
beforeAll(() => {
  directory = realDirectory();
});

const start = '2026-11-20T10:00:00+08:00';
const register = (over: Parameters<typeof petition>[0] = {}): Body => ({
  $case: 'registerPetition',
  value: { petition: petition(over) },
});
const forwardTo = (toUnitId: string, toHandlingUnit = true): Body => ({
  $case: 'forwardCase',
  value: { toUnitId, toHandlingUnit, reason: '' },
});
const accept: Body = { $case: 'acceptCase', value: { noticeDocumentUri: '' } };

function atHandlingUnit(over: Parameters<typeof petition>[0] = {}, when = start) {
  const run = new CaseRun({ now: when, directory });
  run.ok(undefined, register(over));
  run.ok(unit('330106-xfj'), forwardTo('330106-rsj'));
  return run;
}

describe('registration (arts 21–22)', () => {
  it('registers at the petition bureau of the region with 15 days to forward, ending on a working day', () => {
    const run = new CaseRun({ now: start, directory });
    const [event] = run.ok(undefined, register());
    expect(event.state).toBe(CaseState.CASE_STATE_REGISTERED);
    expect(event.custodyUnitId).toBe('330106-xfj');
    expect(event.envelope?.caseVersion).toBe(1);
    const value = payloadOf(event, 'petitionRegistered');
    expect(value?.registrationDueTime?.toISOString()).toBe('2026-12-07T16:00:00.000Z');
    expect(run.refused(undefined, register())).toBe('CASE_EXISTS');
  });

  it('refuses what it cannot register, naming the field', () => {
    const run = new CaseRun({ now: start, directory });
    expect(run.refused(undefined, register({ regionCode: '999999' }))).toBe('UNKNOWN_REGION');
    expect(run.refused(undefined, register({ kind: PetitionKind.PETITION_KIND_UNSPECIFIED }))).toBe('INVALID_FIELD');
    expect(run.refused(undefined, register({ receivedTime: new Date('2026-11-21T10:00:00+08:00') }))).toBe(
      'RECEIVED_IN_FUTURE',
    );
    expect(run.refused(unit('330106-xfj'), register({ registeringUnitId: '330100-xfj' }))).toBe('ACTOR_NOT_ALLOWED');
    expect(run.snapshot).toBeUndefined();
    expect(run.events.every((e) => e.envelope?.caseVersion === 0)).toBe(true);
  });

  it('art 20: a group sends at most five representatives', () => {
    const people = (n: number) => Array.from({ length: n }, (_, i) => ({ personId: `rep-${i}` }));
    const run = new CaseRun({ now: start, directory });
    expect(run.refused(undefined, register({ groupSize: 60, representatives: people(6) }))).toBe(
      'TOO_MANY_REPRESENTATIVES',
    );
    run.ok(undefined, register({ groupSize: 60, representatives: people(5) }));
    expect(run.snapshot?.representatives).toBe(5);
  });
});

describe('forwarding and assignment (art 22)', () => {
  it('travels down the chain from the national bureau within each level’s share, to the unit with authority', () => {
    const run = new CaseRun({ now: start, directory });
    run.ok(unit('000000-xfj'), register({ registeringUnitId: '000000-xfj' }));
    const [national] = run.ok(unit('000000-xfj'), forwardTo('330000-xfj', false));
    const leg = payloadOf(national, 'caseForwarded');
    expect(leg?.legLevel).toBe(UnitLevel.UNIT_LEVEL_NATIONAL);
    expect(leg?.legDueTime?.toISOString()).toBe('2026-11-25T16:00:00.000Z'); // 5 days
    expect(run.state).toBe(CaseState.CASE_STATE_FORWARDING);
    run.at(1).ok(unit('330000-xfj'), forwardTo('330100-xfj', false));
    run.at(1).ok(unit('330100-xfj'), forwardTo('330106-xfj', false));
    const [last] = run.at(1).ok(unit('330106-xfj'), forwardTo('330106-rsj'));
    expect(last.state).toBe(CaseState.CASE_STATE_AWAITING_ACCEPTANCE);
    expect(last.custodyUnitId).toBe('330106-rsj');
    expect(run.snapshot?.version).toBe(5);
  });

  it('only the bureau holding the case forwards, and a bureau leg must reach a bureau', () => {
    const run = new CaseRun({ now: start, directory });
    run.ok(undefined, register());
    expect(run.refused(unit('330100-xfj'), forwardTo('330106-rsj'))).toBe('NOT_IN_CUSTODY');
    expect(run.refused(unit('330106-xfj'), forwardTo('330106-rsj', false))).toBe('NOT_A_PETITION_BUREAU');
    expect(run.refused(unit('330106-xfj'), forwardTo('330106-xfj'))).toBe('SAME_UNIT');
    expect(run.refused(unit('330106-xfj'), forwardTo('nope-xfj'))).toBe('UNKNOWN_UNIT');
    run.ok(unit('330106-xfj'), forwardTo('330106-rsj'));
    expect(run.refused(unit('330106-rsj'), forwardTo('330106-zjj'))).toBe('NOT_A_PETITION_BUREAU');
  });

  it('assigns (交办) with a report deadline in the future; the assignee reports completion', () => {
    const run = new CaseRun({ now: start, directory });
    run.ok(undefined, register());
    const assign = (iso: string): Body => ({
      $case: 'assignCase',
      value: { assigneeUnitId: '330106-rsj', reportDueTime: new Date(iso), instructions: '限期报结' },
    });
    expect(run.refused(unit('330106-xfj'), assign('2026-11-19T00:00:00+08:00'))).toBe('REPORT_DUE_IN_PAST');
    run.ok(unit('330106-xfj'), assign('2026-12-20T00:00:00+08:00'));
    expect(run.state).toBe(CaseState.CASE_STATE_ASSIGNED);
    const report: Body = { $case: 'reportCompletion', value: { report: { summary: '已解决' } } };
    // A unit with no part in the case is told what it would be told of no case at all.
    expect(run.refused(unit('330106-zjj'), report)).toBe('CASE_NOT_FOUND');
    run.at(10).ok(unit('330106-rsj'), report);
    expect(run.state).toBe(CaseState.CASE_STATE_COMPLETION_REPORTED);
    expect(run.refused(unit('330106-rsj'), report)).toBe('NO_ASSIGNMENT');
  });
});

describe('art 23: objection to a wrong forward within 5 working days', () => {
  const object: Body = {
    $case: 'objectToForward',
    value: { reasons: '不属本单位职责', suggestedUnitId: '330106-zjj' },
  };

  it('counts working days across the National Day week and sends the case back to the forwarding bureau', () => {
    const run = atHandlingUnit({}, '2026-09-29T15:00:00+08:00');
    // Five working days: 9-30, 10-08, 10-09, 10-10 (make-up Saturday), 10-12.
    const [event] = run.at('2026-10-12T23:00:00+08:00').ok(unit('330106-rsj'), object);
    expect(event.state).toBe(CaseState.CASE_STATE_FORWARD_OBJECTED);
    expect(event.custodyUnitId).toBe('330106-xfj');
    run.at(1).ok(unit('330106-xfj'), {
      $case: 'transferCase',
      value: { toUnitId: '330106-zjj', reason: TransferReason.TRANSFER_REASON_OBJECTION_UPHELD, note: '' },
    });
    expect(run.state).toBe(CaseState.CASE_STATE_AWAITING_ACCEPTANCE);
    expect(run.snapshot?.custodyUnitId).toBe('330106-zjj');
  });

  it('refuses a late objection and one without reasons', () => {
    const run = atHandlingUnit({}, '2026-09-29T15:00:00+08:00');
    expect(run.refused(unit('330106-rsj'), { $case: 'objectToForward', value: { reasons: ' ' } })).toBe(
      'REASON_REQUIRED',
    );
    expect(run.at('2026-10-13T00:30:00+08:00').refused(unit('330106-rsj'), object)).toBe('OBJECTION_WINDOW_CLOSED');
    expect(run.state).toBe(CaseState.CASE_STATE_AWAITING_ACCEPTANCE);
  });
});

describe('art 23: the written notice — accepted, not accepted', () => {
  it('accepts with 60 days to answer', () => {
    const run = atHandlingUnit();
    const [event] = run.ok(unit('330106-rsj'), accept);
    const value = payloadOf(event, 'caseAccepted');
    // 2026-11-20 + 60 = 2027-01-19 (a Tuesday).
    expect(value?.handlingDueTime?.toISOString()).toBe('2027-01-19T16:00:00.000Z');
    expect(run.refused(unit('330106-rsj'), accept)).toBe('WRONG_STATE');
  });

  it('does not accept with a reason; "other" needs the reason written out; the case is then closed', () => {
    const run = atHandlingUnit();
    const notAccept = (reasonText: string): Body => ({
      $case: 'notAcceptCase',
      value: { reason: NotAcceptedReason.NOT_ACCEPTED_REASON_OTHER, reasonText, noticeDocumentUri: '' },
    });
    expect(run.refused(unit('330106-rsj'), notAccept(''))).toBe('REASON_REQUIRED');
    run.ok(unit('330106-rsj'), notAccept('不属于信访事项'));
    expect(run.state).toBe(CaseState.CASE_STATE_NOT_ACCEPTED);
    expect(run.refused(unit('330106-rsj'), accept)).toBe('CASE_CLOSED');
  });

  it('a bureau does not accept what it registered: it forwards or assigns it', () => {
    const run = new CaseRun({ now: start, directory });
    run.ok(undefined, register());
    expect(run.refused(unit('330106-xfj'), accept)).toBe('WRONG_STATE');
  });
});

describe('arts 29–31: three kinds; legal-channel matters guided away', () => {
  const guide = (legalChannel: LegalChannel, channelDetail = ''): Body => ({
    $case: 'guideToLegalChannel',
    value: { legalChannel, channelDetail, reason: '属于劳动争议仲裁范围' },
  });

  it('guides a complaint to arbitration and closes it there', () => {
    const run = atHandlingUnit();
    expect(run.refused(unit('330106-rsj'), guide(LegalChannel.LEGAL_CHANNEL_OTHER))).toBe('INVALID_FIELD');
    run.ok(unit('330106-rsj'), guide(LegalChannel.LEGAL_CHANNEL_ARBITRATION));
    expect(run.state).toBe(CaseState.CASE_STATE_GUIDED_TO_LEGAL_CHANNEL);
  });

  it('never guides a suggestion away (art 29)', () => {
    const run = atHandlingUnit({ kind: PetitionKind.PETITION_KIND_SUGGESTION });
    expect(run.refused(unit('330106-rsj'), guide(LegalChannel.LEGAL_CHANNEL_LITIGATION))).toBe(
      'GUIDANCE_NOT_APPLICABLE',
    );
  });

  it('lets only an accusation be anonymous', () => {
    const run = new CaseRun({ now: start, directory });
    expect(run.refused(undefined, register({ anonymous: true, petitioner: undefined }))).toBe('INVALID_FIELD');
    expect(run.refused(undefined, register({ accusedUnitId: '330106-zf' }))).toBe('INVALID_FIELD');
  });
});

describe('art 30: accusation material never reaches the accused', () => {
  const accusation = { kind: PetitionKind.PETITION_KIND_ACCUSATION, accusedUnitId: '330106-zf' };

  it('refuses a move to the accused unit, any unit under it or, for a government, any unit of its place', () => {
    const run = new CaseRun({ now: start, directory });
    run.ok(undefined, register(accusation));
    // 西湖区信访局 works for the accused government: the city's bureau registers it.
    expect(run.snapshot?.custodyUnitId).toBe('330100-xfj');
    for (const to of ['330106-zf', '330106-rsj', '330106-xfj', '330106-jw']) {
      expect([to, run.refused(unit('330100-xfj'), forwardTo(to))]).toEqual([to, 'ACCUSED_UNIT_EXCLUDED']);
    }
    run.ok(unit('330100-xfj'), forwardTo('330100-jw'));
    expect(run.snapshot?.custodyUnitId).toBe('330100-jw');
  });

  it('never registers at a bureau under the accused: it climbs to one that is not', () => {
    const run = new CaseRun({ now: start, directory });
    run.ok(undefined, register({ kind: PetitionKind.PETITION_KIND_ACCUSATION, accusedUnitId: '330100-xfj' }));
    expect(run.snapshot?.custodyUnitId).toBe('330000-xfj');
  });

  it('refuses a registration named at a unit the accusation is kept from', () => {
    const run = new CaseRun({ now: start, directory });
    expect(run.refused(undefined, register({ ...accusation, registeringUnitId: '330106-xfj' }))).toBe(
      'ACCUSED_UNIT_EXCLUDED',
    );
  });

  it('lets the bureau above an accused bureau hand the case to the discipline body below it', () => {
    const run = new CaseRun({ now: start, directory });
    run.ok(undefined, register({ kind: PetitionKind.PETITION_KIND_ACCUSATION, accusedUnitId: '330106-xfj' }));
    expect(run.snapshot?.custodyUnitId).toBe('330100-xfj');
    expect(run.refused(unit('330100-xfj'), forwardTo('330106-xfj', false))).toBe('ACCUSED_UNIT_EXCLUDED');
    run.ok(unit('330100-xfj'), forwardTo('330106-jw'));
    expect(run.snapshot?.custodyUnitId).toBe('330106-jw');
  });
});

describe('art 24: several units — agreed lead, or the common superior decides', () => {
  const designate = (basis: CoUnitBasis): Body => ({
    $case: 'designateCoUnits',
    value: { leadUnitId: '330106-zjj', coUnitIds: ['330106-rsj'], basis },
  });

  it('records an agreement by the holder; custody goes to the lead', () => {
    const run = atHandlingUnit();
    run.ok(unit('330106-rsj'), designate(CoUnitBasis.CO_UNIT_BASIS_AGREED));
    expect(run.snapshot).toMatchObject({
      custodyUnitId: '330106-zjj',
      leadUnitId: '330106-zjj',
      coUnitIds: ['330106-rsj'],
    });
  });

  it('takes a decision only from the common superior', () => {
    const run = atHandlingUnit();
    expect(run.refused(unit('330100-zf'), designate(CoUnitBasis.CO_UNIT_BASIS_SUPERIOR_DECIDED))).toBe(
      'NOT_COMMON_SUPERIOR',
    );
    run.ok(unit('330106-zf'), designate(CoUnitBasis.CO_UNIT_BASIS_SUPERIOR_DECIDED));
    expect(run.snapshot?.custodyUnitId).toBe('330106-zjj');
  });
});

describe('art 19 (and 36): a repeat is linked to its original, not accepted again', () => {
  const link = (originalCaseId: string, basis: RepeatBasis): Body => ({
    $case: 'linkAsRepeat',
    value: { originalCaseId, basis, reason: '同一事项' },
  });

  it('links to an original in progress; refuses when the original is not in progress or unknown', () => {
    const run = atHandlingUnit();
    expect(run.refused(unit('330106-rsj'), link('case-original', RepeatBasis.REPEAT_BASIS_IN_PROGRESS))).toBe(
      'ORIGINAL_NOT_FOUND',
    );
    run.cases.set('case-original', { caseId: 'case-original', caseNumber: 'ZJ-1', state: CaseState.CASE_STATE_CLOSED });
    expect(run.refused(unit('330106-rsj'), link('case-original', RepeatBasis.REPEAT_BASIS_IN_PROGRESS))).toBe(
      'ORIGINAL_NOT_IN_PROGRESS',
    );
    expect(run.refused(unit('330106-rsj'), link('case-original', RepeatBasis.REPEAT_BASIS_FINAL))).toBe(
      'ORIGINAL_NOT_FINAL',
    );
    run.cases.set('case-original', {
      caseId: 'case-original',
      caseNumber: 'ZJ-1',
      state: CaseState.CASE_STATE_ACCEPTED,
    });
    run.ok(unit('330106-rsj'), link('case-original', RepeatBasis.REPEAT_BASIS_IN_PROGRESS));
    expect(run.snapshot).toMatchObject({
      state: CaseState.CASE_STATE_LINKED_AS_REPEAT,
      linkedToCaseId: 'case-original',
    });
    expect(run.refused(unit('330106-rsj'), accept)).toBe('CASE_CLOSED');
  });

  it('links to a final original (art 36)', () => {
    const run = atHandlingUnit();
    run.cases.set('case-final', { caseId: 'case-final', caseNumber: 'ZJ-2', state: CaseState.CASE_STATE_FINAL });
    run.ok(unit('330106-rsj'), link('case-final', RepeatBasis.REPEAT_BASIS_FINAL));
    expect(run.state).toBe(CaseState.CASE_STATE_LINKED_AS_REPEAT);
  });
});

describe('withdrawal', () => {
  it('is the petitioner’s alone', () => {
    const run = atHandlingUnit();
    const withdraw: Body = { $case: 'withdrawCase', value: { reason: '已协商解决' } };
    expect(run.refused(unit('330106-rsj'), withdraw)).toBe('ACTOR_NOT_ALLOWED');
    expect(run.refused(petitionerOf('OTHER-NUMBER'), withdraw)).toBe('WRONG_CASE_NUMBER');
    run.ok(petitionerOf(run.caseNumber), withdraw);
    expect(run.state).toBe(CaseState.CASE_STATE_WITHDRAWN);
  });
});
