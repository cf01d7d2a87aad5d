import type { Clock } from '@petition/clocks';
import { ClockStage, PetitionKind } from '@petition/contract';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeOps, encodeOps } from './codec.ts';
import { sampleClock } from './sample-clock.ts';
import { createClockStore } from './store.ts';
import { ClockTable, type StoredClock } from './table.ts';

// The in-memory clock table, its log encoding, and the log in the real Redis shared by two instances.

const entry = { kind: PetitionKind.PETITION_KIND_COMPLAINT, regionCode: '330106', version: 4 };
const clock = sampleClock;
const ids = Array.from({ length: 5 }, (_, i) => `6f1c2d3e-4b5a-4c6d-8e7f-90123456789${i}`);
const stored = (c: Clock, slot: number, progress = 0): StoredClock => ({ clock: c, slot, progress });

describe('ClockTable', () => {
  it('gives back what was put, for UUID and other case ids, and forgets a case put without an entry', () => {
    const t = new ClockTable();
    const a = [
      stored(clock(ids[0] as string, ClockStage.CLOCK_STAGE_HANDLING, { provisional: true }), 500, 1),
      stored(
        clock(ids[0] as string, ClockStage.CLOCK_STAGE_ASSIGNMENT_REPORT, {
          fixedDue: new Date('2026-12-01T16:00:00Z'),
          dueTime: new Date('2026-12-01T16:00:00Z'),
          paused: true,
          pausedSince: new Date('2026-11-25T00:00:00Z'),
        }),
        0,
      ),
    ];
    t.put(ids[0] as string, entry, a);
    t.put('case-named-1', { ...entry, version: 2 }, [stored(clock('case-named-1', ClockStage.CLOCK_STAGE_REVIEW), 7)]);
    t.put(ids[1] as string, entry, []);
    expect(t.get(ids[0] as string)).toEqual({ entry, clocks: a });
    expect(t.get('case-named-1').clocks[0]?.clock.caseId).toBe('case-named-1');
    expect(t.get(ids[1] as string)).toEqual({ entry, clocks: [] });
    expect(t.provisional()).toEqual([ids[0]]);
    expect(t.cases).toBe(3);
    t.put(ids[0] as string, undefined, []);
    expect(t.get(ids[0] as string)).toEqual({ clocks: [] });
    expect([...t.caseIds()].sort()).toEqual([ids[1], 'case-named-1'].sort());
    expect(t.records).toBe(2);
  });

  it('hands out due cases by slot, at most as many as asked, each once until put or handed back', () => {
    const t = new ClockTable();
    ids.forEach((id, i) => {
      t.put(id, entry, [stored(clock(id, ClockStage.CLOCK_STAGE_HANDLING), 100 - i * 10)]);
    });
    expect(t.due(75, 10).sort()).toEqual([ids[3], ids[4]].sort());
    expect(t.due(75, 10)).toEqual([]);
    t.requeue(ids[4] as string);
    t.requeue(ids[4] as string); // twice: still one entry
    expect(t.due(75, 10)).toEqual([ids[4]]);
    expect(t.due(100, 2)).toEqual([ids[2], ids[1]]);
    // Moved on: the old heap entry no longer counts.
    t.put(ids[0] as string, entry, [stored(clock(ids[0] as string, ClockStage.CLOCK_STAGE_HANDLING), 300, 1)]);
    expect(t.due(200, 10)).toEqual([]);
    expect(t.due(300, 10)).toEqual([ids[0]]);
  });

  it('raises progress only upwards, and keeps a step read before its clock for when the clock comes', () => {
    const t = new ClockTable();
    const id = ids[0] as string;
    t.mark(id, ClockStage.CLOCK_STAGE_HANDLING, 3, 2);
    t.put(id, entry, [stored(clock(id, ClockStage.CLOCK_STAGE_HANDLING), 10, 0)]);
    expect(t.get(id).clocks[0]?.progress).toBe(2);
    t.mark(id, ClockStage.CLOCK_STAGE_HANDLING, 3, 1);
    expect(t.get(id).clocks[0]?.progress).toBe(2);
    t.mark(id, ClockStage.CLOCK_STAGE_HANDLING, 3, 4);
    expect(t.get(id).clocks[0]?.progress).toBe(4);
  });

  it('moves a clock fired here to the slot of its next step in place, under a later slot or an earlier one', () => {
    const t = new ClockTable();
    const [a, b] = ids as [string, string];
    t.put(a, entry, [stored(clock(a, ClockStage.CLOCK_STAGE_HANDLING), 10)]);
    t.put(b, entry, [stored(clock(b, ClockStage.CLOCK_STAGE_HANDLING), 50)]);
    expect(t.due(10, 10)).toEqual([a]);
    t.mark(a, ClockStage.CLOCK_STAGE_HANDLING, 3, 1, 40);
    t.requeue(a); // already back on the heap under its new slot: no second entry
    expect(t.due(39, 10)).toEqual([]);
    expect(t.due(40, 10)).toEqual([a]);
    // Still queued under 50, b is moved earlier: it comes up at 20, and the entry under 50 is dropped.
    t.mark(b, ClockStage.CLOCK_STAGE_HANDLING, 3, 2, 20);
    expect(t.due(20, 10)).toEqual([b]);
    expect(t.due(100, 10)).toEqual([]);
    expect(t.get(b).clocks[0]).toMatchObject({ slot: 20, progress: 2 });
    // Nothing more to fire: off the heap for good.
    t.mark(a, ClockStage.CLOCK_STAGE_HANDLING, 3, 3, 0);
    t.requeue(a);
    expect(t.due(1_000, 10)).toEqual([]);
    expect(t.get(a).clocks[0]).toMatchObject({ slot: 0, progress: 3 });
  });

  it('keeps an accusation’s accused (art 30) with its case and on each of its clocks, until the case is put without it', () => {
    const t = new ClockTable();
    const id = ids[0] as string;
    const accusation = { ...entry, kind: PetitionKind.PETITION_KIND_ACCUSATION, accusedUnitId: '330100-xfj' };
    const held = [stored(clock(id, ClockStage.CLOCK_STAGE_HANDLING, { accusedUnitId: '330100-xfj' }), 10)];
    t.put(id, accusation, held);
    t.put('case-named-2', accusation, []);
    expect(t.get(id)).toEqual({ entry: accusation, clocks: held });
    expect(t.get('case-named-2')).toEqual({ entry: accusation, clocks: [] });
    t.put(id, entry, [stored(clock(id, ClockStage.CLOCK_STAGE_HANDLING), 10)]);
    expect(t.get(id).entry).toEqual(entry);
    expect(t.get(id).clocks[0]?.clock.accusedUnitId).toBeUndefined();
    t.put('case-named-2', undefined, []);
    t.put('case-named-2', entry, []);
    expect(t.get('case-named-2').entry).toEqual(entry);
  });

  it('keeps 100,000 clocks in well under 150 bytes each', () => {
    const t = new ClockTable();
    for (let i = 0; i < 100_000; i++) {
      const id = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
      t.put(id, entry, [stored(clock(id, ClockStage.CLOCK_STAGE_HANDLING), 1_000 + (i % 977))]);
    }
    expect(t.cases).toBe(100_000);
    expect(t.bytes() / 100_000).toBeLessThan(100);
    const due = t.due(1_000, 200_000);
    expect(due).toHaveLength(Math.ceil(100_000 / 977));
  });
});

