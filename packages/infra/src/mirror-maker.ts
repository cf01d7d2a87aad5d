import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from '@petition/logging';
import { localDir, workspaceRoot } from './paths.ts';

/**
 * Apache Kafka MirrorMaker 2 in dedicated mode (`org.apache.kafka.connect.mirror.MirrorMaker`): the only
 * thing that carries records between the clusters of the federation's nodes. One process, one properties
 * file naming every cluster and flow; `--clusters` narrows a process to the flows that land on its own
 * cluster ("consume remote, produce local").
 */

export interface MirrorMakerJars {
  libsDir: string;
  version: string;
}

/** One replication flow: these topics of `source`, copied under the same names onto `target`. */
export interface MirrorFlow {
  source: string;
  target: string;
  /** Exact topic names (not patterns). */
  topics: string[];
}

export interface MirrorMakerConfigOptions {
  /** Cluster alias → bootstrap servers. Aliases: letters, digits, `_` and `-`. */
  clusters: Record<string, string[]>;
  flows: MirrorFlow[];
  /** Of the topics MM2 creates on a target: mirrored topics and Connect's own. Default 1. */
  replicationFactor?: number;
  /** Tasks per flow (a task carries a share of the flow's partitions). Default 1. */
  tasksMax?: number;
  /** How often a flow looks for new topics and partitions on its source. Default 2 s. */
  refreshTopicsIntervalSeconds?: number;
  /**
   * How often the source offsets reached are committed (Connect's `offset.flush.interval.ms`, default
   * there 60 s): after a crash, what was copied since the last commit is copied again. Default 5 s.
   */
  offsetFlushIntervalMs?: number;
}

export interface MirrorMakerOptions extends MirrorMakerConfigOptions {
  /** Folder of this process's properties file, log and pid. */
  stateDir: string;
  /** Passed as `--clusters`: this process serves only the flows whose target is one of these. Default all. */
  targets?: string[];
  /** JVM heap. Default 256 MB. */
  heapMb?: number;
  /**
   * True: the JVM outlives the caller (npm start). False (default): it is killed when the caller exits,
   * so that a test that crashes leaves no JVM behind.
   */
  detached?: boolean;
  /** How long the start may take before it fails with the log's tail. Default 90 s. */
  startTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before it sends SIGKILL. Default 30 s. */
  stopTimeoutMs?: number;
}

export interface MirrorMaker {
  pid: number;
  logFile: string;
  configFile: string;
  /** SIGTERM (MM2 commits the offsets it reached and leaves its groups), SIGKILL after stopTimeoutMs. */
  stop(): Promise<void>;
  /** SIGKILL, at once: a crash, for fault tests. */
  kill(): void;
}

const mainClass = 'org.apache.kafka.connect.mirror.MirrorMaker';
const identityPolicy = 'org.apache.kafka.connect.mirror.IdentityReplicationPolicy';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The connect-mirror version deploy/mirror-maker/pom.xml pins. */
export function pinnedMirrorMakerVersion(): string {
  const pom = readFileSync(join(workspaceRoot(), 'deploy', 'mirror-maker', 'pom.xml'), 'utf8');
  const match = /<mirror\.version>([^<]+)<\/mirror\.version>/.exec(pom);
  if (!match?.[1]) throw new Error('deploy/mirror-maker/pom.xml names no mirror.version');
  return match[1];
}

/**
 * MirrorMaker 2's jars from Maven Central (connect-mirror with connect-runtime, connect-mirror-client,
 * kafka-clients and the rest of its runtime dependencies, plus a logging backend), copied once under
 * .local/mirror-maker/libs-<version>; later runs reuse them. Fetched into a scratch folder that is renamed
 * into place, so that two callers at once never see half a folder.
 */
export function ensureMirrorMakerJars(logger: Logger): MirrorMakerJars {
  const version = pinnedMirrorMakerVersion();
  const libsDir = localDir('mirror-maker', `libs-${version}`);
  const complete = join(libsDir, '.complete');
  if (existsSync(complete) && readFileSync(complete, 'utf8') === version) return { libsDir, version };
  logger.info({ version, libsDir }, 'fetching the MirrorMaker 2 jars from Maven Central');
  const scratch = `${libsDir}.tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
  rmSync(scratch, { recursive: true, force: true });
  const result = spawnSync(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      join(workspaceRoot(), 'deploy', 'mirror-maker', 'pom.xml'),
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${scratch}`,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (result.error) throw new Error(`could not run Maven (mvn): ${result.error.message}`);
  if (result.status !== 0) throw new Error(`Maven could not fetch connect-mirror ${version} (exit ${result.status})`);
  if (!existsSync(join(scratch, `connect-mirror-${version}.jar`))) {
    throw new Error(`Maven ran but ${scratch} holds no connect-mirror-${version}.jar`);
  }
  writeFileSync(join(scratch, '.complete'), version);
  if (existsSync(complete) && readFileSync(complete, 'utf8') === version) {
    rmSync(scratch, { recursive: true, force: true }); // another caller finished first
  } else {
    rmSync(libsDir, { recursive: true, force: true });
    renameSync(scratch, libsDir);
  }
  return { libsDir, version };
}

