import { randomUUID } from 'node:crypto';
import {
  batchingPublisher,
  inAppNotices,
  notificationEvents,
  type Publisher,
  RecordTooLargeError,
} from '@petition/bus';
import { NotificationChannel, NotificationEvent, notificationChannelToJSON, RecipientKind } from '@petition/contract';
import { render, type Subscription } from '@petition/notices';
import { contextOf, SpanKind, startSpan, tracingEnabled, withinSpan } from '@petition/telemetry';
import type { Redis } from 'ioredis';
import type { Counter } from 'prom-client';
import { type Channels, DeliveryError } from './channels.ts';
import type { NotificationConfig } from './config.ts';
import type { Contacts } from './contacts.ts';
import type { Pending, Queue } from './queue.ts';

// Delivering: one attempt at each due notice within the rate limits, its outcome recorded with the queue's
// move (delivered, retried later, parked), then the outbox of outcomes published to notification-events.
// An in-app notice is delivered by posting it on in-app-notices (tracking's inboxes are read from there
// alone): delivered once the broker has it (acks=all), so a worker that dies between the post and the
// settlement posts it again under the same notice id, which the reader recognises.

/** The most bytes of in-app notices in one produce request: under the broker's default message.max.bytes. */
const IN_APP_BATCH_BYTES = 900_000;

const {
  NOTIFICATION_CHANNEL_SMS: SMS,
  NOTIFICATION_CHANNEL_IN_APP: IN_APP,
  NOTIFICATION_CHANNEL_WEBHOOK: WEBHOOK,
} = NotificationChannel;

export interface DeliveryOptions {
  readonly config: NotificationConfig;
  readonly redis: Redis;
  readonly prefix: string;
  readonly queue: Queue;
  readonly channels: Channels;
  readonly contacts: Contacts;
  readonly subscriptions: readonly Subscription[];
  /** A unit's own endpoint (a subscription with `unitNotices`). */
  readonly unitEndpoint: (unitId: string) => Subscription | undefined;
  readonly publisher: Publisher;
  readonly outcomes: Counter;
  readonly now: () => Date;
}

