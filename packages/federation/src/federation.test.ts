import { generateNodeKey, publicJwks } from '@petition/auth';
import { CaseEvent, CaseState, type Handoff } from '@petition/contract';
import { nationalDirectory } from '@petition/directory';
import { type CaseSnapshot, replay } from '@petition/lifecycle';
import { describe, expect, it } from 'vitest';
import { federationSpecFrom, recordSignerFrom } from './config.ts';
import { FederationError } from './errors.ts';
import { createFederation, singleNode } from './federation.ts';
import { handedOffEvent, handoffOf, handoffRefusalEvent, receiveHandoff, refusedEvent, replicaFit } from './handoff.ts';
import { createRecordSigner, createRecordVerifier, signatureHeader, signingKeyHeader } from './signing.ts';

const directory = nationalDirectory();
const keys = { national: generateNodeKey('k-national'), '33': generateNodeKey('k-33'), '64': generateNodeKey('k-64') };
const nodes = Object.entries(keys).map(([id, key]) => ({ id, jwks: publicJwks(key) }));
const node = (self: string) => createFederation({ self, nodes }, directory);

/** A case registered at the national bureau, as its events (version 1..n). */
function registeredAtNational(caseId = 'c-1'): CaseEvent[] {
  return [
    CaseEvent.fromPartial({
      envelope: { eventId: `${caseId}-e1`, caseId, caseVersion: 1, occurTime: new Date('2026-11-30T01:00:00Z') },
      state: CaseState.CASE_STATE_REGISTERED,
      custodyUnitId: '000000-xfj',
      payload: {
        $case: 'petitionRegistered',
        value: {
          petition: {
            caseNumber: 'N-1',
            regionCode: '330106',
            registeringUnitId: '000000-xfj',
            title: 't',
            kind: 1,
            category: 1,
          },
          registrationDueTime: new Date('2026-12-15T01:00:00Z'),
        },
      },
    }),
  ];
}

const forwardTo33 = (caseId = 'c-1') => ({
  meta: {
    commandId: `fwd-${caseId}`,
    caseId,
    issueTime: new Date(),
    correlationId: '',
    idempotencyKey: '',
    actor: { $case: 'unit' as const, value: { unitId: '000000-xfj', staffId: 's' } },
  },
  command: {
    $case: 'forwardCase' as const,
    value: { toUnitId: '330000-xfj', toHandlingUnit: false, reason: '逐级转送' },
  },
});

function handoffFromNational(caseId = 'c-1'): Handoff {
  const history = registeredAtNational(caseId);
  const before = replay(history);
  if (!before) throw new Error('no case');
  const handedOff = handedOffEvent(before, forwardTo33(caseId), '330000-xfj', node('national'), new Date());
  return handoffOf([...history, handedOff]);
}

describe('who hosts a unit and writes a case', () => {
  it('puts a province’s units on its node, the national units and those of provinces without a node on the national node', () => {
    const at33 = node('33');
    expect(at33.hostOf('330106-xfj')).toBe('33');
    expect(at33.hostOf('330000-xfj')).toBe('33');
    expect(at33.hostOf('640000-xfj')).toBe('64');
    expect(at33.hostOf('000000-xfj')).toBe('national');
    expect(at33.hostOf('440106-xfj')).toBe('national');
    expect(at33.hostsHere('330106-xfj')).toBe(true);
    expect(at33.hostsHere('000000-xfj')).toBe(false);
    expect(at33.peers().sort()).toEqual(['64', 'national']);
  });

  it('hosts everything in the single-node nation', () => {
    const nation = createFederation(singleNode, directory);
    expect(nation.federated).toBe(false);
    expect(nation.hostsHere('330106-xfj')).toBe(true);
    expect(nation.peers()).toEqual([]);
  });

  it('says nobody writes a case while its handoff is on the way, then the receiver does', () => {
    const handoff = handoffFromNational();
    const frozen = replay(handoff.history);
    if (!frozen) throw new Error('no case');
    expect(node('national').writerOf(frozen)).toEqual({ here: false, nodeId: '33', inTransit: true });
    const reception = receiveHandoff(
      handoff,
      'national',
      { snapshot: undefined, accepted: () => false },
      node('33'),
      new Date(),
    );
    if (reception.kind !== 'accept') throw new Error(reception.kind);
    expect(node('33').writerOf(reception.snapshot)).toEqual({ here: true });
    expect(node('national').writerOf(reception.snapshot)).toEqual({ here: false, nodeId: '33', inTransit: false });
  });

  it('ends a province’s copy of a case at its handoff to another node, never the national node’s', () => {
    expect(node('33').copyEndsAtHandoffTo('64')).toBe(true);
    expect(node('33').copyEndsAtHandoffTo('33')).toBe(false);
    expect(node('national').copyEndsAtHandoffTo('33')).toBe(false);
    expect(createFederation(singleNode, directory).copyEndsAtHandoffTo('33')).toBe(false);
  });

  it('registers a petition for another node’s place at this node’s top bureau', () => {
    expect(node('64').registrationBureauFor('330106')).toBe('640000-xfj');
    expect(node('national').registrationBureauFor('330106')).toBe('000000-xfj');
    expect(node('33').registrationBureauFor('330106')).toBeUndefined();
  });

  it('refuses a federation that leaves out this node or the national node', () => {
    expect(() => createFederation({ self: '11', nodes }, directory)).toThrow(/not a member/);
    expect(() => createFederation({ self: '33', nodes: nodes.filter((n) => n.id !== 'national') }, directory)).toThrow(
      /no national node/,
    );
  });
});

