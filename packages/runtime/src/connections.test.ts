import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, redactConfig } from '@petition/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busSettings, connectRedis, RedisConnectError, redisUrlForLogs } from './connections.ts';
import { loadRuntimeConfig, runtimeSchema } from './runtime-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'petition-connections-'));
const caFile = join(dir, 'ca.pem');
// Any certificate will do for reading the configuration (nothing connects with it here).
writeFileSync(
  caFile,
  '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nMIIBother\n-----END CERTIFICATE-----\n',
);
const notPem = join(dir, 'not.pem');
writeFileSync(notPem, 'just text\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = { KAFKA_BROKERS: '127.0.0.1:9092' };

/** The variables a ConfigError names for `env`, or [] when it loads. */
function refused(env: Record<string, string>): string[] {
  try {
    loadRuntimeConfig({ ...base, ...env });
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((p) => p.variable).sort();
  }
}

function messageOf(env: Record<string, string>): string {
  try {
    loadRuntimeConfig({ ...base, ...env });
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('the plumbing’s configuration', () => {
  it('defaults to plaintext, replication 1 and min ISR 1', () => {
    const config = loadRuntimeConfig(base);
    expect(config).toMatchObject({
      kafkaSecurityProtocol: 'PLAINTEXT',
      kafkaTlsRejectUnauthorized: true,
      topicReplicationFactor: 1,
      topicMinInsyncReplicas: 1,
    });
    expect(busSettings(config)).toEqual({ topicReplicationFactor: 1, topicMinInsyncReplicas: 1 });
  });

  it('gives the bus TLS with the CA file’s certificates and SCRAM credentials for SASL_SSL', () => {
    const config = loadRuntimeConfig({
      ...base,
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256',
      KAFKA_SASL_USERNAME: 'routing',
      KAFKA_SASL_PASSWORD: 's3cret-pw',
      KAFKA_TLS_CA: caFile,
      TOPIC_REPLICATION_FACTOR: '3',
      TOPIC_MIN_INSYNC_REPLICAS: '2',
    });
    const settings = busSettings(config);
    expect(settings.tls?.ca).toContain('MIIBfake');
    expect(settings.tls?.rejectUnauthorized).toBe(true);
    expect(settings.sasl).toEqual({ mechanism: 'SCRAM-SHA-256', username: 'routing', password: 's3cret-pw' });
    expect(settings).toMatchObject({ topicReplicationFactor: 3, topicMinInsyncReplicas: 2 });
  });

  it('gives SSL TLS without SASL, and SASL_PLAINTEXT SASL without TLS', () => {
    const ssl = busSettings(loadRuntimeConfig({ ...base, KAFKA_SECURITY_PROTOCOL: 'SSL' }));
    expect(ssl.tls).toEqual({ rejectUnauthorized: true });
    expect(ssl.sasl).toBeUndefined();
    const sasl = busSettings(
      loadRuntimeConfig({
        ...base,
        KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
      }),
    );
    expect(sasl.tls).toBeUndefined();
    expect(sasl.sasl?.mechanism).toBe('SCRAM-SHA-512');
  });

  it('stops on a bad value, naming the variable', () => {
    expect(refused({ KAFKA_SECURITY_PROTOCOL: 'TLS' })).toEqual(['KAFKA_SECURITY_PROTOCOL']);
    expect(refused({ KAFKA_SASL_MECHANISM: 'GSSAPI' })).toEqual(['KAFKA_SASL_MECHANISM']);
    expect(refused({ KAFKA_TLS_REJECT_UNAUTHORIZED: 'maybe' })).toEqual(['KAFKA_TLS_REJECT_UNAUTHORIZED']);
    expect(refused({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_TLS_CA: join(dir, 'missing.pem') })).toEqual([
      'KAFKA_TLS_CA',
    ]);
    expect(refused({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_TLS_CA: notPem })).toEqual(['KAFKA_TLS_CA']);
    expect(refused({ TOPIC_REPLICATION_FACTOR: '0' })).toEqual(['TOPIC_REPLICATION_FACTOR']);
    expect(refused({ TOPIC_MIN_INSYNC_REPLICAS: 'two' })).toEqual(['TOPIC_MIN_INSYNC_REPLICAS']);
    expect(refused({ REDIS_TLS_CA: notPem })).toEqual(['REDIS_TLS_CA']);
  });

  it('stops on values that do not fit together, naming the variable to change', () => {
    expect(refused({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL' })).toEqual(['KAFKA_SASL_PASSWORD', 'KAFKA_SASL_USERNAME']);
    expect(
      refused({
        KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
        KAFKA_SASL_MECHANISM: 'PLAIN',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
      }),
    ).toEqual(['KAFKA_SASL_MECHANISM']);
    expect(refused({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })).toEqual(['KAFKA_SECURITY_PROTOCOL']);
    expect(refused({ KAFKA_TLS_CA: caFile })).toEqual(['KAFKA_TLS_CA']);
    expect(refused({ TOPIC_REPLICATION_FACTOR: '2', TOPIC_MIN_INSYNC_REPLICAS: '3' })).toEqual([
      'TOPIC_MIN_INSYNC_REPLICAS',
    ]);
    expect(refused({ REDIS_TLS_CA: caFile })).toEqual(['REDIS_TLS_CA']);
    expect(refused({ REDIS_URL: 'rediss://cache:6380', REDIS_TLS_CA: caFile })).toEqual([]);
  });

  it('never shows a password: not in errors, not in the configuration as logged', () => {
    expect(messageOf({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'kafka-pw-123' })).not.toContain('kafka-pw-123');
    // A malformed URL is shown nowhere either: it may carry the password.
    const badUrl = messageOf({ REDIS_URL: 'redis//:redis-pw-456@cache:6379' });
    expect(badUrl).toContain('REDIS_URL');
    expect(badUrl).not.toContain('redis-pw-456');
    const config = loadRuntimeConfig({
      ...base,
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'kafka-pw-123',
      REDIS_URL: 'rediss://:redis-pw-456@cache:6380/0',
    });
    const logged = JSON.stringify(redactConfig(runtimeSchema, config));
    expect(logged).not.toContain('kafka-pw-123');
    expect(logged).not.toContain('redis-pw-456');
    expect(logged).toContain('"kafkaSaslUsername":"u"');
    expect(redisUrlForLogs(config.redisUrl)).toBe('rediss://:***@cache:6380/0');
  });
});

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const answers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

describe('Redis with a password (a redis-server of its own)', () => {
  const password = 'redis-test-pw';
  let port: number;
  let server: ChildProcess;

  beforeAll(async () => {
    port = await freePort();
    // Debian's redis-server, which the toolchain installs for the tests when it is missing.
    server = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--requirepass', password, '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    const failed = new Promise<never>((_, reject) =>
      server.once('error', (err) => reject(new Error(`redis-server could not start: ${err.message}`))),
    );
    const up = (async () => {
      for (let tries = 0; !(await answers(port)); tries++) {
        if (tries > 100) throw new Error('redis-server did not listen');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    await Promise.race([up, failed]);
  });

  afterAll(() => {
    server?.kill('SIGTERM');
  });

  it('is reached with the password in REDIS_URL', async () => {
    const redis = await connectRedis({ redisUrl: `redis://:${password}@127.0.0.1:${port}` });
    try {
      expect(await redis.ping()).toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });

  it('refuses a wrong password, naming the problem and REDIS_URL, never the password', async () => {
    const attempt = connectRedis({ redisUrl: `redis://:not-the-one@127.0.0.1:${port}` });
    await expect(attempt).rejects.toBeInstanceOf(RedisConnectError);
    await expect(attempt).rejects.toMatchObject({ code: 'REDIS_AUTHENTICATION_FAILED', retryable: false });
    await expect(attempt).rejects.toThrow(/refused the password: REDIS_URL must carry the right one/);
    await expect(attempt).rejects.toThrow(`redis://:***@127.0.0.1:${port}`);
    await expect(attempt).rejects.not.toThrow('not-the-one');
  });

  it('refuses a URL without a password the same way', async () => {
    await expect(connectRedis({ redisUrl: `redis://127.0.0.1:${port}` })).rejects.toMatchObject({
      code: 'REDIS_AUTHENTICATION_FAILED',
    });
  });
});
