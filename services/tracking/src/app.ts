import { checkQueryCodeSecret, staffTokenVerifierFrom } from '@petition/auth';
import {
  accessAudit,
  caseEvents,
  deadlineEvents,
  inAppNotices,
  noticeReads,
  onBatch,
  subscriptions,
  units,
} from '@petition/bus';
import { developmentSecretsInUse } from '@petition/config';
import type { AccessAuditEvent } from '@petition/contract';
import { federationFrom } from '@petition/federation';
import type { Logger } from '@petition/logging';
import {
  addHealthRoutes,
  causeRetry,
  claimEpochGroups,
  createReadPositions,
  deleteOrphanGroups,
  type ServiceHooks,
  startRuntime,
  untilCauseRead,
  writeWhileEpochHolds,
} from '@petition/runtime';
import { parseKeyring } from '@petition/seal';
import { Counter } from 'prom-client';
import { createAuditStore } from './audit.ts';
import { developmentSecretsIn, type TrackingConfig } from './config.ts';
import { addDocs, createHttp } from './http.ts';
import { trackingKeys } from './keys.ts';
import { createNoticeStore } from './notices.ts';
import { createQueries } from './queries.ts';
import { createReadModel } from './read-model.ts';
import { startSubscriptions } from './subscriptions/index.ts';
import { addWebRoutes } from './web.ts';

// Tracking: every case event and deadline event into read models (read-model.ts), and the access audit
// (audit.ts), in its own Redis keyspace, served over HTTP (http.ts) with the web pages (web.ts). Its consumer
// groups are named after the Redis epoch, so a flush rebuilds the read models from the beginning of the topics.

export interface Tracking {
  readonly httpUrl: string;
  /** The operators' server: /healthz, /readyz, /metrics and the API's OpenAPI docs (/docs, /docs/json). */
  readonly opsUrl: string;
  /** SubscriptionService's port, when TRACKING_GRPC_PORT is set. */
  readonly grpcPort: number | undefined;
  /** Read-model updates applied so far (case and deadline events), for benchmarks and metrics. */
  readonly applied: () => number;
  close(): Promise<void>;
}

