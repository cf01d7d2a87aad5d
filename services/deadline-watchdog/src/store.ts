import type { Clock } from '@petition/clocks';
import type { Redis } from 'ioredis';
import { clockField, type IndexEntry, packClock, packIndex, unpackClock, unpackIndex } from './codec.ts';

// The open clocks of every case in Redis, laid out for few bytes per clock: records in small hashes
// bucketed by the slot of their next step (and a shard), so that a hash stays in Redis's compact
// listpack encoding; a per-case index entry saying where each record sits; each clock's progress (steps
// taken) in hashes of its own, raised only upwards, so that whoever records a step first wins. Keys:
//   <p>b:<partition>:<slot>:<shard>  records          <p>m:<partition>   slots with records (zset)
//   <p>i:<partition>:<shard>           index entries    <p>g:<partition>:<shard>  progress
//   <p>v:<partition>                   clocks whose due time is provisional (set)

export interface StoredClock {
  readonly clock: Clock;
  readonly slot: number;
  readonly progress: number;
}

export interface CaseState {
  readonly entry?: IndexEntry;
  readonly clocks: StoredClock[];
}

export interface CaseUpdate {
  readonly caseId: string;
  readonly before: CaseState;
  readonly entry: IndexEntry | undefined;
  readonly clocks: StoredClock[];
}

/** Records are bucketed by 10-second slot of their next step (statutory deadlines all fall at 24:00). */
export const slotOf = (at: Date | undefined) => (at ? Math.floor(at.getTime() / 10_000) : 0);

const markScript = `
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local n = tonumber(ARGV[2])
if n > current then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return current`;

function hash(b: Buffer): number {
  let h = 2_166_136_261;
  for (const byte of b) h = Math.imul(h ^ byte, 16_777_619);
  return h >>> 0;
}

type MarkPipeline = { wdMark(key: string, field: Buffer, step: string): unknown };

