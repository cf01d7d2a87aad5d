import { CaseState, PetitionKind, SupervisionGround, TransferReason } from '@petition/contract';
import type { Directory } from '@petition/directory';
import { beforeAll, describe, expect, it } from 'vitest';
import { refusalCatalogue } from './refusals.ts';
import { type Body, CaseRun, payloadOf, petition, petitionerOf, realDirectory, unit } from './test-kit.ts';

// 督办单 (supervision notices), 领导包案, and the petitioner's 补充材料 and 催办 (arts 39–41), over the real
// directory: the case is held by 西湖区人社局 (330106-rsj); above it stand 西湖区信访局 (by place), 西湖区政府
// (its superior), 杭州市信访局 and on up.

let directory: Directory;
beforeAll(() => {
  directory = realDirectory();
});

const start = '2026-11-20T10:00:00+08:00';
const holder = '330106-rsj';

function atHandlingUnit(over: Parameters<typeof petition>[0] = {}) {
  const run = new CaseRun({ now: start, directory });
  run.ok(undefined, { $case: 'registerPetition', value: { petition: petition(over) } });
  run.ok(unit('330106-xfj'), { $case: 'forwardCase', value: { toUnitId: holder, toHandlingUnit: true } });
  run.ok(unit(holder), { $case: 'acceptCase', value: {} });
  return run;
}

const issue = (
  reportDueTime: Date | undefined,
  ground: number = SupervisionGround.SUPERVISION_GROUND_OVERDUE,
): Body => ({
  $case: 'issueSupervision',
  value: { ground, instructions: '限期报告办理进展', reportDueTime },
});
const answer = (supervisionId: string, summary = '已约谈企业，工资本月补发'): Body => ({
  $case: 'answerSupervision',
  value: { supervisionId, report: { summary } },
});
const close = (supervisionId: string): Body => ({
  $case: 'closeSupervision',
  value: { supervisionId, conclusion: '办理情况属实，予以办结' },
});
const takeCharge: Body = { $case: 'takeCharge', value: { note: '亲自协调' } };
const days = (n: number) => new Date(new Date(start).getTime() + n * 86_400_000);

/** Issues a notice from 杭州市信访局, due in ten days; returns its id. */
function issued(run: CaseRun, by = '330100-xfj') {
  const [event] = run.ok(unit(by, 'supervisor-1'), issue(days(10)));
  return payloadOf(event, 'supervisionIssued').supervisionId;
}

