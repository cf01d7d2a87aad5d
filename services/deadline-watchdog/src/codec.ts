import type { Clock } from '@petition/clocks';
import type { ClockStage, PetitionKind } from '@petition/contract';
import type { CaseEntry, StoredClock } from './table.ts';
import { uuidOf, uuidWords } from './uuid-words.ts';

// The compact forms written to each partition's log in Redis (log.ts):
// - a case key: 16 bytes for a UUID case id, else its UTF-8 bytes after a 0 byte;
// - a clock record: 25 bytes of fixed fields plus the unit id;
// - an operation: a case's entry and clocks put (or the case forgotten), or a step taken (a mark).

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
    };

export function encodeOps(ops: readonly LogOp[]): Buffer {
  const parts: Buffer[] = [];
  for (const o of ops) {
    const key = caseKey(o.caseId);
    const head = Buffer.from([o.op === 'put' ? 1 : 2, key.length]);
    if (o.op === 'mark') {
      const b = Buffer.alloc(6);
      b.writeUInt8(o.stage, 0);
      b.writeUInt32BE(o.startVersion, 1);
      b.writeUInt8(Math.min(255, o.step), 5);
      parts.push(head, key, b);
      continue;
    }
    const e = Buffer.alloc(11);
    if (o.entry) {
      e.writeUInt8(1, 0);
      e.writeUInt8(o.entry.kind, 1);
      e.writeUInt32BE(Number(o.entry.regionCode) || 0, 2);
      e.writeUInt32BE(o.entry.version, 6);
    }
    e.writeUInt8(o.clocks.length, 10);
    parts.push(head, key, e);
    for (const s of o.clocks) {
      const packed = packClock(s.clock);
      const c = Buffer.alloc(8);
      c.writeUInt8(Math.min(255, s.progress), 0);
      c.writeUInt32BE(s.slot, 1);
      c.writeUInt8(s.clock.stage, 5);
      c.writeUInt16BE(packed.length, 6);
      parts.push(c, packed);
    }
  }
  return Buffer.concat(parts);
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
    if (kind === 2) {
      ops.push({
        op: 'mark',
        caseId,
        stage: b.readUInt8(at) as ClockStage,
        startVersion: b.readUInt32BE(at + 1),
        step: b.readUInt8(at + 5),
      });
      at += 6;
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
