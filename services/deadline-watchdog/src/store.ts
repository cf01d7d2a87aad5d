import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { ClockStage } from '@petition/contract';
import type { Redis } from 'ioredis';
import { decodeOps, encodeOps, type LogOp } from './codec.ts';
import { type CaseEntry, type CaseState, ClockTable, type StoredClock } from './table.ts';

// The open clocks of each partition: decided on in memory (table.ts), kept in Redis as the partition's
// log — one list entry per batch, every change of that batch in it, deflated — so that whoever holds the partition
// next, or this instance after a restart, reads them back. A batch's entry is written before its offsets
// are committed. Before each use the table takes in what other instances appended (a step recorded by the
// instance reading deadline-events); a log grown well past its table is written again, compacted. Keys:
//   <p>log:<partition>   the log (a list of encoded batches)
//   <p>gen:<partition>   how often it was compacted (a table read under another generation is read again)

export type { CaseEntry, CaseState, StoredClock } from './table.ts';

export interface CaseUpdate {
  readonly caseId: string;
  /** Undefined: the case is forgotten. */
  readonly entry: CaseEntry | undefined;
  readonly clocks: StoredClock[];
}

export interface StepMark {
  readonly caseId: string;
  readonly stage: ClockStage;
  readonly startVersion: number;
  readonly step: number;
  /** The slot of the clock's next step, when this instance fired the step. */
  readonly slot?: number;
}

/** Records are slotted by 10-second slot of their next step (statutory deadlines all fall at 24:00). */
export const slotOf = (at: Date | undefined) => (at ? Math.floor(at.getTime() / 10_000) : 0);

/** Replaces the log by its compacted form, unless it changed meanwhile. */
const swapScript = `
if tostring(redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] or redis.call('LLEN', KEYS[1]) ~= tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[3])
  return 0
end
redis.call('RENAME', KEYS[3], KEYS[1])
redis.call('INCR', KEYS[2])
return 1`;

/** A log entry: a batch's operations, deflated (times, regions and unit ids repeat from clock to clock). */
const pack = (ops: readonly LogOp[]) => deflateRawSync(encodeOps(ops), { level: 1 });

const casesOf = (table: ClockTable, caseIds: readonly string[]): Map<string, CaseState> =>
  new Map(caseIds.map((id) => [id, table.get(id)]));

interface Held {
  table: ClockTable;
  /** Log entries applied, and under which generation. */
  pos: number;
  gen: string;
  /** Bytes appended since the log was last written whole. */
  appended: number;
  stale: boolean;
}

