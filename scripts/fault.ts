// `npm run fault [-- --cases N] [--pace-ms MS]`: the fault proof. The same bounded load (N petitions, each taken a few
// steps by its unit and petitioner over HTTP) runs twice through the five services on a broker of its own:
// once without faults, once while each service in turn is killed with SIGKILL (and restarted), the broker
// is restarted and the run's Redis keys are flushed. Then every case must end in the same state in both
// runs, with the same events and notices — none missing, none told twice. A second stage (fault-link.ts)
// takes a link between two nodes down and checks that handoffs wait and complete, none lost or taken
// twice. `--stage services|link` runs one stage alone. Prints what each stage checked; exits 1 when a
// check fails.
import { caseEvents, createBus, deadlineEvents, notificationEvents, on } from '@petition/bus';
import type { CaseEvent, DeadlineEvent, NotificationEvent } from '@petition/contract';
import { ensureBroker, infraDown, infraUp, loadInfraConfig, stopLocalKafka } from '@petition/infra';
import { createLogger, type Logger } from '@petition/logging';
import { testStaffEnv } from '@petition/testing';
import { Redis } from 'ioredis';
import { linkStage } from './fault-link.ts';
import { type Load, load } from './fault-load.ts';
import { oneClientLoadEnv, serviceSpecs, servicesEnv, superviseServices } from './network.ts';

const logger = createLogger({ service: 'fault' });
const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const cases = flag('--cases', 120);
const paceMs = flag('--pace-ms', 2_000);
const linkCases = flag('--link-cases', 80);
const linkPaceMs = flag('--link-pace-ms', 1_000);
const stage = args.includes('--stage') ? args[args.indexOf('--stage') + 1] : 'all';
if (
  !Number.isInteger(cases) ||
  cases < 4 ||
  cases > 10_000 ||
  !(paceMs >= 0) ||
  !Number.isInteger(linkCases) ||
  linkCases < 4 ||
  linkCases > 1_000 ||
  !(linkPaceMs >= 0) ||
  !['all', 'services', 'link'].includes(stage ?? '')
) {
  process.stderr.write(
    'usage: npm run fault [-- --stage all|services|link] [--cases N (4–10000)] [--pace-ms MS] ' +
      '[--link-cases N (4–1000)] [--link-pace-ms MS]\n',
  );
  process.exit(2);
}

