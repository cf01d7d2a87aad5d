import { readFileSync } from 'node:fs';
import {
  caseEvents,
  deadlineEvents,
  inAppNotices,
  notificationEvents,
  onBatch,
  situationEvents,
  units,
} from '@petition/bus';
import { developmentSecretsInUse } from '@petition/config';
import {
  type CaseEvent,
  ClockStage,
  type DeadlineEvent,
  NotificationChannel,
  notificationChannelFromJSON,
  RecipientKind,
} from '@petition/contract';
import { federationFrom } from '@petition/federation';
import type { Logger } from '@petition/logging';
import {
  cloudEventOf,
  hotspotNotices,
  noticesFor,
  parseWebhookSubscriptions,
  type Subscription,
} from '@petition/notices';
import {
  addOpsAction,
  causeRetry,
  claimEpochGroups,
  createReadPositions,
  deleteOrphanGroups,
  epochKey,
  type ServiceHooks,
  startRuntime,
  untilCauseRead,
  untilCommitted,
} from '@petition/runtime';
import { parseKeyring } from '@petition/seal';
import { Counter } from 'prom-client';
import { type Channels, createChannels } from './channels.ts';
import { developmentSecretsIn, type NotificationConfig } from './config.ts';
import { createContacts } from './contacts.ts';
import { createDelivery } from './delivery.ts';
import { createQueue, type Pending } from './queue.ts';
import { quietUntil } from './quiet-hours.ts';

// Notification: case-events and deadline-events in; for each, the notices it calls for
// (packages/notices) are queued once in Redis (queue.ts), written with what is kept of the case
// (contacts.ts); a worker delivers what is due (delivery.ts, over channels.ts; in-app notices are posted
// on in-app-notices, where the inboxes are read) and publishes every outcome to notification-events.
// Delivered ids are remembered; after a Redis flush they are read back from notification-events before
// the sources are read again from the beginning.

export interface Notification {
  readonly httpUrl: string;
  readonly ready: Promise<void>;
  /** Delivers what is due now (the worker does this by itself). */
  deliverDue(): Promise<number>;
  close(): Promise<void>;
}

const {
  NOTIFICATION_CHANNEL_SMS: SMS,
  NOTIFICATION_CHANNEL_EMAIL: EMAIL,
  NOTIFICATION_CHANNEL_IN_APP: IN_APP,
} = NotificationChannel;

function unitChannelsOf(spec: string) {
  const parse = (s: string) => s.split('+').map((c) => notificationChannelFromJSON(`NOTIFICATION_CHANNEL_${c.trim()}`));
  const [fallback = 'IN_APP', ...rules] = spec.split(',');
  const exceptions = rules
    .map((r) => r.split('='))
    .map(([key = '', channels = '']) => ({ key, channels: parse(channels) }))
    .sort((a, b) => b.key.length - a.key.length);
  const base = parse(fallback);
  return (unitId: string) => exceptions.find((e) => unitId === e.key || unitId.startsWith(e.key))?.channels ?? base;
}

