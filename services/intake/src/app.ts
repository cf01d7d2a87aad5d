import { randomUUID } from 'node:crypto';
import { caseNumberSource, checkQueryCodeSecret, staffTokenVerifierFrom } from '@petition/auth';
import { type BusConsumer, caseCommands, caseEvents, createBus, on, units } from '@petition/bus';
import { developmentSecretsInUse } from '@petition/config';
import { nationalDirectory } from '@petition/directory';
import { followDirectory } from '@petition/directory-feed';
import { federationSpecFrom } from '@petition/federation';
import { epochHolds, indexEpoch } from '@petition/infra';
import { defaultPolicy } from '@petition/legal-calendar';
import type { Logger } from '@petition/logging';
import { createRegistry, listenOps } from '@petition/ops';
import { parseKeyring } from '@petition/seal';
import { Redis } from 'ioredis';
import { Counter } from 'prom-client';
import { type CaseIndex, createCaseIndex } from './case-index.ts';
import { developmentSecretsIn, type IntakeConfig } from './config.ts';
import { createCore } from './core.ts';
import { createGrpc } from './grpc.ts';
import { createGuessLimiter, createRegistrationLimiter } from './guesses.ts';
import { addDocs, createHttp } from './http.ts';
import { createIdempotency } from './idempotency.ts';
import { createOutcomes } from './outcomes.ts';

// Wiring: config → the pieces → two listeners. Everything here is replaceable in tests by config alone.

export interface Intake {
  readonly httpUrl: string;
  /** The operators' server: /healthz, /readyz, /metrics and the API's OpenAPI docs (/docs, /docs/json). */
  readonly opsUrl: string;
  readonly grpcAddress: string;
  readonly index: CaseIndex;
  close(): Promise<void>;
}

