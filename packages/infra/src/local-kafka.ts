import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '@petition/logging';
import { ensureKafkaJars } from './kafka-jars.ts';
import { localDir, workspaceRoot } from './paths.ts';
import { parseProperties, renderProperties } from './properties.ts';
import { prepareSecureListener, type SecureListener } from './secure-listener.ts';

export interface LocalKafkaOptions {
  version: string;
  port: number;
  controllerPort: number;
  heapMb: number;
  /** Folder of this node's configuration, data, log and pid; default .local/kafka/node-<port>. */
  stateDir?: string;
  startTimeoutMs: number;
  /**
   * A SASL_SSL listener on this port besides the PLAINTEXT one: SCRAM-SHA-256/512 with one user made when
   * the storage is formatted, TLS with a certificate from a CA of its own (in `<stateDir>/secure`).
   */
  securePort?: number;
}

export interface LocalKafka {
  brokers: string[];
  pid: number;
  /** False when a broker this project started earlier was found running and reused. */
  started: boolean;
  logFile: string;
  /** How to reach the SASL_SSL listener, when `securePort` asked for one. */
  secure?: SecureListener;
}

type ReadyCheck = (brokers: string[], timeoutMs: number) => Promise<void>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function layout(options: LocalKafkaOptions) {
  const dir = options.stateDir ?? localDir('kafka', `node-${options.port}`);
  return {
    dir,
    config: join(dir, 'server.properties'),
    data: join(dir, 'data'),
    log: join(dir, 'broker.log'),
    pid: join(dir, 'broker.pid'),
    secure: join(dir, 'secure'),
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A recycled pid must not pass for our broker.
  const cmdline = `/proc/${pid}/cmdline`;
  return !existsSync(cmdline) || readFileSync(cmdline, 'utf8').includes('kafka.Kafka');
}

function readPid(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: 1_000 });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** The broker's properties; `secure` adds a SASL_SSL listener on its port with its properties. */
export function renderConfig(
  options: Pick<LocalKafkaOptions, 'port' | 'controllerPort'>,
  dataDir: string,
  secure?: { port: number; properties: Record<string, string> },
): string {
  const template = readFileSync(join(workspaceRoot(), 'deploy', 'kafka', 'server.properties'), 'utf8');
  const { port, controllerPort } = options;
  const listeners = [`PLAINTEXT://:${port}`, `CONTROLLER://:${controllerPort}`];
  const advertised = [`PLAINTEXT://localhost:${port}`, `CONTROLLER://localhost:${controllerPort}`];
  const protocols = ['CONTROLLER:PLAINTEXT', 'PLAINTEXT:PLAINTEXT'];
  if (secure) {
    listeners.push(`SASL_SSL://:${secure.port}`);
    advertised.push(`SASL_SSL://localhost:${secure.port}`);
    protocols.push('SASL_SSL:SASL_SSL');
  }
  return renderProperties(template, {
    'controller.quorum.bootstrap.servers': `localhost:${controllerPort}`,
    listeners: listeners.join(','),
    'advertised.listeners': advertised.join(','),
    'listener.security.protocol.map': protocols.join(','),
    'log.dirs': dataDir,
    ...secure?.properties,
  });
}

/** The SASL_SSL port a rendered configuration listens on, if any. */
export function securePortOf(config: string): number | undefined {
  const listeners = parseProperties(config).get('listeners') ?? '';
  const match = /SASL_SSL:\/\/[^:,]*:(\d+)/.exec(listeners);
  return match ? Number(match[1]) : undefined;
}

