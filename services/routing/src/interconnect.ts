import {
  type Bus,
  type BusConsumer,
  caseEvents,
  Header,
  linkTopic,
  onBatch,
  PoisonRecordError,
  type Publisher,
  protobufContentType,
  type RawRecord,
  type SignedRecord,
} from '@petition/bus';
import { type CaseEvent, type Handoff, InterconnectRecord } from '@petition/contract';
import { nationalNodeId } from '@petition/directory';
import {
  type Federation,
  FederationError,
  federationCatalogue,
  handoffOf,
  type RecordSigner,
  type RecordVerifier,
} from '@petition/federation';
import type { Logger } from '@petition/logging';
import { Counter, type Registry } from 'prom-client';
import type { CaseStore } from './case-store.ts';
import type { BatchView, Received, Writer } from './writer.ts';

// Routing's side of the interconnect between nodes (DESIGN "Nodes"); the decisions are the writer's and
// packages/federation's, this is the wiring.
//
// Out: a committed consumer of this node's case-events sends, signed, on `petition.link.<self>.<peer>.v1`:
// every event to the national node (upward visibility: it reads every case in the country), the handoff
// record after each CaseHandedOff written here (rebuilt from the log, so a crash loses none), and each
// HandoffAccepted written here back to the node that handed the case over (its acknowledgement).
// In: a committed consumer of `petition.link.<peer>.<self>.v1` (MirrorMaker 2 brought them here) checks each
// record's signature against the trust anchors, parks what is not signed by the right node, and applies the
// rest in the case's order through routing's one serial queue: handoffs received, refusals of our handoffs,
// replicas of other nodes' cases. Every effect is idempotent (handoff id, case version), so MirrorMaker's
// at-least-once copying and our own redeliveries change nothing twice.

export interface InterconnectDeps {
  readonly bus: Bus;
  readonly federation: Federation;
  readonly signer: RecordSigner;
  readonly verifier: RecordVerifier;
  readonly writer: Writer;
  readonly store: CaseStore;
  readonly publisher: Publisher;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Runs work in routing's one queue of case writes. */
  readonly serial: <T>(work: () => Promise<T>) => Promise<T>;
  /** Resolves once routing's state has read case-events of `partition` past `offset`. */
  readonly stateRead: (partition: number, offset: bigint) => Promise<void>;
  /** Resolves once routing's state has read case-events of `partition` to its end (what any instance wrote). */
  readonly caughtUp: (partition: number) => Promise<void>;
  readonly now: () => Date;
}

type Body = NonNullable<InterconnectRecord['body']>;

