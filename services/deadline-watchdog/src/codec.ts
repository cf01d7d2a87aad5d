import type { Clock } from '@petition/clocks';
import type { ClockStage, PetitionKind } from '@petition/contract';
import type { CaseEntry, StoredClock } from './table.ts';
import { uuidOf, uuidWords } from './uuid-words.ts';

// The compact forms written to each partition's log in Redis (log.ts):
// - a case key: 16 bytes for a UUID case id, else its UTF-8 bytes after a 0 byte;
// - a clock record: 25 bytes of fixed fields plus the unit id;
// - an operation: a case's entry and clocks put (or the case forgotten), or a step taken (a mark; one the
//   watchdog fired itself also moves the clock to the slot of its next step). An entry naming an
//   accusation's accused (art 30) is marked 2 instead of 1 and followed by the accused's unit id; its
//   clocks carry that id when read back.

export function caseIdOf(key: Buffer): string {
  if (key[0] !== 1) return key.subarray(1).toString('utf8');
  return uuidOf(key.readUInt32BE(1), key.readUInt32BE(5), key.readUInt32BE(9), key.readUInt32BE(13));
}

const seconds = (d: Date | undefined) => (d ? Math.round(d.getTime() / 1000) : 0);
const fromSeconds = (s: number) => new Date(s * 1000);
const FLAG = { workingDays: 1, paused: 2, provisional: 4, fixedDue: 8 } as const;

/** A growing buffer the log's forms are written into, field by field (one allocation a batch). */
class Writer {
  private b: Buffer;
  at = 0;
  constructor(size: number) {
    this.b = Buffer.allocUnsafe(size);
  }
  private room(n: number): Buffer {
    if (this.at + n > this.b.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.b.length * 2, this.at + n));
      this.b.copy(grown, 0, 0, this.at);
      this.b = grown;
    }
    return this.b;
  }
  u8(v: number, at = this.at) {
    this.room(1).writeUInt8(v, at);
    if (at === this.at) this.at += 1;
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
  /** A case key: 1 and a UUID's 16 bytes, else 0 and the id's UTF-8 bytes. */
  key(caseId: string) {
    const words = uuidWords(caseId);
    if (!words) {
      this.u8(0);
      this.utf8(caseId);
      return;
    }
    this.u8(1);
    for (const w of words) this.u32(w);
  }
  /** A short string (a unit id): its UTF-8 length in one byte, then its bytes. */
  short(s: string) {
    const lengthAt = this.at;
    this.u8(0);
    this.utf8(s);
    this.u8(this.at - lengthAt - 1, lengthAt);
  }
  /** A clock record: 25 bytes of fixed fields, then the unit id. */
  clock(c: Clock) {
    this.u8(
      (c.workingDays ? FLAG.workingDays : 0) |
        (c.paused ? FLAG.paused : 0) |
        (c.provisional ? FLAG.provisional : 0) |
        (c.fixedDue ? FLAG.fixedDue : 0),
    );
    this.u32(c.startVersion);
    this.u32(seconds(c.startTime));
    this.u16(c.periodDays);
    this.u16(c.pausedDays);
    this.u32(seconds(c.dueTime));
    this.u32(seconds(c.pausedSince));
    this.u32(Number(c.regionCode) || 0);
    this.utf8(c.unitId);
  }
  /** What was written, copied out. */
  take(): Buffer {
    return Buffer.from(this.b.subarray(0, this.at));
  }
}
const writer = new Writer(64 * 1024);

export function caseKey(caseId: string): Buffer {
  const w = new Writer(64);
  w.key(caseId);
  return w.take();
}

export function packClock(c: Clock): Buffer {
  const w = new Writer(64);
  w.clock(c);
  return w.take();
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

/** A batch's operations in the log's form: each with its case key (length first), clocks as packClock's. */
export function encodeOps(ops: readonly LogOp[]): Buffer {
  const w = writer;
  w.at = 0; // also after a batch that threw half-way
  for (const o of ops) {
    w.u8(o.op === 'put' ? 1 : o.slot === undefined ? 2 : 3);
    const keyAt = w.at;
    w.u8(0);
    w.key(o.caseId);
    w.u8(w.at - keyAt - 1, keyAt);
    if (o.op === 'mark') {
      w.u8(o.stage);
      w.u32(o.startVersion);
      w.u8(Math.min(255, o.step));
      if (o.slot !== undefined) w.u32(o.slot);
      continue;
    }
    const accused = o.entry?.accusedUnitId;
    w.u8(o.entry ? (accused ? 2 : 1) : 0);
    w.u8(o.entry?.kind ?? 0);
    w.u32(o.entry ? Number(o.entry.regionCode) || 0 : 0);
    w.u32(o.entry?.version ?? 0);
    w.u8(o.clocks.length);
    if (accused) w.short(accused);
    for (const s of o.clocks) {
      w.u8(Math.min(255, s.progress));
      w.u32(s.slot);
      w.u8(s.clock.stage);
      const lengthAt = w.at;
      w.u16(0);
      w.clock(s.clock);
      w.u16(w.at - lengthAt - 2, lengthAt);
    }
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
    const marked = b.readUInt8(at);
    const n = b.readUInt8(at + 10);
    let accusedUnitId: string | undefined;
    if (marked === 2) {
      const len = b.readUInt8(at + 11);
      accusedUnitId = b.subarray(at + 12, at + 12 + len).toString('utf8');
    }
    const entry =
      marked === 1 || marked === 2
        ? {
            kind: b.readUInt8(at + 1) as PetitionKind,
            regionCode: region ? String(region).padStart(6, '0') : '',
            version: b.readUInt32BE(at + 6),
            ...(accusedUnitId ? { accusedUnitId } : {}),
          }
        : undefined;
    at += 11 + (marked === 2 ? 1 + Buffer.byteLength(accusedUnitId ?? '') : 0);
    const clocks: StoredClock[] = [];
    for (let i = 0; i < n; i++) {
      const len = b.readUInt16BE(at + 6);
      const field = Buffer.concat([key, Buffer.from([b.readUInt8(at + 5)])]);
      const clock = unpackClock(field, b.subarray(at + 8, at + 8 + len));
      clocks.push({
        progress: b.readUInt8(at),
        slot: b.readUInt32BE(at + 1),
        clock: accusedUnitId ? { ...clock, accusedUnitId } : clock,
      });
      at += 8 + len;
    }
    ops.push({ op: 'put', caseId, entry, clocks });
  }
  return ops;
}
