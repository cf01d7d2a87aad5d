import { caseNumberSource, checkQueryCodeSecret, staffTokenVerifierFrom } from '@petition/auth';
import { caseCommands, caseEvents, units } from '@petition/bus';
import { developmentSecretsInUse } from '@petition/config';
import { federationSpecFrom } from '@petition/federation';
import { defaultPolicy } from '@petition/legal-calendar';
import type { Logger } from '@petition/logging';
import { claimEpochGroups, deleteOrphanGroups, type ServiceHooks, startRuntime } from '@petition/runtime';
import { parseKeyring } from '@petition/seal';
import { Counter } from 'prom-client';
import { type CaseIndex, caseIndexSubscription, createCaseIndex } from './case-index.ts';
import { developmentSecretsIn, type IntakeConfig } from './config.ts';
import { createCore } from './core.ts';
import { createGrpc } from './grpc.ts';
import { createGuessLimiter, createRegistrationLimiter } from './guesses.ts';
import { addDocs, createHttp } from './http.ts';
import { createIdempotency } from './idempotency.ts';
import { createOpen311Store, withOpen311Records } from './open311/request-store.ts';
import { createOutcomes, outcomesSubscription } from './outcomes.ts';

// Wiring: config → the pieces → two listeners. Everything here is replaceable in tests by config alone.

export interface Intake {
  readonly httpUrl: string;
  /** The operators' server: /healthz, /readyz, /metrics and the API's OpenAPI docs (/docs, /docs/json). */
  readonly opsUrl: string;
  readonly grpcAddress: string;
  readonly index: CaseIndex;
  close(): Promise<void>;
}

export async function startIntake(config: IntakeConfig, logger: Logger, hooks: ServiceHooks = {}): Promise<Intake> {
  const developmentSecrets = developmentSecretsInUse(developmentSecretsIn(config));
  if (developmentSecrets.length > 0)
    logger.warn({ variables: developmentSecrets }, 'development secrets in use: set your own for anything real');
  const staffTokens = staffTokenVerifierFrom(config, {
    now: hooks.now,
    onRevocationError: (err) => logger.error({ err }, 'revocation list unreadable: the last good one stays in force'),
  });
  const rt = await startRuntime({ service: 'intake', config, logger, topics: [caseCommands, caseEvents, units] });
  rt.onClose('connections', 'staff tokens', () => staffTokens.close());
  const { bus, directory, registry, instance } = rt;
  const redisPrefix = `${config.topicPrefix}intake:`;
  const redis = await rt.connectRedis();

  const published = new Counter({
    name: 'intake_commands_published_total',
    help: 'Commands published',
    labelNames: ['command'],
    registers: [registry],
  });

  const index = createCaseIndex(redis, redisPrefix);
  const outcomes = createOutcomes(redis, redisPrefix);
  const open311Store = createOpen311Store(redis, redisPrefix, config.personIdSecret);
  // One shared group keeps the index, named after its epoch (packages/runtime, epoch.ts): a flush of the
  // keys starts a new epoch, whose group reads case-events from the beginning again.
  const indexGroup = 'intake-case-index';
  const indexConsumer = async () => {
    const epoch = await claimEpochGroups({
      redis,
      prefix: redisPrefix,
      bus,
      groups: [{ groupId: indexGroup }],
      instance,
      logger,
      stopped: () => rt.closing,
    });
    const consumer = rt.consumer({
      groupId: indexGroup,
      fromBeginning: true,
      subscriptions: [withOpen311Records(caseIndexSubscription(index, epoch), open311Store, epoch)],
    });
    await consumer.start();
    return { epoch, consumer };
  };
  // Each instance watches every answer, for its own callers: from the beginning at every start, nothing
  // committed (no group left behind per instance that ever ran).
  const consumers = [
    rt.followDirectory(),
    rt.consumer({
      groupId: `intake-outcomes-${instance}`,
      commitOffsets: false,
      subscriptions: [outcomesSubscription(outcomes)],
    }),
  ];
  await Promise.all(consumers.map((c) => c.start()));
  let indexing = await indexConsumer();
  // The groups of the earlier naming (`intake-case-index-<epoch>`), left by a version before stable names.
  await deleteOrphanGroups(bus, [indexGroup], '', logger);
  rt.watchEpoch({
    redis,
    prefix: redisPrefix,
    epoch: () => indexing.epoch,
    everyMs: config.indexEpochCheckMs,
    onLost: async (epoch) => {
      if (rt.closing) return;
      logger.warn({ epoch }, 'case index lost (Redis flushed?): rebuilding it from case-events');
      // The group is left first: it is rewound for the new epoch once every instance has left it.
      await indexing.consumer.stop();
      indexing = await indexConsumer();
    },
  });

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
    now: hooks.now ?? (() => new Date()),
    logger,
    onPublished: (kind) => published.inc({ command: kind }),
  });
  await bus.publisher();
  const ready = rt.checks();
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
    open311: {
      store: open311Store,
      keys: config.open311ApiKeys,
      directory,
      refSecret: config.personIdSecret,
      outcomeWaitMs: config.outcomeWaitMs,
    },
  });
  const httpUrl = await rt.listen(http, { port: config.httpPort, host: config.host });
  const opsUrl = await rt.listenOps({
    port: config.opsPort,
    host: config.host,
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
  rt.onClose('intake', 'grpc', () => grpc.close());
  logger.info({ http: httpUrl, grpc: grpc.address, ops: opsUrl, docs: `${opsUrl}/docs` }, 'intake listening');

  // Closing stops taking requests (those in flight finish), then the consumers, then flushes the producer.
  return { httpUrl, opsUrl, grpcAddress: grpc.address, index, close: () => rt.close() };
}