describe('log encoding', () => {
  it('decodes what it encodes: puts with and without an entry (and an accusation’s accused), and marks with and without a slot', () => {
    const id = ids[2] as string;
    const ops = [
      { op: 'put' as const, caseId: id, entry, clocks: [stored(clock(id, ClockStage.CLOCK_STAGE_REVIEW), 42, 3)] },
      { op: 'put' as const, caseId: 'named', entry: undefined, clocks: [] },
      {
        op: 'put' as const,
        caseId: ids[4] as string,
        entry: { ...entry, kind: PetitionKind.PETITION_KIND_ACCUSATION, accusedUnitId: '330106-xfj' },
        clocks: [stored(clock(ids[4] as string, ClockStage.CLOCK_STAGE_HANDLING, { accusedUnitId: '330106-xfj' }), 7)],
      },
      { op: 'mark' as const, caseId: id, stage: ClockStage.CLOCK_STAGE_REVIEW, startVersion: 3, step: 5 },
      { op: 'mark' as const, caseId: 'named', stage: ClockStage.CLOCK_STAGE_REVIEW, startVersion: 3, step: 6, slot: 9 },
    ];
    expect(decodeOps(encodeOps(ops))).toEqual(ops);
  });
});

describe('the log in Redis', () => {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const prefix = `t-table-${Date.now().toString(36)}:`;
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('one instance reads what another appended, and after a compaction reads the compacted log whole', async () => {
    const a = createClockStore(redis, prefix, { compactEvery: 1_000 });
    const b = createClockStore(redis, prefix);
    const id = ids[3] as string;
    await a.saveMany(0, [{ caseId: id, entry, clocks: [stored(clock(id, ClockStage.CLOCK_STAGE_HANDLING), 9)] }]);
    await b.markMany(0, [{ caseId: id, stage: ClockStage.CLOCK_STAGE_HANDLING, startVersion: 3, step: 2 }]);
    expect((await a.loadMany(0, [id])).get(id)?.clocks[0]?.progress).toBe(2);
    // Enough appended to compact (22 entries written): the log is written again shorter, and b, whose
    // place in the old log means nothing now, reads it whole.
    for (let i = 0; i < 20; i++) {
      const other = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
      await a.saveMany(0, [
        { caseId: other, entry, clocks: [stored(clock(other, ClockStage.CLOCK_STAGE_HANDLING), 9 + i)] },
      ]);
    }
    expect(await redis.get(`${prefix}gen:0`)).toBe('1');
    expect(await redis.llen(`${prefix}log:0`)).toBeLessThan(22);
    const seen = await b.loadMany(0, [id, '00000000-0000-4000-8000-000000000013']);
    expect(seen.get(id)?.clocks[0]?.progress).toBe(2);
    expect(seen.get('00000000-0000-4000-8000-000000000013')?.clocks[0]?.slot).toBe(28);
    expect((await b.dueCases(0, 9, 100)).sort()).toEqual(['00000000-0000-4000-8000-000000000000', id]);
  });
});
