// The fault proof's load: N petitions from counties all over the country, each taken by its unit and its
// petitioner through the same steps in every run (case i: i % 4 = 0 declined; 1 accepted; 2 accepted and
// answered; 3 accepted, answered and rated), over intake's HTTP API, started at a steady pace, at most 16
// at a time. A client that
// keeps trying: a step is sent with an Idempotency-Key and sent again (same key) until tracking shows it
// — through killed services, a restarted broker and flushed Redis keys.

import { buildNationalDirectory } from '@petition/directory';
import type { Logger } from '@petition/logging';
import { countiesOf, petitionBody, seeded } from '@petition/simulator';
import { testToken } from '@petition/testing';

export interface Load {
  cases: { caseId: string; caseNumber: string; queryCode: string }[];
  retries: number;
  failedSteps: number;
}

interface Step {
  readonly who: 'unit' | 'petitioner';
  readonly path: string;
  readonly body: Record<string, unknown>;
  /** The timeline step that shows it took effect. */
  readonly shows: string;
}

const accept: Step = { who: 'unit', path: 'accept', body: {}, shows: 'caseAccepted' };
const decline: Step = {
  who: 'unit',
  path: 'not-accept',
  body: { reason: 'NOT_ACCEPTED_REASON_OUTSIDE_PETITION_SCOPE', reasonText: '属于诉讼范围' },
  shows: 'caseNotAccepted',
};
const reply: Step = {
  who: 'unit',
  path: 'reply',
  body: { opinion: { summary: '已督促支付工资' }, disposition: 'REPLY_DISPOSITION_SUPPORTED' },
  shows: 'caseReplied',
};
const rate: Step = {
  who: 'petitioner',
  path: 'evaluate',
  body: { stage: 'OPINION_STAGE_HANDLING', evaluation: 'EVALUATION_SATISFIED' },
  shows: 'caseEvaluated',
};
const plans: readonly Step[][] = [[decline], [accept], [accept, reply], [accept, reply, rate]];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function load(o: {
  intakeUrl: string;
  trackingUrl: string;
  cases: number;
  /** Case i starts no sooner than i × paceMs after the first: the load lasts as long as the faults. */
  paceMs: number;
  run: string;
  logger: Logger;
}) {
  const counties = countiesOf(buildNationalDirectory());
  const out: Load = { cases: [], retries: 0, failedSteps: 0 };

  async function post(url: string, body: unknown, headers: Record<string, string>) {
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
    } catch {
      return { status: 0, body: {} };
    }
  }

  async function view(c: { caseNumber: string; queryCode: string }) {
    try {
      const res = await fetch(`${o.trackingUrl}/v1/cases/${c.caseNumber}`, {
        headers: { 'x-query-code': c.queryCode },
        signal: AbortSignal.timeout(5_000),
      });
      if (res.status !== 200) return undefined;
      return (await res.json()) as { holder?: { unitId: string }; timeline: { step: string }[] };
    } catch {
      return undefined;
    }
  }

  /** Files petition i (same key on every try) until intake answers with its case. */
  async function file(i: number) {
    const body = { ...petitionBody(seeded(i + 1), counties), category: '劳动社保', kind: '申诉求决' };
    for (let attempt = 0; attempt < 300; attempt++) {
      const r = await post(`${o.intakeUrl}/v1/petitions`, body, { 'idempotency-key': `${o.run}-file-${i}` });
      if (r.status === 201) return r.body as unknown as Load['cases'][number];
      out.retries++;
      await sleep(500);
    }
    throw new Error(`petition ${i} was never taken`);
  }

  /** Sends a step until tracking shows it. A refusal by intake's own checks (nothing published) gets a new key. */
  async function take(i: number, c: Load['cases'][number], step: Step) {
    let keyed = 0;
    for (let attempt = 0; attempt < 240; attempt++) {
      const v = await view(c);
      if (v?.timeline.some((e) => e.step === step.shows)) return;
      // Units act once the case has reached the county 人社局 (the load is labour matters only).
      if (v && (step.who === 'petitioner' || v.holder?.unitId.endsWith('-rsj'))) {
        const key = `${o.run}-${i}-${step.path}-${keyed}`;
        const r =
          step.who === 'unit'
            ? await post(`${o.intakeUrl}/v1/cases/${c.caseId}/${step.path}`, step.body, {
                'idempotency-key': key,
                authorization: `Bearer ${testToken(v.holder?.unitId ?? '')}`,
              })
            : await post(
                `${o.intakeUrl}/v1/petitioner/${step.path}`,
                { ...step.body, caseNumber: c.caseNumber, queryCode: c.queryCode },
                { 'idempotency-key': key },
              );
        if (r.status === 401 || r.status === 403 || r.status === 404) keyed++;
        if (r.status >= 400 && attempt % 20 === 0)
          o.logger.warn({ case: i, step: step.path, status: r.status, body: r.body }, 'step refused; trying again');
        if (attempt > 0) out.retries++;
      }
      await sleep(500);
    }
    out.failedSteps++;
    o.logger.error({ case: i, step: step.path }, 'step never took effect');
  }

  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < o.cases) {
        const i = next++;
        await sleep(Math.max(0, started + i * o.paceMs - Date.now()));
        const c = await file(i);
        out.cases[i] = c;
        for (const step of plans[i % 4] ?? []) await take(i, c, step);
      }
    }),
  );
  o.logger.info({ cases: o.cases, retries: out.retries, failedSteps: out.failedSteps }, 'load done');
  return out;
}