describe('issuing a supervision notice (督办单)', () => {
  it('comes from a unit above the holder, names both, keeps state and custody, and is identified by its event', () => {
    const run = atHandlingUnit();
    const version = run.snapshot?.version ?? 0;
    const [event] = run.ok(unit('330100-xfj', 'supervisor-1'), issue(days(10)));
    const value = payloadOf(event, 'supervisionIssued');
    expect(value).toEqual({
      supervisionId: event.envelope?.eventId,
      supervisingUnitId: '330100-xfj',
      supervisedUnitId: holder,
      ground: SupervisionGround.SUPERVISION_GROUND_OVERDUE,
      instructions: '限期报告办理进展',
      reportDueTime: days(10),
      staffId: 'supervisor-1',
    });
    expect(event).toMatchObject({ state: CaseState.CASE_STATE_ACCEPTED, custodyUnitId: holder });
    expect(event.envelope?.caseVersion).toBe(version + 1);
    expect(run.snapshot?.supervision).toEqual({
      supervisionId: value.supervisionId,
      supervisingUnitId: '330100-xfj',
      reportDueTime: days(10),
      answered: false,
    });
  });

  it('may come from the bureau of the holder’s own place, or the holder’s superior', () => {
    for (const supervisor of ['330106-xfj', '330106-zf', '330000-xfj', '000000-xfj']) {
      const run = atHandlingUnit();
      run.ok(unit(supervisor), issue(days(5)));
      expect(run.snapshot?.supervision?.supervisingUnitId).toBe(supervisor);
    }
  });

  it('NOT_SUPERVISOR: never from the holder itself, nor from a unit that knows the case but is not above it', () => {
    const run = atHandlingUnit();
    expect(run.refused(unit(holder), issue(days(10)))).toBe('NOT_SUPERVISOR');
    // 西湖区住建局 becomes the lead of the matter and 人社局 a co-unit: 人社局 knows the case, is not above.
    run.ok(unit(holder), {
      $case: 'designateCoUnits',
      value: { leadUnitId: '330106-zjj', coUnitIds: [holder], basis: 1 },
    });
    expect(run.refused(unit(holder), issue(days(10)))).toBe('NOT_SUPERVISOR');
    expect(run.snapshot?.supervision).toBeUndefined();
  });

  it('tells a unit with no part in the case, and a bureau the accusation is kept from, that there is no case', () => {
    const run = atHandlingUnit();
    expect(run.refused(unit('330106-zjj'), issue(days(10)))).toBe('CASE_NOT_FOUND');
    expect(run.refused(unit('330200-xfj'), issue(days(10)))).toBe('CASE_NOT_FOUND');
    // An accusation against 杭州市信访局, held by 西湖区纪委监委: the accused is above the holder by place,
    // yet it may not supervise what it must not know of (art 30); the province's bureau may.
    const accusation = new CaseRun({ now: start, directory });
    accusation.ok(undefined, {
      $case: 'registerPetition',
      value: {
        petition: petition({ kind: PetitionKind.PETITION_KIND_ACCUSATION, accusedUnitId: '330100-xfj', category: 6 }),
      },
    });
    accusation.ok(unit('330000-xfj'), { $case: 'forwardCase', value: { toUnitId: '330106-jw', toHandlingUnit: true } });
    expect(accusation.refused(unit('330100-xfj'), issue(days(10)))).toBe('CASE_NOT_FOUND');
    accusation.ok(unit('330000-xfj'), issue(days(10)));
  });

  it('SUPERVISION_ALREADY_OPEN: one notice at a time; once it is closed another may follow', () => {
    const run = atHandlingUnit();
    const first = issued(run);
    expect(run.refused(unit('330106-xfj'), issue(days(10)))).toBe('SUPERVISION_ALREADY_OPEN');
    expect(run.refused(unit('330100-xfj'), issue(days(10)))).toBe('SUPERVISION_ALREADY_OPEN');
    run.ok(unit('330100-xfj'), close(first));
    const second = issued(run, '330106-xfj');
    expect(second).not.toBe(first);
  });

  it('INVALID_FIELD: a known ground, and a report date after now and at most 60 days ahead', () => {
    const run = atHandlingUnit();
    const supervisor = unit('330100-xfj');
    expect(run.refused(supervisor, issue(days(10), SupervisionGround.SUPERVISION_GROUND_UNSPECIFIED))).toBe(
      'INVALID_FIELD',
    );
    expect(run.refused(supervisor, issue(undefined))).toBe('INVALID_FIELD');
    expect(run.refused(supervisor, issue(new Date(start)))).toBe('INVALID_FIELD');
    expect(run.refused(supervisor, issue(days(-1)))).toBe('INVALID_FIELD');
    // Fri 20 Nov + 60 days = Tue 19 Jan 2027, ending at 24:00 Shanghai.
    expect(run.refused(supervisor, issue(new Date('2027-01-19T16:00:00.001Z')))).toBe('INVALID_FIELD');
    run.ok(supervisor, issue(new Date('2027-01-19T16:00:00Z')));
  });

  it('is refused on a case that has ended', () => {
    const run = atHandlingUnit();
    run.ok(petitionerOf(run.caseNumber), { $case: 'withdrawCase', value: {} });
    expect(run.refused(unit('330100-xfj'), issue(days(10)))).toBe('CASE_CLOSED');
  });
});

