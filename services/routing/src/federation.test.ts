import { generateNodeKey, publicJwks } from '@petition/auth';
import { type CaseCommand, type CaseEvent, CaseState, TransferReason } from '@petition/contract';
import { type Directory, nationalDirectory, unitDissolved } from '@petition/directory';
import { createFederation, handoffOf } from '@petition/federation';
import { createLegalCalendar, stateCouncilTable } from '@petition/legal-calendar';
import { describe, expect, it } from 'vitest';
import { parseRouteModes } from './auto-route.ts';
import { createCaseStore } from './case-store.ts';
import { command, petitioner, register, unit } from './test-support.ts';
import { createWriter, type Received } from './writer.ts';

// The handoff protocol between the routing of three nodes, in memory: what each node's writer decides and
// writes, with the records between them carried by hand. The same over real brokers and MirrorMaker 2 is
// test/federation.test.ts.

const nodes = ['national', '33', '64'].map((id) => ({ id, jwks: publicJwks(generateNodeKey(`k-${id}`)) }));
const calendar = createLegalCalendar({ table: stateCouncilTable() });

function node(self: string, options: { manual?: string[]; directory?: Directory } = {}) {
  const directory = options.directory ?? nationalDirectory();
  const store = createCaseStore();
  const writer = createWriter({
    directory,
    calendar,
    store,
    routeModes: parseRouteModes(
      'chain',
      (options.manual ?? []).map((key) => `${key}=manual`),
    ),
    federation: createFederation({ self, nodes }, directory),
    now: () => new Date(),
  });
  const write = (events: readonly CaseEvent[]) => {
    for (const e of events) store.apply(e, 0);
    return events;
  };
  return {
    store,
    writer,
    /** Decides commands and writes their events, as routing does. */
    decide: (...commands: CaseCommand[]) => write(writer.decideAll(commands).decided.flatMap((d) => d.events)),
    receive(from: { store: ReturnType<typeof createCaseStore> }, caseId: string, by: string): Received {
      const received = writer.receive(handoffOf(from.store.history(caseId)), by);
      if (received.kind !== 'duplicate') write(received.events);
      return received;
    },
    last: (caseId: string) => store.get(caseId),
  };
}

const kinds = (events: readonly CaseEvent[]) => events.map((e) => e.payload?.$case);
const refusalOf = (events: readonly CaseEvent[]) => {
  for (const e of events) if (e.payload?.$case === 'commandRefused') return e.payload.value;
  return undefined;
};
const accept = (caseId: string, unitId: string) =>
  command(caseId, unit(unitId), { $case: 'acceptCase', value: { noticeDocumentUri: '' } });

