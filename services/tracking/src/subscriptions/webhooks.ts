import { signWebhook } from '@petition/client';
import { type Subscription, SubscriptionState } from '@petition/contract';
import type { Logger } from '@petition/logging';
import { DeliveryError, post } from '@petition/outbound';
import { type Keyring, openText } from '@petition/seal';
import type { Delivery, Feed, FeedOptions } from './feed.ts';
import type { Integrator } from './integrators.ts';
import type { Position } from './position.ts';
import type { SubscriptionStore } from './store.ts';
import { targetProblem } from './targets.ts';

// Webhook deliveries of the subscriptions that have a webhook: each a feed in a consumer group of its own
// (`tracking-webhook-<subscription id>`), its offsets set to the subscription's start when it is made and
// committed as events are delivered, so a restart or a flush goes on where it stood; several tracking
// instances share a subscription's partitions. Each event is POSTed signed the Standard Webhooks way
// (@petition/client) under its event id, again and again until the receiver takes it — never a redirect
// followed, at most 64 KiB of its answer read, its Retry-After honoured — while the subscription is active.

export const webhookGroup = (subscriptionId: string) => `tracking-webhook-${subscriptionId}`;

/** The body of a delivery, as the SSE `data:` line carries it. */
export const deliveryDocument = (d: Delivery) => ({
  eventId: d.eventId,
  eventType: d.eventType,
  caseId: d.caseId,
  caseNumber: d.caseNumber,
  occurredAt: d.occurTime?.toISOString(),
  resumeToken: d.resumeToken,
  event: d.json,
});

const retry = { firstMs: 1_000, maxMs: 300_000 } as const;

export interface WebhookDeps {
  readonly store: SubscriptionStore;
  readonly integrators: ReadonlyMap<string, Integrator>;
  readonly keyring: Keyring;
  readonly logger: Logger;
  /** A feed in the durable group named (feed.ts openDurable). */
  readonly openFeed: (options: FeedOptions & { durableGroup: string }) => Promise<Feed>;
  readonly setStart: (groupId: string, start: Position) => Promise<void>;
  readonly deleteGroup: (groupId: string) => Promise<void>;
  readonly now: () => Date;
}

export function createWebhookDeliveries(deps: WebhookDeps) {
  const running = new Map<string, { feed: Promise<Feed | undefined>; stop: () => void }>();

  function start(subscription: Subscription) {
    const integrator = deps.integrators.get(subscription.integratorId);
    const id = subscription.subscriptionId;
    const logger = deps.logger.child({ subscriptionId: id, webhook: subscription.webhookUrl });
    if (!integrator || !subscription.webhookSecretSealed) {
      logger.warn('webhook subscription of an integrator no longer configured: not delivered');
      return;
    }
    const secret = openText(deps.keyring, subscription.webhookSecretSealed, id);
    let stopped = false;
    const pause = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        const check = setInterval(() => {
          if (stopped) {
            clearTimeout(timer);
            clearInterval(check);
            resolve();
          }
        }, 250);
        setTimeout(() => clearInterval(check), ms + 10);
      });
    async function deliver(d: Delivery) {
      const body = JSON.stringify(deliveryDocument(d));
      for (let attempt = 1; !stopped; attempt++) {
        const refused = await targetProblem(subscription.webhookUrl, integrator?.allowPrivateTargets ?? false);
        try {
          if (refused) throw new DeliveryError('WEBHOOK_TARGET_REFUSED', refused, true);
          await post('WEBHOOK', subscription.webhookUrl, body, {
            'content-type': 'application/json',
            'idempotency-key': d.eventId,
            ...signWebhook({ secret, id: d.eventId, timestamp: deps.now(), body }),
          });
          return;
        } catch (err) {
          const failure = err instanceof DeliveryError ? err : new DeliveryError('WEBHOOK_FAILED', String(err), true);
          const backoff = Math.min(retry.maxMs, retry.firstMs * 2 ** Math.min(attempt - 1, 16));
          const waitMs = failure.retryAfterMs ?? Math.round(backoff * (0.5 + Math.random() / 2));
          logger.warn(
            { code: failure.code, attempt, waitMs, eventId: d.eventId },
            'webhook delivery failed; trying again',
          );
          await pause(waitMs);
        }
      }
      // Stopped (paused, deleted, shutting down) before the endpoint took it: not delivered, not committed.
      throw new Error('webhook deliveries stopped before the endpoint took the event');
    }
    const feed = deps
      .openFeed({
        subscription,
        integrator,
        from: new Map(),
        channel: 'webhook',
        recipient: subscription.webhookUrl,
        durableGroup: webhookGroup(id),
        deliver,
        // A delivery that could not be made (the audit not taking its record): start again from the committed
        // offset after a while, while the subscription is still active.
        failed: () => {
          if (stopped) return;
          void stop(id).then(() =>
            setTimeout(() => {
              const now = deps.store.get(id);
              if (now?.state === SubscriptionState.SUBSCRIPTION_STATE_ACTIVE && !running.has(id)) start(now);
            }, retry.firstMs * 5).unref(),
          );
        },
      })
      .catch((err) => {
        logger.error({ err }, 'webhook feed did not start');
        return undefined;
      });
    running.set(id, {
      feed,
      stop: () => {
        stopped = true;
      },
    });
  }

  async function stop(subscriptionId: string) {
    const run = running.get(subscriptionId);
    if (!run) return;
    running.delete(subscriptionId);
    run.stop();
    await (await run.feed)?.close();
  }

  function reconcile(subscription: Subscription) {
    if (!subscription.webhookUrl) return;
    const id = subscription.subscriptionId;
    if (subscription.state === SubscriptionState.SUBSCRIPTION_STATE_ACTIVE) {
      if (!running.has(id)) start(subscription);
      return;
    }
    void stop(id).then(async () => {
      if (subscription.state === SubscriptionState.SUBSCRIPTION_STATE_DELETED)
        await deps.deleteGroup(webhookGroup(id)).catch(() => {});
    });
  }

  return {
    /** Sets the new subscription's group at its start, before it is saved (and so before any instance starts it). */
    created: (subscription: Subscription, startAt: Position) =>
      deps.setStart(webhookGroup(subscription.subscriptionId), startAt),
    /** Starts the deliveries of every active webhook subscription known now, and follows their changes. */
    follow(subscriptions: readonly Subscription[]) {
      for (const s of subscriptions) reconcile(s);
      return deps.store.onChange(reconcile);
    },
    async close() {
      await Promise.all([...running.keys()].map(stop));
    },
  };
}