const aliasPattern = /^[A-Za-z0-9_-]+$/;
const topicPattern = /^[A-Za-z0-9._-]{1,249}$/;

/** Names MM2 never mirrors whatever the filter says: its default exclusions and what it takes for internal. */
function skippedByMirrorMaker(topic: string): boolean {
  return (
    topic.startsWith('__') ||
    topic.startsWith('.') ||
    (topic.startsWith('mm2') && topic.endsWith('.internal')) ||
    topic.endsWith('.checkpoints.internal') ||
    topic.endsWith('.replica')
  );
}

/** An exact topic name as a Java regex (DefaultTopicFilter matches the whole name). */
function exactTopicRegex(topic: string): string {
  return topic.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A value for a Java .properties file: the backslash is its escape character. */
function propertyValue(value: string): string {
  return value.replace(/\\/g, '\\\\');
}

/** The flows with their topics merged per source→target pair, in the order first named. */
function pairsOf(options: MirrorMakerConfigOptions): Map<string, { source: string; target: string; topics: string[] }> {
  const aliases = Object.keys(options.clusters);
  if (aliases.length < 2) throw new Error('MirrorMaker needs at least two clusters');
  for (const alias of aliases) {
    if (!aliasPattern.test(alias)) throw new Error(`cluster alias ${JSON.stringify(alias)}: use [A-Za-z0-9_-] only`);
    const servers = options.clusters[alias] ?? [];
    if (servers.length === 0 || servers.some((s) => !/^[^\s,]+:\d+$/.test(s))) {
      throw new Error(`cluster ${alias}: bootstrap servers must be host:port, got ${JSON.stringify(servers)}`);
    }
  }
  if (options.flows.length === 0) throw new Error('MirrorMaker needs at least one flow');
  const pairs = new Map<string, { source: string; target: string; topics: string[] }>();
  for (const flow of options.flows) {
    for (const alias of [flow.source, flow.target]) {
      if (!(alias in options.clusters)) throw new Error(`flow ${flow.source}->${flow.target}: no cluster ${alias}`);
    }
    if (flow.source === flow.target) throw new Error(`flow ${flow.source}->${flow.target}: source is the target`);
    if (flow.topics.length === 0) throw new Error(`flow ${flow.source}->${flow.target} names no topic`);
    for (const topic of flow.topics) {
      if (!topicPattern.test(topic)) throw new Error(`flow ${flow.source}->${flow.target}: bad topic name ${topic}`);
      if (skippedByMirrorMaker(topic)) {
        throw new Error(`topic ${topic} would never be mirrored: MirrorMaker 2 takes such names for internal ones`);
      }
    }
    const key = `${flow.source}->${flow.target}`;
    const pair = pairs.get(key) ?? { source: flow.source, target: flow.target, topics: [] };
    for (const topic of flow.topics) if (!pair.topics.includes(topic)) pair.topics.push(topic);
    pairs.set(key, pair);
  }
  return pairs;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * The dedicated-mode properties file. Pure: the same options give the same text.
 *
 * - Topics keep their names on the target (IdentityReplicationPolicy): link topics are named per direction,
 *   so nothing loops back.
 * - Only the records move: no heartbeats (neither emitted nor copied), no checkpoints, no consumer-group
 *   offset sync, no ACL sync. Offset syncs are off too (only checkpoints read them), so a process writes to
 *   its target cluster only; MM2 refuses any `offset-syncs.*` setting then, and logs at start (ERROR, with a
 *   stack) that its checkpoint connector cannot run without checkpoints: that line is expected.
 * - Records keep key, value, headers, timestamp and partition (MM2's defaults: byte-array converters).
 * - The producer on the target waits for every in-sync replica and is idempotent; a flow's consumer starts
 *   a partition it never copied from the earliest record, so nothing written before MM2 saw the topic is lost.
 */
export function renderMirrorMakerConfig(options: MirrorMakerConfigOptions): string {
  const pairs = pairsOf(options);
  const rf = positiveInteger('replicationFactor', options.replicationFactor ?? 1);
  const tasksMax = positiveInteger('tasksMax', options.tasksMax ?? 1);
  const refresh = positiveInteger('refreshTopicsIntervalSeconds', options.refreshTopicsIntervalSeconds ?? 2);
  const flushMs = positiveInteger('offsetFlushIntervalMs', options.offsetFlushIntervalMs ?? 5_000);
  const lines = [
    '# MirrorMaker 2, dedicated mode. Written by packages/infra/src/mirror-maker.ts: edits are overwritten.',
    `clusters = ${Object.keys(options.clusters).join(', ')}`,
    '',
    `replication.policy.class = ${identityPolicy}`,
    'emit.heartbeats.enabled = false',
    'emit.checkpoints.enabled = false',
    'emit.offset-syncs.enabled = false',
    'sync.group.offsets.enabled = false',
    'sync.topic.acls.enabled = false',
    // Else a source's `heartbeats` topic (made by the process serving the other direction) is copied
    // whatever the topic filter says, as `<source>.heartbeats`.
    'heartbeats.replication.enabled = false',
    `refresh.topics.interval.seconds = ${refresh}`,
    `tasks.max = ${tasksMax}`,
    `replication.factor = ${rf}`,
    `heartbeats.topic.replication.factor = ${rf}`,
    `checkpoints.topic.replication.factor = ${rf}`,
    `config.storage.replication.factor = ${rf}`,
    `offset.storage.replication.factor = ${rf}`,
    `status.storage.replication.factor = ${rf}`,
    // The plugins are all on the class path with ServiceLoader manifests: skips a reflective scan of
    // every jar (about 2 s per herder on 2 cores).
    'plugin.discovery = service_load',
  ];
  for (const [alias, servers] of Object.entries(options.clusters)) {
    lines.push(
      '',
      `${alias}.bootstrap.servers = ${propertyValue(servers.join(','))}`,
      // Settings of a herder's worker are read from its target's `<alias>.` keys, and a flow's source
      // consumer from its source's `<alias>.consumer.` keys.
      `${alias}.producer.acks = all`,
      `${alias}.producer.enable.idempotence = true`,
      `${alias}.consumer.auto.offset.reset = earliest`,
      `${alias}.offset.flush.interval.ms = ${flushMs}`,
      `${alias}.plugin.discovery = service_load`,
    );
  }
  for (const { source, target, topics } of pairs.values()) {
    lines.push(
      '',
      `${source}->${target}.enabled = true`,
      `${source}->${target}.topics = ${propertyValue(topics.map(exactTopicRegex).join(', '))}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

interface Layout {
  dir: string;
  config: string;
  log: string;
  pid: string;
}

function layout(stateDir: string): Layout {
  const dir = resolve(stateDir);
  return {
    dir,
    config: join(dir, 'mm2.properties'),
    log: join(dir, 'mirror-maker.log'),
    pid: join(dir, 'mirror-maker.pid'),
  };
}

/** Alive and not a zombie (a killed JVM whose parent has not reaped it yet is gone for our purposes). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** The pid in the file if it is a MirrorMaker started on this folder's config (not a recycled pid). */
function runningFrom(paths: Layout): number | undefined {
  if (!existsSync(paths.pid)) return undefined;
  const pid = Number(readFileSync(paths.pid, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined;
  const cmdline = `/proc/${pid}/cmdline`;
  if (!existsSync(cmdline)) return pid;
  const args = readFileSync(cmdline, 'utf8');
  return args.includes(mainClass) && args.includes(paths.config) ? pid : undefined;
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  return !isAlive(pid);
}

function readFrom(file: string, offset: number): string {
  if (!existsSync(file)) return '';
  const size = statSync(file).size;
  if (size <= offset) return '';
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(size - offset);
    const read = readSync(fd, buffer, 0, buffer.length, offset);
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The last lines of what this start wrote, stack frames left out. */
function tail(text: string, lines = 30): string {
  const kept = text.split('\n').filter((l) => !/^\s+at |^\s+\.\.\. \d+ more/.test(l));
  return kept.slice(-lines).join('\n') || '(no log)';
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A flow is running once its MirrorSourceConnector has started: it has listed the source's topics and
 * made the target's (its last start step, "refreshing known target topics", runs on a thread named after
 * the flow), or once its task copies partitions (which, on a restart, may come first).
 */
function flowStarted(source: string, target: string): RegExp {
  const flow = escapeRegex(`${source}->${target}`);
  return new RegExp(
    `\\[Scheduler for MirrorSourceConnector: ${flow}\\|MirrorSourceConnector-refreshing known target topics\\] .*took` +
      `|replicating \\d+ topic-partitions ${flow}:`,
  );
}

/**
 * Starts MirrorMaker 2 on the rendered config and resolves once every flow this process serves has started
 * (see flowStarted), or fails with the log's tail. A MirrorMaker found running from the same state folder
 * (a crashed caller's) is stopped first. A source cluster that does not answer holds its flow's start for
 * MM2's admin.timeout.ms (60 s; measured 65 s here); the flow then starts and copies once the source is up.
 */
export async function startMirrorMaker(options: MirrorMakerOptions, logger: Logger): Promise<MirrorMaker> {
  const aliases = Object.keys(options.clusters);
  const targets = options.targets ?? aliases;
  for (const t of targets) if (!aliases.includes(t)) throw new Error(`target ${t} is not one of the clusters`);
  const served = [...pairsOf(options).values()].filter((p) => targets.includes(p.target));
  if (served.length === 0) throw new Error(`no flow lands on ${targets.join(', ')}: MirrorMaker would do nothing`);
  const config = renderMirrorMakerConfig(options);
  const heapMb = positiveInteger('heapMb', options.heapMb ?? 256);
  const startTimeoutMs = options.startTimeoutMs ?? 90_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
  const paths = layout(options.stateDir);
  const log = logger.child({ component: 'mirror-maker', stateDir: paths.dir });

  const leftover = runningFrom(paths);
  if (leftover) {
    log.warn({ mirrorMakerPid: leftover }, 'a MirrorMaker from this state folder is still running; stopping it');
    process.kill(leftover, 'SIGTERM');
    if (!(await waitGone(leftover, stopTimeoutMs))) process.kill(leftover, 'SIGKILL');
    await waitGone(leftover, 5_000);
  }

  const { libsDir } = ensureMirrorMakerJars(log);
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(paths.config, config);
  const logStart = existsSync(paths.log) ? statSync(paths.log).size : 0;
  const out = openSync(paths.log, 'a');
  const args = [
    `-Xmx${heapMb}m`,
    '-XX:+UseG1GC',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${join(workspaceRoot(), 'deploy', 'mirror-maker', 'log4j2.properties')}`,
    '-cp',
    `${libsDir}/*`,
    mainClass,
    paths.config,
    ...(options.targets ? ['--clusters', ...options.targets] : []),
  ];
  const started = Date.now();
  let child: ChildProcess;
  try {
    child = spawn('java', args, { detached: options.detached ?? false, stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
  const pid = child.pid;
  if (pid === undefined) {
    const error = await new Promise<Error>((r) => child.once('error', r));
    throw new Error(`could not start java for MirrorMaker 2: ${error.message}`);
  }
  writeFileSync(paths.pid, String(pid));

  // Not detached: the JVM must not outlive the caller, however the caller ends (an uncaught error runs
  // 'exit' too; a signal to the caller's process group reaches the JVM as well).
  const killOnExit = () => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  };
  if (!options.detached) process.on('exit', killOnExit);
  let exitedAs: string | undefined;
  const exited = new Promise<void>((resolveExit) => {
    child.once('exit', (code, signal) => {
      exitedAs = signal ?? `exit ${code}`;
      process.off('exit', killOnExit);
      if (runningFrom(paths) === undefined) rmSync(paths.pid, { force: true });
      resolveExit();
    });
  });
  child.unref();
  log.info(
    { mirrorMakerPid: pid, flows: served.map((p) => `${p.source}->${p.target}`), log: paths.log },
    'MirrorMaker 2 starting',
  );

  const handle: MirrorMaker = {
    pid,
    logFile: paths.log,
    configFile: paths.config,
    kill() {
      if (exitedAs === undefined) killOnExit();
    },
    async stop() {
      if (exitedAs !== undefined) return;
      process.kill(pid, 'SIGTERM');
      const timedOut = await Promise.race([exited.then(() => false), sleep(stopTimeoutMs).then(() => true)]);
      if (timedOut && exitedAs === undefined) {
        log.warn({ mirrorMakerPid: pid, stopTimeoutMs }, 'MirrorMaker ignored SIGTERM; killing it');
        killOnExit();
        await exited;
      }
      log.info({ mirrorMakerPid: pid, exit: exitedAs }, 'MirrorMaker 2 stopped');
    },
  };

  const pending = new Map(served.map((p) => [`${p.source}->${p.target}`, flowStarted(p.source, p.target)]));
  let text = '';
  while (pending.size > 0) {
    text = readFrom(paths.log, logStart);
    for (const [flow, pattern] of pending) if (pattern.test(text)) pending.delete(flow);
    if (pending.size === 0) break;
    const failure =
      exitedAs !== undefined
        ? `MirrorMaker 2 stopped during start-up (${exitedAs})`
        : Date.now() - started > startTimeoutMs
          ? `MirrorMaker 2 did not start flows ${[...pending.keys()].join(', ')} within ${startTimeoutMs} ms`
          : undefined;
    if (failure) {
      handle.kill();
      await exited;
      throw new Error(`${failure}\n--- ${paths.log} ---\n${tail(readFrom(paths.log, logStart))}`);
    }
    await sleep(200);
  }
  log.info({ mirrorMakerPid: pid, ms: Date.now() - started }, 'MirrorMaker 2 running');
  return handle;
}
