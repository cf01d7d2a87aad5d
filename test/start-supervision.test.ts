// `npm start`'s infrastructure as it runs it (startSupervisedInfra), on ports of its own: a broker and a
// redis-server started because none answered, each started again after a kill -9; a start while the broker
// of an earlier run is still shutting down waits for it and starts a fresh one; a stop stops both.
import { rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { Writable } from 'node:stream';
import { createBus, isolatedPrefix } from '@petition/bus';
import {
  loadInfraConfig,
  localDir,
  localKafkaPid,
  localRedisPid,
  type SupervisedInfra,
  startSupervisedInfra,
  stopLocalKafka,
  stopLocalRedis,
} from '@petition/infra';
import { createLogger } from '@petition/logging';
import { waitFor } from '@petition/testing';
import { afterAll, describe, expect, it } from 'vitest';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** What answers a PING on the port: `+PONG` from a Redis, '' where nothing listens. */
function ping(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: 2_000 });
    let got = '';
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      got += data.toString();
      if (got.includes('\r\n')) socket.end();
    });
    socket.once('close', () => resolve(got.trim()));
    socket.once('error', () => resolve(''));
    socket.once('timeout', () => socket.destroy());
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** The log lines (their messages) of a run, to see what it said it did. */
function recordingLogger() {
  const messages: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) messages.push(JSON.parse(line).msg);
      done();
    },
  });
  return { logger: createLogger({ service: 'start-supervision-test', level: 'info', destination }), messages };
}

const [kafkaPort, controllerPort, redisPort] = await Promise.all([freePort(), freePort(), freePort()]);
const prefix = isolatedPrefix('start-supervision');
const env: NodeJS.ProcessEnv = {
  ...process.env,
  KAFKA_BROKERS: undefined,
  KAFKA_SECURE_PORT: undefined,
  KAFKA_PORT: String(kafkaPort),
  KAFKA_CONTROLLER_PORT: String(controllerPort),
  KAFKA_HEAP_MB: '384',
  KAFKA_START_TIMEOUT_MS: '60000',
  REDIS_URL: `redis://127.0.0.1:${redisPort}`,
  TOPIC_PREFIX: prefix,
  TOPIC_PARTITIONS: '1',
};
const config = loadInfraConfig(env);
const quiet = createLogger({ service: 'start-supervision-test', level: 'silent' });
const runs: SupervisedInfra[] = [];

afterAll(async () => {
  for (const run of runs) await run.stop().catch(() => undefined);
  await stopLocalKafka({ port: kafkaPort }, quiet).catch(() => undefined);
  await stopLocalRedis(redisPort, quiet).catch(() => undefined);
  rmSync(localDir('kafka', `node-${kafkaPort}`), { recursive: true, force: true });
  rmSync(localDir('redis', `node-${redisPort}`), { recursive: true, force: true });
}, 60_000);

async function brokerAnswers() {
  const bus = createBus({ brokers: [`127.0.0.1:${kafkaPort}`], clientId: 'start-supervision-test', logger: quiet });
  await bus.waitUntilReady(30_000);
}

describe('npm start supervises its infrastructure', () => {
  it('starts Redis where none answers, starts a killed broker and Redis again, and never reuses a broker going away', async () => {
    expect(await ping(redisPort)).toBe('');
    const first = await startSupervisedInfra(config, quiet, { everyMs: 200 });
    runs.push(first);
    expect(first).toMatchObject({ mode: 'local', startedBroker: true, startedRedis: true });
    expect(await ping(redisPort)).toBe('+PONG');
    const redisPid = localRedisPid(redisPort);
    expect(redisPid).toBe(first.localRedis?.pid);

    // kill -9 the broker: started again, and answering.
    const brokerPid = localKafkaPid({ port: kafkaPort });
    expect(brokerPid).toBeGreaterThan(0);
    process.kill(brokerPid as number, 'SIGKILL');
    await waitFor('the broker started again', () => first.restarts.broker === 1, 60_000);
    const restartedPid = localKafkaPid({ port: kafkaPort });
    expect(restartedPid).not.toBe(brokerPid);
    await brokerAnswers();

    // kill -9 redis-server: started again, and answering.
    process.kill(redisPid as number, 'SIGKILL');
    await waitFor('redis-server started again', () => first.restarts.redis === 1, 20_000);
    expect(localRedisPid(redisPort)).not.toBe(redisPid);
    expect(await ping(redisPort)).toBe('+PONG');

    // Ctrl-C, and `npm start` again while the broker is still shutting down. The broker is held (SIGSTOP)
    // until the second start has said it waits, so that it is certainly still going away when asked.
    process.kill(restartedPid as number, 'SIGSTOP');
    const stopping = first.stop();
    const { logger, messages } = recordingLogger();
    const starting = startSupervisedInfra(config, logger, { everyMs: 200 });
    try {
      await waitFor(
        'the second start to wait for the broker going away',
        () => messages.includes('a broker of an earlier run is shutting down: waiting for it to exit'),
        20_000,
      );
      expect(messages).not.toContain('Kafka broker starting');
    } finally {
      process.kill(restartedPid as number, 'SIGCONT');
    }
    const second = await starting;
    runs.push(second);
    await stopping;
    expect(alive(restartedPid as number)).toBe(false);
    expect(second).toMatchObject({ mode: 'local', startedBroker: true });
    const freshPid = localKafkaPid({ port: kafkaPort });
    expect(freshPid).not.toBe(restartedPid);
    expect(messages).toContain('Kafka broker starting');
    await brokerAnswers();
    // The first run stopped its redis-server after its broker; the second has one of its own.
    await waitFor('redis-server answering for the second run', async () => (await ping(redisPort)) === '+PONG', 20_000);

    // Stopping the network stops what it started: nothing answers on either port afterwards.
    await second.stop();
    expect(alive(freshPid as number)).toBe(false);
    expect(localRedisPid(redisPort)).toBeUndefined();
    expect(await ping(redisPort)).toBe('');
  }, 150_000);
});
