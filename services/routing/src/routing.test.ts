import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { type CaseCommand, CaseState } from '@petition/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Routing, startRouting } from './app.ts';
import { loadRoutingConfig } from './config.ts';
import { command, type Harness, logger, register, routingHarness, unit, until } from './test-support.ts';

// Routing against the real broker: commands in, events out, each command answered exactly once — also
// when it is delivered twice, and when the process dies between publishing and committing. Bureaus route
// by hand here (ROUTING_ROUTE_MODE=manual); scenarios.test.ts covers automatic routing.

let h: Harness;
let env: NodeJS.ProcessEnv;
let routing: Routing | undefined;
let events: Harness['events'];
let of: Harness['of'];
let send: Harness['send'];

beforeAll(async () => {
  h = await routingHarness('routing', { ROUTING_ROUTE_MODE: 'manual' });
  ({ env, events, of, send } = h);
  routing = await startRouting(loadRoutingConfig(env), logger);
  await h.watch();
});

afterAll(async () => {
  await routing?.close();
  await h.close();
});

describe('routing', () => {
  it('applies commands in order and answers each with its events or a refusal', async () => {
    const caseId = `case-a-${Date.now()}`;
    const reg = register(caseId);
    const fwd = command(caseId, unit('330106-xfj'), {
      $case: 'forwardCase',
      value: { toUnitId: '330106-rsj', toHandlingUnit: true, reason: '' },
    });
    const wrong = command(caseId, unit('330106-xfj'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } });
    await send(reg, fwd, wrong);
    await until('three answers', () => of(wrong.meta?.commandId ?? '').length === 1);
    const mine = events.filter((e) => e.envelope?.caseId === caseId);
    expect(mine.map((e) => e.envelope?.caseVersion)).toEqual([1, 2, 3]);
    expect(mine.map((e) => e.state)).toEqual([
      CaseState.CASE_STATE_REGISTERED,
      CaseState.CASE_STATE_AWAITING_ACCEPTANCE,
      CaseState.CASE_STATE_AWAITING_ACCEPTANCE,
    ]);
    const refused = mine[2]?.payload;
    expect(refused?.$case === 'commandRefused' && refused.value.reasonCode).toBe('NOT_IN_CUSTODY');
  });

  it('links a repeat to its original case in progress (art 19)', async () => {
    const original = `case-o-${Date.now()}`;
    const repeat = `case-p-${Date.now()}`;
    const link = command(repeat, unit('330106-xfj'), {
      $case: 'linkAsRepeat',
      value: { originalCaseId: original, basis: 1, reason: '同一事项' },
    } as never);
    // The two cases may sit in different partitions: the link is sent once both exist.
    const registrations = [register(original), register(repeat)];
    await send(...registrations);
    await until('both cases', () => registrations.every((r) => of(r.meta?.commandId ?? '').length === 1));
    await send(link);
    await until('the link', () => of(link.meta?.commandId ?? '').length === 1);
    expect(of(link.meta?.commandId ?? '')[0]?.state).toBe(CaseState.CASE_STATE_LINKED_AS_REPEAT);
  });

  it('answers a command delivered twice only once', async () => {
    const caseId = `case-b-${Date.now()}`;
    const reg = register(caseId);
    await send(reg, reg);
    const after = command(caseId, unit('330106-xfj'), {
      $case: 'forwardCase',
      value: { toUnitId: '330106-rsj', toHandlingUnit: true, reason: '' },
    });
    await send(after);
    await until('the later command', () => of(after.meta?.commandId ?? '').length === 1);
    expect(of(reg.meta?.commandId ?? '')).toHaveLength(1);
  });

  it('shares the work between two instances and loses or repeats nothing across the rebalance', async () => {
    const cases = Array.from({ length: 30 }, (_, i) => `case-r${i}-${Date.now()}`);
    const steps = (caseId: string) => [
      register(caseId),
      command(caseId, unit('330106-xfj'), {
        $case: 'forwardCase',
        value: { toUnitId: '330106-rsj', toHandlingUnit: true, reason: '' },
      }),
      command(caseId, unit('330106-rsj'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } }),
    ];
    const all = cases.map(steps);
    // The first steps go to one instance; a second joins while the rest arrive, step by step.
    await send(...all.map((s) => s[0] as CaseCommand));
    const second = startRouting(loadRoutingConfig(env), logger);
    for (const k of [1, 2]) {
      await send(...all.map((s) => s[k] as CaseCommand));
      await new Promise((r) => setTimeout(r, 1_500));
    }
    const other = await second;
    try {
      await until(
        'every command answered',
        () => all.flat().every((c) => of(c.meta?.commandId ?? '').length >= 1),
        120_000,
      );
      for (const c of all.flat()) expect(of(c.meta?.commandId ?? '')).toHaveLength(1);
      for (const caseId of cases) {
        const mine = events.filter((e) => e.envelope?.caseId === caseId);
        expect(mine.map((e) => e.envelope?.caseVersion)).toEqual([1, 2, 3]);
        expect(mine.at(-1)?.state).toBe(CaseState.CASE_STATE_ACCEPTED);
      }
    } finally {
      await other.close();
    }
  });

  it('killed between publishing and committing, still answers the command exactly once after a restart', async () => {
    await routing?.close();
    routing = undefined;
    const caseId = `case-c-${Date.now()}`;
    const reg = register(caseId);
    // A routing process that dies right after publishing its first answer, before committing the command.
    const child = spawn(process.execPath, ['services/routing/src/main.ts'], {
      env: { ...env, ROUTING_FAULT_AFTER_PUBLISH: 'true', ROUTING_HTTP_PORT: '18290', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    let ready = false;
    await until('the faulty routing to be ready', () => {
      void fetch('http://127.0.0.1:18290/readyz').then(
        (r) => {
          ready ||= r.ok;
        },
        () => undefined,
      );
      return ready;
    });
    await send(reg);
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(137);
    await until('the answer published before the crash', () => of(reg.meta?.commandId ?? '').length === 1);
    // A new routing gets the uncommitted command again, recognises it, and goes on.
    routing = await startRouting(loadRoutingConfig(env), logger);
    const next = command(caseId, unit('330106-xfj'), {
      $case: 'forwardCase',
      value: { toUnitId: '330106-rsj', toHandlingUnit: true, reason: '' },
    });
    await send(next);
    await until('the next command', () => of(next.meta?.commandId ?? '').length === 1);
    expect(of(reg.meta?.commandId ?? '')).toHaveLength(1);
    const versions = events.filter((e) => e.envelope?.caseId === caseId).map((e) => e.envelope?.caseVersion);
    expect(versions).toEqual([1, 2]);
    // The command did come again, and was recognised.
    const metrics = await (await fetch(`${routing.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/routing_commands_total\{outcome="duplicate"\} [1-9]/);
  });
});