// A broker of its own (it is restarted), on ports of its own.
const { KAFKA_BROKERS: _given, ...base } = process.env;
const infraEnv = {
  ...base,
  // Below Linux's ephemeral range (32768–60999): a listening port there can be taken at any moment by an
  // outgoing connection's local port, and the broker then fails to bind.
  KAFKA_PORT: process.env.FAULT_KAFKA_PORT ?? '18592',
  KAFKA_CONTROLLER_PORT: process.env.FAULT_KAFKA_CONTROLLER_PORT ?? '18593',
};
const config = loadInfraConfig(infraEnv);
const ports = {
  intake: 18481,
  tracking: 18482,
  routing: 18483,
  watchdog: 18484,
  notification: 18485,
  intakeOps: 18486,
  trackingOps: 18487,
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function ready(names: (keyof typeof ports)[] = Object.keys(ports) as (keyof typeof ports)[]) {
  const deadline = Date.now() + 180_000;
  for (const name of names) {
    for (;;) {
      const status = await fetch(`http://127.0.0.1:${ports[name]}/readyz`).then(
        (r) => r.status,
        () => 0,
      );
      if (status === 200) break;
      if (Date.now() > deadline) throw new Error(`${name} not ready within 180 s`);
      await sleep(250);
    }
  }
}

/** What one run left on the topics, per case (by its place in the load). */
interface Outcome {
  finalState: string[];
  caseEvents: string[][];
  deadlineEvents: string[][];
  notices: string[][];
  /** Copies of an event or notice already seen (same id): redelivery, not a second fact. */
  copies: number;
  refusals: number;
}

async function collect(brokers: string[], prefix: string, loaded: Load): Promise<Outcome> {
  const bus = createBus({ brokers, clientId: 'fault-collect', logger, topicPrefix: prefix });
  const index = new Map(loaded.cases.map((c, i) => [c.caseId, i]));
  const out: Outcome = {
    finalState: loaded.cases.map(() => ''),
    caseEvents: loaded.cases.map(() => []),
    deadlineEvents: loaded.cases.map(() => []),
    notices: loaded.cases.map(() => []),
    copies: 0,
    refusals: 0,
  };
  const ids = new Set<string>();
  const fresh = (id: string) => {
    if (ids.has(id)) {
      out.copies++;
      return false;
    }
    ids.add(id);
    return true;
  };
  let seen = 0;
  const at = (caseId: string | undefined) => index.get(caseId ?? '');
  const consumer = bus.consumer({
    groupId: `fault-collect-${Date.now()}`,
    fromBeginning: true,
    subscriptions: [
      on(caseEvents, async ({ value: e }: { value: CaseEvent }) => {
        seen++;
        const i = at(e.envelope?.caseId);
        if (i === undefined || !fresh(e.envelope?.eventId ?? '')) return;
        if (e.payload?.$case === 'commandRefused') {
          out.refusals++;
          return;
        }
        out.caseEvents[i]?.push(e.payload?.$case ?? '');
        out.finalState[i] = String(e.state);
      }),
      on(deadlineEvents, async ({ value: e }: { value: DeadlineEvent }) => {
        seen++;
        const i = at(e.envelope?.caseId);
        if (i === undefined || !fresh(e.envelope?.eventId ?? '')) return;
        out.deadlineEvents[i]?.push(`${e.payload?.$case}:${e.stage}:${e.step}`);
      }),
      on(notificationEvents, async ({ value: n }: { value: NotificationEvent }) => {
        seen++;
        const i = at(n.envelope?.caseId);
        if (i === undefined || n.payload?.$case !== 'notificationDelivered') return;
        if (!fresh(`notice:${n.notificationId}`)) return;
        out.notices[i]?.push(`${n.templateId}:${n.channel}:${n.recipientKind}`);
      }),
    ],
  });
  let total = 0n;
  for (const t of [caseEvents, deadlineEvents, notificationEvents]) {
    for (const end of (await bus.endOffsets(t)).values()) total += end;
  }
  await consumer.start();
  const deadline = Date.now() + 120_000;
  while (BigInt(seen) < total && Date.now() < deadline) await sleep(100);
  await bus.close();
  for (const list of [...out.caseEvents, ...out.deadlineEvents, ...out.notices]) list.sort();
  return out;
}

/** Waits until the run's topics stop growing for 5 s (the watchdog and notification have caught up). */
async function settle(brokers: string[], prefix: string) {
  const bus = createBus({ brokers, clientId: 'fault-settle', logger, topicPrefix: prefix });
  let last = -1n;
  let quietSince = Date.now();
  for (const deadline = Date.now() + 180_000; Date.now() < deadline; await sleep(500)) {
    let sum = 0n;
    for (const t of [caseEvents, deadlineEvents, notificationEvents]) {
      for (const end of (await bus.endOffsets(t)).values()) sum += end;
    }
    if (sum !== last) {
      last = sum;
      quietSince = Date.now();
    } else if (Date.now() - quietSince > 5_000) break;
  }
  await bus.close();
}

async function faults(prefix: string, network: ReturnType<typeof superviseServices>, log: Logger) {
  const names = ['intake', 'routing', 'deadline-watchdog', 'notification', 'tracking'] as const;
  const portOf = {
    intake: 'intake',
    routing: 'routing',
    'deadline-watchdog': 'watchdog',
    notification: 'notification',
    tracking: 'tracking',
  } as const;
  const done: string[] = [];
  for (const name of names) {
    await sleep(1_500);
    network.kill(name, 'SIGKILL');
    log.warn({ service: name }, 'fault: SIGKILL');
    await sleep(1_500);
    await ready([portOf[name]]);
    done.push(`SIGKILL ${name}`);
  }
  await sleep(1_500);
  log.warn('fault: broker restart');
  if (!(await stopLocalKafka({ port: config.kafkaPort }, log))) {
    throw new Error(
      `no broker of this checkout's on port ${config.kafkaPort} to restart (another one holds the port?)`,
    );
  }
  await sleep(2_000);
  await ensureBroker(config, log);
  await ready();
  done.push('broker restarted');
  await sleep(1_500);
  const redis = new Redis(config.redisUrl);
  let cursor = '0';
  let flushed = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5_000);
    cursor = next;
    if (keys.length) flushed += await redis.del(...keys);
  } while (cursor !== '0');
  redis.disconnect();
  log.warn({ keys: flushed }, 'fault: Redis keys of the run flushed');
  await sleep(8_000); // each service notices within 5 s, exits and is restarted
  await ready();
  done.push(`Redis flushed (${flushed} keys)`);
  return done;
}

