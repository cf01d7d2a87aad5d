import {
  CaseAccepted,
  CaseEvent,
  CaseState,
  Channel,
  Petition,
  SupervisionAnswered,
  SupervisionClosed,
  SupervisionGround,
  SupervisionIssued,
} from '@petition/contract';
import { describe, expect, it } from 'vitest';
import { matterOf, openSupervision, type SupervisionView, sealedOf, supervisionsAfter } from './case-details.ts';

// The case details' pure steps: what a registration leaves in the clear and what stays sealed, and how a
// case's 督办单 move from open to answered to closed — or end with the case.

const at = (iso: string) => new Date(iso);
function event(
  payload: CaseEvent['payload'],
  time = '2026-11-20T02:00:00Z',
  state: CaseState = CaseState.CASE_STATE_ACCEPTED,
) {
  const e = CaseEvent.fromPartial({ envelope: { eventId: 'e', caseId: 'c', occurTime: at(time) }, state });
  e.payload = payload;
  return e;
}
const issued = (id: string) =>
  event({
    $case: 'supervisionIssued',
    value: SupervisionIssued.fromPartial({
      supervisionId: id,
      supervisingUnitId: '330100-xfj',
      supervisedUnitId: '330106-rsj',
      ground: SupervisionGround.SUPERVISION_GROUND_OVERDUE,
      reportDueTime: at('2026-11-30T16:00:00Z'),
    }),
  });
const answered = (id: string) =>
  event(
    {
      $case: 'supervisionAnswered',
      value: SupervisionAnswered.fromPartial({ supervisionId: id, unitId: '330106-rsj', report: { summary: '已办' } }),
    },
    '2026-11-25T02:00:00Z',
  );
const closed = (id: string) =>
  event(
    { $case: 'supervisionClosed', value: SupervisionClosed.fromPartial({ supervisionId: id, conclusion: '办结' }) },
    '2026-11-26T02:00:00Z',
  );

describe('the case details', () => {
  it('keep the matter in the clear and the people sealed, each by subject', () => {
    const sealed = { keyId: 'k', nonce: new Uint8Array(12), ciphertext: new Uint8Array(3), purpose: 'petitioner' };
    const p = Petition.fromPartial({
      title: '工资拖欠',
      channel: Channel.CHANNEL_LETTER,
      petitioner: { personId: 'p-1', sealed },
      representatives: [{ personId: 'r-1', sealed }, { personId: 'r-2' }],
    });
    expect(matterOf(p)).toMatchObject({
      title: '工资拖欠',
      channel: 'CHANNEL_LETTER',
      person: 'p-1',
      representatives: JSON.stringify([{ personId: 'r-1' }, { personId: 'r-2' }]),
      anonymous: '',
    });
    expect(JSON.stringify(matterOf(p))).not.toContain('sealed');
    expect(Object.keys(sealedOf(p))).toEqual(['petitioner', 'representative:1']);
    expect(sealedOf(Petition.fromPartial({ anonymous: true }))).toEqual({});
  });

  it('move a 督办单 from open to answered to closed', () => {
    let list: SupervisionView[] = [];
    list = supervisionsAfter(list, issued('s1'), false) ?? list;
    expect(openSupervision(list)).toMatchObject({
      supervisionId: 's1',
      state: 'open',
      ground: 'SUPERVISION_GROUND_OVERDUE',
    });
    list = supervisionsAfter(list, answered('s1'), false) ?? list;
    expect(list[0]).toMatchObject({
      state: 'answered',
      report: { summary: '已办' },
      answerTime: '2026-11-25T02:00:00.000Z',
    });
    list = supervisionsAfter(list, closed('s1'), false) ?? list;
    expect(list[0]).toMatchObject({ state: 'closed', conclusion: '办结', closeTime: '2026-11-26T02:00:00.000Z' });
    expect(openSupervision(list)).toBeUndefined();
  });

  it('change nothing for another event, or for a notice they never saw issued', () => {
    const list = supervisionsAfter([], issued('s1'), false) ?? [];
    expect(supervisionsAfter(list, event({ $case: 'caseAccepted', value: CaseAccepted.fromPartial({}) }), false)).toBe(
      undefined,
    );
    expect(supervisionsAfter(list, answered('other'), false)).toBeUndefined();
  });

  it('end an open 督办单 with the case, and leave a closed one as it was', () => {
    let list = supervisionsAfter([], issued('s1'), false) ?? [];
    list = supervisionsAfter(list, closed('s1'), false) ?? list;
    list = supervisionsAfter(list, issued('s2'), false) ?? list;
    const ended = supervisionsAfter(
      list,
      event({ $case: 'caseWithdrawn', value: { reason: '' } }, '2026-12-01T02:00:00Z', CaseState.CASE_STATE_WITHDRAWN),
      true,
    );
    expect(ended?.map((s) => [s.supervisionId, s.state, s.endedWithCase ?? false])).toEqual([
      ['s1', 'closed', false],
      ['s2', 'closed', true],
    ]);
    expect(supervisionsAfter(ended ?? [], event(undefined), true)).toBeUndefined();
  });
});