export async function startNotification(
  config: NotificationConfig,
  logger: Logger,
  hooks: ServiceHooks = {},
): Promise<Notification> {
  const now = hooks.now ?? (() => new Date());
  const rt = await startRuntime({
    service: 'notification',
    config,
    logger,
    topics: [caseEvents, deadlineEvents, notificationEvents, inAppNotices, situationEvents, units],
  });
  const { bus, directory, registry } = rt;
  const redis = await rt.connectRedis();
  const prefix = `${config.topicPrefix}ntf:`;
  const rebuilding = (await redis.exists(epochKey(prefix))) === 0;
  // Stable group names; their offsets belong to the epoch of the keys (runtime epoch-groups.ts).
  const groups = {
    cases: 'notification',
    outcomes: 'notification-outcomes',
    deadlines: 'notification-deadlines',
    hotspots: 'notification-hotspots',
  };
  const epoch = await claimEpochGroups({
    redis,
    prefix,
    bus,
    groups: Object.values(groups).map((groupId) => ({ groupId })),
    instance: rt.instance,
    logger,
    stopped: () => rt.closing,
  });
  const queue = createQueue(redis, prefix, config.leaseMs);
  const channels: Channels = createChannels({
    smsUrl: config.smsUrl,
    smtpUrl: config.smtpUrl,
    mailFrom: config.mailFrom,
  });
  const developmentSecrets = developmentSecretsInUse(developmentSecretsIn(config));
  if (developmentSecrets.length > 0)
    logger.warn({ variables: developmentSecrets }, 'development secrets in use: set your own for anything real');
  const keyring = parseKeyring(config.sealKeys);
  const federation = federationFrom(config, directory);
  const subscriptions: Subscription[] = config.webhooks
    ? parseWebhookSubscriptions(readFileSync(config.webhooks, 'utf8'), `NOTIFY_WEBHOOKS (${config.webhooks})`)
    : [];
  const configured = unitChannelsOf(config.unitChannels);
  // A unit with an endpoint of its own (a subscription with `unitNotices`) is told there as well.
  const unitEndpoint = (unitId: string) => subscriptions.find((s) => s.unitNotices && s.unitId === unitId);
  const unitChannels = (unitId: string) =>
    unitEndpoint(unitId)
      ? [...configured(unitId), NotificationChannel.NOTIFICATION_CHANNEL_WEBHOOK]
      : configured(unitId);
  const publisher = await bus.publisher();

  const outcomes = new Counter({
    name: 'notification_outcomes_total',
    help: 'Delivery outcomes',
    labelNames: ['channel', 'outcome'],
    registers: [registry],
  });

  const contacts = createContacts(redis, prefix, keyring, logger);

  // 1. Sources in: the notices each event calls for, queued once — a batch of events at a time.
  type Source = { case: CaseEvent } | { deadline: DeadlineEvent };
  // In a federation this node's log also holds other nodes' cases (imported with a handoff, or replicated
  // to the national node to be read): only the node hosting the unit that holds the case tells anyone.
  const notifiesHere = (source: Source) =>
    'case' in source
      ? federation.hostsHere(source.case.custodyUnitId)
      : !source.deadline.responsibleUnitId || federation.hostsHere(source.deadline.responsibleUnitId);
  const traceOf = (source: Source) => ('case' in source ? source.case.envelope : source.deadline.envelope)?.trace;
  async function takeAll(sources: readonly Source[]) {
    const remember = redis.pipeline();
    for (const src of sources) if ('case' in src) contacts.remember(remember, src.case);
    await remember.exec();
    const known = await contacts.contactsOf([
      ...new Set(sources.map((src) => ('case' in src ? src.case.envelope : src.deadline.envelope)?.caseId ?? '')),
    ]);
    const at = now().getTime();
    const items: { pending: Pending; dueAt: number }[] = [];
    for (const source of sources) {
      if (!notifiesHere(source)) continue;
      const caseId = ('case' in source ? source.case.envelope : source.deadline.envelope)?.caseId ?? '';
      const contact = known.get(caseId) ?? { number: '', supervisors: {} };
      const person = contact.person;
      const petitionerChannels = person
        ? [...(channels.sms && person.phone ? [SMS] : []), ...(channels.email && person.email ? [EMAIL] : []), IN_APP]
        : [];
      const notices = noticesFor(source, {
        directory,
        caseNumberOf: () => contact.number,
        matterOf: () => contact.matter,
        supervisorOf: (_caseId, supervisionId) =>
          supervisionId === undefined ? contact.lastSupervisor : contact.supervisors[supervisionId],
        petitionerOf: () => (person ? { personId: contact.personId ?? '', channels: petitionerChannels } : undefined),
        unitChannels,
        subscriptions,
      });
      for (const n of notices) {
        const sub = subscriptions.find((s) => s.id === n.recipientId);
        const body =
          n.channel === NotificationChannel.NOTIFICATION_CHANNEL_WEBHOOK && sub
            ? cloudEventOf(n, source, sub)
            : undefined;
        const quiet = !n.urgent && n.recipientKind === RecipientKind.RECIPIENT_KIND_UNIT;
        items.push({
          pending: { notice: n, attempts: 0, body, trace: traceOf(source) },
          dueAt: quiet ? quietUntil(at, config.quietHours) : at,
        });
      }
    }
    await queue.enqueueMany(items);
  }

  // 2. Delivering.
  const { deliverDue } = createDelivery({
    config,
    redis,
    prefix,
    queue,
    channels,
    contacts,
    subscriptions,
    unitEndpoint,
    publisher,
    outcomes,
    now,
  });

  // Delivered and parked notices, read back from notification-events: after a flush they are not sent again.
  const outcomesGroup = groups.outcomes;
  const outcomeConsumer = rt.consumer({
    groupId: outcomesGroup,
    fromBeginning: true,
    subscriptions: [
      onBatch(notificationEvents, async (records) => {
        const done = records
          .filter((r) => r.value.payload?.$case !== 'notificationFailed')
          .map((r) => r.value.notificationId);
        if (done.length) {
          const m = redis.multi();
          for (const id of done) m.set(`${prefix}done:${id}`, '1', 'EX', 90 * 86_400);
          await m.exec();
        }
      }),
    ],
  });
  await outcomeConsumer.start();
  if (rebuilding) {
    const ends = await bus.endOffsets(notificationEvents);
    await untilCommitted(bus, [{ groupId: outcomesGroup, topic: notificationEvents, ends }]);
  }
  // Case events and deadline events in consumers of their own: a deadline event taken before the case event
  // it follows from (the registration says whether the case is an accusation, art 30) waits for it, which it
  // could not do in the consumer that reads it.
  const caseGroup = groups.cases;
  const caseRead = createReadPositions();
  const sources = rt.consumer({
    groupId: caseGroup,
    fromBeginning: true,
    subscriptions: [
      onBatch(caseEvents, async (records) => {
        await takeAll(records.map((r) => ({ case: r.value })));
        for (const r of records) caseRead.advance(r.partition, BigInt(r.offset) + 1n);
      }),
    ],
  });
  const deadlineSources = rt.consumer({
    groupId: groups.deadlines,
    fromBeginning: true,
    retry: causeRetry,
    subscriptions: [
      onBatch(deadlineEvents, async (records) => {
        const caseIds = [...new Set(records.map((r) => r.value.envelope?.caseId ?? ''))];
        // A 督办单's report clock follows from the 督办单, whose issuer its lateness is told to.
        const supervised = [
          ...new Set(
            records
              .filter((r) => r.value.stage === ClockStage.CLOCK_STAGE_SUPERVISION_REPORT)
              .map((r) => r.value.envelope?.caseId ?? ''),
          ),
        ];
        await untilCauseRead({ bus, topic: caseEvents, groupId: caseGroup, readHere: caseRead.next }, () =>
          contacts.allKnown(caseIds, supervised),
        );
        await takeAll(records.map((r) => ({ deadline: r.value })));
      }),
    ],
  });
  // Hotspots (situation-events): the bureau the situation service named is told, urgently when detected.
  const hotspotSources = rt.consumer({
    groupId: groups.hotspots,
    fromBeginning: true,
    subscriptions: [
      onBatch(situationEvents, async (records) => {
        const at = now().getTime();
        await queue.enqueueMany(
          records.flatMap((r) =>
            hotspotNotices(r.value, { directory, unitChannels })
              .filter((n) => federation.hostsHere(n.recipientId))
              .map((notice) => ({
                pending: { notice, attempts: 0, trace: r.value.envelope?.trace },
                dueAt: notice.urgent ? at : quietUntil(at, config.quietHours),
              })),
          ),
        );
      }),
    ],
  });
  await Promise.all([rt.followDirectory().start(), sources.start(), deadlineSources.start(), hotspotSources.start()]);
  // The groups of the earlier naming (`notification-<epoch>`), left by a version before stable names.
  await deleteOrphanGroups(bus, Object.values(groups), '', logger);

  // 3. The worker: rounds of due notices, the next at once while a round found some.
  rt.repeat('delivery', async () => (await deliverDue()) > 0, config.tickMs);
  // Running on would take in cases whose petitioner was flushed away and drop their notices.
  rt.watchEpoch({
    redis,
    prefix,
    epoch: () => epoch,
    everyMs: 5_000,
    onLost: () => {
      logger.error('notification’s Redis keys were flushed: restart to rebuild');
      hooks.onEpochLost?.();
    },
  });

  const httpUrl = await rt.listenOps({
    port: config.httpPort,
    host: config.host,
    extra: (app) =>
      addOpsAction(app, {
        path: '/v1/parked/replay',
        token: config.opsToken,
        variable: 'NOTIFY_OPS_TOKEN',
        run: async () => ({ replayed: await queue.replay() }),
      }),
  });
  logger.info({ http: httpUrl, epoch, subscriptions: subscriptions.length }, 'notification running');

  return { httpUrl, ready: Promise.resolve(), deliverDue, close: () => rt.close() };
}
