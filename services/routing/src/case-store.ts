import { type CaseEvent, type CaseSnapshotRecord, CaseState } from '@petition/contract';
import { handoffCommandKind } from '@petition/federation';
import {
  type CaseSnapshot,
  type CaseSummary,
  decodeSnapshot,
  encodeSnapshot,
  evolve,
  isTerminal,
  replay,
  SnapshotFormatError,
  snapshotFormat,
} from '@petition/lifecycle';

// Every case as its own events left it, and which commands have already been answered: the events carry
// the command id as causation, so after a crash between publishing and committing, the command that comes
// again is recognised and not applied twice. Rebuilt at start from routing's snapshots and the case-events
// after them (snapshots.ts). The events of each open case are kept too: a handoff to another node carries
// the case's history (packages/federation). A case that has ended keeps neither its history nor more than
// its latest few answered commands: what stays per ended case is its snapshot alone. A case taken back from
// a snapshot stays as it was written until something needs it — an open case as its events (folded again
// when needed), an ended one as its JSON — so that a start decodes nothing it need not.

/** Answered command ids kept for an ended case: a command delivered again soon after the end is still known. */
export const answeredKeptWhenEnded = 8;

interface Entry {
  snapshot?: CaseSnapshot;
  /** An ended case's snapshot as restored and not yet needed: decoded on first use. */
  written?: { text: string; format: number };
  /** True while `snapshot` is yet to be folded from `history` (an open case restored). */
  unfolded?: boolean;
  /** The version, state and holder, known without decoding. */
  version: number;
  state: CaseState;
  custodyUnitId: string;
  partition: number;
  /** The events from version 1 while the case is open. */
  history?: CaseEvent[];
  /** The commands answered for this case, oldest first. */
  answered: string[];
  refusedHandoffs?: Map<string, { code: string; detail: string }>;
}