describe('signatures on the interconnect', () => {
  const verifier = createRecordVerifier(nodes);
  const bytes = new TextEncoder().encode('a record');

  it('names the node whose key signed the bytes', () => {
    const headers = createRecordSigner(keys['33'].privateJwk).sign(bytes);
    expect(verifier.signerOf(bytes, headers)).toBe('33');
  });

  it('refuses changed bytes, a stranger’s key, a borrowed key id and no signature, each with its code', () => {
    const headers = createRecordSigner(keys['33'].privateJwk).sign(bytes);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        return (error as FederationError).code;
      }
      return 'accepted';
    };
    expect(code(() => verifier.signerOf(new TextEncoder().encode('a record!'), headers))).toBe('BAD_SIGNATURE');
    const stranger = createRecordSigner(generateNodeKey('k-stranger').privateJwk).sign(bytes);
    expect(code(() => verifier.signerOf(bytes, stranger))).toBe('UNKNOWN_SIGNING_KEY');
    // A stranger's signature presented under the key id of node 33.
    const borrowed = { ...stranger, [signingKeyHeader]: 'k-33' };
    expect(code(() => verifier.signerOf(bytes, borrowed))).toBe('BAD_SIGNATURE');
    expect(code(() => verifier.signerOf(bytes, { [signingKeyHeader]: 'k-33' }))).toBe('UNSIGNED');
    expect(code(() => verifier.signerOf(bytes, { [signatureHeader]: headers[signatureHeader] ?? '' }))).toBe(
      'UNSIGNED',
    );
  });
});

describe('a handoff received', () => {
  const at33 = node('33');
  const view: { snapshot: CaseSnapshot | undefined; accepted: () => boolean } = {
    snapshot: undefined,
    accepted: () => false,
  };

  it('imports the history, then accepts: the receiver writes the next version', () => {
    const handoff = handoffFromNational();
    const reception = receiveHandoff(handoff, 'national', view, at33, new Date());
    if (reception.kind !== 'accept') throw new Error(reception.kind);
    expect(reception.events.map((e) => e.payload?.$case)).toEqual([
      'petitionRegistered',
      'caseHandedOff',
      'handoffAccepted',
    ]);
    expect(reception.events.map((e) => e.envelope?.caseVersion)).toEqual([1, 2, 3]);
    expect(reception.command.command?.$case).toBe('forwardCase');
  });

  it('imports only what the receiver lacks when it knew the case already', () => {
    const handoff = handoffFromNational();
    const known = replay(handoff.history.slice(0, 1));
    const reception = receiveHandoff(handoff, 'national', { snapshot: known, accepted: () => false }, at33, new Date());
    if (reception.kind !== 'accept') throw new Error(reception.kind);
    expect(reception.events.map((e) => e.envelope?.caseVersion)).toEqual([2, 3]);
  });

  it('recognises a handoff it took already', () => {
    const reception = receiveHandoff(
      handoffFromNational(),
      'national',
      { snapshot: undefined, accepted: () => true },
      at33,
      new Date(),
    );
    expect(reception.kind).toBe('duplicate');
  });

  const refusalCode = (handoff: Handoff, signer: string, receiver = at33, snapshot = view.snapshot) => {
    try {
      receiveHandoff(handoff, signer, { snapshot, accepted: () => false }, receiver, new Date());
      return 'accepted';
    } catch (error) {
      if (!(error instanceof FederationError)) throw error;
      return error.code;
    }
  };

  it('refuses a handoff signed by a node that does not host the sending unit', () => {
    expect(refusalCode(handoffFromNational(), '64')).toBe('SIGNER_NOT_SENDER');
  });

  it('refuses a case for a unit it does not host', () => {
    expect(refusalCode(handoffFromNational(), 'national', node('64'))).toBe('UNIT_NOT_HOSTED');
  });

  it('refuses a history with a hole in it, or one that does not end in this handoff', () => {
    const handoff = handoffFromNational();
    expect(refusalCode({ ...handoff, history: handoff.history.slice(1) }, 'national')).toBe('MALFORMED_RECORD');
    expect(refusalCode({ ...handoff, handoffId: 'another' }, 'national')).toBe('MALFORMED_RECORD');
  });

  it('refuses a history shorter than what it holds of the case', () => {
    const handoff = handoffFromNational();
    const longer = replay([...handoff.history, ...registeredAtNational().slice(0, 0)]);
    const ahead = longer && { ...longer, version: 9 };
    expect(refusalCode(handoff, 'national', at33, ahead)).toBe('HISTORY_CONFLICT');
  });

  it('records its refusal at version 0, naming the code, so that the case’s versions stay the sender’s', () => {
    const event = handoffRefusalEvent(handoffFromNational(), 'UNIT_NOT_HOSTED', '330000-xfj', new Date());
    expect(event.envelope?.caseVersion).toBe(0);
    expect(event.payload?.$case === 'commandRefused' && event.payload.value.reasonCode).toBe('UNIT_NOT_HOSTED');
  });
});