export function createClockStore(redis: Redis, prefix: string, shards = { buckets: 64, index: 1024 }) {
  redis.defineCommand('wdMark', { numberOfKeys: 1, lua: markScript });
  const bucket = (p: number, slot: number, field: Buffer) => `${prefix}b:${p}:${slot}:${hash(field) % shards.buckets}`;
  const slots = (p: number) => `${prefix}m:${p}`;
  const caseKey = (caseId: string) => clockField(caseId, 0).subarray(0, -1);
  const index = (p: number, caseId: string) => `${prefix}i:${p}:${hash(caseKey(caseId)) % shards.index}`;
  const progressOf = (p: number, field: Buffer) => `${prefix}g:${p}:${hash(field) % shards.index}`;
  const provisional = (p: number) => `${prefix}v:${p}`;
  /** A clock's progress field: its stage field and the version that started it (a new clock starts at 0). */
  const progressField = (c: Pick<Clock, 'caseId' | 'stage' | 'startVersion'>) => {
    const v = Buffer.alloc(4);
    v.writeUInt32BE(c.startVersion);
    return Buffer.concat([clockField(c.caseId, c.stage), v]);
  };

  /** The stored clocks of many cases of one partition, in two round trips. */
  async function loadMany(p: number, caseIds: readonly string[]): Promise<Map<string, CaseState>> {
    const unique = [...new Set(caseIds)];
    const first = redis.pipeline();
    for (const id of unique) first.hgetBuffer(index(p, id), caseKey(id));
    const entries = ((await first.exec()) ?? []).map(([, raw]) => (raw ? unpackIndex(raw as Buffer) : undefined));
    const second = redis.pipeline();
    const wanted: { caseId: string; slot: number; field: Buffer }[] = [];
    unique.forEach((caseId, i) => {
      for (const { stage, slot } of entries[i]?.clocks ?? []) {
        const field = clockField(caseId, stage);
        wanted.push({ caseId, slot, field });
        second.hgetBuffer(bucket(p, slot, field), field);
      }
    });
    const records = ((await second.exec()) ?? []).map(([, b]) => b as Buffer | null);
    const clocks = wanted.map((w, i) => {
      const b = records[i];
      return b ? { caseId: w.caseId, slot: w.slot, clock: unpackClock(w.field, b) } : undefined;
    });
    const third = redis.pipeline();
    for (const c of clocks) if (c) third.hget(progressOf(p, progressField(c.clock)), progressField(c.clock));
    const progress = ((await third.exec()) ?? []).map(([, n]) => Number(n ?? 0));
    const out = new Map<string, CaseState>(unique.map((id, i) => [id, { entry: entries[i], clocks: [] }]));
    let k = 0;
    for (const c of clocks) {
      if (!c) continue;
      out.get(c.caseId)?.clocks.push({ clock: c.clock, slot: c.slot, progress: progress[k++] ?? 0 });
    }
    return out;
  }

  return {
    loadMany,
    progressField,

    /** Replaces each case's stored clocks (and its index entry; none when `entry` is undefined), in one go. */
    async saveMany(p: number, updates: readonly CaseUpdate[]) {
      const m = redis.multi();
      const dueSlots = new Set<number>();
      for (const { caseId, before, entry, clocks } of updates) {
        const kept = new Set(clocks.map((s) => progressField(s.clock).toString('base64')));
        const had = new Map(before.clocks.map((s) => [progressField(s.clock).toString('base64'), s.progress]));
        for (const old of before.clocks) {
          const field = clockField(caseId, old.clock.stage);
          m.hdel(bucket(p, old.slot, field), field);
          if (!kept.has(progressField(old.clock).toString('base64'))) {
            m.hdel(progressOf(p, progressField(old.clock)), progressField(old.clock));
            m.srem(provisional(p), field);
          }
        }
        for (const s of clocks) {
          const field = clockField(caseId, s.clock.stage);
          m.hset(bucket(p, s.slot, field), field, packClock(s.clock));
          if (s.slot) dueSlots.add(s.slot);
          const pf = progressField(s.clock);
          // Steps taken here (firing) are recorded with the move; those read back from the log use `markMany`.
          if (s.progress > (had.get(pf.toString('base64')) ?? 0)) m.hset(progressOf(p, pf), pf, String(s.progress));
          if (s.clock.provisional) m.sadd(provisional(p), field);
          else if (before.clocks.some((o) => o.clock.stage === s.clock.stage && o.clock.provisional)) {
            m.srem(provisional(p), field);
          }
        }
        if (entry) m.hset(index(p, caseId), caseKey(caseId), packIndex(entry));
        else m.hdel(index(p, caseId), caseKey(caseId));
      }
      for (const slot of dueSlots) m.zadd(slots(p), slot, String(slot));
      await m.exec();
    },

    /** Raises clocks' progress to at least their step (never lowers it). */
    async markMany(p: number, marks: readonly { field: Buffer; step: number }[]) {
      if (marks.length === 0) return;
      const pipe = redis.pipeline();
      for (const { field, step } of marks) {
        (pipe as unknown as MarkPipeline).wdMark(progressOf(p, field), field, String(step));
      }
      await pipe.exec();
    },

    /** The earliest slots at or before `slot` that hold records. */
    async dueSlots(p: number, slot: number, limit: number): Promise<number[]> {
      const found = await redis.zrangebyscore(slots(p), 1, slot, 'LIMIT', 0, limit);
      return found.map(Number);
    },

    /** The case ids with records in a slot's buckets (the records themselves are read with `load`). */
    async casesAt(p: number, slot: number): Promise<string[]> {
      const pipe = redis.pipeline();
      for (let s = 0; s < shards.buckets; s++) pipe.hkeysBuffer(`${prefix}b:${p}:${slot}:${s}`);
      const replies = (await pipe.exec()) ?? [];
      const ids = new Set<string>();
      for (const [, keys] of replies) {
        for (const field of (keys as Buffer[] | null) ?? []) {
          ids.add(unpackClock(field, Buffer.alloc(25)).caseId);
        }
      }
      return [...ids];
    },

    /** Forgets a slot once its buckets are empty. */
    async dropSlotIfEmpty(p: number, slot: number) {
      const pipe = redis.pipeline();
      for (let s = 0; s < shards.buckets; s++) pipe.exists(`${prefix}b:${p}:${slot}:${s}`);
      const replies = (await pipe.exec()) ?? [];
      if (replies.every(([, n]) => n === 0)) await redis.zrem(slots(p), String(slot));
    },

    /** The case ids with a provisional due time in partition `p`. */
    async provisionalCases(p: number): Promise<string[]> {
      const fields = await redis.smembersBuffer(provisional(p));
      return [...new Set(fields.map((f) => unpackClock(f, Buffer.alloc(25)).caseId))];
    },

    /** Bytes Redis uses for this store's keys (MEMORY USAGE summed over a SCAN). */
    async bytesUsed(): Promise<number> {
      let cursor = '0';
      let total = 0;
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        const pipe = redis.pipeline();
        for (const key of keys) pipe.memory('USAGE', key, 'SAMPLES', '0');
        for (const [, n] of (await pipe.exec()) ?? []) total += Number(n ?? 0);
      } while (cursor !== '0');
      return total;
    },
  };
}

export type ClockStore = ReturnType<typeof createClockStore>;
