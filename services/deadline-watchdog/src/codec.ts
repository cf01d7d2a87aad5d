import type { Clock } from '@petition/clocks';
import type { ClockStage, PetitionKind } from '@petition/contract';
import type { CaseEntry, StoredClock } from './table.ts';
import { uuidOf, uuidWords } from './uuid-words.ts';

// The compact forms written to each partition's log in Redis (log.ts):
// - a case key: 16 bytes for a UUID case id, else its UTF-8 bytes after a 0 byte;
// - a clock record: 25 bytes of fixed fields plus the unit id;
// - an operation: a case's entry and clocks put (or the case forgotten), or a step taken (a mark; one the
//   watchdog fired itself also moves the clock to the slot of its next step).

export function caseKey(caseId: string): Buffer {
  const words = uuidWords(caseId);
  if (!words) return Buffer.concat([Buffer.from([0]), Buffer.from(caseId, 'utf8')]);
  const key = Buffer.allocUnsafe(17);
  key[0] = 1;
  for (const [i, w] of words.entries()) key.writeUInt32BE(w, 1 + i * 4);
  return key;
}

export function caseIdOf(key: Buffer): string {
  if (key[0] !== 1) return key.subarray(1).toString('utf8');
  return uuidOf(key.readUInt32BE(1), key.readUInt32BE(5), key.readUInt32BE(9), key.readUInt32BE(13));
}

/** A clock's field: its case key and stage. */
export const clockField = (caseId: string, stage: ClockStage) => Buffer.concat([caseKey(caseId), Buffer.from([stage])]);

const seconds = (d: Date | undefined) => (d ? Math.round(d.getTime() / 1000) : 0);
const fromSeconds = (s: number) => new Date(s * 1000);
const FLAG = { workingDays: 1, paused: 2, provisional: 4, fixedDue: 8 } as const;

export function packClock(c: Clock): Buffer {
  const unit = Buffer.from(c.unitId, 'utf8');
  const b = Buffer.alloc(25 + unit.length);
  b.writeUInt8(
    (c.workingDays ? FLAG.workingDays : 0) |
      (c.paused ? FLAG.paused : 0) |
      (c.provisional ? FLAG.provisional : 0) |
      (c.fixedDue ? FLAG.fixedDue : 0),
    0,
  );
  b.writeUInt32BE(c.startVersion, 1);
  b.writeUInt32BE(seconds(c.startTime), 5);
  b.writeUInt16BE(c.periodDays, 9);
  b.writeUInt16BE(c.pausedDays, 11);
  b.writeUInt32BE(seconds(c.dueTime), 13);
  b.writeUInt32BE(seconds(c.pausedSince), 17);
  b.writeUInt32BE(Number(c.regionCode) || 0, 21);
  unit.copy(b, 25);
  return b;
}

export function unpackClock(field: Buffer, b: Buffer): Clock {
  const flags = b.readUInt8(0);
  const dueTime = fromSeconds(b.readUInt32BE(13));
  const pausedSince = b.readUInt32BE(17);
  const region = b.readUInt32BE(21);
  return {
    caseId: caseIdOf(field.subarray(0, field.length - 1)),
    stage: field[field.length - 1] as ClockStage,
    startVersion: b.readUInt32BE(1),
    regionCode: region ? String(region).padStart(6, '0') : '',
    unitId: b.subarray(25).toString('utf8'),
    startTime: fromSeconds(b.readUInt32BE(5)),
    periodDays: b.readUInt16BE(9),
    workingDays: (flags & FLAG.workingDays) !== 0,
    pausedDays: b.readUInt16BE(11),
    fixedDue: flags & FLAG.fixedDue ? dueTime : undefined,
    dueTime,
    provisional: (flags & FLAG.provisional) !== 0,
    paused: (flags & FLAG.paused) !== 0,
    pausedSince: pausedSince ? fromSeconds(pausedSince) : undefined,
  };
}

export type LogOp =
  | { readonly op: 'put'; readonly caseId: string; readonly entry?: CaseEntry; readonly clocks: readonly StoredClock[] }
  | {
      readonly op: 'mark';
      readonly caseId: string;
      readonly stage: ClockStage;
      readonly startVersion: number;
      readonly step: number;
      /** The slot of the clock's next step, when the step was fired here. */
      readonly slot?: number;
    };

