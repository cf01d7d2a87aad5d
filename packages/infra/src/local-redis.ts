import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@petition/logging';
import { connectRedis, RedisConnectError, redisUrlForLogs } from '@petition/runtime';
import { startContainerRedis } from './container-redis.ts';
import { dockerEngineAnswers } from './docker.ts';
import { localDir } from './paths.ts';
import { isAliveAs, logTail, portAnswers, readLivePid, sleep, spawnDetached } from './processes.ts';

// Redis for the local network: the one REDIS_URL names when it answers; else, where REDIS_URL is on this
// machine (127.0.0.1 / localhost), Debian's redis-server started on its port with its data in
// .local/redis/node-<port>, as a detached process that outlives `infra:up` like the local broker does —
// installed with apt-get where it is missing and the user is root; else, where a Docker engine answers,
// Redis in a container (testcontainers) on that port.

export interface LocalRedis {
  redisUrl: string;
  /** True when this call started redis-server (false when a Redis already answered). */
  started: boolean;
  /** The redis-server this project runs on the port, if any (started now or earlier). */
  pid?: number;
  /** Its data and log folder, when this project runs it. */
  dir?: string;
  /** The container's name, when Redis runs in one (no redis-server here and no root to install it). */
  container?: string;
}

/** How a missing Redis is brought on this machine (pure, for the facts found). */
export type RedisSource = 'redis-server' | 'apt-get' | 'container' | 'none';

export function redisSource(facts: { installed: boolean; root: boolean; docker: boolean }): RedisSource {
  if (facts.installed) return 'redis-server';
  if (facts.root) return 'apt-get';
  return facts.docker ? 'container' : 'none';
}

export const localRedisDir = (port: number) => localDir('redis', `node-${port}`);

function layout(port: number, dir = localRedisDir(port)) {
  return { dir, pid: join(dir, 'redis.pid'), log: join(dir, 'redis.log') };
}

const isRedisServer = (pid: number) => isAliveAs(pid, 'redis-server');

/** The pid of the redis-server this project runs on the port, if it is alive. */
export function localRedisPid(port: number, dir?: string): number | undefined {
  return readLivePid(layout(port, dir).pid, 'redis-server');
}

/** Where REDIS_URL points at this machine over plain TCP: the only Redis this project may start itself. */
export function localRedisPort(redisUrl: string): number | undefined {
  const url = new URL(redisUrl);
  if (url.protocol !== 'redis:') return undefined;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) return undefined;
  return Number(url.port || 6379);
}

async function redisAnswers(redisUrl: string): Promise<RedisConnectError | undefined> {
  try {
    const redis = await connectRedis({ redisUrl }, { maxRetriesPerRequest: 1, connectTimeout: 3_000 });
    redis.disconnect();
    return undefined;
  } catch (err) {
    if (err instanceof RedisConnectError) return err;
    throw err;
  }
}

const hasRedisServer = () => spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

/** Debian's redis-server, installed with apt-get where it is missing and the user is root. */
function installRedisServer(redisUrl: string, logger: Logger): void {
  const where = redisUrlForLogs(redisUrl);
  logger.info("no Redis answers and redis-server is missing: installing Debian's redis-server (apt-get)");
  const apt = { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: 'inherit' } as const;
  spawnSync('apt-get', ['update', '-q'], apt);
  const install = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'redis-server'], apt);
  if (install.status !== 0 || !hasRedisServer()) {
    throw new Error(`no Redis answers at ${where} and installing Debian's redis-server failed (apt-get)`);
  }
}

/**
 * Redis answering at REDIS_URL: the one there, else redis-server started on its port (only where REDIS_URL
 * is this machine: a remote Redis that does not answer is an error). Idempotent: a redis-server this project
 * started earlier on the port is reused.
 */