export async function startIntake(
  config: IntakeConfig,
  logger: Logger,
  options: { now?: () => Date } = {},
): Promise<Intake> {
  const developmentSecrets = developmentSecretsInUse(developmentSecretsIn(config));
  if (developmentSecrets.length > 0)
    logger.warn({ variables: developmentSecrets }, 'development secrets in use: set your own for anything real');
  const staffTokens = staffTokenVerifierFrom(config, {
    now: options.now,
    onRevocationError: (err) => logger.error({ err }, 'revocation list unreadable: the last good one stays in force'),
  });
  const instance = randomUUID().slice(0, 8);
  const redisPrefix = `${config.topicPrefix}intake:`;
  const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3 });
  await redis.connect();
  const bus = createBus({
    brokers: config.brokers ?? [],
    clientId: `intake-${instance}`,
    logger,
    topicPrefix: config.topicPrefix,
  });
  await bus.waitUntilReady();
  await bus.ensureTopics([caseCommands, caseEvents, units], { partitions: config.topicPartitions });

  const started = performance.now();
  const directory = nationalDirectory();
  logger.info({ units: directory.size, ms: Math.round(performance.now() - started) }, 'directory built');

  const registry = createRegistry();
  const published = new Counter({
    name: 'intake_commands_published_total',
    help: 'Commands published',
    labelNames: ['command'],
    registers: [registry],
  });

  const index = createCaseIndex(redis, redisPrefix);
  const outcomes = createOutcomes(redis, redisPrefix);
  // One shared group keeps the index (named by its epoch, see packages/infra/src/epoch.ts); each instance watches every
  // answer for its own callers.
  const indexConsumer = async () => {
    const epoch = await indexEpoch(redis, redisPrefix);
    const consumer = bus.consumer({
      groupId: `intake-case-index-${epoch}`,
      fromBeginning: true,
      subscriptions: [on(caseEvents, async (r) => void (await index.apply(r.value, epoch)))],
    });
    await consumer.start();
    return { epoch, consumer };
  };
  const consumers: BusConsumer[] = [
    followDirectory(bus, directory, { groupId: `intake-directory-${instance}`, logger }),
    bus.consumer({
      groupId: `intake-outcomes-${instance}`,
      subscriptions: [on(caseEvents, (r) => outcomes.record(r.value))],
    }),
  ];
  await Promise.all(consumers.map((c) => c.start()));
  let indexing = await indexConsumer();
  let watching = true;
  const watchEpoch = setInterval(() => {
    void (async () => {
      if (!watching || (await epochHolds(redis, redisPrefix, indexing.epoch).catch(() => true))) return;
      logger.warn({ epoch: indexing.epoch }, 'case index lost (Redis flushed?): rebuilding it from case-events');
      const old = indexing;
      indexing = await indexConsumer();
      await old.consumer.stop();
    })().catch((err) => logger.error({ err }, 'case index rebuild failed'));
  }, config.indexEpochCheckMs);

  const core = createCore({
    directory,
    publisher: () => bus.publisher(),
    index,
    outcomes,
    guesses: createGuessLimiter(redis, redisPrefix, config.guessLimit, config.guessWindowMs),
    registrations: createRegistrationLimiter(
      redis,
      redisPrefix,
      {
        perClient: config.registrationLimit,
        clientWindowMs: config.registrationWindowMs,
        perPhone: config.phoneLimit,
        phoneWindowMs: config.phoneWindowMs,
      },
      config.personIdSecret,
    ),
    queryCodeSecret: checkQueryCodeSecret(config.queryCodeSecret),
    federated: federationSpecFrom(config).self !== '',
    maxCommandBytes: config.maxCommandBytes,
    caseNumbers: caseNumberSource(config.sourceId),
    staffTokens,
    sealKeys: parseKeyring(config.sealKeys),
    personIdSecret: config.personIdSecret,
    receivedMaxAgeMs: config.receivedMaxAgeMs,
    outcomeWaitMs: config.outcomeWaitMs,
    // Art 20, from the one deadline policy (the design's defaults; intake has no local overrides yet).
    maxRepresentatives: defaultPolicy.maxRepresentatives,
    now: options.now ?? (() => new Date()),
    logger,
    onPublished: (kind) => published.inc({ command: kind }),
  });
  await bus.publisher();
  let closing = false;
  const ready = async () => {
    return {
      redis: await redis.ping().then(
        (r) => r === 'PONG',
        () => false,
      ),
      broker: await bus.waitUntilReady(2_000).then(
        () => true,
        () => false,
      ),
      accepting: !closing,
    };
  };
  const http = await createHttp({
    core,
    // A request gone this long without an answer died with its process: a retry takes its plan over.
    idempotency: createIdempotency(
      redis,
      redisPrefix,
      config.idempotencyTtlMs,
      config.outcomeWaitMs + 30_000,
      parseKeyring(config.sealKeys),
    ),
    outcomes,
    ready,
    bodyLimitBytes: config.bodyLimitBytes,
    trustedProxies: config.trustedProxies,
    logger,
  });
  const httpUrl = await http.listen({ port: config.httpPort, host: config.host });
  const ops = await listenOps({
    port: config.opsPort,
    host: config.host,
    registry,
    checks: ready,
    extra: (opsApp) => addDocs(opsApp, http),
  });
  const grpc = await createGrpc({
    core,
    logger,
    port: config.grpcPort,
    host: config.host,
    maxMessageBytes: config.bodyLimitBytes,
  });
  logger.info({ http: httpUrl, grpc: grpc.address, ops: ops.url, docs: `${ops.url}/docs` }, 'intake listening');

  return {
    httpUrl,
    opsUrl: ops.url,
    grpcAddress: grpc.address,
    index,
    async close() {
      // Stop taking requests, let the ones in flight finish, then flush the producer and leave the groups.
      closing = true;
      watching = false;
      clearInterval(watchEpoch);
      await Promise.all([http.close(), grpc.close(), ops.close()]);
      await indexing.consumer.stop();
      await bus.close();
      staffTokens.close();
      redis.disconnect();
      logger.info('intake stopped');
    },
  };
}
