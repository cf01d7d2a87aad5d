import {
  type CaseInfo,
  type Clock,
  type ClockContext,
  clockIdOf,
  fire,
  onCaseEvent,
  stepTime,
  withDue,
} from '@petition/clocks';
import { type CaseEvent, type DeadlineEvent, RecomputeReason } from '@petition/contract';
import { accusedOf } from '@petition/jurisdiction';
import { isTerminal } from '@petition/lifecycle';
import { changeEvent, firedEvents, recomputedEvent } from './events.ts';
import {
  type CaseEntry,
  type CaseState,
  type CaseUpdate,
  type ClockStore,
  type StepMark,
  type StoredClock,
  slotOf,
} from './store.ts';

// The watchdog's work on one partition at a time, without Kafka: case events move clocks; time fires
// them; a newer holiday table moves provisional due times. Each batch is decided in memory, its deadline
// events are published (`publish`, acks=all), and only then is the store changed — so a crash in between
// repeats the same events (same ids), never loses one.

export interface KeeperOptions {
  readonly store: ClockStore;
  readonly ctx: ClockContext;
  readonly publish: (events: DeadlineEvent[]) => Promise<void>;
  /** Most cases fired in one call. */
  readonly batch: number;
  readonly lateAfterMs: number;
}

const entryOf = (info: CaseInfo, version: number): CaseEntry => ({
  kind: info.kind,
  regionCode: info.regionCode,
  version,
  ...(accusedOf(info) ? { accusedUnitId: accusedOf(info) } : {}),
});

export function createKeeper(o: KeeperOptions) {
  const { store, ctx } = o;
  const key = clockIdOf;
  /** Where a clock's record goes: the slot of its next step (0: nothing more to fire, or paused). */
  const stored = (clock: Clock, progress: number): StoredClock => ({
    clock,
    progress,
    slot: clock.paused ? 0 : slotOf(stepTime(ctx, clock, progress + 1)),
  });

  /**
   * Fires the due clocks of some cases: publishes the steps, then records each clock that moved (its
   * progress and the slot of its next step) in place. Every case goes back to the caller to be requeued.
   */
  async function fireCases(p: number, caseIds: readonly string[], slot: number, at: Date) {
    const loaded = await store.loadDue(p, caseIds);
    const out: DeadlineEvent[] = [];
    const marks: StepMark[] = [];
    let moved = 0;
    for (const [caseId, before] of loaded) {
      const marked = marks.length;
      for (const s of before.clocks) {
        if (!s.slot || s.slot > slot) continue;
        const r = fire(ctx, s.clock, s.progress, at, o.lateAfterMs);
        if (r.fired.length) out.push(...firedEvents(s.clock, r.fired, at));
        // A clock of the current slot whose step is still seconds away stays where it is.
        const next = slotOf(r.next);
        if (r.progress === s.progress && next === s.slot) continue;
        const { stage, startVersion } = s.clock;
        marks.push({ caseId, stage, startVersion, step: r.progress, slot: next });
      }
      if (marks.length > marked) moved++;
    }
    await o.publish(out);
    await store.markMany(p, marks);
    return { written: out.length, moved };
  }

  return {
    stored,

    /** Case events of partition `p` in order; changes of those at offsets below `quietBelow` are not announced. */
    async applyCaseEvents(records: readonly { value: CaseEvent; offset: string }[], p: number, quietBelow = 0n) {
      const loaded = await store.loadMany(
        p,
        records.map((r) => r.value.envelope?.caseId ?? ''),
      );
      const after = new Map<string, CaseState>();
      const out: DeadlineEvent[] = [];
      for (const { value: event, offset } of records) {
        const caseId = event.envelope?.caseId ?? '';
        const current = after.get(caseId) ?? loaded.get(caseId);
        const version = event.envelope?.caseVersion ?? 0;
        if (!caseId || !current || (current.entry && version <= current.entry.version)) continue;
        const e = current.entry;
        const info = e && { kind: e.kind, regionCode: e.regionCode, accusedUnitId: e.accusedUnitId };
        const r = onCaseEvent({ info, open: current.clocks.map((s) => s.clock) }, event, ctx);
        if (BigInt(offset) >= quietBelow) {
          out.push(...r.changes.map((c) => changeEvent(c, event, ctx.calendar.tableVersion)));
        }
        const progress = current.clocks.length
          ? new Map(current.clocks.map((s) => [key(s.clock), s.progress]))
          : undefined;
        const clocks = r.open.map((c) => stored(c, progress?.get(key(c)) ?? 0));
        const keep = r.info && (clocks.length > 0 || !isTerminal(event.state));
        after.set(caseId, { entry: keep && r.info ? entryOf(r.info, version) : undefined, clocks });
      }
      await o.publish(out);
      await store.saveMany(
        p,
        [...after].map(([caseId, next]) => ({ caseId, entry: next.entry, clocks: next.clocks })),
      );
    },

    /** Records steps already taken, as read back from deadline-events. */
    async applyDeadlineEvents(events: readonly DeadlineEvent[], p: number) {
      const marks = events.flatMap((e) => {
        if (!e.step || !e.envelope) return [];
        const startVersion = Number(e.clockId.split(':').pop());
        return [{ caseId: e.envelope.caseId, stage: e.stage, startVersion, step: e.step }];
      });
      await store.markMany(p, marks);
    },

    /**
     * Fires what is due at `at` in the partitions given, at most `batch` cases moved on; resolves with the
     * events written and the cases moved (`batch` of them: more may be due). Clocks whose step is still
     * seconds away go back once the partition is done.
     */
    async fireDue(partitions: Iterable<number>, at: Date): Promise<{ written: number; moved: number }> {
      const slot = slotOf(at);
      let moved = 0;
      let written = 0;
      for (const p of partitions) {
        const taken: string[] = [];
        try {
          while (moved < o.batch) {
            const caseIds = await store.dueCases(p, slot, o.batch - moved);
            if (caseIds.length === 0) break;
            const r = await fireCases(p, caseIds, slot, at);
            written += r.written;
            moved += r.moved;
            taken.push(...caseIds);
          }
        } catch (err) {
          store.invalidate(p); // the cases taken off the heap come back with the log
          throw err;
        }
        store.requeue(p, taken);
      }
      return { written, moved };
    },

    /** Computes provisional due times of partition `p` again under the calendar's table. */
    async recomputeProvisional(p: number, at: Date): Promise<number> {
      const loaded = await store.loadMany(p, await store.provisionalCases(p));
      const out: DeadlineEvent[] = [];
      const updates: CaseUpdate[] = [];
      for (const [caseId, before] of loaded) {
        const clocks = before.clocks.map((s) => {
          if (!s.clock.provisional) return s;
          const moved = withDue(ctx, s.clock);
          if (moved.dueTime.getTime() === s.clock.dueTime.getTime()) return stored(moved, s.progress);
          const table = ctx.calendar.tableVersion;
          out.push(
            recomputedEvent(
              moved,
              s.clock.dueTime,
              RecomputeReason.RECOMPUTE_REASON_HOLIDAY_TABLE_PUBLISHED,
              at,
              `table:${table}:${key(moved)}`,
              moved.startVersion,
              '',
              table,
            ),
          );
          return stored(moved, s.progress);
        });
        updates.push({ caseId, entry: before.entry, clocks });
      }
      await o.publish(out);
      await store.saveMany(p, updates);
      return out.length;
    },
  };
}

export type Keeper = ReturnType<typeof createKeeper>;