describe('a case across nodes', () => {
  it('registered at the national bureau for a Zhejiang county matter: handed to node 33, written there down to the county unit', () => {
    const national = node('national');
    const zj = node('33');
    const written = national.decide(register('c-down', { registeringUnitId: '000000-xfj' }));
    expect(kinds(written)).toEqual(['petitionRegistered', 'caseHandedOff']);
    expect(national.last('c-down')?.handoff?.toNodeId).toBe('33');

    const received = zj.receive(national, 'c-down', 'national');
    expect(received.kind).toBe('accepted');
    const at33 = zj.last('c-down');
    expect(at33).toMatchObject({ state: CaseState.CASE_STATE_AWAITING_ACCEPTANCE, custodyUnitId: '330106-rsj' });

    // The acknowledgement goes back: the national node appends the HandoffAccepted and knows where the case is.
    const acceptance =
      received.kind === 'accepted' ? received.events.find((e) => e.payload?.$case === 'handoffAccepted') : undefined;
    expect(acceptance && national.writer.replicaOutcome(acceptance)).toBe('append');
    if (acceptance) national.store.apply(acceptance, 0);
    expect(national.last('c-down')?.handoff).toBeUndefined();

    // One writer: node 33 accepts; the national node refuses, naming node 33, and writes nothing versioned.
    // (A unit the national node's copy does not show as ever holding it is told of no case at all: art 30.)
    expect(refusalOf(national.decide(accept('c-down', '330106-rsj')))?.reasonCode).toBe('CASE_NOT_FOUND');
    expect(refusalOf(zj.decide(accept('c-down', '330106-rsj')))).toBeUndefined();
    const refused = national.decide(
      command('c-down', unit('000000-xfj'), {
        $case: 'forwardCase',
        value: { toUnitId: '330000-xfj', toHandlingUnit: false, reason: 'again' },
      }),
    );
    expect(refusalOf(refused)).toMatchObject({ reasonCode: 'CASE_MOVED' });
    expect(refusalOf(refused)?.messageEn).toContain('node 33');
    expect(refused[0]?.envelope?.caseVersion).toBe(0);
  });

  it('a repeat of the same handoff (MirrorMaker copies at least once) is recognised and changes nothing', () => {
    const national = node('national');
    const zj = node('33');
    national.decide(register('c-twice', { registeringUnitId: '000000-xfj' }));
    expect(zj.receive(national, 'c-twice', 'national').kind).toBe('accepted');
    const version = zj.last('c-twice')?.version;
    expect(zj.receive(national, 'c-twice', 'national').kind).toBe('duplicate');
    expect(zj.last('c-twice')?.version).toBe(version);
  });

  it('a transfer from a Zhejiang bureau to a Ningxia bureau: 64 takes it, and afterwards only 64 writes it', () => {
    const zj = node('33', { manual: ['330102-xfj'] });
    const nx = node('64', { manual: ['64'] });
    zj.decide(register('c-across', { regionCode: '330102', registeringUnitId: '330102-xfj' }));
    expect(zj.last('c-across')?.custodyUnitId).toBe('330102-xfj');
    const transfer = command('c-across', unit('330102-xfj'), {
      $case: 'transferCase',
      value: { toUnitId: '640000-xfj', reason: TransferReason.TRANSFER_REASON_MANUAL, note: '当事人现居宁夏' },
    });
    expect(kinds(zj.decide(transfer))).toEqual(['caseHandedOff']);
    expect(nx.receive(zj, 'c-across', '33').kind).toBe('accepted');
    expect(nx.last('c-across')).toMatchObject({ custodyUnitId: '640000-xfj', writerNodeId: '64' });

    const assign = (by: string) =>
      command('c-across', unit(by), {
        $case: 'transferCase',
        value: { toUnitId: '330102-xfj', reason: TransferReason.TRANSFER_REASON_MANUAL, note: 'back' },
      });
    expect(refusalOf(zj.decide(accept('c-across', '330102-xfj')))).toMatchObject({ reasonCode: 'HANDOFF_IN_PROGRESS' });
    // 64 writes it; sending it back to Zhejiang would be a handoff of 64's own.
    expect(kinds(nx.decide(assign('640000-xfj')))).toEqual(['caseHandedOff']);
  });

  it('a review of a provincial government’s decision goes up to the national node', () => {
    const zj = node('33', { manual: ['330000-xfj'] });
    const national = node('national');
    zj.decide(
      register('c-up', { regionCode: '330100', registeringUnitId: '330000-xfj' }),
      command('c-up', unit('330000-xfj'), {
        $case: 'forwardCase',
        value: { toUnitId: '330000-zf', toHandlingUnit: true, reason: '省政府决定事项' },
      }),
    );
    expect(zj.last('c-up')?.custodyUnitId).toBe('330000-zf');
    zj.decide(
      accept('c-up', '330000-zf'),
      command('c-up', unit('330000-zf'), {
        $case: 'replyCase',
        value: { opinion: { summary: '维持原决定' }, disposition: 2 },
      }),
    );
    const review = zj.decide(
      command('c-up', petitioner('N-c-up'), { $case: 'requestReview', value: { reason: '不服' } }),
    );
    expect(kinds(review)).toEqual(['caseHandedOff']);
    expect(national.receive(zj, 'c-up', '33').kind).toBe('accepted');
    expect(national.last('c-up')).toMatchObject({
      state: CaseState.CASE_STATE_UNDER_REVIEW,
      custodyUnitId: '000000-zf',
    });
  });

  it('a handoff the receiver refuses goes back: the sender writes HandoffRefused and holds the case again', () => {
    const zj = node('33', { manual: ['330102-xfj'] });
    // Node 64's directory already knows that its bureau merged away; node 33's does not yet.
    const nxDirectory = nationalDirectory();
    nxDirectory.apply(
      unitDissolved(nxDirectory, '640000-xfj', { successorUnitId: '640100-xfj', reason: '机构改革' }, new Date()),
    );
    const nx = node('64', { directory: nxDirectory });
    zj.decide(register('c-back', { regionCode: '330102', registeringUnitId: '330102-xfj' }));
    zj.decide(
      command('c-back', unit('330102-xfj'), {
        $case: 'transferCase',
        value: { toUnitId: '640000-xfj', reason: TransferReason.TRANSFER_REASON_MANUAL, note: '' },
      }),
    );
    const received = nx.receive(zj, 'c-back', '33');
    expect(received).toMatchObject({ kind: 'refused', code: 'STEP_REFUSED' });
    expect(nx.last('c-back')).toBeUndefined();
    if (received.kind !== 'refused') return;
    const handoffId = zj.last('c-back')?.handoff?.handoffId ?? '';
    const back = zj.writer.handoffRefused(
      { caseId: 'c-back', handoffId, reasonCode: received.code, detail: received.detail },
      '64',
    );
    expect(back?.payload?.$case).toBe('handoffRefused');
    if (back) zj.store.apply(back, 0);
    expect(zj.last('c-back')).toMatchObject({ custodyUnitId: '330102-xfj', handoff: undefined });
    // The same handoff arriving again is refused again, never accepted after the sender took the case back.
    const again = nx.writer.receive(handoffOf(zj.store.history('c-back').slice(0, 2)), '33');
    expect(again).toMatchObject({ kind: 'refused', events: [] });
    expect(refusalOf(zj.decide(accept('c-back', '330102-xfj')))?.reasonCode).not.toBe('CASE_MOVED');
  });

  it('a petition filed at a node for a place another node hosts is registered at this node’s top bureau and handed on', () => {
    const nx = node('64');
    const written = nx.decide(register('c-filed'));
    expect(written[0]?.custodyUnitId).toBe('640000-xfj');
    expect(kinds(written)).toEqual(['petitionRegistered', 'caseHandedOff']);
    expect(nx.last('c-filed')?.handoff?.toUnitId).toBe('330000-xfj');
  });
});