export function createCaseStore() {
  const entries = new Map<string, Entry>();
  /** Which case answered each command: the lookup of a command delivered again. */
  const answered = new Map<string, string>();
  /** Handoffs from other nodes this node refused, by handoff id: a copy arriving later is refused again. */
  const refusedHandoffs = new Map<string, { code: string; detail: string }>();
  /** Cases changed since their snapshot was last taken, per partition (snapshots.ts takes them). */
  const changed = new Map<number, Set<string>>();

  const entryOf = (caseId: string, partition: number) => {
    const entry = entries.get(caseId) ?? {
      partition,
      answered: [],
      version: 0,
      state: CaseState.CASE_STATE_UNSPECIFIED,
      custodyUnitId: '',
    };
    entries.set(caseId, entry);
    entry.partition = partition;
    return entry;
  };
  const markChanged = (caseId: string, partition: number) => {
    const set = changed.get(partition) ?? new Set<string>();
    changed.set(partition, set);
    set.add(caseId);
  };
  const remember = (entry: Entry, caseId: string, commandId: string) => {
    if (answered.has(commandId)) return;
    answered.set(commandId, caseId);
    entry.answered.push(commandId);
  };
  const noteRefusedHandoff = (entry: Entry, handoffId: string, refusal: { code: string; detail: string }) => {
    refusedHandoffs.set(handoffId, refusal);
    entry.refusedHandoffs = entry.refusedHandoffs ?? new Map();
    entry.refusedHandoffs.set(handoffId, refusal);
  };
  /** The entry's snapshot, decoded now if it was restored and not yet needed. */
  const snapshotOf = (entry: Entry | undefined): CaseSnapshot | undefined => {
    if (!entry) return undefined;
    if (!entry.snapshot && entry.written) {
      entry.snapshot = decodeSnapshot(entry.written.text, entry.written.format);
      entry.written = undefined;
    }
    if (!entry.snapshot && entry.unfolded && entry.history) {
      entry.snapshot = replay(entry.history);
      entry.unfolded = false;
    }
    return entry.snapshot;
  };
  const hasSnapshot = (entry: Entry) =>
    entry.snapshot !== undefined || entry.written !== undefined || entry.unfolded === true;
  /** An ended case forgets its history and all but its latest answered commands. */
  const settle = (entry: Entry) => {
    if (!hasSnapshot(entry) || !isTerminal(entry.state)) return;
    entry.history = undefined;
    const dropped = entry.answered.length - answeredKeptWhenEnded;
    if (dropped <= 0) return;
    for (const id of entry.answered.slice(0, dropped)) answered.delete(id);
    entry.answered = entry.answered.slice(dropped);
  };

  return {
    get: (caseId: string) => snapshotOf(entries.get(caseId)),
    /** Another case as a repeat link needs it (arts 19, 36). */
    summary: (caseId: string): CaseSummary | undefined => {
      const c = snapshotOf(entries.get(caseId));
      return c && { caseId: c.caseId, caseNumber: c.caseNumber, state: c.state };
    },
    answered: (commandId: string) => answered.has(commandId),
    refusedHandoff: (handoffId: string) => refusedHandoffs.get(handoffId),
    /** Applies an event unless the case already has it (events published here come back from the topic). */
    apply(event: CaseEvent, partition: number): void {
      const envelope = event.envelope;
      if (!envelope) return;
      const caseId = envelope.caseId;
      const entry = entryOf(caseId, partition);
      let changedHere = false;
      if (envelope.causationId && !answered.has(envelope.causationId)) {
        remember(entry, caseId, envelope.causationId);
        changedHere = true;
      }
      const payload = event.payload;
      if (payload?.$case === 'commandRefused' && payload.value.commandKind === handoffCommandKind) {
        noteRefusedHandoff(entry, payload.value.commandId, {
          code: payload.value.reasonCode,
          detail: payload.value.messageEn,
        });
        changedHere = true;
      }
      const current = snapshotOf(entry);
      const newer = envelope.caseVersion >= 1 && (!current || envelope.caseVersion > current.version);
      const next = newer ? evolve(current, event) : undefined;
      if (next) {
        entry.snapshot = next;
        entry.version = next.version;
        entry.state = next.state;
        entry.custodyUnitId = next.custodyUnitId;
        changedHere = true;
        if (!isTerminal(next.state)) {
          if (!entry.history) entry.history = [];
          entry.history.push(event);
        }
      }
      settle(entry);
      if (changedHere) markChanged(caseId, partition);
      else if (!hasSnapshot(entry) && entry.answered.length === 0 && !entry.refusedHandoffs) entries.delete(caseId);
    },
    /** The events of an open case, from version 1 (empty for an ended or unknown case). */
    history: (caseId: string): readonly CaseEvent[] => entries.get(caseId)?.history ?? [],
    partitionOf: (caseId: string) => entries.get(caseId)?.partition,
    /**
     * The open cases of `partitions` whose holder `wanted` picks (the holder is known without decoding: only
     * the cases picked are decoded).
     */
    *openHeldIn(partitions: ReadonlySet<number>, wanted: (custodyUnitId: string) => boolean): Generator<CaseSnapshot> {
      for (const entry of entries.values()) {
        if (!partitions.has(entry.partition) || !hasSnapshot(entry) || isTerminal(entry.state)) continue;
        if (!wanted(entry.custodyUnitId)) continue;
        const snapshot = snapshotOf(entry);
        if (snapshot) yield snapshot;
      }
    },
    /**
     * The cases of `partition` changed since they were last taken, written down (and no longer counted as
     * changed). Synchronous: what it returns is the store as it stands at this instant.
     */
    takeChanged(partition: number): CaseSnapshotRecord[] {
      const ids = changed.get(partition);
      changed.delete(partition);
      const records: CaseSnapshotRecord[] = [];
      for (const caseId of ids ?? []) {
        const entry = entries.get(caseId);
        if (!entry) continue;
        // An open case whose events from version 1 are all kept is written as those events alone.
        const foldable = entry.history !== undefined && entry.history.length === entry.version;
        const snapshotText = foldable
          ? ''
          : entry.snapshot
            ? encodeSnapshot(entry.snapshot)
            : (entry.written?.text ?? '');
        records.push({
          caseId,
          partition: entry.partition,
          version: entry.version,
          format: entry.snapshot || foldable ? snapshotFormat : (entry.written?.format ?? snapshotFormat),
          snapshot: snapshotText,
          state: entry.state,
          custodyUnitId: entry.custodyUnitId,
          history: entry.history ?? [],
          answeredCommandIds: [...entry.answered],
          refusedHandoffs: [...(entry.refusedHandoffs ?? [])].map(([handoffId, r]) => ({
            handoffId,
            reasonCode: r.code,
            detail: r.detail,
          })),
        });
      }
      return records;
    },
    /** Counts cases as changed again (their snapshot could not be written). */
    markChanged(partition: number, caseIds: readonly string[]) {
      for (const caseId of caseIds) markChanged(caseId, partition);
    },
    /** Cases changed and not yet taken, per partition. */
    changedCount: (partition: number) => changed.get(partition)?.size ?? 0,
    /**
     * Takes a case back from its snapshot record (at start, before the case-events after the checkpoint).
     * Throws SnapshotFormatError for a record it cannot read: the caller replays that partition instead.
     */
    restore(record: CaseSnapshotRecord): void {
      const entry = entryOf(record.caseId, record.partition);
      if (record.snapshot && record.format !== snapshotFormat)
        throw new SnapshotFormatError(`snapshot format ${record.format} is not known here`);
      entry.snapshot = undefined;
      entry.written = record.snapshot ? { text: record.snapshot, format: record.format } : undefined;
      // Without a written snapshot, the case is its events: folded when first needed.
      entry.unfolded = !record.snapshot && record.history.length > 0;
      entry.version = record.version;
      entry.state = record.state;
      entry.custodyUnitId = record.custodyUnitId;
      entry.history = record.history.length > 0 ? record.history : undefined;
      for (const id of entry.answered) answered.delete(id);
      entry.answered = [];
      for (const id of record.answeredCommandIds) remember(entry, record.caseId, id);
      entry.refusedHandoffs = undefined;
      for (const r of record.refusedHandoffs) {
        noteRefusedHandoff(entry, r.handoffId, { code: r.reasonCode, detail: r.detail });
      }
    },
    get size() {
      return entries.size;
    },
    /** Cases still open: the ones whose history is kept. */
    get open() {
      let open = 0;
      for (const entry of entries.values()) if (hasSnapshot(entry) && !isTerminal(entry.state)) open++;
      return open;
    },
  };
}

export type CaseStore = ReturnType<typeof createCaseStore>;
