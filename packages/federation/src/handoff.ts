import { CaseCommand, type CaseEvent, type Handoff, type TraceContext } from '@petition/contract';
import { type CaseSnapshot, eventIdOf, evolve, replay } from '@petition/lifecycle';
import { FederationError, type FederationErrorCode, federationCatalogue } from './errors.ts';
import type { Federation } from './federation.ts';

// The pure half of a handoff between nodes (DESIGN "Nodes"); routing's wiring publishes what these return.
//
// Sender: a command whose step would give custody to a unit another node hosts is not applied here. The
// case gets one event, CaseHandedOff (custody and state unchanged, the command inside), and is frozen: the
// handoff record is rebuilt from the log — the case's history up to that event — and sent signed.
// Receiver: it imports the history it lacks, writes HandoffAccepted (it is now the case's writer) and
// decides the command again on the imported case; or it refuses, and the sender writes HandoffRefused.

const producer = 'routing';

function envelope(
  caseId: string,
  caseVersion: number,
  eventId: string,
  now: Date,
  actingUnitId: string,
  cause: { causationId: string; correlationId: string; trace?: TraceContext },
) {
  return { eventId, caseId, caseVersion, occurTime: now, actingUnitId, producer, ...cause };
}

/** The handoff's id: the id of the sender's CaseHandedOff, derived from the command so that a retry agrees. */
export const handoffIdOf = (commandId: string) => eventIdOf(`${commandId}/handoff`, 0);

/** The event that freezes the case at the sender until the receiver answers. */
export function handedOffEvent(
  before: CaseSnapshot,
  command: CaseCommand,
  toUnitId: string,
  federation: Federation,
  now: Date,
): CaseEvent {
  const meta = command.meta;
  const handoffId = handoffIdOf(meta?.commandId ?? '');
  return {
    envelope: envelope(before.caseId, before.version + 1, handoffId, now, before.custodyUnitId, {
      causationId: meta?.commandId ?? '',
      correlationId: meta?.correlationId || meta?.commandId || '',
      trace: meta?.trace,
    }),
    state: before.state,
    custodyUnitId: before.custodyUnitId,
    payload: {
      $case: 'caseHandedOff',
      value: {
        handoffId,
        fromNodeId: federation.self,
        toNodeId: federation.hostOf(toUnitId),
        toUnitId,
        commandKind: command.command?.$case ?? '',
        command: CaseCommand.encode(command).finish(),
      },
    },
  };
}

/** The handoff record for a case's history that ends with its CaseHandedOff (rebuilt from the log). */
export function handoffOf(history: readonly CaseEvent[]): Handoff {
  const last = history.at(-1);
  if (last?.payload?.$case !== 'caseHandedOff')
    throw new Error('a handoff is rebuilt from a history ending in CaseHandedOff');
  const handedOff = last.payload.value;
  return {
    handoffId: handedOff.handoffId,
    caseId: last.envelope?.caseId ?? '',
    sendingUnitId: last.custodyUnitId,
    toUnitId: handedOff.toUnitId,
    history: [...history],
    command: CaseCommand.decode(handedOff.command),
  };
}

/** What the receiver holds of the case, and whether it has taken this handoff already. */
export interface ReceiverView {
  readonly snapshot: CaseSnapshot | undefined;
  readonly accepted: (handoffId: string) => boolean;
}

export type Reception =
  | { readonly kind: 'duplicate' }
  /** The history to import (what the receiver lacks) and the HandoffAccepted; the step is decided after. */
  | {
      readonly kind: 'accept';
      readonly events: CaseEvent[];
      readonly snapshot: CaseSnapshot;
      readonly command: CaseCommand;
    };

/**
 * Checks a handoff signed by `signer` and addressed here; throws a FederationError naming why it is refused.
 * The custody step itself is decided afterwards by the lifecycle, on the snapshot returned.
 */
