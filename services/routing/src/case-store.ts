import type { CaseEvent } from '@petition/contract';
import { type CaseSnapshot, type CaseSummary, evolve } from '@petition/lifecycle';

// Every case as its own events left it, and which commands have already been answered: the events carry
// the command id as causation, so after a crash between publishing and committing, the command that comes
// again is recognised and not applied twice. Rebuilt from case-events on every start.

export function createCaseStore() {
  const cases = new Map<string, CaseSnapshot>();
  const answered = new Set<string>();
  /** The partition each case lives in (case-commands and case-events are keyed and partitioned alike). */
  const partitionOf = new Map<string, number>();
  return {
    get: (caseId: string) => cases.get(caseId),
    /** Another case as a repeat link needs it (arts 19, 36). */
    summary: (caseId: string): CaseSummary | undefined => {
      const c = cases.get(caseId);
      return c && { caseId: c.caseId, caseNumber: c.caseNumber, state: c.state };
    },
    answered: (commandId: string) => answered.has(commandId),
    /** Applies an event unless the case already has it (events published here come back from the topic). */
    apply(event: CaseEvent, partition: number): void {
      const envelope = event.envelope;
      if (!envelope) return;
      partitionOf.set(envelope.caseId, partition);
      if (envelope.causationId) answered.add(envelope.causationId);
      const current = cases.get(envelope.caseId);
      if (envelope.caseVersion < 1 || (current && envelope.caseVersion <= current.version)) return;
      const next = evolve(current, event);
      if (next) cases.set(envelope.caseId, next);
    },
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
