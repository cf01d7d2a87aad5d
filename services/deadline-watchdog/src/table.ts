import { createHash } from 'node:crypto';
import type { Clock } from '@petition/clocks';
import type { ClockStage, PetitionKind } from '@petition/contract';
import { growable, grown } from './growable.ts';
import { SlotHeap } from './slot-heap.ts';
import { uuidOf, uuidWords } from './uuid-words.ts';

// The open clocks of one partition, in memory, in typed arrays: one 60-byte record per clock (a case
// without a running clock keeps one empty record for its version), an open-addressing index from case key
// to the case's first record, and a min-heap of (slot of the next step, record) for firing. Heap entries
// are never removed in place: one whose record has moved on is dropped when it comes up.

/** The case facts kept beside its clocks. */
export interface CaseEntry {
  readonly kind: PetitionKind;
  readonly regionCode: string;
  /** The case version last applied: an event at or below it is not applied again. */
  readonly version: number;
  /** The accused unit of an accusation (art 30): its clocks carry it, so supervision passes it by. */
  readonly accusedUnitId?: string;
}

export interface StoredClock {
  readonly clock: Clock;
  /** The 10-second slot of the clock's next step (0: nothing more to fire, or paused). */
  readonly slot: number;
  /** Steps taken so far. */
  readonly progress: number;
}

export interface CaseState {
  readonly entry?: CaseEntry;
  readonly clocks: StoredClock[];
}

// Record flags; `queued`: the record has an entry on the heap.
const F = {
  used: 1,
  workingDays: 2,
  paused: 4,
  provisional: 8,
  fixedDue: 16,
  named: 32,
  clock: 64,
  queued: 128,
} as const;
const EMPTY = -1;
/** Records a table reserves address space for (past them it copies its arrays once, reserving twice as many). */
const reservedRecords = 2 ** 24;
const GONE = -2;
const seconds = (d: Date | undefined) => (d ? Math.round(d.getTime() / 1000) : 0);
const date = (s: number) => new Date(s * 1000);

/** Unit ids, kept once for every partition. */
class Interned {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  of(id: string): number {
    let n = this.ids.get(id);
    if (n === undefined) {
      n = this.names.push(id) - 1;
      this.ids.set(id, n);
    }
    return n;
  }
  name(n: number): string {
    return this.names[n] ?? '';
  }
}
const units = new Interned();

/** A case id's 16-byte key as four words: a UUID's own bytes, else a digest (the id kept aside). */
function keyOf(caseId: string): { words: number[]; named: boolean } {
  const words = uuidWords(caseId);
  if (words) return { words, named: false };
  const d = createHash('sha256').update(caseId).digest();
  return { words: [0, 4, 8, 12].map((i) => d.readUInt32BE(i)), named: true };
}
const hex8 = (n: number) => n.toString(16).padStart(8, '0');

export class ClockTable {
  private cap = 0;
  private key = growable(Uint32Array, reservedRecords * 4);
  private u32 = growable(Uint32Array, reservedRecords * 8); // 8 words a record, below
  private u16 = growable(Uint16Array, reservedRecords * 2); // periodDays, pausedDays
  private u8 = growable(Uint8Array, reservedRecords * 4); // stage, flags, kind, progress
  private next = growable(Int32Array, reservedRecords);
  private free: number[] = [];
  private top = 0;
  private index = new Int32Array(1024).fill(EMPTY);
  private filled = 0; // index cells used or gone
  private readonly heap = new SlotHeap();
  private readonly named = new Map<string, string>();
  /** The accused of the accusations held, by case id: few cases name one, so it is kept beside the records. */
  private readonly accused = new Map<string, string>();
  /** Steps recorded for clocks not (yet) held: while rebuilding, a step can be read before its clock. */
  private readonly pending = new Map<string, number>();
  /** Cases and records held. */
  cases = 0;
  records = 0;

  private grow() {
    // A quarter more at a time: a table of millions of records should not hold a million spare ones.
    const cap = Math.max(1024, Math.ceil(this.cap * 1.25));
    this.key = grown(Uint32Array, this.key, cap * 4);
    this.u32 = grown(Uint32Array, this.u32, cap * 8);
    this.u16 = grown(Uint16Array, this.u16, cap * 2);
    this.u8 = grown(Uint8Array, this.u8, cap * 4);
    this.next = grown(Int32Array, this.next, cap);
    this.cap = cap;
  }