export function createClockStore(redis: Redis, prefix: string, options = { compactEvery: 64 * 1024 * 1024 }) {
  const log = (p: number) => `${prefix}log:${p}`;
  const gen = (p: number) => `${prefix}gen:${p}`;
  const held = new Map<number, Held>();

  function apply(table: ClockTable, entries: readonly Buffer[]) {
    for (const e of entries) {
      for (const o of decodeOps(inflateRawSync(e))) {
        if (o.op === 'put') table.put(o.caseId, o.entry, o.clocks);
        else table.mark(o.caseId, o.stage, o.startVersion, o.step, o.slot);
      }
    }
  }

  /** The partition's table with everything the log holds. */
  async function sync(p: number): Promise<ClockTable> {
    let h = held.get(p);
    const from = h && !h.stale ? h.pos : 0;
    const [[, g], [, entries]] = ((await redis.multi().get(gen(p)).lrangeBuffer(log(p), from, -1).exec()) ?? []) as [
      [unknown, string | null],
      [unknown, Buffer[]],
    ];
    const generation = g ?? '0';
    if (!h || h.stale || h.gen !== generation) {
      if (h && from > 0) {
        h.stale = true; // compacted by another instance: read it whole
        return sync(p);
      }
      h = { table: new ClockTable(), pos: 0, gen: generation, appended: 0, stale: false };
      held.set(p, h);
    }
    apply(h.table, entries);
    h.pos += entries.length;
    return h.table;
  }

  /** The table is read again from the log before its next use (what memory holds beyond it is dropped). */
  const invalidate = (p: number) => {
    const h = held.get(p);
    if (h) h.stale = true;
  };

  /**
   * The table a write goes to: the one just read for this batch, without another round trip. Had others
   * appended meanwhile, `append` sees it and the table is read again before its next use.
   */
  const current = async (p: number) => {
    const h = held.get(p);
    return h && !h.stale ? h.table : sync(p);
  };

  async function append(p: number, ops: readonly LogOp[]) {
    const h = held.get(p);
    if (!h || ops.length === 0) return;
    const blob = pack(ops);
    let replies: [unknown, unknown][] | null;
    try {
      replies = await redis.multi().rpush(log(p), blob).get(gen(p)).exec();
    } catch (err) {
      invalidate(p);
      throw err;
    }
    const [[, len], [, g]] = (replies ?? []) as [[unknown, number], [unknown, string | null]];
    // Another writer came in between: the table is read again from the log before its next use.
    if (len !== h.pos + 1 || (g ?? '0') !== h.gen) h.stale = true;
    else h.pos = len;
    h.appended += blob.length;
    if (!h.stale && h.appended > options.compactEvery) await compact(p, h);
  }

  /** Writes the log again as one put per case held, in chunks, and swaps it in if nothing changed. */
  async function compact(p: number, h: Held) {
    const next = `${log(p)}:next`;
    await redis.del(next);
    let ops: LogOp[] = [];
    let chunks = 0;
    for (const caseId of h.table.caseIds()) {
      const { entry, clocks } = h.table.get(caseId);
      ops.push({ op: 'put', caseId, entry, clocks });
      if (ops.length === 5_000) {
        await redis.rpush(next, pack(ops));
        chunks++;
        ops = [];
      }
    }
    if (ops.length || chunks === 0) {
      await redis.rpush(next, pack(ops));
      chunks++;
    }
    const swapped = Number(await redis.eval(swapScript, 3, log(p), gen(p), next, h.gen, String(h.pos)));
    if (swapped === 1) {
      h.gen = String(Number(h.gen) + 1);
      h.pos = chunks;
      h.appended = 0;
    } else h.stale = true;
  }

  return {
    invalidate,

    /** The stored clocks of many cases of one partition. */
    async loadMany(p: number, caseIds: readonly string[]): Promise<Map<string, CaseState>> {
      return casesOf(await sync(p), caseIds);
    },

    /** The clocks of cases `dueCases` just handed out: from the table as read for it, without a round trip. */
    async loadDue(p: number, caseIds: readonly string[]): Promise<Map<string, CaseState>> {
      return casesOf(await current(p), caseIds);
    },

    /** Replaces each case's entry and clocks, in memory and in the log. */
    async saveMany(p: number, updates: readonly CaseUpdate[]) {
      const table = await current(p);
      for (const u of updates) table.put(u.caseId, u.entry, u.clocks);
      await append(
        p,
        updates.map((u) => ({ op: 'put', caseId: u.caseId, entry: u.entry, clocks: u.clocks })),
      );
    },

    /** Raises clocks' progress to at least their step (never lowers it), moving them to their slot if given. */
    async markMany(p: number, marks: readonly StepMark[]) {
      if (marks.length === 0) return;
      const table = await current(p);
      for (const m of marks) table.mark(m.caseId, m.stage, m.startVersion, m.step, m.slot);
      await append(
        p,
        marks.map((m) => ({ op: 'mark', ...m })),
      );
    },

    /** Cases with a step due at or before `slot`: fire them, then save them or hand them back. */
    async dueCases(p: number, slot: number, limit: number): Promise<string[]> {
      return (await sync(p)).due(slot, limit);
    },

    /** Cases taken by `dueCases`: their clocks that did not move go back on the heap. */
    requeue(p: number, caseIds: readonly string[]) {
      const table = held.get(p)?.table;
      for (const id of caseIds) table?.requeue(id);
    },

    /** The case ids with a provisional due time in partition `p`. */
    async provisionalCases(p: number): Promise<string[]> {
      return (await sync(p)).provisional();
    },

    /** Memory this instance's tables take, and what their logs take in Redis (MEMORY USAGE). */
    async bytesUsed(): Promise<{ memory: number; redis: number; clocks: number }> {
      let memory = 0;
      let clocks = 0;
      const pipe = redis.pipeline();
      for (const [p, h] of held) {
        memory += h.table.bytes();
        clocks += h.table.records;
        pipe.memory('USAGE', log(p), 'SAMPLES', '0');
      }
      let inRedis = 0;
      for (const [, n] of (await pipe.exec()) ?? []) inRedis += Number(n ?? 0);
      return { memory, redis: inRedis, clocks };
    },

    /** Once caught up: steps read for clocks that are not held belong to clocks long stopped. */
    dropPending() {
      for (const h of held.values()) h.table.dropPending();
    },

    /** Writes each held partition's log again, compacted. */
    async compactAll() {
      for (const [p, h] of held) if (!h.stale) await compact(p, h);
    },
  };
}

export type ClockStore = ReturnType<typeof createClockStore>;