export async function startTracking(
  config: TrackingConfig,
  logger: Logger,
  hooks: ServiceHooks = {},
): Promise<Tracking> {
  const now = hooks.now ?? (() => new Date());
  const developmentSecrets = developmentSecretsInUse(developmentSecretsIn(config));
  if (developmentSecrets.length > 0)
    logger.warn({ variables: developmentSecrets }, 'development secrets in use: set your own for anything real');
  const staffTokens = staffTokenVerifierFrom(config, {
    now,
    onRevocationError: (err) => logger.error({ err }, 'revocation list unreadable: the last good one stays in force'),
  });
  const rt = await startRuntime({
    service: 'tracking',
    config,
    logger,
    topics: [caseEvents, deadlineEvents, units, accessAudit, inAppNotices, noticeReads, subscriptions],
  });
  rt.onClose('connections', 'staff tokens', () => staffTokens.close());
  const { directory, registry } = rt;
  const redis = await rt.connectRedis();
  const prefix = `${config.topicPrefix}trk:`;
  // Stable group names; their offsets belong to the epoch of the keys (runtime epoch-groups.ts).
  const groups = { cases: 'tracking', deadlines: 'tracking-deadlines', workspace: 'tracking-workspace' };
  const epoch = await claimEpochGroups({
    redis,
    prefix,
    bus: rt.bus,
    groups: [
      { groupId: groups.cases, topics: [caseEvents] },
      { groupId: groups.deadlines },
      { groupId: groups.workspace },
    ],
    instance: rt.instance,
    logger,
    stopped: () => rt.closing,
  });
  // Each batch is written in one round trip only while the epoch holds: after a flush nothing of the old
  // epoch is written into the emptied keyspace (the rebuild would skip it as applied), and the process exits
  // to rebuild (its supervisor restarts it).
  let lost = false;
  const epochLost = () => {
    if (lost) return;
    lost = true;
    logger.error({ epoch }, 'tracking’s Redis keys were flushed: restart to rebuild them from Kafka');
    hooks.onEpochLost?.();
  };
  const commit = async (build: Parameters<typeof writeWhileEpochHolds>[3]) => {
    const made = await writeWhileEpochHolds(redis, prefix, epoch, build);
    if (!made) epochLost();
    return made;
  };
  const model = createReadModel(redis, prefix, directory, commit, config.kpiRetentionDays, config.nodeId ?? '');
  const audit = createAuditStore(redis, prefix, directory, commit);
  const notices = createNoticeStore(redis, prefix, commit);
  const updates = new Counter({
    name: 'tracking_read_model_updates_total',
    help: 'Case and deadline events applied to the read models',
    labelNames: ['topic'],
    registers: [registry],
  });
  let applied = 0;
  // The two topics' batches touch the same cases (holder, clocks): one at a time in this instance.
  const { run: serially } = rt.serialQueue();
  const { run: noticesSerially } = rt.serialQueue();

  // Case events and deadline events in consumers of their own: a deadline event taken before the case event
  // it follows from (the registration says whether the case is an accusation, art 30) waits for it, which it
  // could not do in the consumer that reads it.
  const caseGroup = groups.cases;
  const caseRead = createReadPositions();
  const k = trackingKeys(prefix);
  const casesKnown = async (caseIds: readonly string[]) => {
    const pipe = redis.pipeline();
    for (const id of caseIds) pipe.hexists(k.case(id), 'version');
    return ((await pipe.exec()) ?? []).every(([, exists]) => exists === 1);
  };
  const consumers = [
    rt.followDirectory(),
    rt.consumer({
      groupId: caseGroup,
      fromBeginning: true,
      subscriptions: [
        onBatch(caseEvents, async (records) => {
          await serially(() => model.applyCaseEvents(records.map((r) => r.value)));
          for (const r of records) caseRead.advance(r.partition, BigInt(r.offset) + 1n);
          applied += records.length;
          updates.inc({ topic: 'case-events' }, records.length);
        }),
      ],
    }),
    rt.consumer({
      groupId: groups.deadlines,
      fromBeginning: true,
      retry: causeRetry,
      subscriptions: [
        onBatch(deadlineEvents, async (records) => {
          const caseIds = [...new Set(records.map((r) => r.value.envelope?.caseId ?? ''))];
          await untilCauseRead({ bus: rt.bus, topic: caseEvents, groupId: caseGroup, readHere: caseRead.next }, () =>
            casesKnown(caseIds),
          );
          await serially(() => model.applyDeadlineEvents(records));
          applied += records.length;
          updates.inc({ topic: 'deadline-events' }, records.length);
        }),
      ],
    }),
    // The workspace's own records, rebuilt with the rest after a flush, in one consumer (each consumer is a
    // fetch loop the broker answers even while nothing comes): the access audit (keys.ts pd*), and the
    // in-app inbox (notices.ts) with its read marks — those two topics touch the same keys, so their batches
    // go one at a time (a queue of their own).
    rt.consumer({
      groupId: groups.workspace,
      fromBeginning: true,
      subscriptions: [
        onBatch(accessAudit, async (records) => {
          await audit.apply(records.map((r) => r.value));
          updates.inc({ topic: 'access-audit' }, records.length);
        }),
        onBatch(inAppNotices, async (records) => {
          await noticesSerially(() => notices.apply(records));
          updates.inc({ topic: 'in-app-notices' }, records.length);
        }),
        onBatch(noticeReads, async (records) => {
          await noticesSerially(() => notices.apply(records.map(({ value }) => ({ value }))));
          updates.inc({ topic: 'notice-reads' }, records.length);
        }),
      ],
    }),
  ];
  await Promise.all(consumers.map((c) => c.start()));
  // The groups of the earlier naming (`tracking-<epoch>`), left by a version before stable names.
  await deleteOrphanGroups(rt.bus, Object.values(groups), '', logger);
  const keyring = parseKeyring(config.sealKeys);
  const publishAudit = async (event: AccessAuditEvent) => (await rt.bus.publisher()).publish(accessAudit, [event]);
  const integratorFeeds = await startSubscriptions({
    rt,
    redis,
    prefix,
    directory,
    keyring,
    integrators: config.integratorList,
    publishAudit,
    logger,
    now,
    grpc: config.grpcPort === undefined ? undefined : { host: config.host, port: config.grpcPort },
    heartbeatMs: config.streamHeartbeatMs,
  });

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
    keyring,
    publishAudit,
    audit,
    notices,
    publishNotices: async (events) => (await rt.bus.publisher()).publish(noticeReads, events),
  });
  integratorFeeds.addRoutes(app);
  addWebRoutes(app, { intakeUrl: config.intakeUrl, situationUrl: config.situationUrl });
  const checks = rt.checks();
  addHealthRoutes(app, { checks });
  const httpUrl = await rt.listen(app, { port: config.httpPort, host: config.host });
  const opsUrl = await rt.listenOps({
    port: config.opsPort,
    host: config.host,
    checks,
    extra: (opsApp) => addDocs(opsApp, app),
  });
  logger.info({ http: httpUrl, ops: opsUrl, grpcPort: integratorFeeds.grpcPort, epoch }, 'tracking running');
  // A flush with nothing to write meanwhile is noticed here.
  rt.watchEpoch({ redis, prefix, epoch: () => epoch, everyMs: 5_000, onLost: epochLost });
  return { httpUrl, opsUrl, grpcPort: integratorFeeds.grpcPort, applied: () => applied, close: () => rt.close() };
}