export async function ensureRedis(
  redisUrl: string,
  logger: Logger,
  options: { startTimeoutMs?: number; dir?: string } = {},
): Promise<LocalRedis> {
  const port = localRedisPort(redisUrl);
  const refused = await redisAnswers(redisUrl);
  if (!refused) {
    const pid = port === undefined ? undefined : localRedisPid(port, options.dir);
    return { redisUrl, started: false, pid, dir: pid === undefined ? undefined : layout(port ?? 0, options.dir).dir };
  }
  // Something answered but refused (a password, a certificate), or REDIS_URL is elsewhere: not ours to start.
  if (refused.code !== 'REDIS_UNREACHABLE' || port === undefined) throw refused;
  if (await portAnswers(port)) {
    throw new Error(
      `port ${port} of REDIS_URL is taken by a process that does not answer as Redis: stop it, or name another port in REDIS_URL`,
    );
  }
  const password = decodeURIComponent(new URL(redisUrl).password);
  const source = redisSource({
    installed: hasRedisServer(),
    root: process.getuid?.() === 0,
    docker: await dockerEngineAnswers(),
  });
  if (source === 'none') {
    throw new Error(
      `no Redis answers at ${redisUrlForLogs(redisUrl)}, redis-server is not installed and no Docker engine answers: ` +
        "install Debian's redis-server (`sudo apt-get install redis-server`) and run again, or start a Redis and name it in REDIS_URL",
    );
  }
  if (source === 'container') {
    logger.info({ port }, 'no Redis answered and redis-server is missing: Redis starting in a container');
    const { name } = await startContainerRedis(
      { port, password: password || undefined, startTimeoutMs: options.startTimeoutMs ?? 60_000 },
      logger,
    );
    return { redisUrl, started: true, container: name };
  }
  if (source === 'apt-get') installRedisServer(redisUrl, logger);
  const paths = layout(port, options.dir);
  mkdirSync(paths.dir, { recursive: true });
  const { pid, exited } = spawnDetached(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      paths.dir,
      '--daemonize',
      'no',
      ...(password ? ['--requirepass', password] : []),
    ],
    paths.log,
    paths.pid,
  );
  logger.info(
    { redisPid: pid, port, dir: paths.dir, log: paths.log },
    'no Redis answered: redis-server starting (data in .local/redis)',
  );
  const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
  for (;;) {
    if (exited()) {
      rmSync(paths.pid, { force: true });
      throw new Error(
        `redis-server stopped during start-up (${exited()})\n--- ${paths.log} ---\n${logTail(paths.log)}`,
      );
    }
    if (!(await redisAnswers(redisUrl))) break;
    if (Date.now() > deadline) {
      await stopLocalRedis(port, logger, options.dir);
      throw new Error(`redis-server did not answer on port ${port}\n--- ${paths.log} ---\n${logTail(paths.log)}`);
    }
    await sleep(100);
  }
  logger.info({ redisPid: pid, port }, 'redis-server answering');
  return { redisUrl, started: true, pid, dir: paths.dir };
}

/** Stops the redis-server this project runs on the port: SIGTERM (it saves its data), then SIGKILL. */
export async function stopLocalRedis(port: number, logger: Logger, dir?: string): Promise<boolean> {
  const paths = layout(port, dir);
  const pid = localRedisPid(port, dir);
  if (!pid) {
    rmSync(paths.pid, { force: true });
    return false;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 15_000;
  while (isRedisServer(pid) && Date.now() < deadline) await sleep(100);
  if (isRedisServer(pid)) {
    logger.warn({ redisPid: pid }, 'redis-server ignored SIGTERM for 15 s; killing it');
    process.kill(pid, 'SIGKILL');
  }
  // Only while it names this one: a run started meanwhile may have written its own.
  if (existsSync(paths.pid) && Number(readFileSync(paths.pid, 'utf8').trim()) === pid)
    rmSync(paths.pid, { force: true });
  logger.info({ redisPid: pid, port }, 'redis-server stopped');
  return true;
}
