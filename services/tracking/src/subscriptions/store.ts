import { randomUUID } from 'node:crypto';
import { type Subscription, SubscriptionEvent, SubscriptionState } from '@petition/contract';

// The subscriptions this node knows, in memory: read back from the compacted `subscriptions` topic at every
// start (app.ts), and written there before any request that changes one is answered. The latest record of a
// subscription wins (by its update time, then by arrival), a deletion included, so two instances converge.

export interface SubscriptionStore {
  /** Takes a record read back from the topic (or just written). */
  apply(event: SubscriptionEvent): void;
  get(subscriptionId: string): Subscription | undefined;
  /** Every subscription not deleted. */
  all(): Subscription[];
  /** An integrator's subscriptions that are not deleted, oldest first. */
  ofIntegrator(integratorId: string): Subscription[];
  /** Writes the subscription as it now is to the topic (acks=all), then takes it. */
  save(subscription: Subscription): Promise<void>;
  /** Called with every subscription that changed (a stream of a paused or deleted one ends). */
  onChange(listener: (subscription: Subscription) => void): () => void;
}

export function createSubscriptionStore(deps: {
  publish: (event: SubscriptionEvent) => Promise<unknown>;
  now: () => Date;
}): SubscriptionStore {
  const subscriptions = new Map<string, Subscription>();
  const listeners = new Set<(subscription: Subscription) => void>();
  const apply = (event: SubscriptionEvent) => {
    if (event.payload?.$case !== 'subscription') return;
    const next = event.payload.value;
    const known = subscriptions.get(next.subscriptionId);
    if (known && (known.updateTime?.getTime() ?? 0) > (next.updateTime?.getTime() ?? 0)) return;
    subscriptions.set(next.subscriptionId, next);
    for (const listener of listeners) listener(next);
  };
  return {
    apply,
    get: (id) => {
      const s = subscriptions.get(id);
      return s && s.state !== SubscriptionState.SUBSCRIPTION_STATE_DELETED ? s : undefined;
    },
    all: () => [...subscriptions.values()].filter((s) => s.state !== SubscriptionState.SUBSCRIPTION_STATE_DELETED),
    ofIntegrator: (integratorId) =>
      [...subscriptions.values()]
        .filter((s) => s.integratorId === integratorId && s.state !== SubscriptionState.SUBSCRIPTION_STATE_DELETED)
        .sort((a, b) => (a.createTime?.getTime() ?? 0) - (b.createTime?.getTime() ?? 0)),
    async save(subscription) {
      const event = SubscriptionEvent.fromPartial({
        envelope: {
          eventId: randomUUID(),
          caseId: '',
          caseVersion: 0,
          occurTime: deps.now(),
          producer: 'tracking',
        },
        payload: { $case: 'subscription', value: subscription },
      });
      await deps.publish(event);
      apply(event);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
