import type { Clock } from '@petition/clocks';
import type { ClockStage, PetitionKind } from '@petition/contract';

// The compact forms kept in Redis (bytes per clock is what 10 million open clocks cost):
// - a case key: 16 bytes for a UUID case id, else its UTF-8 bytes after a 0 byte;
// - a clock record: 25 bytes of fixed fields plus the unit id;
// - a case's index entry: its kind, region and last applied version, then per open clock its stage and
//   the slot of the bucket the record sits in.

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function caseKey(caseId: string): Buffer {
  if (uuid.test(caseId)) return Buffer.concat([Buffer.from([1]), Buffer.from(caseId.replace(/-/g, ''), 'hex')]);
  return Buffer.concat([Buffer.from([0]), Buffer.from(caseId, 'utf8')]);
}

export function caseIdOf(key: Buffer): string {
  if (key[0] === 1) {
    const h = key.subarray(1, 17).toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  return key.subarray(1).toString('utf8');
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

export interface IndexEntry {
  readonly kind: PetitionKind;
  readonly regionCode: string;
  /** The case version last applied: an event at or below it is not applied again. */
  readonly version: number;
  /** Each open clock's stage and the slot of its bucket (0: parked, nothing more to fire). */
  readonly clocks: readonly { readonly stage: ClockStage; readonly slot: number }[];
}

export function packIndex(e: IndexEntry): Buffer {
  const b = Buffer.alloc(9 + e.clocks.length * 5);
  b.writeUInt8(e.kind, 0);
  b.writeUInt32BE(Number(e.regionCode) || 0, 1);
  b.writeUInt32BE(e.version, 5);
  e.clocks.forEach((c, i) => {
    b.writeUInt8(c.stage, 9 + i * 5);
    b.writeUInt32BE(c.slot, 10 + i * 5);
  });
  return b;
}

export function unpackIndex(b: Buffer): IndexEntry {
  const clocks = [];
  for (let at = 9; at + 5 <= b.length; at += 5) {
    clocks.push({ stage: b.readUInt8(at) as ClockStage, slot: b.readUInt32BE(at + 1) });
  }
  const region = b.readUInt32BE(1);
  return {
    kind: b.readUInt8(0) as PetitionKind,
    regionCode: region ? String(region).padStart(6, '0') : '',
    version: b.readUInt32BE(5),
    clocks,
  };
}