export function receiveHandoff(
  handoff: Handoff,
  signer: string,
  view: ReceiverView,
  federation: Federation,
  now: Date,
): Reception {
  if (view.accepted(handoff.handoffId)) return { kind: 'duplicate' };
  if (federation.hostOf(handoff.sendingUnitId) !== signer) {
    throw new FederationError('SIGNER_NOT_SENDER', `${handoff.sendingUnitId} is not hosted by ${signer}`);
  }
  const history = handoff.history;
  const last = history.at(-1);
  const command = handoff.command;
  if (
    !command?.meta ||
    last?.payload?.$case !== 'caseHandedOff' ||
    last.payload.value.handoffId !== handoff.handoffId ||
    history.some((e, i) => e.envelope?.caseVersion !== i + 1 || e.envelope.caseId !== handoff.caseId)
  ) {
    throw new FederationError('MALFORMED_RECORD', 'the history must run from version 1 to its CaseHandedOff');
  }
  if (!federation.hostsHere(handoff.toUnitId)) {
    throw new FederationError(
      'UNIT_NOT_HOSTED',
      `${handoff.toUnitId} is hosted by ${federation.hostOf(handoff.toUnitId) || 'no node'}`,
    );
  }
  const local = view.snapshot;
  if (local && local.version > history.length) {
    throw new FederationError(
      'HISTORY_CONFLICT',
      `this node holds version ${local.version}, the history ends at ${history.length}`,
    );
  }
  let snapshot: CaseSnapshot | undefined;
  try {
    snapshot = local ? history.slice(local.version).reduce<CaseSnapshot | undefined>(evolve, local) : replay(history);
  } catch (error) {
    throw new FederationError('HISTORY_CONFLICT', (error as Error).message);
  }
  if (!snapshot) throw new FederationError('MALFORMED_RECORD', 'the history registers no case');
  const accepted: CaseEvent = {
    envelope: envelope(
      handoff.caseId,
      snapshot.version + 1,
      eventIdOf(`${handoff.handoffId}/accepted`, 0),
      now,
      handoff.toUnitId,
      {
        causationId: handoff.handoffId,
        correlationId: command.meta.correlationId || command.meta.commandId,
        trace: command.meta.trace,
      },
    ),
    state: snapshot.state,
    custodyUnitId: snapshot.custodyUnitId,
    payload: {
      $case: 'handoffAccepted',
      value: { handoffId: handoff.handoffId, fromNodeId: signer, toNodeId: federation.self },
    },
  };
  const imported = history.slice(local?.version ?? 0);
  return {
    kind: 'accept',
    events: [...imported, accepted],
    snapshot: evolve(snapshot, accepted) as CaseSnapshot,
    command,
  };
}

/** The sender's HandoffRefused for a refusal that answers its pending handoff; undefined for a stale one. */
export function refusedEvent(
  s: CaseSnapshot | undefined,
  refusal: { handoffId: string; reasonCode: string; detail: string },
  from: string,
  now: Date,
): CaseEvent | undefined {
  if (!s?.handoff || s.handoff.handoffId !== refusal.handoffId || s.handoff.toNodeId !== from) return undefined;
  return {
    envelope: envelope(s.caseId, s.version + 1, eventIdOf(`${refusal.handoffId}/refused`, 0), now, s.custodyUnitId, {
      causationId: `${refusal.handoffId}/refused`,
      correlationId: refusal.handoffId,
    }),
    state: s.state,
    custodyUnitId: s.custodyUnitId,
    payload: {
      $case: 'handoffRefused',
      value: { handoffId: refusal.handoffId, toNodeId: from, reasonCode: refusal.reasonCode, detail: refusal.detail },
    },
  };
}

export type ReplicaFit = 'append' | 'duplicate' | 'gap';

/** Whether a replicated event of a case this node only reads continues its log. */
export function replicaFit(local: CaseSnapshot | undefined, event: CaseEvent): ReplicaFit {
  const version = event.envelope?.caseVersion ?? 0;
  const have = local?.version ?? 0;
  if (version <= have) return 'duplicate';
  return version === have + 1 ? 'append' : 'gap';
}

/** The command kind a receiver's refusal of a handoff is recorded under (a CommandRefused at version 0). */
export const handoffCommandKind = 'handoff';

/**
 * The receiver's record that it refused a handoff: a CommandRefused at version 0 (the case's versions are
 * the sender's), caused by the handoff id, so that a copy of the same handoff arriving later is refused
 * again — never accepted after the sender has taken the case back.
 */
export function handoffRefusalEvent(
  handoff: Pick<Handoff, 'caseId' | 'handoffId' | 'toUnitId'>,
  code: FederationErrorCode,
  detail: string,
  now: Date,
): CaseEvent {
  const rule = federationCatalogue[code];
  return {
    envelope: envelope(handoff.caseId, 0, eventIdOf(`${handoff.handoffId}/refusal`, 0), now, handoff.toUnitId, {
      causationId: handoff.handoffId,
      correlationId: handoff.handoffId,
    }),
    state: 0,
    custodyUnitId: '',
    payload: {
      $case: 'commandRefused',
      value: {
        commandId: handoff.handoffId,
        commandKind: handoffCommandKind,
        reasonCode: code,
        messageZh: detail ? `${rule.zh}：${detail}` : rule.zh,
        messageEn: detail ? `${rule.en}: ${detail}` : rule.en,
        article: '',
        retryable: false,
      },
    },
  };
}