export function startInterconnect(d: InterconnectDeps): BusConsumer[] {
  const self = d.federation.self;
  const peers = d.federation.peers();
  const counted = new Counter({
    name: 'routing_interconnect_records_total',
    help: 'Interconnect records sent and received, by peer node, kind and outcome',
    labelNames: ['direction', 'peer', 'kind', 'outcome'],
    registers: [d.registry],
  });

  /** Signs and sends records to one peer, in order, on its link. */
  async function send(to: string, items: readonly { caseId: string; recordId: string; body: Body }[]) {
    if (items.length === 0) return;
    const records: RawRecord[] = items.map((item) => {
      const bytes = InterconnectRecord.encode({
        recordId: item.recordId,
        fromNodeId: self,
        toNodeId: to,
        sendTime: d.now(),
        body: item.body,
      }).finish();
      const value = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return {
        key: item.caseId,
        value,
        headers: {
          [Header.eventType]: `petition.v1.InterconnectRecord`,
          [Header.schemaVersion]: '1',
          [Header.contentType]: protobufContentType,
          ...d.signer.sign(value),
        },
      };
    });
    await d.publisher.publishRaw(d.bus.topicName(linkTopic(self, to)), records);
    for (const item of items) counted.inc({ direction: 'out', peer: to, kind: item.body.$case, outcome: 'sent' });
  }

  /** What one event of this node's log sends, and to whom. */
  function outboundOf(event: CaseEvent): { to: string; recordId: string; body: Body }[] {
    const out: { to: string; recordId: string; body: Body }[] = [];
    const env = event.envelope;
    if (!env) return out;
    if (self !== nationalNodeId) {
      out.push({
        to: nationalNodeId,
        recordId: `replica:${env.eventId}`,
        body: { $case: 'replica', value: { event } },
      });
    }
    const payload = event.payload;
    if (payload?.$case === 'caseHandedOff' && payload.value.fromNodeId === self) {
      const history = d.store.history(env.caseId).filter((e) => (e.envelope?.caseVersion ?? 0) <= env.caseVersion);
      if (history.length === env.caseVersion) {
        const handoff: Handoff = handoffOf(history);
        out.push({
          to: payload.value.toNodeId,
          recordId: `handoff:${handoff.handoffId}`,
          body: { $case: 'handoff', value: handoff },
        });
      } else {
        // Only a case that has ended since (refused back, then closed) loses its history: nothing to resend.
        d.logger.warn(
          { caseId: env.caseId, handoffId: payload.value.handoffId },
          'handoff not resent: the case has ended since',
        );
      }
    }
    if (
      payload?.$case === 'handoffAccepted' &&
      payload.value.toNodeId === self &&
      payload.value.fromNodeId !== nationalNodeId
    ) {
      // The acknowledgement: the sender appends our HandoffAccepted to its copy and knows where the case is.
      out.push({
        to: payload.value.fromNodeId,
        recordId: `replica:${env.eventId}`,
        body: { $case: 'replica', value: { event } },
      });
    }
    return out;
  }

  const outbound = d.bus.consumer({
    groupId: 'routing-interconnect-out',
    fromBeginning: true,
    subscriptions: [
      onBatch(caseEvents, async (records) => {
        const last = records.at(-1);
        if (!last) return;
        // The handoff is rebuilt from routing's state: wait until it has read this far.
        await d.stateRead(last.partition, BigInt(last.offset));
        const byPeer = new Map<string, { caseId: string; recordId: string; body: Body }[]>();
        for (const r of records) {
          for (const item of outboundOf(r.value)) {
            const list = byPeer.get(item.to) ?? [];
            list.push({ caseId: r.value.envelope?.caseId ?? r.key, recordId: item.recordId, body: item.body });
            byPeer.set(item.to, list);
          }
        }
        await Promise.all([...byPeer].map(([to, items]) => send(to, items)));
      }),
    ],
  });

  const poison = (code: keyof typeof federationCatalogue, detail: string) =>
    new PoisonRecordError(code, `${code}: ${federationCatalogue[code].en}${detail ? ` (${detail})` : ''}`);

  const publish = async (events: CaseEvent[], partition: number) => {
    if (events.length === 0) return;
    await d.publisher.publish(caseEvents, events);
    for (const event of events) d.store.apply(event, partition);
  };

  /** What a batch of checked records from `peer` calls for: the events to write and the refusals to send. */
  interface Effects {
    readonly events: CaseEvent[];
    readonly refusals: ReturnType<typeof refusalItem>[];
  }

  /** Decides one checked record from `peer` in the batch's view, adding to what the batch will write. */
  function decideRecord(peer: string, record: InterconnectRecord, view: BatchView, effects: Effects): void {
    const body = record.body;
    if (!body) throw poison('MALFORMED_RECORD', 'no body');
    switch (body.$case) {
      case 'handoff': {
        const handoff = body.value;
        const received = d.writer.receive(handoff, peer, view);
        counted.inc({ direction: 'in', peer, kind: 'handoff', outcome: received.kind });
        if (received.kind === 'accepted') {
          effects.events.push(...received.events);
          d.logger.info({ caseId: handoff.caseId, handoffId: handoff.handoffId, from: peer }, 'handoff accepted');
        } else if (received.kind === 'refused') refuseInto(effects, peer, handoff, received);
        return;
      }
      case 'refusal': {
        const refusal = body.value;
        const event = d.writer.handoffRefused(refusal, peer, view);
        counted.inc({ direction: 'in', peer, kind: 'refusal', outcome: event ? 'applied' : 'stale' });
        if (event) {
          effects.events.push(event);
          d.logger.warn(
            { caseId: refusal.caseId, by: peer, reason: refusal.reasonCode },
            'our handoff was refused; the case is ours again',
          );
        }
        return;
      }
      case 'replica': {
        const event = body.value.event;
        if (!event?.envelope?.caseId) throw poison('MALFORMED_RECORD', 'a replica without an event');
        const outcome = d.writer.replicaOutcome(event, view);
        counted.inc({ direction: 'in', peer, kind: 'replica', outcome });
        if (outcome === 'append') effects.events.push(event);
        else if (outcome === 'gap' || outcome === 'conflict') {
          throw poison(
            'HISTORY_CONFLICT',
            `${outcome} at version ${event.envelope.caseVersion} of ${event.envelope.caseId}`,
          );
        }
        return;
      }
    }
  }

  /** Writes a batch's events at once, then sends its refusals to the peer, who takes those cases back. */
  async function commitEffects(peer: string, effects: Effects, partition: number) {
    await publish(effects.events, partition);
    await send(peer, effects.refusals);
  }

  /** Records the refusal here (written with the batch), and tells the sender, who takes the case back. */
  function refuseInto(
    effects: Effects,
    peer: string,
    handoff: Handoff,
    refused: Extract<Received, { kind: 'refused' }>,
  ) {
    effects.events.push(...refused.events);
    effects.refusals.push(refusalItem(handoff, refused.code, refused.detail));
    d.logger.warn(
      {
        caseId: handoff.caseId,
        handoffId: handoff.handoffId,
        from: peer,
        reason: refused.code,
        detail: refused.detail,
      },
      'handoff refused',
    );
  }

  const refusalItem = (handoff: Handoff, code: string, detail: string) => ({
    caseId: handoff.caseId,
    recordId: `refusal:${handoff.handoffId}`,
    body: {
      $case: 'refusal' as const,
      value: {
        handoffId: handoff.handoffId,
        caseId: handoff.caseId,
        sendingUnitId: handoff.sendingUnitId,
        reasonCode: code,
        detail,
      },
    },
  });

  // Records from a peer are taken a batch at a time (one partition of its link, in order): decided one after
  // the other in one view, then written with one produce. Link and case topics are keyed and partitioned
  // alike, so the batch's cases live in the same partition number here.
  const inbound = d.bus.consumer({
    groupId: 'routing-interconnect-in',
    fromBeginning: true,
    subscriptions: peers.map((peer) =>
      onBatch(linkTopic(peer, self), async (batch) => {
        const partition = batch[0]?.partition ?? 0;
        const records: InterconnectRecord[] = [];
        for (const r of batch) {
          try {
            records.push(checked(peer, r.value, r.headers));
          } catch (error) {
            // A chunk holding a record that is not signed right is handled again record by record, so that
            // only that one is parked. Alone, a handoff not signed by its sender is refused back as well, and
            // the refusal is kept here, so that this handoff is never accepted afterwards; one already taken
            // is left alone.
            const { federation, record: bad } = error as { federation?: FederationError; record?: InterconnectRecord };
            if (batch.length === 1 && federation && bad?.body?.$case === 'handoff') {
              const handoff = bad.body.value;
              await d.serial(async () => {
                await d.caughtUp(partition);
                const refused = d.writer.refuseUnlessTaken(handoff, federation);
                const effects: Effects = { events: [], refusals: [] };
                if (refused.kind === 'refused') refuseInto(effects, peer, handoff, refused);
                await commitEffects(peer, effects, partition);
              });
            }
            throw error;
          }
        }
        await d.serial(async () => {
          // Whatever another instance of routing wrote of these cases (an earlier copy of a handoff, say) is
          // known before deciding: a copy is recognised, never applied twice.
          await d.caughtUp(partition);
          const view = d.writer.batchView();
          const effects: Effects = { events: [], refusals: [] };
          for (const record of records) decideRecord(peer, record, view, effects);
          await commitEffects(peer, effects, partition);
        });
      }),
    ),
  });

  /** The record, once its signature is the peer's own; otherwise a poison error naming why (it is parked). */
  function checked(peer: string, signed: SignedRecord, headers: Readonly<Record<string, string>>): InterconnectRecord {
    let record: InterconnectRecord;
    try {
      record = InterconnectRecord.decode(signed.bytes);
    } catch (error) {
      throw poison('MALFORMED_RECORD', (error as Error).message);
    }
    try {
      const signer = d.verifier.signerOf(signed.bytes, headers);
      if (signer !== peer || record.fromNodeId !== peer) {
        throw new FederationError(
          'SIGNER_NOT_SENDER',
          `signed by ${signer}, on the link from ${peer}, naming ${record.fromNodeId}`,
        );
      }
      if (record.toNodeId !== self) throw new FederationError('WRONG_LINK', `addressed to ${record.toNodeId}`);
      return record;
    } catch (error) {
      if (!(error instanceof FederationError)) throw error;
      counted.inc({ direction: 'in', peer, kind: record.body?.$case ?? 'unknown', outcome: 'parked' });
      throw Object.assign(poison(error.code, error.detail), { federation: error, record });
    }
  }

  return [outbound, inbound];
}