describe('answering and closing it', () => {
  it('the holder reports back, in time or late; the issuer closes it and the case is as it was', () => {
    const run = atHandlingUnit();
    const id = issued(run);
    const [answered] = run.at(3).ok(unit(holder), answer(id));
    expect(payloadOf(answered, 'supervisionAnswered')).toMatchObject({
      supervisionId: id,
      unitId: holder,
      report: { summary: '已约谈企业，工资本月补发' },
      answerTime: run.now,
      inTime: true,
    });
    expect(run.snapshot?.supervision?.answered).toBe(true);
    const [closed] = run.ok(unit('330100-xfj'), close(id));
    expect(payloadOf(closed, 'supervisionClosed')).toEqual({
      supervisionId: id,
      supervisingUnitId: '330100-xfj',
      conclusion: '办理情况属实，予以办结',
      answered: true,
    });
    expect(closed).toMatchObject({ state: CaseState.CASE_STATE_ACCEPTED, custodyUnitId: holder });
    expect(run.snapshot?.supervision).toBeUndefined();

    const late = atHandlingUnit();
    const lateId = issued(late);
    late.at(11);
    expect(payloadOf(late.ok(unit(holder), answer(lateId))[0], 'supervisionAnswered').inTime).toBe(false);
  });

  it('answer: NOT_IN_CUSTODY for anyone but the holder; NO_SUPERVISION for another id; SUPERVISION_ALREADY_ANSWERED twice', () => {
    const run = atHandlingUnit();
    expect(run.refused(unit(holder), answer('no-such-notice'))).toBe('NO_SUPERVISION');
    const id = issued(run);
    expect(run.refused(unit('330100-xfj'), answer(id))).toBe('NOT_IN_CUSTODY');
    expect(run.refused(unit(holder), answer('another-id'))).toBe('NO_SUPERVISION');
    expect(run.refused(unit(holder), answer(''))).toBe('NO_SUPERVISION');
    expect(run.refused(unit(holder), answer(id, ' '))).toBe('INVALID_FIELD');
    run.ok(unit(holder), answer(id));
    expect(run.refused(unit(holder), answer(id, '再次回复'))).toBe('SUPERVISION_ALREADY_ANSWERED');
    run.ok(unit('330100-xfj'), close(id));
    expect(run.refused(unit(holder), answer(id))).toBe('NO_SUPERVISION');
  });

  it('close: only by the unit that issued it (NOT_SUPERVISOR), only the open notice (NO_SUPERVISION), answered or not', () => {
    const run = atHandlingUnit();
    expect(run.refused(unit('330100-xfj'), close('nothing-open'))).toBe('NO_SUPERVISION');
    const id = issued(run);
    // Above the holder too, but not the issuer; and the holder may not close what it is to answer.
    expect(run.refused(unit('330000-xfj'), close(id))).toBe('NOT_SUPERVISOR');
    expect(run.refused(unit(holder), close(id))).toBe('NOT_SUPERVISOR');
    expect(run.refused(unit('330100-xfj'), close('another-id'))).toBe('NO_SUPERVISION');
    const [closed] = run.ok(unit('330100-xfj'), close(id));
    expect(payloadOf(closed, 'supervisionClosed').answered).toBe(false);
    expect(run.refused(unit('330100-xfj'), close(id))).toBe('NO_SUPERVISION');
  });

  it('follows the case to a new holder, who answers it; a case that ends takes its open notice with it', () => {
    const run = atHandlingUnit();
    const id = issued(run, '330106-zf');
    run.ok(unit(holder), {
      $case: 'designateCoUnits',
      value: { leadUnitId: '330106-zjj', coUnitIds: [holder], basis: 1 },
    });
    expect(run.refused(unit(holder), answer(id))).toBe('NOT_IN_CUSTODY');
    run.ok(unit('330106-zjj'), answer(id));
    run.ok(unit('330106-zjj'), {
      $case: 'replyCase',
      value: { opinion: { summary: '已解决' }, disposition: 1 },
    });
    expect(run.snapshot?.supervision?.supervisionId).toBe(id);
    run.ok(petitionerOf(run.caseNumber), { $case: 'withdrawCase', value: {} });
    expect(run.snapshot?.supervision).toBeUndefined();
    // The issuer, too, learns the notice ended with the case.
    expect(run.refused(unit('330106-zf'), close(id))).toBe('CASE_CLOSED');
  });

  it('stays the issuer’s to close when the case moves out of its subtree', () => {
    const run = atHandlingUnit();
    const id = issued(run, '330106-zf');
    // Their common superior, 杭州市政府, sends the matter to 上城区人社局: 西湖区政府 is not above it.
    run.ok(unit('330100-zf'), {
      $case: 'transferCase',
      value: { toUnitId: '330102-rsj', reason: TransferReason.TRANSFER_REASON_SUPERIOR_DESIGNATED },
    });
    expect(directory.inSubtree('330102-rsj', '330106-zf')).toBe(false);
    run.ok(unit('330102-rsj'), answer(id));
    run.ok(unit('330106-zf'), close(id));
    // With the notice closed, it has no more part in the case than any other unit.
    expect(run.refused(unit('330106-zf'), issue(days(10)))).toBe('CASE_NOT_FOUND');
  });
});