  private alloc(): number {
    const r = this.free.pop() ?? this.top++;
    if (r >= this.cap) this.grow();
    this.records++;
    return r;
  }

  private hash(k: readonly number[]): number {
    return Math.imul((k[0] ?? 0) ^ Math.imul(k[1] ?? 0, 0x9e3779b1) ^ (k[3] ?? 0), 0x85ebca6b) >>> 0;
  }

  private sameKey(r: number, k: readonly number[]) {
    const o = r * 4;
    return this.key[o] === k[0] && this.key[o + 1] === k[1] && this.key[o + 2] === k[2] && this.key[o + 3] === k[3];
  }

  /** The index cell of a key: where it is, or where it would go. */
  private cell(k: readonly number[]): { at: number; found: boolean } {
    const mask = this.index.length - 1;
    let insertAt = -1;
    for (let i = this.hash(k) & mask; ; i = (i + 1) & mask) {
      const v = this.index[i] ?? EMPTY;
      if (v === EMPTY) return { at: insertAt >= 0 ? insertAt : i, found: false };
      if (v === GONE) {
        if (insertAt < 0) insertAt = i;
      } else if (this.sameKey(v, k)) return { at: i, found: true };
    }
  }

  private rehash() {
    const old = this.index;
    const size = Math.max(1024, 2 ** Math.ceil(Math.log2(this.cases * 2 + 2)));
    this.index = new Int32Array(size).fill(EMPTY);
    this.filled = 0;
    for (const head of old) {
      if (head < 0) continue;
      const { at } = this.cell(this.wordsOf(head));
      this.index[at] = head;
      this.filled++;
    }
  }

  private wordsOf(r: number): number[] {
    const o = r * 4;
    return [this.key[o] ?? 0, this.key[o + 1] ?? 0, this.key[o + 2] ?? 0, this.key[o + 3] ?? 0];
  }

  private caseIdOf(r: number): string {
    const o = r * 4;
    const k = this.key;
    if ((this.u8[o + 1] ?? 0) & F.named) return this.named.get(this.wordsOf(r).map(hex8).join('')) ?? '';
    return uuidOf(k[o] ?? 0, k[o + 1] ?? 0, k[o + 2] ?? 0, k[o + 3] ?? 0);
  }

  private push(slot: number, r: number) {
    this.u8[r * 4 + 1] = (this.u8[r * 4 + 1] ?? 0) | F.queued;
    this.heap.push(slot, r);
    // Entries of records that moved on are dropped as they come up; when they outnumber the live ones,
    // the heap is built again from the records.
    if (this.heap.size > 2 * this.records + 4096) this.rebuildHeap();
  }

  private read(r: number, caseId: string, accusedUnitId: string | undefined): StoredClock {
    const w = r * 8;
    const b = r * 4;
    const flags = this.u8[b + 1] ?? 0;
    const due = date(this.u32[w + 3] ?? 0);
    const pausedSince = this.u32[w + 4] ?? 0;
    const region = this.u32[w + 5] ?? 0;
    return {
      slot: this.u32[w + 7] ?? 0,
      progress: this.u8[b + 3] ?? 0,
      clock: {
        caseId,
        stage: (this.u8[b] ?? 0) as ClockStage,
        startVersion: this.u32[w] ?? 0,
        regionCode: region ? String(region).padStart(6, '0') : '',
        unitId: units.name(this.u32[w + 6] ?? 0),
        startTime: date(this.u32[w + 2] ?? 0),
        periodDays: this.u16[r * 2] ?? 0,
        workingDays: (flags & F.workingDays) !== 0,
        pausedDays: this.u16[r * 2 + 1] ?? 0,
        fixedDue: flags & F.fixedDue ? due : undefined,
        dueTime: due,
        provisional: (flags & F.provisional) !== 0,
        paused: (flags & F.paused) !== 0,
        pausedSince: pausedSince ? date(pausedSince) : undefined,
        ...(accusedUnitId ? { accusedUnitId } : {}),
      },
    };
  }