export function createDelivery(o: DeliveryOptions) {
  const { config, queue, channels, contacts, now } = o;
  // The notices of a round are posted together: one produce request for all that are due at once.
  const inApp = batchingPublisher(async () => o.publisher, inAppNotices, { maxBatchBytes: IN_APP_BATCH_BYTES });

  async function post(n: Pending['notice'], text: { subject: string; body: string }) {
    try {
      await inApp.publish({
        payload: {
          $case: 'posted',
          value: {
            noticeId: n.id,
            recipientKind: n.recipientKind,
            recipientId: n.recipientId,
            caseId: n.caseId,
            // Every notice to a unit or a petitioner carries its case number (packages/notices).
            caseNumber: n.vars.caseNumber ?? '',
            templateId: n.templateId,
            subject: text.subject,
            body: text.body,
            postTime: now(),
            sourceEventId: n.sourceEventId,
            urgent: n.urgent,
          },
        },
      });
    } catch (err) {
      if (err instanceof RecordTooLargeError) throw new DeliveryError('IN_APP_TOO_LARGE', err.message, false);
      throw new DeliveryError('IN_APP_UNPUBLISHED', (err as Error).message, true);
    }
  }

  const outcome = (p: Pending, attempt: number, payload: NotificationEvent['payload']): NotificationEvent => ({
    envelope: {
      eventId: `${p.notice.id}:${attempt}:${payload?.$case}`,
      caseId: p.notice.caseId,
      caseVersion: 0,
      occurTime: now(),
      actingUnitId: '',
      correlationId: p.notice.sourceEventId,
      causationId: p.notice.sourceEventId,
      trace: p.trace,
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

  /** What the channel answered (the provider's message id). */
  type Sent = { providerMessageId: string };
  async function send(p: Pending): Promise<Sent> {
    const n = p.notice;
    if (n.channel === WEBHOOK && n.recipientKind === RecipientKind.RECIPIENT_KIND_UNIT) {
      const endpoint = o.unitEndpoint(n.recipientId);
      if (!endpoint)
        throw new DeliveryError('WEBHOOK_NO_UNIT_ENDPOINT', `no endpoint for unit ${n.recipientId}`, false);
      const text = render(n.templateId, n.vars);
      const body = JSON.stringify({ id: n.id, caseId: n.caseId, template: n.templateId, ...text });
      return { providerMessageId: await channels.callWebhook(endpoint.url, endpoint.secret, body, n.id) };
    }
    if (n.channel === WEBHOOK) {
      const sub = o.subscriptions.find((s) => s.id === n.recipientId);
      if (!sub) throw new DeliveryError('WEBHOOK_UNKNOWN_SUBSCRIPTION', `no subscription ${n.recipientId}`, false);
      return { providerMessageId: await channels.callWebhook(sub.url, sub.secret, p.body ?? '', n.id) };
    }
    const vars =
      n.templateId === 'query-code.zh-CN' ? { ...n.vars, queryCode: await contacts.queryCodeOf(n.caseId) } : n.vars;
    const text = render(n.templateId, vars);
    if (n.channel === IN_APP) {
      await post(n, text);
      return { providerMessageId: n.id };
    }
    const person =
      n.recipientKind === RecipientKind.RECIPIENT_KIND_PETITIONER ? await contacts.petitionerOf(n.caseId) : undefined;
    if (n.channel === SMS)
      return { providerMessageId: await channels.sendSms(person?.phone ?? '', `【信访】${text.body}`, n.id) };
    const to = person ? person.email : `${n.recipientId}@${config.unitMailDomain}`;
    return { providerMessageId: await channels.sendMail(to, text.subject, text.body, n.id) };
  }

  // Rate limits: per channel in this instance (a second's), per recipient and channel in Redis (an hour's),
  // counted for all the claimed notices in one round trip.
  const perSecond = new Map<string, number>();
  let second = 0;
  /** For each notice, when it may go if not now (undefined: now). */
  async function laterTimes(claimed: readonly Pending[], at: number): Promise<(number | undefined)[]> {
    if (Math.floor(at / 1000) !== second) {
      second = Math.floor(at / 1000);
      perSecond.clear();
    }
    const later: (number | undefined)[] = claimed.map((p) => {
      const channel = notificationChannelToJSON(p.notice.channel);
      const sent = (perSecond.get(channel) ?? 0) + 1;
      if (sent > config.perChannelSecond) return (second + 1) * 1000;
      perSecond.set(channel, sent);
      return undefined;
    });
    const hourly = claimed.flatMap((p, i) =>
      later[i] === undefined && p.notice.channel !== IN_APP && p.notice.channel !== WEBHOOK ? [i] : [],
    );
    const counts = await queue.countHourlyMany(
      hourly.map((i) => {
        const n = (claimed[i] as Pending).notice;
        return `${notificationChannelToJSON(n.channel)}:${n.recipientKind}:${n.recipientId}`;
      }),
      at,
    );
    hourly.forEach((i, j) => {
      if ((counts[j] ?? 0) > config.perRecipientHourly) later[i] = (Math.floor(at / 3_600_000) + 1) * 3_600_000;
    });
    return later;
  }

  const encode = (e: NotificationEvent) => NotificationEvent.encode(e).finish();

  /** One attempt at a notice; its outcome is recorded with the queue's move. */
  async function attempt(p: Pending) {
    const attempt = p.attempts + 1;
    const channel = notificationChannelToJSON(p.notice.channel);
    let error: DeliveryError | undefined;
    let sent: Sent = { providerMessageId: '' };
    try {
      sent = await send(p);
    } catch (err) {
      error = err instanceof DeliveryError ? err : new DeliveryError('INTERNAL', (err as Error).message, true);
    }
    if (!error) {
      const delivered = outcome(p, attempt, {
        $case: 'notificationDelivered',
        value: { attempt, providerMessageId: sent.providerMessageId, deliverTime: now() },
      });
      await queue.settle(p, { kind: 'delivered' }, [encode(delivered)]);
      o.outcomes.inc({ channel, outcome: 'delivered' });
      return;
    }
    const again = error.retryable && attempt < config.maxAttempts;
    // The receiver's `Retry-After` when it gave one, else exponential backoff with jitter.
    const next =
      now().getTime() + (error.retryAfterMs ?? config.retryBaseMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
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
    await queue.settle(p, again ? { kind: 'retry', pending, at: next } : { kind: 'park', pending }, events.map(encode));
    o.outcomes.inc({ channel, outcome: again ? 'failed' : 'parked' });
  }

  /**
   * An attempt inside a span of the source event's trace (kept with the notice in the queue): the in-app
   * notice it posts and the outcome it records continue the trace of the step the petitioner is told about.
   */
  function tracedAttempt(p: Pending) {
    const traceparent = p.trace?.traceparent;
    if (!traceparent || !tracingEnabled()) return attempt(p);
    const parent = contextOf(traceparent, p.trace?.tracestate);
    const channel = notificationChannelToJSON(p.notice.channel);
    const span = startSpan('notification', `deliver ${channel}`, {
      kind: SpanKind.INTERNAL,
      parent,
      attributes: { 'petition.notification.channel': channel, 'petition.notification.attempt': p.attempts + 1 },
    });
    return withinSpan(span, parent, () => attempt(p));
  }

  // The outbox of outcome events goes to notification-events, oldest first, one instance at a time.
  const me = randomUUID();
  async function flushOutbox() {
    const lock = `${o.prefix}outbox-lock`;
    if ((await o.redis.set(lock, me, 'PX', 30_000, 'NX')) !== 'OK') return;
    try {
      for (;;) {
        const batch = await queue.outboxPeek(500);
        if (batch.length === 0) break;
        await o.publisher.publish(
          notificationEvents,
          batch.map((b) => NotificationEvent.decode(b)),
        );
        await queue.outboxDrop(batch.length);
      }
    } finally {
      if ((await o.redis.get(lock)) === me) await o.redis.del(lock);
    }
  }

  return {
    /** One attempt at each notice due now (at most 200), then the outbox; resolves with the attempts made. */
    async deliverDue(): Promise<number> {
      const at = now().getTime();
      const claimed = await queue.claim(at, 200);
      const later = await laterTimes(claimed, at);
      const due = claimed.filter((_, i) => later[i] === undefined);
      await queue.retryAtMany(
        claimed.flatMap((pending, i) => (later[i] === undefined ? [] : [{ pending, at: later[i] as number }])),
      );
      await Promise.all(due.map(tracedAttempt));
      await flushOutbox();
      return due.length;
    },
  };
}
