import { checkQueryCodeSecret, staffTokenVerifierFrom } from '@petition/auth';
import { caseEvents, createBus, deadlineEvents, onBatch, units } from '@petition/bus';
import { developmentSecretsInUse } from '@petition/config';
import { nationalDirectory } from '@petition/directory';
import { followDirectory } from '@petition/directory-feed';
import { federationFrom } from '@petition/federation';
import { epochHolds, execWhileEpochHolds, indexEpoch } from '@petition/infra';
import type { Logger } from '@petition/logging';
import { addHealthRoutes, createRegistry, listenOps } from '@petition/ops';
import { Redis } from 'ioredis';
import { Counter } from 'prom-client';
import { developmentSecretsIn, type TrackingConfig } from './config.ts';
import { addDocs, createHttp } from './http.ts';
import { createQueries } from './queries.ts';
import { createReadModel } from './read-model.ts';
import { addWebRoutes } from './web.ts';

// Tracking: every case event and deadline event into read models (read-model.ts) in its own Redis
// keyspace, served over HTTP (http.ts) with the web pages (web.ts). Its consumer group is named after the
// Redis epoch, so a flush rebuilds the read models from the beginning of the topics.

export interface Tracking {
  readonly httpUrl: string;
  /** The operators' server: /healthz, /readyz, /metrics and the API's OpenAPI docs (/docs, /docs/json). */
  readonly opsUrl: string;
  /** Read-model updates applied so far (case and deadline events), for benchmarks and metrics. */
  readonly applied: () => number;
  close(): Promise<void>;
}

export async function startTracking(
  config: TrackingConfig,
  logger: Logger,
  options: { now?: () => Date; onEpochLost?: () => void } = {},
): Promise<Tracking> {
  const now = options.now ?? (() => new Date());
  const developmentSecrets = developmentSecretsInUse(developmentSecretsIn(config));
  if (developmentSecrets.length > 0)
    logger.warn({ variables: developmentSecrets }, 'development secrets in use: set your own for anything real');
  const staffTokens = staffTokenVerifierFrom(config, {
    now,
    onRevocationError: (err) => logger.error({ err }, 'revocation list unreadable: the last good one stays in force'),
  });
  const bus = createBus({
    brokers: config.brokers ?? [],
    clientId: 'tracking',
    logger,
    topicPrefix: config.topicPrefix,
  });
  await bus.waitUntilReady();
  await bus.ensureTopics([caseEvents, deadlineEvents, units], { partitions: config.topicPartitions });
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3 });
  const prefix = `${config.topicPrefix}trk:`;
  const epoch = await indexEpoch(redis, prefix);
  const directory = nationalDirectory();
  // Writes go through a connection of their own, WATCHing the epoch: after a flush nothing of the old epoch
  // is written into the emptied keyspace (the rebuild would skip it as applied), and the process exits to
  // rebuild (its supervisor restarts it).
  const writer = redis.duplicate();
  let lost = false;
  const epochLost = () => {
    if (lost) return;
    lost = true;
    logger.error({ epoch }, 'tracking’s Redis keys were flushed: restart to rebuild them from Kafka');
    options.onEpochLost?.();
  };
  const model = createReadModel(
    redis,
    prefix,
    directory,
    async (build) => {
      const made = await execWhileEpochHolds(writer, prefix, epoch, build);
      if (!made) epochLost();
      return made;
    },
    config.kpiRetentionDays,
    config.nodeId ?? '',
  );
  const registry = createRegistry();
  const updates = new Counter({
    name: 'tracking_read_model_updates_total',
    help: 'Case and deadline events applied to the read models',
    labelNames: ['topic'],
    registers: [registry],
  });
  let applied = 0;
  // The two topics' batches touch the same cases (holder, clocks): one at a time in this instance.
  let tail: Promise<unknown> = Promise.resolve();
  const serially = (work: () => Promise<unknown>) => {
    const done = tail.then(work);
    tail = done.catch(() => undefined);
    return done;
  };

  const consumers = [
    followDirectory(bus, directory, { groupId: `tracking-directory-${Date.now().toString(36)}`, logger }),
    bus.consumer({
      groupId: `tracking-${epoch}`,
      fromBeginning: true,
      subscriptions: [
        onBatch(caseEvents, async (records) => {
          await serially(() => model.applyCaseEvents(records.map((r) => r.value)));
          applied += records.length;
          updates.inc({ topic: 'case-events' }, records.length);
        }),
        onBatch(deadlineEvents, async (records) => {
          await serially(() => model.applyDeadlineEvents(records));
          applied += records.length;
          updates.inc({ topic: 'deadline-events' }, records.length);
        }),
      ],
    }),
  ];
  await Promise.all(consumers.map((c) => c.start()));

  const app = await createHttp({
    redis,
    prefix,
    directory,
    queries: createQueries(redis, prefix, directory, config.formulas),
    staffTokens,
    queryCodeSecret: checkQueryCodeSecret(config.queryCodeSecret),
    federation: federationFrom(config, directory),
    guessLimit: config.guessLimit,
    kpiRetentionDays: config.kpiRetentionDays,
    now,
  });
  addWebRoutes(app, config.intakeUrl);
  let closing = false;
  const checks = async () => ({
    redis: await redis.ping().then(
      (r) => r === 'PONG',
      () => false,
    ),
    accepting: !closing,
  });
  addHealthRoutes(app, { checks });

  const httpUrl = await app.listen({ port: config.httpPort, host: config.host });
  const ops = await listenOps({
    port: config.opsPort,
    host: config.host,
    registry,
    checks,
    extra: (opsApp) => addDocs(opsApp, app),
  });
  logger.info({ http: httpUrl, ops: ops.url, epoch }, 'tracking running');
  // A flush with nothing to write meanwhile is noticed here.
  const epochCheck = setInterval(() => {
    epochHolds(redis, prefix, epoch).then(
      (holds) => holds || epochLost(),
      () => undefined,
    );
  }, 5_000);
  return {
    httpUrl,
    opsUrl: ops.url,
    applied: () => applied,
    async close() {
      closing = true;
      clearInterval(epochCheck);
      await Promise.all([app.close(), ops.close()]);
      await bus.close();
      staffTokens.close();
      redis.disconnect();
      writer.disconnect();
      logger.info('tracking stopped');
    },
  };
}
