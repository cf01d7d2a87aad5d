import type { Handoff } from '@petition/contract';
import {
  type CaseCommand,
  type CaseEvent,
  ClockStage,
  type CommandMeta,
  type DeadlineEvent,
  TransferReason,
  type Unit,
  type UnitEvent,
} from '@petition/contract';
import type { Directory } from '@petition/directory';
import {
  createFederation,
  type Federation,
  FederationError,
  handedOffEvent,
  handoffRefusalEvent,
  receiveHandoff,
  refusedEvent,
  replicaFit,
  singleNode,
} from '@petition/federation';
import type { LegalCalendar } from '@petition/legal-calendar';
import {
  type CaseSnapshot,
  decideAndEvolve,
  evolve,
  isTerminal,
  type Outcome,
  refuseForAnotherNode,
  unitMayKnowCase,
} from '@petition/lifecycle';
import { nextLeg, type RouteModes } from './auto-route.ts';
import type { CaseStore } from './case-store.ts';

// What routing decides, without Kafka: a command's events, then the legs the holding bureau forwards by
// itself (auto-route.ts), all in one list so they are published together and in order. Also the commands
// routing issues on its own: ExpireWindow from a WindowExpired deadline event, TransferCase when the
// directory dissolves or merges the unit holding a case (art 25).
//
// Across nodes (packages/federation): a command for a case another node writes is refused naming that
// node; a step that would give custody to a unit another node hosts is not applied here but becomes a
// CaseHandedOff, which freezes the case until the receiver answers; a handoff received is imported and its
// step decided here; a refusal received gives the case back; a replica of another node's case is appended.

export interface Decided {
  readonly outcome: Outcome;
  /** The outcome's events followed by those of the automatic legs. */
  readonly events: CaseEvent[];
  /** Why no automatic leg was taken although the bureau routes automatically (for the log). */
  readonly skipped?: string;
}

export interface WriterOptions {
  readonly directory: Directory;
  readonly calendar: LegalCalendar;
  readonly store: CaseStore;
  readonly routeModes: RouteModes;
  /** The node this routing writes for; the single-node nation when omitted. */
  readonly federation?: Federation;
  readonly now: () => Date;
}

/** What a node does with a handoff it received: the events it writes, or why it refuses. */
export type Received =
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'accepted'; readonly events: CaseEvent[] }
  /** `events`: the record of the refusal to write (none when it was recorded before: only sent again). */
  | { readonly kind: 'refused'; readonly code: string; readonly detail: string; readonly events: CaseEvent[] };

const petitionerWindows: ReadonlySet<ClockStage> = new Set([
  ClockStage.CLOCK_STAGE_EVALUATION_WINDOW,
  ClockStage.CLOCK_STAGE_REVIEW_REQUEST_WINDOW,
  ClockStage.CLOCK_STAGE_RE_REVIEW_REQUEST_WINDOW,
]);

/** More legs than any chain has (national → provincial → prefecture → county → unit). */
const maxLegs = 6;

/** What deciding reads: the store, seen through the decisions of the batch in hand (not yet published). */
function overlay(store: CaseStore) {
  const cases = new Map<string, CaseSnapshot>();
  const answered = new Set<string>();
  const get = (caseId: string) => cases.get(caseId) ?? store.get(caseId);
  return {
    get,
    answered: (commandId: string) => answered.has(commandId) || store.answered(commandId),
    summary: (caseId: string) => {
      const c = cases.get(caseId);
      return c ? { caseId, caseNumber: c.caseNumber, state: c.state } : store.summary(caseId);
    },
    keep(commandId: string, snapshot: CaseSnapshot | undefined) {
      answered.add(commandId);
      if (snapshot) cases.set(snapshot.caseId, snapshot);
    },
    /** Events decided in this batch (imports, acceptances, appended replicas), as the store will hold them. */
    fold(events: readonly CaseEvent[]) {
      for (const event of events) {
        const env = event.envelope;
        if (!env) continue;
        if (env.causationId) answered.add(env.causationId);
        const current = get(env.caseId);
        if (env.caseVersion < 1 || (current && env.caseVersion !== current.version + 1)) continue;
        const next = evolve(current, event);
        if (next) cases.set(env.caseId, next);
      }
    },
  };
}

/** The store as a batch of decisions sees it: what earlier ones in the batch decided, not yet published. */
export type BatchView = ReturnType<typeof overlay>;