describe('领导包案: a leader takes personal charge', () => {
  it('a leader of the holder or of a unit above it; a later leader replaces the earlier one', () => {
    const run = atHandlingUnit();
    const [first] = run.ok(unit(holder, 'leader-rsj'), takeCharge);
    expect(payloadOf(first, 'caseTakenInCharge')).toEqual({
      leaderUnitId: holder,
      leaderStaffId: 'leader-rsj',
      note: '亲自协调',
      previousLeaderStaffId: '',
    });
    expect(first).toMatchObject({ state: CaseState.CASE_STATE_ACCEPTED, custodyUnitId: holder });
    const [second] = run.ok(unit('330106-zf', 'leader-zf'), takeCharge);
    expect(payloadOf(second, 'caseTakenInCharge')).toMatchObject({
      leaderUnitId: '330106-zf',
      leaderStaffId: 'leader-zf',
      previousLeaderStaffId: 'leader-rsj',
    });
    expect(run.snapshot?.leader).toEqual({ unitId: '330106-zf', staffId: 'leader-zf' });
  });

  it('ALREADY_IN_CHARGE for the same leader again; NOT_LEADER_OF_CASE for a unit not above the holder', () => {
    const run = atHandlingUnit();
    run.ok(unit('330100-xfj', 'leader-1'), takeCharge);
    expect(run.refused(unit('330100-xfj', 'leader-1'), takeCharge)).toBe('ALREADY_IN_CHARGE');
    run.ok(unit(holder), {
      $case: 'designateCoUnits',
      value: { leadUnitId: '330106-zjj', coUnitIds: [holder], basis: 1 },
    });
    // 人社局 is a co-unit now: it knows the case, but neither holds it nor stands above its holder.
    expect(run.refused(unit(holder, 'leader-rsj'), takeCharge)).toBe('NOT_LEADER_OF_CASE');
    expect(run.refused(unit('330106-mzj', 'leader-mzj'), takeCharge)).toBe('CASE_NOT_FOUND');
    expect(run.refused(unit('330106-zjj', ''), takeCharge)).toBe('INVALID_FIELD');
    expect(run.refused(petitionerOf(run.caseNumber), takeCharge)).toBe('ACTOR_NOT_ALLOWED');
  });
});