  private write(r: number, k: readonly number[], named: boolean, entry: CaseEntry, s?: StoredClock) {
    const o = r * 4;
    for (let i = 0; i < 4; i++) this.key[o + i] = k[i] ?? 0;
    const w = r * 8;
    const c = s?.clock;
    this.u32[w] = c?.startVersion ?? 0;
    this.u32[w + 1] = entry.version;
    this.u32[w + 2] = seconds(c?.startTime);
    this.u32[w + 3] = seconds(c?.dueTime);
    this.u32[w + 4] = seconds(c?.pausedSince);
    this.u32[w + 5] = Number(c?.regionCode ?? entry.regionCode) || 0;
    this.u32[w + 6] = c ? units.of(c.unitId) : 0;
    this.u32[w + 7] = s?.slot ?? 0;
    this.u16[r * 2] = c?.periodDays ?? 0;
    this.u16[r * 2 + 1] = c?.pausedDays ?? 0;
    this.u8[o] = c?.stage ?? 0;
    this.u8[o + 1] =
      F.used |
      (named ? F.named : 0) |
      (c ? F.clock : 0) |
      (c?.workingDays ? F.workingDays : 0) |
      (c?.paused ? F.paused : 0) |
      (c?.provisional ? F.provisional : 0) |
      (c?.fixedDue ? F.fixedDue : 0);
    this.u8[o + 2] = entry.kind;
    this.u8[o + 3] = s?.progress ?? 0;
    if (s?.slot) this.push(s.slot, r);
  }

  private rebuildHeap() {
    this.heap.clear();
    for (let r = 0; r < this.top; r++) {
      const f = this.u8[r * 4 + 1] ?? 0;
      const slot = this.u32[r * 8 + 7] ?? 0;
      this.u8[r * 4 + 1] = f & ~F.queued;
      if (f & F.used && slot) this.push(slot, r);
    }
  }

  /** A case's entry and clocks, or an empty state. */
  get(caseId: string): CaseState {
    const { at, found } = this.cell(keyOf(caseId).words);
    if (!found) return { clocks: [] };
    const head = this.index[at] ?? 0;
    const region = this.u32[head * 8 + 5] ?? 0;
    const accusedUnitId = this.accused.get(caseId);
    const entry: CaseEntry = {
      kind: (this.u8[head * 4 + 2] ?? 0) as PetitionKind,
      regionCode: region ? String(region).padStart(6, '0') : '',
      version: this.u32[head * 8 + 1] ?? 0,
      ...(accusedUnitId ? { accusedUnitId } : {}),
    };
    const clocks: StoredClock[] = [];
    for (let r = head; r >= 0; r = this.next[r] ?? -1) {
      if ((this.u8[r * 4 + 1] ?? 0) & F.clock) clocks.push(this.read(r, caseId, accusedUnitId));
    }
    return { entry, clocks };
  }

  /** Replaces a case's entry and clocks (none: the case is forgotten). */
  put(caseId: string, entry: CaseEntry | undefined, clocks: readonly StoredClock[]) {
    const { words: k, named } = keyOf(caseId);
    if (named) this.named.set(k.map(hex8).join(''), caseId);
    const { at, found } = this.cell(k);
    if (found) {
      for (let r = this.index[at] ?? -1; r >= 0; ) {
        const n = this.next[r] ?? -1;
        this.u8[r * 4 + 1] = 0;
        this.u32[r * 8 + 7] = 0;
        this.free.push(r);
        this.records--;
        r = n;
      }
      this.index[at] = GONE;
      this.cases--;
    }
    if (entry?.accusedUnitId) this.accused.set(caseId, entry.accusedUnitId);
    else this.accused.delete(caseId);
    if (!entry) {
      if (named) this.named.delete(k.map(hex8).join(''));
      return;
    }
    let head = -1;
    const list = clocks.length ? clocks.map((c) => this.withPending(caseId, c)) : [undefined];
    for (let i = list.length - 1; i >= 0; i--) {
      const r = this.alloc();
      this.write(r, k, named, entry, list[i]);
      this.next[r] = head;
      head = r;
    }
    const { at: into } = this.cell(k);
    if ((this.index[into] ?? EMPTY) === EMPTY) this.filled++;
    this.index[into] = head;
    this.cases++;
    if (this.filled * 10 > this.index.length * 6) this.rehash();
  }