export function createWriter(o: WriterOptions) {
  const fed = o.federation ?? createFederation(singleNode, o.directory);
  const context = (view: ReturnType<typeof overlay>) => ({
    now: o.now(),
    directory: o.directory,
    calendar: o.calendar,
    cases: view.summary,
  });
  /** True when a step leaves the case with a unit another node hosts: it is handed over, not applied. */
  const crosses = (after: CaseSnapshot | undefined) => !!after && !fed.hostsHere(after.custodyUnitId);

  /** A petition naming no registering unit, for a place another node hosts, is registered at this node's top bureau. */
  function withRegistrationBureau(command: CaseCommand): CaseCommand {
    const body = command.command;
    if (body?.$case !== 'registerPetition' || body.value.petition?.registeringUnitId) return command;
    if (command.meta?.actor?.$case === 'unit') return command;
    const bureau = fed.registrationBureauFor(body.value.petition?.regionCode ?? '');
    if (!bureau || !body.value.petition) return command;
    return {
      ...command,
      command: { ...body, value: { ...body.value, petition: { ...body.value.petition, registeringUnitId: bureau } } },
    };
  }

  /**
   * The legs the holding bureau forwards by itself after `snapshot`, appended to `events`; a leg that would
   * cross to another node ends the run with the case's CaseHandedOff.
   */
  function continueLegs(
    cause: CaseCommand,
    start: CaseSnapshot,
    events: CaseEvent[],
    view: ReturnType<typeof overlay>,
  ) {
    const ctx = context(view);
    let snapshot = start;
    let skipped: string | undefined;
    for (let leg = 1; leg <= maxLegs && !snapshot.handoff; leg++) {
      const next = nextLeg(snapshot, o.directory, o.routeModes);
      if (!next) break;
      if ('skipped' in next) {
        skipped = next.skipped;
        break;
      }
      const meta: CommandMeta = {
        ...derivedMeta(cause.meta, `${cause.meta?.commandId}/leg${leg}`),
        actor: { $case: 'unit', value: { unitId: next.bureauId, staffId: 'routing' } },
      };
      const command: CaseCommand = { meta, command: next.command };
      const step = decideAndEvolve(snapshot, command, ctx);
      // A leg the lifecycle refuses is not taken: the bureau's staff route the case themselves.
      if (step.outcome.kind === 'refused') {
        skipped = `${step.outcome.refusal.code}: ${step.outcome.refusal.detail ?? step.outcome.refusal.en}`;
        break;
      }
      if (crosses(step.snapshot)) {
        const handedOff = handedOffEvent(snapshot, command, step.snapshot?.custodyUnitId ?? '', fed, ctx.now);
        events.push(handedOff);
        snapshot = evolve(snapshot, handedOff) as CaseSnapshot;
        break;
      }
      events.push(...step.outcome.events);
      snapshot = step.snapshot as CaseSnapshot;
    }
    return { snapshot, skipped };
  }

  function decide(given: CaseCommand, view: ReturnType<typeof overlay>): Decided {
    const ctx = context(view);
    const command = withRegistrationBureau(given);
    const commandId = command.meta?.commandId ?? '';
    const before = view.get(command.meta?.caseId ?? '');
    const writer = before ? fed.writerOf(before) : ({ here: true } as const);
    if (!writer.here) {
      // A unit that may not know of the case is told what it would be told of no case at all (art 30).
      const actor = command.meta?.actor;
      if (before && actor?.$case === 'unit' && !unitMayKnowCase(o.directory, actor.value.unitId, before)) {
        const outcome = refuseForAnotherNode(undefined, command, ctx, 'CASE_NOT_FOUND', '');
        view.keep(commandId, undefined);
        return { outcome, events: outcome.events };
      }
      const code = writer.inTransit ? 'HANDOFF_IN_PROGRESS' : 'CASE_MOVED';
      const outcome = refuseForAnotherNode(before, command, ctx, code, `node ${writer.nodeId}`);
      view.keep(commandId, undefined);
      return { outcome, events: outcome.events };
    }
    const first = decideAndEvolve(before, command, ctx);
    if (first.outcome.kind === 'refused' || !first.snapshot) {
      view.keep(commandId, first.snapshot);
      return { outcome: first.outcome, events: [...first.outcome.events] };
    }
    if (crosses(first.snapshot)) {
      const toUnitId = first.snapshot.custodyUnitId;
      if (!before) {
        const outcome = refuseForAnotherNode(
          undefined,
          command,
          ctx,
          'UNIT_ON_ANOTHER_NODE',
          `${toUnitId}: node ${fed.hostOf(toUnitId)}`,
        );
        view.keep(commandId, undefined);
        return { outcome, events: outcome.events };
      }
      const handedOff = handedOffEvent(before, command, toUnitId, fed, ctx.now);
      view.keep(commandId, evolve(before, handedOff));
      return { outcome: { kind: 'applied', events: [handedOff] }, events: [handedOff] };
    }
    const events = [...first.outcome.events];
    const legs = continueLegs(command, first.snapshot, events, view);
    view.keep(commandId, legs.snapshot);
    return { outcome: first.outcome, events, skipped: legs.skipped };
  }

  /**
   * Decides commands in order, each seeing the ones before it; a command already answered (in the store
   * or earlier in the batch) is left out. Nothing changes in the store: apply the events once published.
   */
  function decideAll(commands: readonly CaseCommand[]): { decided: Decided[]; duplicates: string[] } {
    const view = overlay(o.store);
    const decided: Decided[] = [];
    const duplicates: string[] = [];
    for (const command of commands) {
      const id = command.meta?.commandId ?? '';
      if (id && view.answered(id)) duplicates.push(id);
      else decided.push(decide(command, view));
    }
    return { decided, duplicates };
  }

  function derivedMeta(cause: CommandMeta | undefined, commandId: string): CommandMeta {
    return {
      commandId,
      caseId: cause?.caseId ?? '',
      issueTime: o.now(),
      correlationId: cause?.correlationId || cause?.commandId || '',
      trace: cause?.trace,
      idempotencyKey: '',
      actor: cause?.actor,
    };
  }

  const systemActor = (triggerEventId: string): CommandMeta['actor'] => ({
    $case: 'system',
    value: { service: 'routing', triggerEventId },
  });

  /** A handoff decided in `view`: what to write, why it is refused, or that it was taken already. */
  function receiveIn(handoff: Handoff, signer: string, view: BatchView): Received {
    const now = o.now();
    if (view.answered(handoff.handoffId)) {
      const before = o.store.refusedHandoff(handoff.handoffId);
      return before ? { kind: 'refused', code: before.code, detail: before.detail, events: [] } : { kind: 'duplicate' };
    }
    try {
      const reception = receiveHandoff(
        handoff,
        signer,
        { snapshot: view.get(handoff.caseId), accepted: (id) => view.answered(id) },
        fed,
        now,
      );
      if (reception.kind === 'duplicate') return reception;
      // The sender checked the version its caller expected; here the case has moved on by the import.
      const meta = { ...reception.command.meta, expectedCaseVersion: undefined } as CommandMeta;
      const command = { ...reception.command, meta };
      const step = decideAndEvolve(reception.snapshot, command, context(view));
      if (step.outcome.kind === 'refused') {
        const r = step.outcome.refusal;
        throw new FederationError('STEP_REFUSED', `${r.code}: ${r.detail ?? r.en}`);
      }
      if (!step.snapshot || crosses(step.snapshot)) {
        throw new FederationError('UNIT_NOT_HOSTED', step.snapshot?.custodyUnitId ?? handoff.toUnitId);
      }
      const events = [...reception.events, ...step.outcome.events];
      continueLegs(command, step.snapshot, events, view);
      return { kind: 'accepted', events };
    } catch (error) {
      if (!(error instanceof FederationError)) throw error;
      return refuseHandoff(handoff, error);
    }
  }

  /** The refusal of a handoff, recorded here so that it is never accepted later. */
  const refuseHandoff = (handoff: Handoff, error: FederationError): Received => ({
    kind: 'refused',
    code: error.code,
    detail: error.detail,
    events: [handoffRefusalEvent(handoff, error.code, error.detail, o.now())],
  });

  return {
    decideAll,

    /** A fresh view for a batch of records from other nodes, each seeing what the earlier ones decided. */
    batchView: () => overlay(o.store),

    /** A handoff another node (`signer`, checked) sent here: import, accept and apply its step, or refuse. */
    receive(handoff: Handoff, signer: string, view: BatchView = overlay(o.store)): Received {
      const received = receiveIn(handoff, signer, view);
      if (received.kind !== 'duplicate') view.fold(received.events);
      return received;
    },

    /** The refusal of a handoff not taken yet (a bad signature); a duplicate of one taken is left alone. */
    refuseUnlessTaken(handoff: Handoff, error: FederationError, view: BatchView = overlay(o.store)): Received {
      if (view.answered(handoff.handoffId)) return { kind: 'duplicate' };
      const refused = refuseHandoff(handoff, error);
      if (refused.kind === 'refused') view.fold(refused.events);
      return refused;
    },

    /** The HandoffRefused that gives a case back after `from` refused it; undefined for a stale refusal. */
    handoffRefused(
      refusal: { caseId: string; handoffId: string; reasonCode: string; detail: string },
      from: string,
      view: BatchView = overlay(o.store),
    ) {
      const event = refusedEvent(view.get(refusal.caseId), refusal, from, o.now());
      if (event) view.fold([event]);
      return event;
    },

    /**
     * Whether a replica of another node's event continues this node's copy of the case: `append` it,
     * a `duplicate` to drop, or a `gap` or a case this node writes itself (`conflict`), never applied.
     */
    replicaOutcome(event: CaseEvent, view: BatchView = overlay(o.store)): 'append' | 'duplicate' | 'gap' | 'conflict' {
      const local = view.get(event.envelope?.caseId ?? '');
      const fit = replicaFit(local, event);
      if (fit === 'append' && local && fed.writerOf(local).here) return 'conflict';
      if (fit === 'append') view.fold([event]);
      return fit;
    },

    /** True when this node writes the case now (single-node: always). */
    writesHere: (s: CaseSnapshot) => fed.writerOf(s).here,

    /** A WindowExpired deadline event as the ExpireWindow command routing applies in the case's order. */
    expireWindow(event: DeadlineEvent): CaseCommand | undefined {
      const env = event.envelope;
      if (event.payload?.$case !== 'windowExpired' || !env?.eventId || !env.caseId) return undefined;
      // A unit's objection window running out changes nothing in the case: only the petitioner's do.
      if (!petitionerWindows.has(event.stage)) return undefined;
      return {
        meta: {
          commandId: env.eventId,
          caseId: env.caseId,
          issueTime: o.now(),
          correlationId: env.correlationId,
          trace: env.trace,
          idempotencyKey: '',
          actor: systemActor(env.eventId),
        },
        command: {
          $case: 'expireWindow',
          value: {
            clockId: event.clockId,
            stage: event.stage,
            dueTime: event.payload.value.dueTime,
            deadlineEventId: env.eventId,
          },
        },
      };
    },

    /** The transfer of an open case held by a dissolved unit to the unit that now exercises its functions. */
    transferFromDissolved(s: CaseSnapshot, change: DirectoryChange | undefined): CaseCommand | undefined {
      const holder = o.directory.unit(s.custodyUnitId);
      if (!holder?.dissolved || isTerminal(s.state)) return undefined;
      const eventId = change?.eventId ?? `${holder.unitId}@${holder.revision}`;
      return {
        meta: {
          commandId: `transfer:${eventId}:${s.caseId}`,
          caseId: s.caseId,
          issueTime: o.now(),
          correlationId: eventId,
          idempotencyKey: '',
          actor: systemActor(eventId),
        },
        command: {
          $case: 'transferCase',
          value: {
            toUnitId: '',
            reason: change?.reason ?? TransferReason.TRANSFER_REASON_UNIT_DISSOLVED,
            directoryEventId: eventId,
            note: `${holder.name} 撤并，事项由继续行使其职权的机关办理（第二十五条）`,
          },
        },
      };
    },
  };
}

export type Writer = ReturnType<typeof createWriter>;

/** The directory record that dissolved a unit, and what it means for the unit's cases. */
export interface DirectoryChange {
  readonly eventId: string;
  readonly reason: TransferReason;
}

/** The change behind a `units` record that dissolved a unit, or undefined for any other record. */
export function dissolution(event: UnitEvent): (DirectoryChange & { unit: Unit }) | undefined {
  const unit = event.unit;
  if (!unit?.dissolved) return undefined;
  const reason =
    event.payload?.$case === 'merged'
      ? TransferReason.TRANSFER_REASON_UNIT_MERGED
      : event.payload?.$case === 'split'
        ? TransferReason.TRANSFER_REASON_UNIT_SPLIT
        : TransferReason.TRANSFER_REASON_UNIT_DISSOLVED;
  return { eventId: event.eventId, reason, unit };
}
