import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  type BusConsumer,
  caseEvents,
  createBus,
  deadlineEvents,
  notificationEvents,
  onBatch,
  units,
} from '@petition/bus';
import {
  type CaseEvent,
  type DeadlineEvent,
  NotificationChannel,
  NotificationEvent,
  notificationChannelFromJSON,
  notificationChannelToJSON,
  type Person,
  RecipientKind,
  recipientKindToJSON,
  SealedData,
} from '@petition/contract';
import { nationalDirectory } from '@petition/directory';
import { followDirectory } from '@petition/directory-feed';
import { epochHolds, indexEpoch } from '@petition/infra';
import type { Logger } from '@petition/logging';
import { cloudEventOf, noticesFor, render, type Subscription } from '@petition/notices';
import { addOpsAction, createRegistry, listenOps } from '@petition/ops';
import { openPerson, openText, parseKeyring } from '@petition/seal';
import { Redis } from 'ioredis';
import { Counter } from 'prom-client';
import { type Channels, createChannels, DeliveryError } from './channels.ts';
import type { NotificationConfig } from './config.ts';
import { createQueue, type Pending } from './queue.ts';
import { quietUntil } from './quiet-hours.ts';

// Notification: case-events and deadline-events in; for each, the notices it calls for
// (packages/notices) are queued once in Redis (queue.ts); a worker delivers what is due (channels.ts)
// and publishes every outcome to notification-events. Delivered ids are remembered; after a Redis flush
// they are read back from notification-events before the sources are read again from the beginning.

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
  options: { now?: () => Date; onEpochLost?: () => void } = {},
): Promise<Notification> {
  const now = options.now ?? (() => new Date());
  const bus = createBus({
    brokers: config.brokers ?? [],
    clientId: 'notification',
    logger,
    topicPrefix: config.topicPrefix,
  });
  await bus.waitUntilReady();
  await bus.ensureTopics([caseEvents, deadlineEvents, notificationEvents, units], {
    partitions: config.topicPartitions,
  });
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3 });
  const prefix = `${config.topicPrefix}ntf:`;
  const rebuilding = (await redis.exists(`${prefix}index-epoch`)) === 0;
  const epoch = await indexEpoch(redis, prefix);
  const queue = createQueue(redis, prefix, config.leaseMs);
  const channels: Channels = createChannels({
    redis,
    prefix,
    smsUrl: config.smsUrl,
    smtpUrl: config.smtpUrl,
    mailFrom: config.mailFrom,
  });
  const keyring = parseKeyring(config.sealKeys);
  const directory = nationalDirectory();
  const subscriptions: Subscription[] = config.webhooks ? JSON.parse(readFileSync(config.webhooks, 'utf8')) : [];
  const configured = unitChannelsOf(config.unitChannels);
  // A unit with an endpoint of its own (a subscription with `unitNotices`) is told there as well.
  const unitEndpoint = (unitId: string) => subscriptions.find((s) => s.unitNotices && s.unitId === unitId);
  const unitChannels = (unitId: string) =>
    unitEndpoint(unitId)
      ? [...configured(unitId), NotificationChannel.NOTIFICATION_CHANNEL_WEBHOOK]
      : configured(unitId);
  const publisher = await bus.publisher();

  const registry = createRegistry();
  const outcomes = new Counter({
    name: 'notification_outcomes_total',
    help: 'Delivery outcomes',
    labelNames: ['channel', 'outcome'],
    registers: [registry],
  });

  // What is known of each case: its number, and its petitioner sealed as intake sealed them.
  const caseKey = (caseId: string) => `${prefix}case:${caseId}`;
  const registration = (e: CaseEvent) => {
    if (e.payload?.$case !== 'petitionRegistered') return undefined;
    const p = e.payload.value.petition;
    const sealed = p?.petitioner?.sealed;
    return {
      number: p?.caseNumber ?? '',
      person: p?.petitioner?.personId ?? '',
      sealed: sealed ? Buffer.from(SealedData.encode(sealed).finish()).toString('base64') : '',
      code: p?.queryCodeSealed ? Buffer.from(SealedData.encode(p.queryCodeSealed).finish()).toString('base64') : '',
    };
  };
  /** The query code, opened only to send it. */
  async function queryCodeOf(caseId: string): Promise<string> {
    const code = await redis.hget(caseKey(caseId), 'code');
    return code ? openText(keyring, SealedData.decode(Buffer.from(code, 'base64')), caseId) : '';
  }
  type Contact = { number: string; personId?: string; person?: Person };
  function contactOf(caseId: string, c: Record<string, string>): Contact {
    if (!c.sealed) return { number: c.number ?? '' };
    try {
      const person = openPerson(keyring, SealedData.decode(Buffer.from(c.sealed, 'base64')), caseId);
      return { number: c.number ?? '', personId: c.person ?? '', person };
    } catch (err) {
      logger.warn({ caseId, err: (err as Error).message }, 'the petitioner’s sealed data cannot be opened');
      return { number: c.number ?? '' };
    }
  }
  const petitionerContact = async (caseId: string) => contactOf(caseId, await redis.hgetall(caseKey(caseId)));

  // 1. Sources in: the notices each event calls for, queued once — a batch of events at a time.
  type Source = { case: CaseEvent } | { deadline: DeadlineEvent };
  async function takeAll(sources: readonly Source[]) {
    const remember = redis.pipeline();
    for (const src of sources) {
      const r = 'case' in src ? registration(src.case) : undefined;
      if (r && 'case' in src) remember.hset(caseKey(src.case.envelope?.caseId ?? ''), r);
    }
    await remember.exec();
    const caseIds = [
      ...new Set(sources.map((src) => ('case' in src ? src.case.envelope : src.deadline.envelope)?.caseId ?? '')),
    ];
    const lookup = redis.pipeline();
    for (const id of caseIds) lookup.hgetall(caseKey(id));
    const found = (await lookup.exec()) ?? [];
    const contacts = new Map(
      caseIds.map((id, i) => [id, contactOf(id, (found[i]?.[1] ?? {}) as Record<string, string>)]),
    );
    const at = now().getTime();
    const items: { pending: Pending; dueAt: number }[] = [];
    for (const source of sources) {
      const caseId = ('case' in source ? source.case.envelope : source.deadline.envelope)?.caseId ?? '';
      const contact = contacts.get(caseId) ?? { number: '' };
      const person = contact.person;
      const petitionerChannels = person
        ? [...(channels.sms && person.phone ? [SMS] : []), ...(channels.email && person.email ? [EMAIL] : []), IN_APP]
        : [];
      const notices = noticesFor(source, {
        directory,
        caseNumberOf: () => contact.number,
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
          pending: { notice: n, attempts: 0, body },
          dueAt: quiet ? quietUntil(at, config.quietHours) : at,
        });
      }
    }
    await queue.enqueueMany(items);
  }

  // 2. Delivering.
  const outcome = (p: Pending, attempt: number, payload: NotificationEvent['payload']): NotificationEvent => ({
    envelope: {
      eventId: `${p.notice.id}:${attempt}:${payload?.$case}`,
      caseId: p.notice.caseId,
      caseVersion: 0,
      occurTime: now(),
      actingUnitId: '',
      correlationId: p.notice.sourceEventId,
      causationId: p.notice.sourceEventId,
      trace: undefined,
      producer: 'notification',
    },
    notificationId: p.notice.id,
    channel: p.notice.channel,
    recipientKind: p.notice.recipientKind,
    recipientId: p.notice.recipientId,
    templateId: p.notice.templateId,
    sourceEventId: p.notice.sourceEventId,
    payload,
  });

  async function send(p: Pending): Promise<string> {
    const n = p.notice;
    if (
      n.channel === NotificationChannel.NOTIFICATION_CHANNEL_WEBHOOK &&
      n.recipientKind === RecipientKind.RECIPIENT_KIND_UNIT
    ) {
      const endpoint = unitEndpoint(n.recipientId);
      if (!endpoint)
        throw new DeliveryError('WEBHOOK_NO_UNIT_ENDPOINT', `no endpoint for unit ${n.recipientId}`, false);
      const text = render(n.templateId, n.vars);
      const body = JSON.stringify({ id: n.id, caseId: n.caseId, template: n.templateId, ...text });
      return channels.callWebhook(endpoint.url, endpoint.secret, body, n.id);
    }
    if (n.channel === NotificationChannel.NOTIFICATION_CHANNEL_WEBHOOK) {
      const sub = subscriptions.find((s) => s.id === n.recipientId);
      if (!sub) throw new DeliveryError('WEBHOOK_UNKNOWN_SUBSCRIPTION', `no subscription ${n.recipientId}`, false);
      return channels.callWebhook(sub.url, sub.secret, p.body ?? '', n.id);
    }
    const vars = n.templateId === 'query-code.zh-CN' ? { ...n.vars, queryCode: await queryCodeOf(n.caseId) } : n.vars;
    const text = render(n.templateId, vars);
    if (n.channel === IN_APP) {
      const recipient = `${recipientKindToJSON(n.recipientKind)}:${n.recipientId}`;
      return channels.toInbox(recipient, { id: n.id, caseId: n.caseId, ...text, at: now().toISOString() });
    }
    const person =
      n.recipientKind === RecipientKind.RECIPIENT_KIND_PETITIONER
        ? (await petitionerContact(n.caseId)).person
        : undefined;
    if (n.channel === SMS) return channels.sendSms(person?.phone ?? '', `【信访】${text.body}`, n.id);
    const to = person ? person.email : `${n.recipientId}@${config.unitMailDomain}`;
    return channels.sendMail(to, text.subject, text.body, n.id);
  }

  /** One attempt at each due notice; all outcomes go out in one produce, then the queue moves on. */
  // Rate limits: per recipient and channel in Redis (an hour's count), per channel in this instance (a second's).
  const perSecond = new Map<string, number>();
  let second = 0;
  async function withinLimits(p: Pending, at: number): Promise<number | undefined> {
    const n = p.notice;
    const channel = notificationChannelToJSON(n.channel);
    if (Math.floor(at / 1000) !== second) {
      second = Math.floor(at / 1000);
      perSecond.clear();
    }
    const sent = (perSecond.get(channel) ?? 0) + 1;
    if (sent > config.perChannelSecond) return (second + 1) * 1000;
    perSecond.set(channel, sent);
    if (n.channel === IN_APP || n.channel === NotificationChannel.NOTIFICATION_CHANNEL_WEBHOOK) return undefined;
    const count = await queue.countHourly(`${channel}:${n.recipientKind}:${n.recipientId}`, at);
    return count > config.perRecipientHourly ? (Math.floor(at / 3_600_000) + 1) * 3_600_000 : undefined;
  }

  async function deliverDue(): Promise<number> {
    const at = now().getTime();
    const claimed = await queue.claim(at, 200);
    const due: Pending[] = [];
    for (const p of claimed) {
      const later = await withinLimits(p, at);
      if (later === undefined) due.push(p);
      else await queue.retryAt(p, later);
    }
    await Promise.all(
      due.map(async (p) => {
        const attempt = p.attempts + 1;
        const channel = notificationChannelToJSON(p.notice.channel);
        let error: DeliveryError | undefined;
        let providerMessageId = '';
        try {
          providerMessageId = await send(p);
        } catch (err) {
          error = err instanceof DeliveryError ? err : new DeliveryError('INTERNAL', (err as Error).message, true);
        }
        const encode = (e: NotificationEvent) => NotificationEvent.encode(e).finish();
        if (!error) {
          const delivered = outcome(p, attempt, {
            $case: 'notificationDelivered',
            value: { attempt, providerMessageId, deliverTime: now() },
          });
          await queue.settle(p, { kind: 'delivered' }, [encode(delivered)]);
          outcomes.inc({ channel, outcome: 'delivered' });
          return;
        }
        const again = error.retryable && attempt < config.maxAttempts;
        const next = now().getTime() + config.retryBaseMs * 2 ** (attempt - 1) * (0.5 + Math.random());
        const events = [
          outcome(p, attempt, {
            $case: 'notificationFailed',
            value: {
              attempt,
              errorCode: error.code,
              errorMessage: error.message,
              retryable: error.retryable,
              nextAttemptTime: again ? new Date(next) : undefined,
            },
          }),
        ];
        if (!again) {
          const reason = error.retryable ? 'retries exhausted' : 'permanent error';
          events.push(
            outcome(p, attempt, {
              $case: 'notificationParked',
              value: { reason, attempts: attempt, lastErrorCode: error.code },
            }),
          );
        }
        const pending = { ...p, attempts: attempt, lastErrorCode: error.code };
        await queue.settle(
          p,
          again ? { kind: 'retry', pending, at: next } : { kind: 'park', pending },
          events.map(encode),
        );
        outcomes.inc({ channel, outcome: again ? 'failed' : 'parked' });
      }),
    );
    await flushOutbox();
    return due.length;
  }

  // The outbox of outcome events goes to notification-events, oldest first, one instance at a time.
  const me = randomUUID();
  async function flushOutbox() {
    const lock = `${prefix}outbox-lock`;
    if ((await redis.set(lock, me, 'PX', 30_000, 'NX')) !== 'OK') return;
    try {
      for (;;) {
        const batch = await queue.outboxPeek(500);
        if (batch.length === 0) break;
        await publisher.publish(
          notificationEvents,
          batch.map((b) => NotificationEvent.decode(b)),
        );
        await queue.outboxDrop(batch.length);
      }
    } finally {
      if ((await redis.get(lock)) === me) await redis.del(lock);
    }
  }

  // Delivered and parked notices, read back from notification-events: after a flush they are not sent again.
  const outcomesGroup = `notification-outcomes-${epoch}`;
  const outcomeConsumer = bus.consumer({
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
    const caughtUp = async () => {
      const at = await bus.committedOffsets(outcomesGroup, notificationEvents);
      return [...ends].every(([p, end]) => end === 0n || (at.get(p) ?? 0n) >= end);
    };
    while (!(await caughtUp())) await new Promise((r) => setTimeout(r, 200));
  }
  const sources = bus.consumer({
    groupId: `notification-${epoch}`,
    fromBeginning: true,
    subscriptions: [
      onBatch(caseEvents, (records) => takeAll(records.map((r) => ({ case: r.value })))),
      onBatch(deadlineEvents, (records) => takeAll(records.map((r) => ({ deadline: r.value })))),
    ],
  });
  const consumers: BusConsumer[] = [
    followDirectory(bus, directory, { groupId: `notification-directory-${Date.now().toString(36)}`, logger }),
    outcomeConsumer,
    sources,
  ];
  await Promise.all([consumers[0]?.start(), sources.start()]);

  let closing = false;
  let timer: NodeJS.Timeout | undefined;
  let epochChecked = Date.now();
  let round: Promise<unknown> = Promise.resolve();
  const loop = async () => {
    try {
      for (;;) {
        if (closing) break;
        round = deliverDue();
        if (((await round) as number) === 0) break;
      }
      if (Date.now() - epochChecked > 5_000) {
        epochChecked = Date.now();
        // Running on would take in cases whose petitioner was flushed away and drop their notices.
        if (!(await epochHolds(redis, prefix, epoch))) {
          logger.error('notification’s Redis keys were flushed: restart to rebuild');
          options.onEpochLost?.();
        }
      }
    } catch (err) {
      logger.error({ err }, 'delivery round failed');
    }
    if (!closing) timer = setTimeout(loop, config.tickMs);
  };
  timer = setTimeout(loop, 0);

  const http = await listenOps({
    port: config.httpPort,
    host: config.host,
    registry,
    checks: () => ({ accepting: !closing }),
    extra: (app) =>
      addOpsAction(app, {
        path: '/v1/parked/replay',
        token: config.opsToken,
        variable: 'NOTIFY_OPS_TOKEN',
        run: async () => ({ replayed: await queue.replay() }),
      }),
  });
  const httpUrl = http.url;
  logger.info({ http: httpUrl, epoch, subscriptions: subscriptions.length }, 'notification running');

  return {
    httpUrl,
    ready: Promise.resolve(),
    deliverDue,
    async close() {
      closing = true;
      clearTimeout(timer);
      // The round in hand finishes: what was sent is recorded as sent, not sent again after a restart.
      await round.catch(() => undefined);
      await http.close();
      await bus.close();
      redis.disconnect();
      logger.info('notification stopped');
    },
  };
}
