// The whole pipeline, each service its own process on this machine: petitions POSTed to intake (from
// counties all over the country), routed to the county department, their clocks started by the watchdog,
// the units told by notification, and each case visible in its unit's inbox on tracking with its clock.
// Two figures: sustained cases/s (as many as intake takes, with 64 requests in flight) until every case is
// visible, and intake-to-inbox latency p50/p99 at a steady 500 cases/s; with the CPU each case cost each
// process. The pipeline runs once on each Kafka client (`KAFKA_CLIENT`), the default first; beside a raw
// kafkajs pass-through (consume a batch, produce it acks=all) of as many commands, in the same run.
// Visibility is watched by e2e-watcher.ts in a process of its own, so its cost is measured apart.
import { type ChildProcess, fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createBus, kafkaClients, notificationEvents, resolveKafkaClient } from '@petition/bus';
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
  /** When it was sent, ms since the epoch (the watcher is another process). */
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

/** The clients the pipeline runs on, the one the services would take first (`KAFKA_CLIENT`, else the default). */
const clientsToRun = (): string[] => {
  const first = resolveKafkaClient();
  return [first, ...kafkaClients.filter((c) => c !== first)];
};

export async function benchE2e(options: { brokers: string[]; logger: Logger; records: number }) {
  const logger = options.logger.child({ bench: 'e2e' });
  const counties = countiesOf(buildNationalDirectory());
  const runs: Record<string, PipelineFigures> = {};
  for (const client of clientsToRun()) {
    logger.info({ client }, 'e2e: the pipeline on this Kafka client');
    runs[client] = await runPipeline({ ...options, logger: logger.child({ client }), counties, client });
  }
  const raw = await rawPassThrough(options.brokers, workload(counties.slice(0, 500), options.records), logger);
  const rawPerSec = Math.round(options.records / raw.sec);
  const defaultClient = resolveKafkaClient();
  const main = runs[defaultClient] as PipelineFigures;
  return {
    bench: 'e2e',
    services: 'intake, routing, deadline-watchdog, notification, tracking (one process each)',
    defaultClient,
    ...main,
    byClient: runs,
    reference: 'raw kafkajs pass-through of as many commands (consume a batch, produce it acks=all)',
    rawPassThroughPerSec: rawPerSec,
    ratio: Number((main.sustained.casesPerSec / rawPerSec).toFixed(3)),
    targets: { casesPerSec: 1_000, cpuMsPerCase: 2, p99MsAt500: 500, watchMsPerCase: 0.1 },
    visibleMeans: 'in its unit’s inbox on tracking, with the acceptance clock the watchdog started',
    lost: Object.values(runs).some((r) => r.lost) || !raw.complete,
  };
}

interface PipelineFigures {
  sustained: { cases: number; visible: number; casesPerSec: number; intakeAcceptedPerSec: number };
  atSteadyRate: { casesPerSec: number; cases: number; visible: number; p50Ms: number; p99Ms: number };
  cpuMsPerCaseSustained: Record<string, number>;
  cpuMsPerCaseTotal: number;
  machineBusyPctSustained: number;
  notificationEvents: number;
  lost: boolean;
}

async function runPipeline(options: {
  brokers: string[];
  logger: Logger;
  records: number;
  counties: string[];
  client: string;
}): Promise<PipelineFigures> {
  const { logger, counties } = options;
  const prefix = `t-bench-e2e-${options.client}-${Date.now().toString(36)}.`;
  const env = {
    ...servicesEnv(process.env, { brokers: options.brokers, prefix, ports }),
    KAFKA_CLIENT: options.client,
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
  const watchers: ChildProcess[] = [];
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const bus = createBus({ brokers: options.brokers, clientId: 'bench-e2e', logger, topicPrefix: prefix });
  const kafka = new Kafka({ clientId: 'bench-e2e', brokers: options.brokers, logLevel: logLevel.NOTHING });
  // Labour matters from every county: each is routed from the county's bureau to its 人社局.
  const rand = seeded(1);
  const body = () => JSON.stringify({ ...petitionBody(rand, counties), category: '劳动社保', kind: '申诉求决' });

  // The broker(s) and Redis on this machine (for a broker given in KAFKA_BROKERS elsewhere, none).
  const shared = [
    ['kafka', pidsOf('kafka.Kafka')],
    ['redis', pidsOf('redis-server')],
  ] as const;
  /** CPU used so far by each service, the load (this process), the watcher, and the machine. */
  function cpuNow(watcher: number | undefined): Map<string, number> {
    const used = new Map(services.map(([script], i) => [script.split('/')[1] ?? script, cpuMsOf(children[i]?.pid)]));
    const own = process.cpuUsage();
    used.set('load', (own.user + own.system) / 1000);
    used.set('watch', cpuMsOf(watcher));
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
    // The product's CPU: everything but the load generator and the watcher.
    const product = machine - (spent.get('load') ?? 0) - (spent.get('watch') ?? 0);
    return {
      perCase,
      productPerCase: Number((product / cases).toFixed(2)),
      busyPct: Math.round((machine / (sec * 1000 * availableParallelism())) * 100),
    };
  }

  async function file(): Promise<Filed> {
    const sentAt = Date.now();
    const res = await postJson(`http://127.0.0.1:${ports.intake}/v1/petitions`, body());
    if (res.status !== 201) throw new Error(`intake answered ${res.status}: ${res.text}`);
    return { caseId: (JSON.parse(res.text) as { caseId: string }).caseId, sentAt };
  }

  /** Watches each filed case until it is visible, in a process of its own (e2e-watcher.ts). */
  async function watch(label: string) {
    const child = fork(fileURLToPath(new URL('./e2e-watcher.ts', import.meta.url)), [], {
      env: { ...process.env, WATCH_PREFIX: `${prefix}trk:` },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    watchers.push(child);
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`the watcher exited with ${code} before it was ready`)));
    });
    // Filed cases go over in batches every 20 ms: one IPC message per case would cost more than the watching.
    let batch: [string, number][] = [];
    const flush = () => {
      if (batch.length) child.send({ add: batch });
      batch = [];
    };
    const flusher = setInterval(flush, 20);
    return {
      pid: child.pid,
      add: (f: Filed) => void batch.push([f.caseId, f.sentAt]),
      async finish(timeoutMs: number): Promise<number[]> {
        clearInterval(flusher);
        flush();
        const answer = new Promise<{ seen: number[]; missing: number }>((resolve) =>
          child.once('message', (m) => resolve(m as { seen: number[]; missing: number })),
        );
        child.send({ finish: timeoutMs });
        const { seen, missing } = await answer;
        if (missing) logger.warn({ label, missing }, 'cases not visible in time');
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
    const sustained = await watch('sustained');
    const cpuBefore = cpuNow(sustained.pid);
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
    const cpu = cpuPerCase(cpuBefore, cpuNow(sustained.pid), sustainedSeen.length, sustainedSec);

    // Latency at a steady 500 cases/s for 10 s.
    const steady = await watch('steady');
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

    return {
      sustained: {
        cases: n,
        visible: sustainedSeen.length,
        casesPerSec: Math.round(sustainedSeen.length / sustainedSec),
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
      cpuMsPerCaseTotal: cpu.productPerCase,
      machineBusyPctSustained: cpu.busyPct,
      notificationEvents: noticesSeen,
      lost: sustainedSeen.length < n || latencies.length < total,
    };
  } finally {
    agent.destroy();
    for (const child of children.reverse()) await stopProcess(child);
    for (const watcher of watchers) if (watcher.exitCode === null) watcher.kill();
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
