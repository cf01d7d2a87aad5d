import type { CaseEvent } from '@petition/contract';
import { handoffCommandKind } from '@petition/federation';
import { type CaseSnapshot, type CaseSummary, evolve, isTerminal } from '@petition/lifecycle';

// Every case as its own events left it, and which commands have already been answered: the events carry
// the command id as causation, so after a crash between publishing and committing, the command that comes
// again is recognised and not applied twice. Rebuilt from case-events on every start. The events of each
// open case are kept too: a handoff to another node carries the case's history (packages/federation).

export function createCaseStore() {
  const cases = new Map<string, CaseSnapshot>();
  const answered = new Set<string>();
  /** The partition each case lives in (case-commands and case-events are keyed and partitioned alike). */
  const partitionOf = new Map<string, number>();
  const histories = new Map<string, CaseEvent[]>();
  /** Handoffs from other nodes this node refused, by handoff id: a copy arriving later is refused again. */
  const refusedHandoffs = new Map<string, { code: string; detail: string }>();
  return {
    get: (caseId: string) => cases.get(caseId),
    /** Another case as a repeat link needs it (arts 19, 36). */
    summary: (caseId: string): CaseSummary | undefined => {
      const c = cases.get(caseId);
      return c && { caseId: c.caseId, caseNumber: c.caseNumber, state: c.state };
    },
    answered: (commandId: string) => answered.has(commandId),
    refusedHandoff: (handoffId: string) => refusedHandoffs.get(handoffId),
    /** Applies an event unless the case already has it (events published here come back from the topic). */
    apply(event: CaseEvent, partition: number): void {
      const envelope = event.envelope;
      if (!envelope) return;
      partitionOf.set(envelope.caseId, partition);
      if (envelope.causationId) answered.add(envelope.causationId);
      const payload = event.payload;
      if (payload?.$case === 'commandRefused' && payload.value.commandKind === handoffCommandKind) {
        refusedHandoffs.set(payload.value.commandId, {
          code: payload.value.reasonCode,
          detail: payload.value.messageEn,
        });
      }
      const current = cases.get(envelope.caseId);
      if (envelope.caseVersion < 1 || (current && envelope.caseVersion <= current.version)) return;
      const next = evolve(current, event);
      if (!next) return;
      cases.set(envelope.caseId, next);
      // A case that has ended never crosses to another node again: its history is no longer needed.
      if (isTerminal(next.state)) histories.delete(envelope.caseId);
      else {
        const history = histories.get(envelope.caseId);
        if (history) history.push(event);
        else histories.set(envelope.caseId, [event]);
      }
    },
    /** The events of an open case, from version 1 (empty for an ended or unknown case). */
    history: (caseId: string): readonly CaseEvent[] => histories.get(caseId) ?? [],
    partitionOf: (caseId: string) => partitionOf.get(caseId),
    /** The cases that live in `partitions`. */
    *inPartitions(partitions: ReadonlySet<number>): Generator<CaseSnapshot> {
      for (const [caseId, p] of partitionOf) {
        const c = partitions.has(p) ? cases.get(caseId) : undefined;
        if (c) yield c;
      }
    },
    get size() {
      return cases.size;
    },
  };
}

export type CaseStore = ReturnType<typeof createCaseStore>;