/** A growing buffer the log entries are written into, field by field (one allocation a batch). */
class Writer {
  private b = Buffer.allocUnsafe(64 * 1024);
  at = 0;
  private room(n: number): Buffer {
    if (this.at + n > this.b.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.b.length * 2, this.at + n));
      this.b.copy(grown, 0, 0, this.at);
      this.b = grown;
    }
    return this.b;
  }
  u8(v: number) {
    this.room(1).writeUInt8(v, this.at);
    this.at += 1;
  }
  u16(v: number, at = this.at) {
    this.room(2).writeUInt16BE(v, at);
    if (at === this.at) this.at += 2;
  }
  u32(v: number) {
    this.room(4).writeUInt32BE(v, this.at);
    this.at += 4;
  }
  utf8(s: string) {
    this.at += this.room(s.length * 3).write(s, this.at, 'utf8');
  }
  /** A case key (see caseKey), after its length byte. */
  key(caseId: string) {
    const words = uuidWords(caseId);
    if (!words) {
      const len = Buffer.byteLength(caseId, 'utf8') + 1;
      this.u8(len);
      this.u8(0);
      this.utf8(caseId);
      return;
    }
    this.u8(17);
    this.u8(1);
    for (const w of words) this.u32(w);
  }
  /** What was written, copied out. */
  take(): Buffer {
    return Buffer.from(this.b.subarray(0, this.at));
  }
}
const writer = new Writer();

function writeClock(w: Writer, s: StoredClock) {
  const c = s.clock;
  w.u8(Math.min(255, s.progress));
  w.u32(s.slot);
  w.u8(c.stage);
  const lengthAt = w.at;
  w.u16(0);
  w.u8(
    (c.workingDays ? FLAG.workingDays : 0) |
      (c.paused ? FLAG.paused : 0) |
      (c.provisional ? FLAG.provisional : 0) |
      (c.fixedDue ? FLAG.fixedDue : 0),
  );
  w.u32(c.startVersion);
  w.u32(seconds(c.startTime));
  w.u16(c.periodDays);
  w.u16(c.pausedDays);
  w.u32(seconds(c.dueTime));
  w.u32(seconds(c.pausedSince));
  w.u32(Number(c.regionCode) || 0);
  w.utf8(c.unitId);
  w.u16(w.at - lengthAt - 2, lengthAt);
}

/** A batch's operations in the log's form (packClock's layout for each clock). */
export function encodeOps(ops: readonly LogOp[]): Buffer {
  const w = writer;
  w.at = 0; // also after a batch that threw half-way
  for (const o of ops) {
    w.u8(o.op === 'put' ? 1 : o.slot === undefined ? 2 : 3);
    w.key(o.caseId);
    if (o.op === 'mark') {
      w.u8(o.stage);
      w.u32(o.startVersion);
      w.u8(Math.min(255, o.step));
      if (o.slot !== undefined) w.u32(o.slot);
      continue;
    }
    w.u8(o.entry ? 1 : 0);
    w.u8(o.entry?.kind ?? 0);
    w.u32(o.entry ? Number(o.entry.regionCode) || 0 : 0);
    w.u32(o.entry?.version ?? 0);
    w.u8(o.clocks.length);
    for (const s of o.clocks) writeClock(w, s);
  }
  return w.take();
}

export function decodeOps(b: Buffer): LogOp[] {
  const ops: LogOp[] = [];
  let at = 0;
  while (at < b.length) {
    const kind = b.readUInt8(at);
    const keyLen = b.readUInt8(at + 1);
    const key = b.subarray(at + 2, at + 2 + keyLen);
    const caseId = caseIdOf(key);
    at += 2 + keyLen;
    if (kind === 2 || kind === 3) {
      const mark = {
        op: 'mark' as const,
        caseId,
        stage: b.readUInt8(at) as ClockStage,
        startVersion: b.readUInt32BE(at + 1),
        step: b.readUInt8(at + 5),
      };
      ops.push(kind === 3 ? { ...mark, slot: b.readUInt32BE(at + 6) } : mark);
      at += kind === 3 ? 10 : 6;
      continue;
    }
    const region = b.readUInt32BE(at + 2);
    const entry =
      b.readUInt8(at) === 1
        ? {
            kind: b.readUInt8(at + 1) as PetitionKind,
            regionCode: region ? String(region).padStart(6, '0') : '',
            version: b.readUInt32BE(at + 6),
          }
        : undefined;
    const n = b.readUInt8(at + 10);
    at += 11;
    const clocks: StoredClock[] = [];
    for (let i = 0; i < n; i++) {
      const len = b.readUInt16BE(at + 6);
      const field = Buffer.concat([key, Buffer.from([b.readUInt8(at + 5)])]);
      clocks.push({
        progress: b.readUInt8(at),
        slot: b.readUInt32BE(at + 1),
        clock: unpackClock(field, b.subarray(at + 8, at + 8 + len)),
      });
      at += 8 + len;
    }
    ops.push({ op: 'put', caseId, entry, clocks });
  }
  return ops;
}
