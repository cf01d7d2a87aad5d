// The services as supervised processes, for `npm start` and the fault proof: each its own Node process,
// restarted a second after it exits (the log says so) unless the network is stopping.
import { type ChildProcess, spawn } from 'node:child_process';
import type { Logger } from '@petition/logging';

export interface ServiceSpec {
  readonly name: string;
  readonly script: string;
  readonly args?: readonly string[];
}

export const serviceSpecs: readonly ServiceSpec[] = [
  { name: 'intake', script: 'services/intake/src/main.ts' },
  { name: 'routing', script: 'services/routing/src/main.ts' },
  { name: 'deadline-watchdog', script: 'services/deadline-watchdog/src/main.ts' },
  { name: 'notification', script: 'services/notification/src/main.ts' },
  { name: 'tracking', script: 'services/tracking/src/main.ts' },
];

/**
 * The situation analysis (hotspots), started by `npm start` after the five: one instance per node, its read API
 * and operators' port on fixed local ports (SITUATION_HTTP_PORT 8082, SITUATION_OPS_PORT 8093), so it is left
 * out of the networks that run several nodes or random ports on one host (the fault proof, start-nodes).
 */
export const situationSpec: ServiceSpec = { name: 'situation', script: 'services/situation/src/main.ts' };

export interface ServicePorts {
  readonly intake: number;
  /** Intake's operators' port (/metrics, OpenAPI docs), apart from its API. */
  readonly intakeOps: number;
  readonly tracking: number;
  /** Tracking's operators' port (/metrics, OpenAPI docs), apart from its API and pages. */
  readonly trackingOps: number;
  readonly routing: number;
  readonly watchdog: number;
  readonly notification: number;
}

/** Ports for services started in one process by tests: each takes any free port. */
export const anyPorts: ServicePorts = {
  intake: 0,
  intakeOps: 0,
  tracking: 0,
  trackingOps: 0,
  routing: 0,
  watchdog: 0,
  notification: 0,
};

/**
 * Limits for a network driven by one client on 127.0.0.1 (the simulator, the fault load, benchmarks, the
 * end-to-end tests): it files every petition from one address, often naming the same phone, and looks each
 * case up as soon as it is filed (a lookup before tracking knows the case counts as a wrong guess). Not a
 * guesser or a flood to turn away; a real node keeps the defaults.
 */
export const oneClientLoadEnv = {
  INTAKE_GUESS_LIMIT: '1000000',
  TRACKING_GUESS_LIMIT: '10000',
  INTAKE_REGISTRATION_LIMIT: '1000000',
  INTAKE_PHONE_LIMIT: '1000000',
} as const;

/** The five services' environment on one host: the run's broker and topics, each on its loopback port. */
export function servicesEnv(
  base: NodeJS.ProcessEnv,
  o: { brokers: readonly string[]; prefix: string; ports: ServicePorts },
): NodeJS.ProcessEnv {
  return {
    // A development network: the secrets published in the repository are allowed where none is set.
    ALLOW_DEVELOPMENT_SECRETS: 'true',
    ...base,
    KAFKA_BROKERS: o.brokers.join(','),
    TOPIC_PREFIX: o.prefix,
    INTAKE_HTTP_PORT: String(o.ports.intake),
    INTAKE_OPS_PORT: String(o.ports.intakeOps),
    INTAKE_GRPC_PORT: '0',
    INTAKE_HOST: '127.0.0.1',
    TRACKING_HTTP_PORT: String(o.ports.tracking),
    TRACKING_OPS_PORT: String(o.ports.trackingOps),
    TRACKING_HOST: '127.0.0.1',
    ROUTING_HTTP_PORT: String(o.ports.routing),
    ROUTING_HOST: '127.0.0.1',
    ROUTING_ROUTE_MODE: 'chain',
    WATCHDOG_HTTP_PORT: String(o.ports.watchdog),
    WATCHDOG_HOST: '127.0.0.1',
    NOTIFY_HTTP_PORT: String(o.ports.notification),
    NOTIFY_HOST: '127.0.0.1',
  };
}

export function superviseServices(
  specs: readonly ServiceSpec[],
  env: NodeJS.ProcessEnv,
  logger: Logger,
  stdio: 'inherit' | 'ignore' = 'inherit',
) {
  const children = new Map<string, ChildProcess>();
  let stopping = false;
  const restarts = new Map<string, number>();

  function run(spec: ServiceSpec) {
    const child = spawn(process.execPath, [spec.script, ...(spec.args ?? [])], {
      env,
      stdio: ['ignore', stdio, 'inherit'],
    });
    children.set(spec.name, child);
    child.on('exit', (code, signal) => {
      if (children.get(spec.name) === child) children.delete(spec.name);
      if (stopping) return;
      restarts.set(spec.name, (restarts.get(spec.name) ?? 0) + 1);
      logger.warn({ service: spec.name, code, signal }, 'service exited; restarting in 1 s');
      setTimeout(() => {
        if (!stopping) run(spec);
      }, 1_000);
    });
  }
  for (const s of specs) run(s);

  return {
    restarts,
    /** Sends `signal` to a service's process (it is restarted when it exits). */
    kill(name: string, signal: NodeJS.Signals = 'SIGKILL') {
      children.get(name)?.kill(signal);
    },
    /** SIGTERM to every process; resolves once all have exited. */
    async stop() {
      stopping = true;
      await Promise.all(
        [...children.values()].map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