function javaArgs(libsDir: string, heapMb: number): string[] {
  return [
    `-Xms${heapMb}m`,
    `-Xmx${heapMb}m`,
    '-XX:+UseG1GC',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${join(workspaceRoot(), 'deploy', 'kafka', 'log4j2.properties')}`,
    '-cp',
    `${libsDir}/*`,
  ];
}

/**
 * A random 16-byte id in base64url, as Kafka's own `random-uuid` prints it. Like Kafka's Uuid, it never
 * starts with '-': the storage tool's argument parser would take such an id for an option.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export interface StorageFormat {
  libsDir: string;
  config: string;
  data: string;
  heapMb: number;
  clusterId: string;
  /** Further arguments (SCRAM users: `--add-scram`). */
  extraArgs?: readonly string[];
}

/**
 * KRaft storage must be formatted once with a cluster id before the first start. The id is passed as
 * `--cluster-id=<id>` so that no id can be read as an option.
 */
export function formatStorage(format: StorageFormat, logger: Logger): void {
  if (existsSync(join(format.data, 'meta.properties'))) return;
  logger.info({ clusterId: format.clusterId, dataDir: format.data }, 'formatting KRaft storage');
  const result = spawnSync(
    'java',
    [
      ...javaArgs(format.libsDir, Math.min(format.heapMb, 256)),
      'kafka.tools.StorageTool',
      'format',
      '--standalone',
      `--cluster-id=${format.clusterId}`,
      '-c',
      format.config,
      ...(format.extraArgs ?? []),
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) {
    throw new Error(`kafka-storage format failed (exit ${result.status}): ${result.stderr || result.stdout}`);
  }
}

function tail(file: string, lines = 20): string {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n') : '(no log)';
}

/**
 * A real Apache Kafka broker in KRaft combined mode, run from the Maven Central jars as a detached
 * process that outlives the caller (`infra:up`). Idempotent: a broker this project started on the
 * same port is reused.
 */
export async function startLocalKafka(
  options: LocalKafkaOptions,
  ready: ReadyCheck,
  logger: Logger,
): Promise<LocalKafka> {
  const paths = layout(options);
  const brokers = [`localhost:${options.port}`];
  const secure =
    options.securePort === undefined ? undefined : prepareSecureListener(paths.secure, options.securePort, logger);
  const running = readPid(paths.pid);
  if (running) {
    if (secure && securePortOf(readFileSync(paths.config, 'utf8')) !== options.securePort) {
      throw new Error(
        `the broker running on port ${options.port} has no SASL_SSL listener on ${options.securePort}: ` +
          'stop it (`npm run infra:down`) to start it with one',
      );
    }
    await ready(brokers, options.startTimeoutMs);
    return { brokers, pid: running, started: false, logFile: paths.log, secure: secure?.listener };
  }
  const ports = [
    options.port,
    options.controllerPort,
    ...(options.securePort === undefined ? [] : [options.securePort]),
  ];
  for (const port of ports) {
    if (await portAnswers(port)) {
      throw new Error(
        `port ${port} is taken by a process this project did not start: stop it, choose KAFKA_PORT / ` +
          'KAFKA_CONTROLLER_PORT / KAFKA_SECURE_PORT, or name a running broker in KAFKA_BROKERS',
      );
    }
  }
  // The SCRAM user is written by the storage format alone: storage formatted without it has no user.
  const userMarker = join(paths.secure, 'user-in-storage');
  if (secure && existsSync(join(paths.data, 'meta.properties')) && !existsSync(userMarker)) {
    throw new Error(
      `the broker's storage in ${paths.data} was formatted without the SCRAM user of a SASL_SSL listener: ` +
        'delete it (`wipeLocalKafka`) or use another state directory',
    );
  }
  const { libsDir } = ensureKafkaJars(options.version, logger);
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(
    paths.config,
    renderConfig(options, paths.data, secure && { port: options.securePort ?? 0, properties: secure.properties }),
    { mode: 0o600 },
  );
  formatStorage(
    {
      libsDir,
      config: paths.config,
      data: paths.data,
      heapMb: options.heapMb,
      clusterId: newClusterId(),
      extraArgs: secure?.formatArgs,
    },
    logger,
  );
  if (secure) writeFileSync(userMarker, '');

  const out = openSync(paths.log, 'a');
  const child = spawn('java', [...javaArgs(libsDir, options.heapMb), 'kafka.Kafka', paths.config], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start java for the Kafka broker');
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `exit ${code ?? signal}`;
  });
  child.unref();
  writeFileSync(paths.pid, String(pid));
  logger.info(
    { brokerPid: pid, port: options.port, version: options.version, log: paths.log },
    'Kafka broker starting',
  );

  let waiting = true;
  const watchExit = async () => {
    while (waiting && !exited) await sleep(200);
    if (exited) throw new Error(`the broker stopped during start-up (${exited})`);
  };
  try {
    await Promise.race([ready(brokers, options.startTimeoutMs), watchExit()]);
  } catch (err) {
    await stopLocalKafka(options, logger);
    throw new Error(`${(err as Error).message}\n--- ${paths.log} ---\n${tail(paths.log)}`, { cause: err });
  } finally {
    waiting = false;
  }
  return { brokers, pid, started: true, logFile: paths.log, secure: secure?.listener };
}

/** Stops the broker this project started on the port: SIGTERM (controlled shutdown), then SIGKILL. */
export async function stopLocalKafka(options: Pick<LocalKafkaOptions, 'port' | 'stateDir'>, logger: Logger) {
  const paths = layout(options as LocalKafkaOptions);
  const pid = readPid(paths.pid);
  if (!pid) {
    rmSync(paths.pid, { force: true });
    return false;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (isAlive(pid) && Date.now() < deadline) await sleep(200);
  if (isAlive(pid)) {
    logger.warn({ brokerPid: pid }, 'broker ignored SIGTERM for 30 s; killing it');
    process.kill(pid, 'SIGKILL');
  }
  rmSync(paths.pid, { force: true });
  logger.info({ brokerPid: pid, port: options.port }, 'Kafka broker stopped');
  return true;
}

/** Deletes the node's data (topics, offsets) so that the next start begins empty. */
export function wipeLocalKafka(options: Pick<LocalKafkaOptions, 'port' | 'stateDir'>): void {
  rmSync(layout(options as LocalKafkaOptions).data, { recursive: true, force: true });
}