describe('the petitioner’s 补充材料 and 催办', () => {
  const supplement = (material: string, attachments: { name: string }[] = []): Body => ({
    $case: 'supplementCase',
    value: { material, attachments },
  });
  const urge: Body = { $case: 'urgeCase', value: { note: '请尽快处理' } };

  it('supplements a case still open with material and attachments; the case does not move', () => {
    const run = atHandlingUnit();
    const attachment = { name: '工资条.pdf', mediaType: 'application/pdf', sizeBytes: 1024 };
    const [event] = run.ok(petitionerOf(run.caseNumber), {
      $case: 'supplementCase',
      value: { material: '补充三个月的工资条', attachments: [attachment] },
    });
    expect(payloadOf(event, 'caseSupplemented')).toMatchObject({
      material: '补充三个月的工资条',
      attachments: [attachment],
    });
    expect(event).toMatchObject({ state: CaseState.CASE_STATE_ACCEPTED, custodyUnitId: holder });
  });

  it('MATERIAL_REQUIRED for no material; INVALID_FIELD beyond 5000 characters, 20 attachments or a nameless one', () => {
    const run = atHandlingUnit();
    const me = petitionerOf(run.caseNumber);
    expect(run.refused(me, supplement(''))).toBe('MATERIAL_REQUIRED');
    expect(run.refused(me, supplement('  \n'))).toBe('MATERIAL_REQUIRED');
    // Counted in characters: 5000 of them pass, in any script.
    run.ok(me, supplement('材'.repeat(5000)));
    run.ok(me, supplement('😀'.repeat(5000)));
    expect(run.refused(me, supplement('材'.repeat(5001)))).toBe('INVALID_FIELD');
    const many = Array.from({ length: 21 }, (_, i) => ({ name: `${i}.jpg` }));
    expect(run.refused(me, supplement('照片', many))).toBe('INVALID_FIELD');
    expect(run.refused(me, supplement('照片', [{ name: '' }]))).toBe('INVALID_FIELD');
  });

  it('is the petitioner’s alone, of their own case, never of an anonymous accusation, and only while it is open', () => {
    const run = atHandlingUnit();
    expect(run.refused(unit(holder), supplement('材料'))).toBe('ACTOR_NOT_ALLOWED');
    expect(run.refused(unit(holder), urge)).toBe('ACTOR_NOT_ALLOWED');
    expect(run.refused(petitionerOf('OTHER'), supplement('材料'))).toBe('WRONG_CASE_NUMBER');
    expect(run.refused(petitionerOf('OTHER'), urge)).toBe('WRONG_CASE_NUMBER');
    const anonymous = atHandlingUnit({
      kind: PetitionKind.PETITION_KIND_ACCUSATION,
      anonymous: true,
      petitioner: undefined,
    });
    expect(anonymous.refused(petitionerOf(anonymous.caseNumber), supplement('材料'))).toBe('ANONYMOUS_CASE');
    expect(anonymous.refused(petitionerOf(anonymous.caseNumber), urge)).toBe('ANONYMOUS_CASE');
    run.ok(petitionerOf(run.caseNumber), { $case: 'withdrawCase', value: {} });
    expect(run.refused(petitionerOf(run.caseNumber), supplement('材料'))).toBe('CASE_CLOSED');
    expect(run.refused(petitionerOf(run.caseNumber), urge)).toBe('CASE_CLOSED');
  });

  it('URGED_TODAY: urges at most once per Shanghai calendar day, counting each', () => {
    const run = atHandlingUnit();
    const me = petitionerOf(run.caseNumber);
    run.at('2026-11-21T09:00:00+08:00');
    expect(payloadOf(run.ok(me, urge)[0], 'caseUrged')).toEqual({ note: '请尽快处理', times: 1 });
    run.at('2026-11-21T23:59:59+08:00');
    expect(run.refused(me, urge)).toBe('URGED_TODAY');
    // 00:30 in Shanghai is still the 21st in UTC: the day that counts is Shanghai's.
    run.at('2026-11-22T00:30:00+08:00');
    expect(payloadOf(run.ok(me, urge)[0], 'caseUrged').times).toBe(2);
    expect(run.refused(me, urge)).toBe('URGED_TODAY');
    run.at(3);
    expect(payloadOf(run.ok(me, urge)[0], 'caseUrged').times).toBe(3);
    expect(run.snapshot).toMatchObject({ urges: 3, lastUrgeTime: run.now });
  });
});

describe('the refusal catalogue', () => {
  it('has each new code in Chinese and English', () => {
    const codes = [
      'NOT_SUPERVISOR',
      'SUPERVISION_ALREADY_OPEN',
      'NO_SUPERVISION',
      'SUPERVISION_ALREADY_ANSWERED',
      'NOT_LEADER_OF_CASE',
      'ALREADY_IN_CHARGE',
      'MATERIAL_REQUIRED',
      'URGED_TODAY',
    ] as const;
    for (const code of codes) {
      const rule = refusalCatalogue[code];
      expect(rule.zh, code).toMatch(/\p{Script=Han}/u);
      expect(rule.en, code).toMatch(/^[\x20-\x7e]+$/);
    }
    expect(refusalCatalogue.NOT_SUPERVISOR.article).toBe('信访工作条例 第三十九至四十一条');
  });
});
