import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Bus,
  type BusOptions,
  type ConsumedRecord,
  createBus,
  defineTopic,
  isolatedPrefix,
  kafkaClients,
  on,
} from '@petition/bus';
import { createLogger } from '@petition/logging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pinnedKafkaVersion } from './kafka-jars.ts';
import { type LocalKafka, type LocalKafkaOptions, startLocalKafka, stopLocalKafka } from './local-kafka.ts';
import { ensureCertificateAuthority } from './secure-listener.ts';

// The bus against a SASL_SSL listener (SCRAM over TLS) of a local broker: what a deployment's brokers
// speak. A broker of its own (the test run's shared one stays PLAINTEXT), on fixed ports so that one left
// running — `KAFKA_PORT=19192 KAFKA_CONTROLLER_PORT=19193 KAFKA_SECURE_PORT=19194 npm run infra:up` — is
// reused; one this file started is stopped at the end.

const logger = createLogger({ service: 'secure-listener-test', level: process.env.LOG_LEVEL ?? 'warn' });
const quiet = createLogger({ service: 'secure-listener-test', level: 'silent' });
const options: LocalKafkaOptions = {
  version: pinnedKafkaVersion(),
  port: 19_192,
  controllerPort: 19_193,
  securePort: 19_194,
  heapMb: 384,
  startTimeoutMs: 90_000,
};
const strangerDir = mkdtempSync(join(tmpdir(), 'petition-stranger-ca-'));
let broker: LocalKafka;
let secure: NonNullable<LocalKafka['secure']>;
let ca: string;

beforeAll(async () => {
  const ready = (brokers: string[], timeoutMs: number) =>
    createBus({ brokers, clientId: 'secure-probe', logger: quiet })
      .waitUntilReady(timeoutMs)
      .then(() => undefined);
  broker = await startLocalKafka(options, ready, logger);
  if (!broker.secure) throw new Error('the broker was started without its SASL_SSL listener');
  secure = broker.secure;
  ca = readFileSync(secure.caFile, 'utf8');
}, 150_000);

afterAll(async () => {
  if (broker?.started) await stopLocalKafka(options, logger);
  rmSync(strangerDir, { recursive: true, force: true });
}, 60_000);

/** Records as they are: the value is the bytes, the key a fresh id. */
const plainTopic = defineTopic<Uint8Array>({
  name: 'secure-check',
  codec: { encode: (b) => ({ finish: () => b }), decode: (b) => b },
  schemaVersion: 1,
  keyOf: () => randomUUID(),
  typeOf: () => 'raw',
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` (the records arrive when they arrive); gives up after a minute with what it waited for. */
async function waitFor(what: string, check: () => boolean): Promise<void> {
  for (let waited = 0; !check(); waited += 50) {
    if (waited > 60_000) throw new Error(`gave up waiting for ${what}`);
    await sleep(50);
  }
}

describe('the local broker’s SASL_SSL listener', () => {
  it('is a listener of its own beside the PLAINTEXT one, advertised on its port', () => {
    expect(secure.brokers).toEqual([`localhost:${options.securePort}`]);
    expect(broker.brokers).toEqual([`localhost:${options.port}`]);
    expect(ca).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it('refuses a client that speaks plaintext to it, without authenticating it', async () => {
    const bus = createBus({ brokers: secure.brokers, clientId: 'secure-plain', logger: quiet, client: 'kafkajs' });
    await expect(bus.waitUntilReady(5_000)).rejects.toThrow(/did not answer metadata requests/);
  });
});

describe.each(kafkaClients)('the bus on %s over SASL_SSL', (client) => {
  let bus: Bus | undefined;
  // The refused ones log each failed try at ERROR (kafkajs): silenced, the refusal is asserted instead.
  const secureBus = (o: Partial<BusOptions> = {}) =>
    createBus({
      brokers: secure.brokers,
      clientId: `secure-${client}`,
      logger: quiet,
      client,
      tls: { ca },
      sasl: { mechanism: 'SCRAM-SHA-256', username: secure.username, password: secure.password },
      ...o,
    });

  afterAll(async () => {
    await bus?.close();
    await bus?.deleteOwnTopics();
  });

  it('creates topics, publishes and consumes through the listener (admin, producer, consumer all on it)', async () => {
    bus = secureBus({ topicPrefix: isolatedPrefix(`secure-${client}`), logger });
    await bus.waitUntilReady(30_000);
    await bus.ensureTopics([plainTopic], { partitions: 3 });
    const got: ConsumedRecord<Uint8Array>[] = [];
    const consumer = bus.consumer({
      groupId: 'secure',
      subscriptions: [on(plainTopic, async (r) => void got.push(r))],
    });
    await consumer.start();
    const sent = ['first over SASL_SSL', 'second over SASL_SSL'];
    await (await bus.publisher()).publish(
      plainTopic,
      sent.map((text) => Buffer.from(text)),
    );
    await waitFor('both records over SASL_SSL', () => got.length >= 2);
    await consumer.stop();
    expect(got.map((r) => Buffer.from(r.value).toString()).sort()).toEqual([...sent].sort());
    // Committed through the listener as well.
    const committed = await bus.committedOffsets('secure', plainTopic);
    expect([...committed.values()].reduce((a, b) => a + b, 0n)).toBe(2n);
  });

  it('authenticates with SCRAM-SHA-512 as well', async () => {
    const other = secureBus({
      sasl: { mechanism: 'SCRAM-SHA-512', username: secure.username, password: secure.password },
    });
    await expect(other.waitUntilReady(30_000)).resolves.toMatchObject({ brokers: secure.brokers });
  });

  it('refuses a wrong password at once, naming the SASL settings', async () => {
    const wrong = secureBus({
      sasl: { mechanism: 'SCRAM-SHA-256', username: secure.username, password: `${secure.password}-wrong` },
    });
    // A refusal that were waited out would take the whole 60 s and fail this test's timeout.
    const refused = wrong.waitUntilReady(60_000);
    await expect(refused).rejects.toMatchObject({ code: 'BUS_AUTHENTICATION_FAILED', retryable: false });
    await expect(refused).rejects.toThrow(/KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/);
    await expect(refused).rejects.not.toThrow(secure.password);
  }, 20_000);

  it('refuses an unknown user the same way', async () => {
    const unknown = secureBus({ sasl: { mechanism: 'SCRAM-SHA-256', username: 'nobody', password: 'x' } });
    await expect(unknown.waitUntilReady(60_000)).rejects.toMatchObject({ code: 'BUS_AUTHENTICATION_FAILED' });
  }, 20_000);

  it('refuses a broker whose certificate another CA signed, naming KAFKA_TLS_CA', async () => {
    const stranger = ensureCertificateAuthority(strangerDir, 'a stranger CA');
    const untrusting = secureBus({ tls: { ca: readFileSync(stranger.caFile, 'utf8') } });
    const refused = untrusting.waitUntilReady(60_000);
    await expect(refused).rejects.toMatchObject({ code: 'BUS_TLS_UNTRUSTED', retryable: false });
    await expect(refused).rejects.toThrow(/KAFKA_TLS_CA/);
  }, 20_000);

  it('refuses it with the system CAs alone (no KAFKA_TLS_CA): a self-signed CA is nobody’s', async () => {
    const systemOnly = secureBus({ tls: {} });
    await expect(systemOnly.waitUntilReady(60_000)).rejects.toMatchObject({ code: 'BUS_TLS_UNTRUSTED' });
  }, 20_000);
});
