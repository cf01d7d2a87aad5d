import { caseEvents, routingSnapshots } from '@petition/bus';
import { CaseState } from '@petition/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Routing, startRouting } from './app.ts';
import { loadRoutingConfig } from './config.ts';
import {
  command,
  type Harness,
  logger,
  petitioner,
  refusalOf,
  register,
  routingHarness,
  unit,
  until,
} from './test-support.ts';
import { writtenHistory } from './written-history.ts';

// Routing's snapshots against the real broker: a routing that starts again takes the cases from the
// snapshots topic and reads only the case-events written after its checkpoints, and decides exactly as
// one that read everything would: commands already answered stay answered, ended cases stay ended, and
// a snapshot it cannot read makes it read that partition whole instead of guessing.

let h: Harness;
let env: NodeJS.ProcessEnv;
let routing: Routing | undefined;

/** routing's start figures from its /metrics (routing_start{figure=…}). */
async function startFigures(r: Routing) {
  const text = await (await fetch(`${r.httpUrl}/metrics`)).text();
  const figure = (name: string) => Number(new RegExp(`routing_start\\{figure="${name}"\\} (\\d+)`).exec(text)?.[1]);
  const gauge = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1]);
  return {
    restored: figure('restored_cases'),
    replayed: figure('replayed_events'),
    cases: gauge('routing_cases'),
    open: gauge('routing_open_cases'),
  };
}

const forward = (caseId: string) =>
  command(caseId, unit('330106-xfj'), {
    $case: 'forwardCase',
    value: { toUnitId: '330106-rsj', toHandlingUnit: true, reason: '' },
  });

beforeAll(async () => {
  // Snapshots only when routing closes: the test decides what the tail after them is.
  h = await routingHarness('routing-snapshots', { ROUTING_ROUTE_MODE: 'manual', ROUTING_SNAPSHOT_INTERVAL: '1h' });
  env = h.env;
  routing = await startRouting(loadRoutingConfig(env), logger);
  await h.watch();
});

afterAll(async () => {
  await routing?.close();
  await h.close();
});

describe('routing snapshots', () => {
  const run = Date.now().toString(36);
  const ids = Array.from({ length: 40 }, (_, i) => `snap-${run}-${i}`);
  const registrations = ids.map((id) => register(id));
  const withdrawn = ids.slice(0, 10);

  it('restarts from the snapshots and reads only the case-events written after them', async () => {
    const first = routing as Routing;
    expect((await startFigures(first)).restored).toBe(0);
    await h.send(...registrations);
    await until('every registration answered', () =>
      registrations.every((r) => h.of(r.meta?.commandId ?? '').length === 1),
    );
    const withdrawals = withdrawn.map((id) =>
      command(id, petitioner(`N-${id}`), { $case: 'withdrawCase', value: { reason: '已解决' } }),
    );
    await h.send(...withdrawals);
    await until('every withdrawal answered', () =>
      withdrawals.every((w) => h.of(w.meta?.commandId ?? '').length === 1),
    );
    expect(withdrawn.map((id) => h.last(id)?.state)).toEqual(withdrawn.map(() => CaseState.CASE_STATE_WITHDRAWN));
    await first.close(); // writes the last snapshots and their checkpoints
    routing = undefined;

    // The tail: case-events written after the checkpoints (as by a routing that died before its next snapshot).
    const tail = writtenHistory({ count: 25, idPrefix: `tail-${run}`, endEvery: 5 });
    await h.publisher.publish(caseEvents, tail);

    routing = await startRouting(loadRoutingConfig(env), logger);
    const figures = await startFigures(routing);
    expect(figures.restored).toBe(40);
    expect(figures.replayed).toBe(tail.length);
    expect(figures.cases).toBe(65);
    // Ended cases (10 withdrawn here, 5 in the tail) keep no history: open = every case but them.
    expect(figures.open).toBe(50);
  });

  it('decides after the restart as if it had read everything', async () => {
    // A command already answered before the restart is not answered again.
    const again = registrations[20];
    if (!again) throw new Error('no registration');
    await h.send(again);
    // A case from the snapshots and a case from the tail both move on from where they stood.
    const fromSnapshot = forward(ids[20] ?? '');
    const fromTail = forward(`tail-${run}-1`);
    await h.send(fromSnapshot, fromTail);
    await until('both forwarded', () => [fromSnapshot, fromTail].every((c) => h.of(c.meta?.commandId ?? '').length));
    expect(h.of(fromSnapshot.meta?.commandId ?? '').map((e) => [e.envelope?.caseVersion, e.state])).toEqual([
      [2, CaseState.CASE_STATE_AWAITING_ACCEPTANCE],
    ]);
    expect(h.of(fromTail.meta?.commandId ?? '').map((e) => [e.envelope?.caseVersion, e.state])).toEqual([
      [2, CaseState.CASE_STATE_AWAITING_ACCEPTANCE],
    ]);
    expect(h.of(again.meta?.commandId ?? '')).toHaveLength(1);
    // An ended case is still ended: forwarding it is refused, at its next version.
    const ended = forward(withdrawn[3] ?? '');
    const answer = await h.answer(ended);
    expect(refusalOf(answer)).toBeDefined();
    expect(answer[0]?.envelope?.caseVersion).toBe(3);
    expect(answer[0]?.state).toBe(CaseState.CASE_STATE_WITHDRAWN);
  });

  it('reads a partition whole when a snapshot of it cannot be read', async () => {
    await routing?.close();
    routing = undefined;
    const victim = ids[30] ?? '';
    // A record in a format this routing does not know, for a case it holds.
    await h.publisher.publish(routingSnapshots, [
      {
        payload: {
          $case: 'caseSnapshotRecord',
          value: {
            caseId: victim,
            partition: h.partitions.get(victim) ?? -1,
            version: 1,
            format: 99,
            snapshot: '{}',
            history: [],
            answeredCommandIds: [],
            refusedHandoffs: [],
            state: CaseState.CASE_STATE_REGISTERED,
            custodyUnitId: '330106-xfj',
          },
        },
      },
    ]);
    routing = await startRouting(loadRoutingConfig(env), logger);
    const figures = await startFigures(routing);
    expect(figures.replayed).toBeGreaterThan(0);
    expect(figures.cases).toBe(65);
    // The case whose snapshot was unreadable was rebuilt from its events: it moves on at its next version.
    const next = forward(victim);
    const answer = await h.answer(next);
    expect(answer.map((e) => [e.envelope?.caseVersion, e.state])).toEqual([
      [2, CaseState.CASE_STATE_AWAITING_ACCEPTANCE],
    ]);
  });
});