async function run(label: string, withFaults: boolean, brokers: string[]) {
  const prefix = `t-fault-${label}-${Date.now().toString(36)}.`;
  const env = {
    ...servicesEnv(base, { brokers, prefix, ports }),
    LOG_LEVEL: 'error',
    INTAKE_OUTCOME_WAIT: '2s',
    // The load is one client on 127.0.0.1 looking up its own cases before tracking (or, after the flush,
    // intake's rebuilt index) knows them.
    ...oneClientLoadEnv,
    // The load acts as every unit's staff with this process's test node key.
    ...testStaffEnv(),
    // The two runs are compared notice by notice: quiet hours beginning between them would hold units'
    // notices back in one run only.
    NOTIFY_QUIET_HOURS: '0-0',
  };
  const log = logger.child({ run: label });
  const network = superviseServices(serviceSpecs, env, log, 'ignore');
  try {
    await ready();
    log.info({ cases }, 'services ready; load starts');
    const loading = load({
      intakeUrl: `http://127.0.0.1:${ports.intake}`,
      trackingUrl: `http://127.0.0.1:${ports.tracking}`,
      cases,
      paceMs,
      run: prefix,
      logger: log,
    });
    const injected = withFaults ? await faults(prefix, network, log) : [];
    const loaded = await loading;
    await settle(brokers, prefix);
    const outcome = await collect(brokers, prefix, loaded);
    return { prefix, loaded, outcome, injected, restarts: Object.fromEntries(network.restarts) };
  } finally {
    await network.stop();
  }
}

/** The services stage: the same load with and without faults; prints its report and returns it. */
async function servicesStage(brokers: string[]) {
  const clean = await run('clean', false, brokers);
  const faulty = await run('faulty', true, brokers);
  const differing: string[] = [];
  for (let i = 0; i < cases; i++) {
    const a = clean.outcome;
    const b = faulty.outcome;
    const same = (x: string[] | undefined, y: string[] | undefined) => JSON.stringify(x) === JSON.stringify(y);
    if (a.finalState[i] !== b.finalState[i]) differing.push(`case ${i}: state ${a.finalState[i]} ≠ ${b.finalState[i]}`);
    if (!same(a.caseEvents[i], b.caseEvents[i]))
      differing.push(`case ${i}: case events ${a.caseEvents[i]} ≠ ${b.caseEvents[i]}`);
    if (!same(a.deadlineEvents[i], b.deadlineEvents[i]))
      differing.push(`case ${i}: deadline events ${a.deadlineEvents[i]} ≠ ${b.deadlineEvents[i]}`);
    if (!same(a.notices[i], b.notices[i])) differing.push(`case ${i}: notices ${a.notices[i]} ≠ ${b.notices[i]}`);
  }
  const count = (o: Outcome, k: 'caseEvents' | 'deadlineEvents' | 'notices') => o[k].reduce((n, l) => n + l.length, 0);
  const report = {
    fault:
      differing.length === 0 && faulty.loaded.failedSteps === 0 && clean.loaded.failedSteps === 0 ? 'passed' : 'FAILED',
    cases,
    faultsInjected: faulty.injected,
    serviceRestarts: faulty.restarts,
    checked: {
      finalStates: cases,
      caseEvents: { clean: count(clean.outcome, 'caseEvents'), faulty: count(faulty.outcome, 'caseEvents') },
      deadlineEvents: {
        clean: count(clean.outcome, 'deadlineEvents'),
        faulty: count(faulty.outcome, 'deadlineEvents'),
      },
      notices: { clean: count(clean.outcome, 'notices'), faulty: count(faulty.outcome, 'notices') },
      redeliveredCopiesSameId: { clean: clean.outcome.copies, faulty: faulty.outcome.copies },
      refusalsOfRetriedCommands: { clean: clean.outcome.refusals, faulty: faulty.outcome.refusals },
      clientRetries: { clean: clean.loaded.retries, faulty: faulty.loaded.retries },
      // A step the load never saw take effect fails the stage as a difference does.
      failedSteps: { clean: clean.loaded.failedSteps, faulty: faulty.loaded.failedSteps },
    },
    differing: differing.slice(0, 20),
    differingCount: differing.length,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
  return report;
}

const infra = await infraUp(config, logger);
let failed = false;
// Each stage's verdict, printed again at the end: a log kept only from its end still says which
// stage failed and why.
const verdicts: Record<string, unknown> = {};
try {
  if (stage !== 'link') {
    const services = await servicesStage(infra.brokers);
    failed = services.fault !== 'passed';
    verdicts.services = {
      fault: services.fault,
      differingCount: services.differingCount,
      differing: services.differing.slice(0, 5),
      failedSteps: services.checked.failedSteps,
    };
  }
  if (stage !== 'services') {
    const link = await linkStage({
      nationalBrokers: infra.brokers,
      base,
      downCases: linkCases,
      upCases: Math.max(2, Math.round(linkCases / 4)),
      paceMs: linkPaceMs,
      logger,
    });
    process.stdout.write(`${JSON.stringify(link.report)}\n`);
    if (!link.passed) failed = true;
    verdicts.link = {
      fault: link.report.fault,
      failureCount: link.report.failureCount,
      failures: link.report.failures.slice(0, 5),
    };
  }
} finally {
  if (infra.startedBroker) await infraDown(config, logger);
}
process.stdout.write(`${JSON.stringify({ fault: failed ? 'FAILED' : 'passed', stages: verdicts })}\n`);
process.exit(failed ? 1 : 0);
