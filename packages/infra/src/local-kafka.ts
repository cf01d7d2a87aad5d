import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@petition/logging';
import { ensureKafkaJars } from './kafka-jars.ts';
import { localDir, workspaceRoot } from './paths.ts';
import { isAliveAs, logTail, portAnswers, readLivePid, sleep, spawnDetached } from './processes.ts';
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

function layout(options: LocalKafkaOptions) {
  const dir = options.stateDir ?? localDir('kafka', `node-${options.port}`);
  return {
    dir,
    config: join(dir, 'server.properties'),
    data: join(dir, 'data'),
    log: join(dir, 'broker.log'),
    pid: join(dir, 'broker.pid'),
    /** Written by stopLocalKafka before its SIGTERM: the broker named in it is going away. */
    stopping: join(dir, 'broker.stopping'),
    secure: join(dir, 'secure'),
  };
}

const brokerCommand = 'kafka.Kafka';
const isAlive = (pid: number) => isAliveAs(pid, brokerCommand);
const readPid = (file: string) => readLivePid(file, brokerCommand);

/**
 * Removes a pid file (or stopping marker) only while it still names `pid`: a stop that ends after another
 * run has started a fresh broker must not take that broker's file away.
 */
function removeIfNames(file: string, pid: number): void {
  if (existsSync(file) && Number(readFileSync(file, 'utf8').trim()) === pid) rmSync(file, { force: true });
}

/** The pid of the broker this project runs on the port, if it is alive. */
export function localKafkaPid(options: Pick<LocalKafkaOptions, 'port' | 'stateDir'>): number | undefined {
  return readPid(layout(options as LocalKafkaOptions).pid);
}

/**
 * Whether the live broker `pid` is going away: stopLocalKafka marked it, or its log says it took a signal
 * since it booted (Kafka logs "Registered signal handlers" first thing at each start, "Terminating process
 * due to signal" when told to stop).
 */
function isStopping(paths: ReturnType<typeof layout>, pid: number): boolean {
  if (existsSync(paths.stopping) && Number(readFileSync(paths.stopping, 'utf8').trim()) === pid) return true;
  if (!existsSync(paths.log)) return false;
  const log = readLogTail(paths.log, 512 * 1024);
  return log.lastIndexOf('Terminating process due to signal') > log.lastIndexOf('Registered signal handlers');
}

function readLogTail(file: string, bytes: number): string {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const buffer = Buffer.alloc(Math.min(size, bytes));
    readSync(fd, buffer, 0, buffer.length, size - buffer.length);
    return buffer.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Waits (bounded, saying so every 5 s) until the broker `pid` has exited; SIGKILL once the bound is reached. */
async function waitForExit(pid: number, boundMs: number, logger: Logger): Promise<void> {
  const started = Date.now();
  let said = started;
  while (isAlive(pid)) {
    const waited = Date.now() - started;
    if (waited >= boundMs) {
      logger.warn({ brokerPid: pid, waitedMs: waited }, 'the broker shutting down did not exit in time; killing it');
      process.kill(pid, 'SIGKILL');
      while (isAlive(pid) && Date.now() - started < boundMs + 10_000) await sleep(100);
      if (isAlive(pid)) throw new Error(`the broker ${pid} shutting down did not exit, even after SIGKILL`);
      return;
    }
    if (Date.now() - said >= 5_000) {
      said = Date.now();
      logger.info({ brokerPid: pid, waitedMs: waited }, 'still waiting for the broker shutting down to exit');
    }
    await sleep(200);
  }
}

/** How long a start waits for a broker of an earlier run that is shutting down (its own stop waits 30 s). */
const shutdownWaitMs = 45_000;

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
  let running = readPid(paths.pid);
  // A broker going away (an earlier `npm start` still stopping it) is never reused: its exit is waited for,
  // then a fresh one is started.
  if (running && isStopping(paths, running)) {
    logger.info(
      { brokerPid: running, port: options.port },
      'a broker of an earlier run is shutting down: waiting for it to exit',
    );
    await waitForExit(running, shutdownWaitMs, logger);
    logger.info({ brokerPid: running }, 'the earlier broker exited: starting a fresh one');
    removeIfNames(paths.pid, running);
    removeIfNames(paths.stopping, running);
    running = undefined;
  }
  if (running) {
    if (secure && securePortOf(readFileSync(paths.config, 'utf8')) !== options.securePort) {
      throw new Error(
        `the broker running on port ${options.port} has no SASL_SSL listener on ${options.securePort}: ` +
          'stop it (`npm run infra:down`) to start it with one',
      );
    }
    // Reused only if it answers; one that exits meanwhile (stopped by hand) is replaced.
    const pid = running;
    let waiting = true;
    const exits = (async () => {
      while (waiting && isAlive(pid)) await sleep(200);
      return !isAlive(pid);
    })();
    const answered = ready(brokers, options.startTimeoutMs).then(
      () => true,
      (err) => {
        if (isAlive(pid)) throw err;
        return false;
      },
    );
    try {
      const reused = await Promise.race([answered, exits.then((gone) => !gone)]);
      if (reused && isAlive(pid) && !isStopping(paths, pid)) {
        return { brokers, pid, started: false, logFile: paths.log, secure: secure?.listener };
      }
    } finally {
      waiting = false;
    }
    if (isAlive(pid)) {
      logger.info(
        { brokerPid: pid, port: options.port },
        'the running broker is shutting down: waiting for it to exit',
      );
      await waitForExit(pid, shutdownWaitMs, logger);
    }
    logger.info({ brokerPid: pid, port: options.port }, 'the earlier broker exited: starting a fresh one');
    removeIfNames(paths.pid, pid);
    removeIfNames(paths.stopping, pid);
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

  const { pid, exited } = spawnDetached(
    'java',
    [...javaArgs(libsDir, options.heapMb), 'kafka.Kafka', paths.config],
    paths.log,
    paths.pid,
  );
  logger.info(
    { brokerPid: pid, port: options.port, version: options.version, log: paths.log },
    'Kafka broker starting',
  );

  let waiting = true;
  const watchExit = async () => {
    while (waiting && !exited()) await sleep(200);
    if (exited()) throw new Error(`the broker stopped during start-up (${exited()})`);
  };
  try {
    await Promise.race([ready(brokers, options.startTimeoutMs), watchExit()]);
  } catch (err) {
    await stopLocalKafka(options, logger);
    throw new Error(`${(err as Error).message}\n--- ${paths.log} ---\n${logTail(paths.log)}`, { cause: err });
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
  // A start meanwhile (`npm start` again while this one stops) must wait for this broker, not reuse it.
  writeFileSync(paths.stopping, String(pid));
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (isAlive(pid) && Date.now() < deadline) await sleep(200);
  if (isAlive(pid)) {
    logger.warn({ brokerPid: pid }, 'broker ignored SIGTERM for 30 s; killing it');
    process.kill(pid, 'SIGKILL');
  }
  removeIfNames(paths.pid, pid);
  removeIfNames(paths.stopping, pid);
  logger.info({ brokerPid: pid, port: options.port }, 'Kafka broker stopped');
  return true;
}

/** Deletes the node's data (topics, offsets) so that the next start begins empty. */
export function wipeLocalKafka(options: Pick<LocalKafkaOptions, 'port' | 'stateDir'>): void {
  rmSync(layout(options as LocalKafkaOptions).data, { recursive: true, force: true });
}
