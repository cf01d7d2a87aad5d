import { type Clock, type ClockContext, fire } from '@petition/clocks';
import { ClockStage } from '@petition/contract';
import { nationalDirectory } from '@petition/directory';
import { createLegalCalendar, defaultPolicy, stateCouncilTable } from '@petition/legal-calendar';
import { describe, expect, it } from 'vitest';
import { firedEvents } from './events.ts';
import { sampleClock } from './sample-clock.ts';

// The ids of a clock's step events: one digest a clock, each event told apart by its step and kind.

const ctx: ClockContext = {
  calendar: createLegalCalendar({ table: stateCouncilTable() }),
  policyFor: () => defaultPolicy,
  directory: nationalDirectory(),
};
const handling = (caseId: string, startVersion: number) =>
  sampleClock(caseId, ClockStage.CLOCK_STAGE_HANDLING, { startVersion });
const caseId = '6f1c2d3e-4b5a-4c6d-8e7f-901234567890';
const later = new Date('2027-08-01T00:00:00Z');
const idsOf = (c: Clock, at = later) =>
  firedEvents(c, fire(ctx, c, 0, at).fired, at).map((e) => [e.payload?.$case, e.step, e.envelope?.eventId]);
const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('firedEvents', () => {
  it('gives every event of a clock its own version-8 UUID, the breach and its supervision too', () => {
    const events = idsOf(handling(caseId, 3));
    const kinds = events.map(([kind]) => kind);
    expect(kinds).toContain('deadlineBreached');
    expect(kinds).toContain('supervisionOpened');
    expect(kinds).toContain('supervisionEscalated');
    const ids = events.map(([, , id]) => id as string);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(UUID_V8);
  });

  it('says the same ids when the same steps fire again, step by step or all at once', () => {
    const c = handling(caseId, 3);
    const atOnce = idsOf(c);
    const due = c.dueTime.getTime();
    const stepwise = [];
    let progress = 0;
    for (let at = due - 20 * 86_400_000; at <= later.getTime(); at += 86_400_000) {
      const r = fire(ctx, c, progress, new Date(at), Number.MAX_SAFE_INTEGER);
      progress = r.progress;
      for (const e of firedEvents(c, r.fired, new Date(at)))
        if (e.payload?.$case !== 'deadlineWarned') stepwise.push([e.payload?.$case, e.step, e.envelope?.eventId]);
    }
    expect(stepwise).toEqual(atOnce.filter(([kind]) => kind !== 'deadlineWarned'));
  });

  it('tells apart the clocks of other cases and of the same stage started again', () => {
    const ids = (c: Clock) => idsOf(c).map(([, , id]) => id);
    const first = ids(handling(caseId, 3));
    const restarted = ids(handling(caseId, 7));
    const other = ids(handling('6f1c2d3e-4b5a-4c6d-8e7f-901234567891', 3));
    expect(new Set([...first, ...restarted, ...other]).size).toBe(first.length * 3);
  });

  it('marks the events of an accusation’s clock confidential (art 30), and no other clock’s', () => {
    const at = (c: Clock) => firedEvents(c, fire(ctx, c, 0, later).fired, later);
    const accusation = { ...handling(caseId, 3), accusedUnitId: '330106-xfj' };
    const breached = at(accusation).filter((e) => e.payload?.$case === 'deadlineBreached');
    expect(breached).toHaveLength(1);
    expect(at(accusation).every((e) => e.confidential)).toBe(true);
    expect(at(handling(caseId, 3)).some((e) => e.confidential)).toBe(false);
  });

  it('writes no event for a step with nothing to say', () => {
    expect(firedEvents(handling(caseId, 3), [{ step: 1, at: later }], later)).toEqual([]);
  });
});
