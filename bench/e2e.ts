// The whole pipeline, each service its own process on this machine: petitions POSTed to intake (from
// counties all over the country), routed to the county department, their clocks started by the watchdog,
// the units told by notification, and each case visible in its unit's inbox on tracking with its clock.
// Two figures: sustained cases/s (as many as intake takes, with 64 requests in flight) until every case is
// visible, and intake-to-inbox latency p50/p99 at a steady 500 cases/s; beside a raw kafkajs
// pass-through (consume a batch, produce it acks=all) of as many commands, in the same run.
import type { ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { availableParallelism } from 'node:os';
import { createBus, notificationEvents } from '@petition/bus';
import { buildNationalDirectory } from '@petition/directory';
import { type Logger, progress } from '@petition/logging';
import { countiesOf, petitionBody, seeded } from '@petition/simulator';
import { testStaffEnv } from '@petition/testing';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { oneClientLoadEnv, servicesEnv } from '../scripts/network.ts';
import { countRecords } from './count.ts';
import { cpuMsOf, machineBusyMs, pidsOf, startProcess, stopProcess } from './processes.ts';
import { rawPassThrough, workload } from './routing.ts';

const ports = {
  intake: 18381,
  tracking: 18382,
  routing: 18383,
  watchdog: 18384,
  notification: 18385,
  intakeOps: 18386,
  trackingOps: 18387,
};
const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;

interface Filed {
  caseId: string;
  sentAt: number;
}

// At most 64 connections to intake, kept alive: beyond what intake takes, requests wait here, in the load
// generator, rather than as thousands of sockets in the kernel's queue (a connection reset there failed a
// CI run at the steady 500/s, 3.5 times what intake takes on this machine).
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function postJson(url: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function benchE2e(options: { brokers: string[]; logger: Logger; records: number }) {
  const logger = options.logger.child({ bench: 'e2e' });
  const prefix = `t-bench-e2e-${Date.now().toString(36)}.`;
  const env = {
    ...servicesEnv(process.env, { brokers: options.brokers, prefix, ports }),
    LOG_LEVEL: 'warn',
    INTAKE_OUTCOME_WAIT: '0s',
    ...oneClientLoadEnv,
    ...testStaffEnv(),
    // Notices are counted: quiet hours would hold the units' notices back, so the count would depend on the
    // hour the benchmark runs (it printed 0 at 22:29 Beijing time).
    NOTIFY_QUIET_HOURS: '0-0',
  };
  const services: [string, number][] = [
    ['services/routing/src/main.ts', ports.routing],
    ['services/deadline-watchdog/src/main.ts', ports.watchdog],
    ['services/notification/src/main.ts', ports.notification],
    ['services/tracking/src/main.ts', ports.tracking],
    ['services/intake/src/main.ts', ports.intake],
  ];
  const children: ChildProcess[] = [];
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const bus = createBus({ brokers: options.brokers, clientId: 'bench-e2e', logger, topicPrefix: prefix });
  const kafka = new Kafka({ clientId: 'bench-e2e', brokers: options.brokers, logLevel: logLevel.NOTHING });
  const counties = countiesOf(buildNationalDirectory());
  // Labour matters from every county: each is routed from the county's bureau to its 人社局.
  const rand = seeded(1);
  const body = () => JSON.stringify({ ...petitionBody(rand, counties), category: '劳动社保', kind: '申诉求决' });

  // The broker(s) and Redis on this machine (for a broker given in KAFKA_BROKERS elsewhere, none).
  const shared = [
    ['kafka', pidsOf('kafka.Kafka')],
    ['redis', pidsOf('redis-server')],
  ] as const;
  /** CPU used so far by each service, by this process (the load and the watchers), and by the machine. */
  function cpuNow(): Map<string, number> {
    const used = new Map(services.map(([script], i) => [script.split('/')[1] ?? script, cpuMsOf(children[i]?.pid)]));
    const own = process.cpuUsage();
    used.set('load', (own.user + own.system) / 1000);
    for (const [name, pids] of shared)
      used.set(
        name,
        pids.reduce((a, pid) => a + cpuMsOf(pid), 0),
      );
    used.set('machine', machineBusyMs());
    return used;
  }
  /** CPU ms per case between two readings; `other` is the rest of the machine. */
  function cpuPerCase(before: Map<string, number>, after: Map<string, number>, cases: number, sec: number) {
    const spent = new Map([...after].map(([k, v]) => [k, v - (before.get(k) ?? 0)]));
    const machine = spent.get('machine') ?? 0;
    spent.delete('machine');
    const accounted = [...spent.values()].reduce((a, b) => a + b, 0);
    const perCase = Object.fromEntries(
      [...spent, ['other', machine - accounted] as const].map(([k, v]) => [k, Number((v / cases).toFixed(2))]),
    );
    return { perCase, busyPct: Math.round((machine / (sec * 1000 * availableParallelism())) * 100) };
  }

  async function file(): Promise<Filed> {
    const sentAt = performance.now();
    const res = await postJson(`http://127.0.0.1:${ports.intake}/v1/petitions`, body());
    if (res.status !== 201) throw new Error(`intake answered ${res.status}: ${res.text}`);
    return { caseId: (JSON.parse(res.text) as { caseId: string }).caseId, sentAt };
  }

  /** Case ids visible in their unit's inbox with their acceptance clock (tracking's read model). */
  async function visible(ids: string[]): Promise<boolean[]> {
    const pipe = redis.pipeline();
    for (const id of ids) pipe.hget(`${prefix}trk:c:${id}`, 'state').hlen(`${prefix}trk:k:${id}`);
    const r = (await pipe.exec()) ?? [];
    return ids.map((_, i) => r[2 * i]?.[1] === 'CASE_STATE_AWAITING_ACCEPTANCE' && Number(r[2 * i + 1]?.[1]) > 0);
  }

  /** Polls until each filed case is visible; resolves with when each was first seen. */
  function watch(label: string) {
    const pending = new Map<string, number>();
    const seen: number[] = [];
    let stop = false;
    const done = (async () => {
      while (!stop || pending.size > 0) {
        const ids = [...pending.keys()].slice(0, 5_000);
        if (ids.length) {
          const now = performance.now();
          (await visible(ids)).forEach((v, i) => {
            const id = ids[i] as string;
            if (!v) return;
            seen.push(now - (pending.get(id) ?? now));
            pending.delete(id);
          });
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    return {
      add: (f: Filed) => pending.set(f.caseId, f.sentAt),
      seen,
      async finish(timeoutMs: number) {
        stop = true;
        const timeout = new Promise<void>((r) => setTimeout(r, timeoutMs));
        await Promise.race([done, timeout]);
        if (pending.size) logger.warn({ label, missing: pending.size }, 'cases not visible in time');
        pending.clear();
        await done;
        return seen;
      },
    };
  }

  try {
    for (const [script, port] of services) {
      children.push(await startProcess([script], env, `http://127.0.0.1:${port}/readyz`, logger));
    }
    await Promise.all(Array.from({ length: 50 }, () => file())); // warm-up: JIT, producers, topics
    const notices = await countRecords(kafka, [bus.topicName(notificationEvents)], `count-${prefix}`);

    // Sustained: as fast as intake takes them, 64 in flight.
    const n = options.records;
    const cpuBefore = cpuNow();
    const sustained = watch('sustained');
    const p = progress(logger, { label: 'e2e: file petitions', total: n, everyMs: 2_000 });
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < n) {
          next++;
          sustained.add(await file());
          p.add(1);
        }
      }),
    );
    p.finish();
    const filedSec = (performance.now() - started) / 1000;
    const sustainedSeen = await sustained.finish(120_000);
    const sustainedSec = (performance.now() - started) / 1000;
    logger.info({ filedSec, visible: sustainedSeen.length }, 'sustained done');
    const cpu = cpuPerCase(cpuBefore, cpuNow(), sustainedSeen.length, sustainedSec);

    // Latency at a steady 500 cases/s for 10 s.
    const steady = watch('steady');
    const rate = 500;
    const total = rate * 10;
    const t0 = performance.now();
    const sends: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      sends.push(
        file()
          .then(steady.add)
          .then(() => undefined),
      );
    }
    await Promise.all(sends);
    const latencies = (await steady.finish(60_000)).sort((a, b) => a - b);
    const noticesSeen = notices.seen();
    await notices.close();

    const raw = await rawPassThrough(options.brokers, workload(counties.slice(0, 500), n), logger);
    const casesPerSec = Math.round(sustainedSeen.length / sustainedSec);
    const rawPerSec = Math.round(n / raw.sec);
    return {
      bench: 'e2e',
      services: 'intake, routing, deadline-watchdog, notification, tracking (one process each)',
      sustained: {
        cases: n,
        visible: sustainedSeen.length,
        casesPerSec,
        intakeAcceptedPerSec: Math.round(n / filedSec),
      },
      atSteadyRate: {
        casesPerSec: rate,
        cases: total,
        visible: latencies.length,
        p50Ms: Math.round(pct(latencies, 0.5)),
        p99Ms: Math.round(pct(latencies, 0.99)),
      },
      cpuMsPerCaseSustained: cpu.perCase,
      machineBusyPctSustained: cpu.busyPct,
      notificationEvents: noticesSeen,
      reference: 'raw kafkajs pass-through of as many commands (consume a batch, produce it acks=all)',
      rawPassThroughPerSec: rawPerSec,
      ratio: Number((casesPerSec / rawPerSec).toFixed(3)),
      targets: { casesPerSec: 2_000, p99MsAt500: 1_000 },
      visibleMeans: 'in its unit’s inbox on tracking, with the acceptance clock the watchdog started',
      lost: sustainedSeen.length < n || latencies.length < total || !raw.complete,
    };
  } finally {
    agent.destroy();
    for (const child of children.reverse()) await stopProcess(child);
    await bus.deleteOwnTopics().catch(() => undefined);
    await bus.close();
    let cursor = '0';
    do {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5_000);
      cursor = nextCursor;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
    redis.disconnect();
  }
}