describe('the sender after an answer', () => {
  it('takes the case back only for a refusal of the handoff it has pending, from the node it sent it to', () => {
    const handoff = handoffFromNational();
    const frozen = replay(handoff.history);
    const refusal = { handoffId: handoff.handoffId, reasonCode: 'UNIT_NOT_HOSTED', detail: '' };
    expect(refusedEvent(frozen, refusal, '64', new Date())).toBeUndefined();
    expect(refusedEvent(frozen, { ...refusal, handoffId: 'other' }, '33', new Date())).toBeUndefined();
    const back = refusedEvent(frozen, refusal, '33', new Date());
    expect(back?.envelope?.caseVersion).toBe(3);
    const after = back && frozen && replay([...handoff.history, back]);
    expect(after?.handoff).toBeUndefined();
    expect(after && node('national').writerOf(after)).toEqual({ here: true });
  });

  it('appends a replica that continues its copy, drops one it has, and notices a gap', () => {
    const history = handoffFromNational().history;
    const copy = replay(history.slice(0, 1));
    expect(replicaFit(copy, history[1] as CaseEvent)).toBe('append');
    expect(replicaFit(copy, history[0] as CaseEvent)).toBe('duplicate');
    const third = CaseEvent.fromPartial({ envelope: { caseId: 'c-1', caseVersion: 3 } });
    expect(replicaFit(copy, third)).toBe('gap');
  });
});

describe('configuration', () => {
  it('is the single-node nation without NODE_ID', () => {
    expect(federationSpecFrom({})).toBe(singleNode);
    expect(recordSignerFrom({})).toBeUndefined();
  });

  it('names what is missing or wrong', () => {
    expect(() => federationSpecFrom({ nodeId: '33' })).toThrow(/FEDERATION is required/);
    expect(() => federationSpecFrom({ nodeId: '33', federation: '{"nodes":[]}' })).toThrow(/at least one node/);
    expect(() => federationSpecFrom({ nodeId: '33', federation: '{"nodes":[{"id":"zj"}]}' })).toThrow(/province code/);
    const withPrivate = JSON.stringify({ nodes: [{ id: '33', jwks: { keys: [keys['33'].privateJwk] } }] });
    expect(() => federationSpecFrom({ nodeId: '33', federation: withPrivate })).toThrow(/private member/);
    expect(() => recordSignerFrom({ nodeId: '33' })).toThrow(/NODE_SIGNING_KEY is required/);
  });

  it('reads the members and their public keys', () => {
    const spec = federationSpecFrom({ nodeId: '33', federation: JSON.stringify({ nodes }) });
    expect(spec.self).toBe('33');
    expect(spec.nodes.map((n) => n.id).sort()).toEqual(['33', '64', 'national']);
    const signer = recordSignerFrom({ nodeId: '33', nodeSigningKey: JSON.stringify(keys['33'].privateJwk) });
    expect(signer?.keyId).toBe('k-33');
  });
});
