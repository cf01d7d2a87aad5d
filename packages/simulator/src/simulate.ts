import { buildNationalDirectory } from '@petition/directory';
import type { Logger } from '@petition/logging';
import { countiesOf, type Move, nextMove, petitionBody, type Rand } from './plan.ts';

// The simulator's loop over HTTP: each second it files `rate` petitions at intake, then looks up some of
// the open cases on tracking and makes their next move — the holding unit with its token, the petitioner
// with the case number and query code. Refusals are counted, not retried: the case is looked at again later.
// Across a federation it files at any node, reads every case on the national node's tracking (which sees
// them all) and acts at the node that holds the case, with that node's tokens.

export interface SimulatorOptions {
  readonly intakeUrl: string;
  readonly trackingUrl: string;
  /** Petitions filed per second. */
  readonly rate: number;
  /** A staff token of a unit, signed by a key the network trusts (the simulator plays every unit's staff). */
  readonly staffToken: (unitId: string) => string;
  readonly logger: Logger;
  readonly rand?: Rand;
  /** Stops after this long (default: until `stop`). */
  readonly durationMs?: number;
  /**
   * Across a federation: the intake a petition is filed at (any node's), and the intake of the node that
   * holds a case now, where its holder and its petitioner act. `intakeUrl` for both when omitted.
   */
  readonly nodes?: {
    readonly fileAt: (rand: Rand) => string;
    readonly intakeOf: (holderUnitId: string) => string;
  };
}

export interface SimulatorStats {
  filed: number;
  moves: Record<string, number>;
  refused: number;
  failed: number;
  open: number;
  done: number;
}

interface Open {
  caseId: string;
  caseNumber: string;
  queryCode: string;
}

export function startSimulator(o: SimulatorOptions) {
  const rand = o.rand ?? Math.random;
  const counties = countiesOf(buildNationalDirectory());
  const open: Open[] = [];
  const stats: SimulatorStats = { filed: 0, moves: {}, refused: 0, failed: 0, open: 0, done: 0 };
  let stopped = false;

  async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  async function file() {
    const r = await post(`${o.nodes?.fileAt(rand) ?? o.intakeUrl}/v1/petitions`, petitionBody(rand, counties));
    if (r.status !== 201) throw new Error(`intake answered ${r.status}: ${JSON.stringify(r.body)}`);
    open.push(r.body as unknown as Open);
    stats.filed++;
  }

  async function move(c: Open, m: Move, holder: string) {
    const intakeUrl = o.nodes?.intakeOf(holder) ?? o.intakeUrl;
    const r =
      m.who === 'unit'
        ? await post(`${intakeUrl}/v1/cases/${c.caseId}/${m.path}`, m.body, {
            authorization: `Bearer ${o.staffToken(holder)}`,
          })
        : await post(`${intakeUrl}/v1/petitioner/${m.path}`, {
            ...m.body,
            caseNumber: c.caseNumber,
            queryCode: c.queryCode,
          });
    if (r.status >= 500) throw new Error(`intake answered ${r.status} to ${m.path}: ${JSON.stringify(r.body)}`);
    if (r.status === 200 || r.status === 202) stats.moves[m.path] = (stats.moves[m.path] ?? 0) + 1;
    else stats.refused++;
  }

  /** Looks a case up on tracking and makes its next move; false once nothing more will happen to it. */
  async function play(c: Open): Promise<boolean> {
    const res = await fetch(`${o.trackingUrl}/v1/cases/${c.caseNumber}`, { headers: { 'x-query-code': c.queryCode } });
    if (res.status === 404) return true; // not on tracking yet
    if (res.status !== 200) throw new Error(`tracking answered ${res.status}`);
    const view = (await res.json()) as { state: string; holder?: { unitId: string } };
    const m = nextMove(view.state, rand);
    if (m === 'done') return false;
    if (m) await move(c, m, view.holder?.unitId ?? '');
    return true;
  }

  const guard = (work: Promise<unknown>) =>
    work.catch((err: Error) => {
      stats.failed++;
      o.logger.warn({ err: err.message }, 'simulator request failed');
    });

  async function second() {
    const filings = Array.from({ length: o.rate }, () => guard(file()));
    // Each second, as many cases looked at as are filed, twice over, taken in turn.
    const turn = open.splice(0, Math.min(open.length, o.rate * 2));
    const plays = turn.map((c) =>
      guard(
        play(c).then((more) => {
          if (more) open.push(c);
          else stats.done++;
        }),
      ).then(() => undefined),
    );
    await Promise.all([...filings, ...plays]);
    stats.open = open.length;
  }

  const started = Date.now();
  const done = (async () => {
    let reported = Date.now();
    while (!stopped && (o.durationMs === undefined || Date.now() - started < o.durationMs)) {
      const t = Date.now();
      await second();
      if (Date.now() - reported >= 10_000) {
        reported = Date.now();
        o.logger.info({ ...stats, seconds: Math.round((Date.now() - started) / 1000) }, 'simulator progress');
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 1_000 - (Date.now() - t))));
    }
    return stats;
  })();

  return {
    stats,
    done,
    async stop() {
      stopped = true;
      return done;
    },
  };
}
