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
import type { LegalCalendar } from '@petition/legal-calendar';
import { type CaseSnapshot, decideAndEvolve, isTerminal, type Outcome } from '@petition/lifecycle';
import { nextLeg, type RouteModes } from './auto-route.ts';
import type { CaseStore } from './case-store.ts';

// What routing decides, without Kafka: a command's events, then the legs the holding bureau forwards by
// itself (auto-route.ts), all in one list so they are published together and in order. Also the commands
// routing issues on its own: ExpireWindow from a WindowExpired deadline event, TransferCase when the
// directory dissolves or merges the unit holding a case (art 25).

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
  readonly now: () => Date;
}

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
  };
}

export function createWriter(o: WriterOptions) {
  function decide(command: CaseCommand, view: ReturnType<typeof overlay>): Decided {
    const ctx = { now: o.now(), directory: o.directory, calendar: o.calendar, cases: view.summary };
    const first = decideAndEvolve(view.get(command.meta?.caseId ?? ''), command, ctx);
    const events = [...first.outcome.events];
    let snapshot = first.outcome.kind === 'applied' ? first.snapshot : undefined;
    let skipped: string | undefined;
    for (let leg = 1; snapshot && leg <= maxLegs; leg++) {
      const next = nextLeg(snapshot, o.directory, o.routeModes);
      if (!next) break;
      if ('skipped' in next) {
        skipped = next.skipped;
        break;
      }
      const meta: CommandMeta = {
        ...derivedMeta(command.meta, `${command.meta?.commandId}/leg${leg}`),
        actor: { $case: 'unit', value: { unitId: next.bureauId, staffId: 'routing' } },
      };
      const step = decideAndEvolve(snapshot, { meta, command: next.command }, ctx);
      // A leg the lifecycle refuses is not taken: the bureau's staff route the case themselves.
      if (step.outcome.kind === 'refused') {
        skipped = `${step.outcome.refusal.code}: ${step.outcome.refusal.detail ?? step.outcome.refusal.en}`;
        break;
      }
      events.push(...step.outcome.events);
      snapshot = step.snapshot;
    }
    view.keep(command.meta?.commandId ?? '', snapshot ?? first.snapshot);
    return { outcome: first.outcome, events, skipped };
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

  return {
    decideAll,

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
