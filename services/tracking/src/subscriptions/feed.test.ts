import { caseEvents, createBus, isolatedPrefix } from '@petition/bus';
import { type CaseEvent, CaseEvent as CaseEventCodec, CaseState, SubscriptionState } from '@petition/contract';
import { petition, realDirectory } from '@petition/lifecycle/test-kit';
import { createLogger } from '@petition/logging';
import { devSealKeys, parseKeyring } from '@petition/seal';
import { waitFor } from '@petition/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFeedHub, type Delivery, type FeedHub } from './feed.ts';
import type { Integrator } from './integrators.ts';
import { decodePosition, encodePosition } from './position.ts';

// The feed hub against the real broker, with limits small enough to make every way of reading happen: a
// stream behind what the hub keeps reads on its own and then joins the hub, a slow stream falls behind the
// hub's pace and reads on its own again — and through every change each event is handed over once, in the
// order of its partition, while events keep coming.

const logger = createLogger({ service: 'feed-hub-test', level: process.env.LOG_LEVEL ?? 'warn' });
const prefix = isolatedPrefix('feed-hub');
const bus = createBus({
  brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
  clientId: 'feed-hub-test',
  logger,
  topicPrefix: prefix,
});
const integrator: Integrator = {
  clientId: 'city',
  name: 'city',
  unitId: '330100-xfj',
  scopes: new Set(['events']),
  allowPrivateTargets: false,
  secretSha256: Buffer.alloc(32),
};
let hub: FeedHub;
const stamp = Date.now().toString(36);
let serial = 0;
/** Registrations in 西湖区, each a case of its own, as routing writes them. */
const registrations = (n: number): CaseEvent[] =>
  Array.from({ length: n }, () => {
    const caseId = `hub-${stamp}-${++serial}`;
    return CaseEventCodec.fromPartial({
      envelope: { eventId: `${caseId}-v1`, caseId, caseVersion: 1, occurTime: new Date(), producer: 'routing' },
      state: CaseState.CASE_STATE_REGISTERED,
      custodyUnitId: '330106-xfj',
      payload: {
        $case: 'petitionRegistered',
        value: { petition: petition({ caseNumber: `N-${caseId}`, registeringUnitId: '330106-xfj' }) },
      },
    });
  });
const publish = async (events: CaseEvent[]) => (await bus.publisher()).publish(caseEvents, events);

beforeAll(async () => {
  await bus.ensureTopics([caseEvents], { partitions: 3 });
  hub = createFeedHub(
    {
      bus,
      directory: realDirectory(),
      logger,
      keyring: parseKeyring(devSealKeys),
      // Registrations carry their facts: nothing is looked up.
      caseFacts: async () => undefined,
      publishAudit: async () => {},
      now: () => new Date(),
    },
    { keptPerPartition: 4, pendingPerStream: 3 },
  );
});
afterAll(async () => {
  await hub?.close();
  await bus.close();
  await bus.deleteOwnTopics();
});

describe('the feed hub', () => {
  it('hands every event over once and in order, as a stream moves between reading alone and the hub', async () => {
    const subscriptionId = `sub-${stamp}`;
    const start = await bus.endOffsets(caseEvents);
    const subscription = {
      subscriptionId,
      integratorId: integrator.clientId,
      name: 'all',
      filter: { unitIds: [], regionCodes: [], eventTypes: [], kinds: [], categories: [] },
      state: SubscriptionState.SUBSCRIPTION_STATE_ACTIVE,
      webhookUrl: '',
      startToken: encodePosition(subscriptionId, start),
    };
    // Far more than the hub keeps, before the stream opens: it must read them on its own.
    const before = registrations(40);
    await publish(before);
    const got: Delivery[] = [];
    const fast = hub.open({
      subscription,
      integrator,
      from: start,
      channel: 'sse',
      recipient: 'test',
      deliver: async (d) => void got.push(d),
    });
    // A second stream, slow: the hub outpaces it, and it reads on its own until it catches up.
    const slowGot: Delivery[] = [];
    const slow = hub.open({
      subscription,
      integrator,
      from: start,
      channel: 'sse',
      recipient: 'slow',
      deliver: async (d) => {
        await new Promise((resolve) => setTimeout(resolve, 15));
        slowGot.push(d);
      },
    });
    const feeds = await Promise.all([fast, slow]);
    // Both caught up on their own and joined the hub.
    await waitFor('both streams at the hub', () => hub.stats.joined >= 2, 30_000);
    // Events keep coming while both read, in bursts.
    const during: CaseEvent[] = [];
    for (let burst = 0; burst < 6; burst++) {
      const events = registrations(10);
      during.push(...events);
      await publish(events);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    const all = [...before, ...during].map((e) => e.envelope?.eventId);
    await waitFor('the fast stream has them all', () => got.length >= all.length, 30_000);
    await waitFor('the slow stream has them all', () => slowGot.length >= all.length, 60_000);
    for (const delivered of [got, slowGot]) {
      expect(delivered.map((d) => d.eventId).sort()).toEqual([...all].sort());
      // Within a partition, each token is further on than the one before.
      const last = new Map<number, bigint>();
      for (const d of delivered) {
        const at = decodePosition(subscriptionId, d.resumeToken);
        for (const [p, o] of at) {
          expect(o).toBeGreaterThanOrEqual(last.get(p) ?? 0n);
          last.set(p, o);
        }
      }
    }
    // Every way was taken: both read alone first and joined; the slow one fell behind and joined again.
    expect(hub.stats.readAlone).toBeGreaterThanOrEqual(3);
    expect(hub.stats.fellBehind).toBeGreaterThanOrEqual(1);
    expect(hub.stats.joined).toBeGreaterThanOrEqual(3);
    await Promise.all(feeds.map((f) => f.close()));
  }, 120_000);
});