  private withPending(caseId: string, s: StoredClock): StoredClock {
    const key = `${caseId}:${s.clock.stage}:${s.clock.startVersion}`;
    const step = this.pending.get(key);
    if (step === undefined) return s;
    this.pending.delete(key);
    return step > s.progress ? { ...s, progress: step } : s;
  }

  /**
   * Raises a clock's progress to at least `step` (never lowers it) and, given its next step's slot, moves
   * it there. A clock not held keeps the step aside for when it comes (its slot is then early: firing finds
   * nothing to say and moves it on).
   */
  mark(caseId: string, stage: ClockStage, startVersion: number, step: number, slot?: number) {
    const { at, found } = this.cell(keyOf(caseId).words);
    for (let r = found ? (this.index[at] ?? -1) : -1; r >= 0; r = this.next[r] ?? -1) {
      if (this.u8[r * 4] === stage && this.u32[r * 8] === startVersion && (this.u8[r * 4 + 1] ?? 0) & F.clock) {
        if ((this.u8[r * 4 + 3] ?? 0) < step) this.u8[r * 4 + 3] = Math.min(255, step);
        if (slot === undefined) return;
        // A heap entry under another slot is dropped when it comes up: the record needs one for this slot.
        const moved = this.u32[r * 8 + 7] !== slot;
        this.u32[r * 8 + 7] = slot;
        if (slot && (moved || !((this.u8[r * 4 + 1] ?? 0) & F.queued))) this.push(slot, r);
        return;
      }
    }
    const key = `${caseId}:${stage}:${startVersion}`;
    this.pending.set(key, Math.max(step, this.pending.get(key) ?? 0));
  }

  /** Forgets steps kept aside for clocks that never came (once caught up, they never will). */
  dropPending() {
    this.pending.clear();
  }

  /**
   * Case ids with a clock whose next step's slot is at or before `slot`, at most `limit`, taken off the
   * heap: the caller stores them again (`put`) or hands them back (`requeue`).
   */
  due(slot: number, limit: number): string[] {
    const out = new Set<string>();
    for (let s = this.heap.topSlot; s !== undefined && s <= slot && out.size < limit; s = this.heap.topSlot) {
      const r = this.heap.topRecord;
      this.heap.pop();
      const f = this.u8[r * 4 + 1] ?? 0;
      if (f & F.used && this.u32[r * 8 + 7] === s) {
        this.u8[r * 4 + 1] = f & ~F.queued;
        out.add(this.caseIdOf(r));
      }
    }
    return [...out];
  }

  /** Puts a case's due clocks back on the heap (taken by `due`, not moved). */
  requeue(caseId: string) {
    const { at, found } = this.cell(keyOf(caseId).words);
    if (!found) return;
    for (let r = this.index[at] ?? -1; r >= 0; r = this.next[r] ?? -1) {
      const s = this.u32[r * 8 + 7] ?? 0;
      if (s && !((this.u8[r * 4 + 1] ?? 0) & F.queued)) this.push(s, r);
    }
  }

  /** Case ids with a provisional due time. */
  provisional(): string[] {
    const out = new Set<string>();
    for (let r = 0; r < this.top; r++) {
      const f = this.u8[r * 4 + 1] ?? 0;
      if (f & F.used && f & F.provisional) out.add(this.caseIdOf(r));
    }
    return [...out];
  }

  /** Every case id held. */
  *caseIds(): Generator<string> {
    for (const head of this.index) if (head >= 0) yield this.caseIdOf(head);
  }

  /** Bytes of the arrays behind this table (capacity included). */
  bytes(): number {
    return (
      this.key.byteLength +
      this.u32.byteLength +
      this.u16.byteLength +
      this.u8.byteLength +
      this.next.byteLength +
      this.index.byteLength +
      this.heap.byteLength
    );
  }
}
