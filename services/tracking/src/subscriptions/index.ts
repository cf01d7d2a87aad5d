import { eventTypesOf } from '@petition/asyncapi';
import { caseEvents, on, subscriptions as subscriptionsTopic } from '@petition/bus';
import { type AccessAuditEvent, categoryFromJSON, type PetitionKind } from '@petition/contract';
import type { Directory } from '@petition/directory';
import type { Logger } from '@petition/logging';
import { createReadPositions, type Runtime } from '@petition/runtime';
import type { Keyring } from '@petition/seal';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { trackingKeys } from '../keys.ts';
import { createFeedHub } from './feed.ts';
import { startSubscriptionGrpc } from './grpc.ts';
import type { Integrator } from './integrators.ts';
import { addSubscriptionRoutes } from './routes.ts';
import type { CaseFacts } from './selection.ts';
import { createSubscriptionStore } from './store.ts';
import { createWebhookDeliveries } from './webhooks.ts';

// Integrators' subscriptions in tracking: the store read back from its topic (caught up before anything is
// served), the feeds over case-events, webhook deliveries, the HTTP API and SSE (routes.ts) and gRPC (grpc.ts).

export interface SubscriptionsDeps {
  readonly rt: Runtime;
  readonly redis: Redis;
  readonly prefix: string;
  readonly directory: Directory;
  readonly keyring: Keyring;
  readonly integrators: ReadonlyMap<string, Integrator>;
  readonly publishAudit: (event: AccessAuditEvent) => Promise<unknown>;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly grpc?: { host: string; port: number };
  readonly heartbeatMs: number;
}

export async function startSubscriptions(deps: SubscriptionsDeps) {
  const { rt, redis } = deps;
  const logger = deps.logger.child({ component: 'subscriptions' });
  const keys = trackingKeys(deps.prefix);
  const store = createSubscriptionStore({
    publish: async (event) => (await rt.bus.publisher()).publish(subscriptionsTopic, [event]),
    now: deps.now,
  });
  const read = createReadPositions();
  const reader = rt.consumer({
    groupId: 'tracking-subscriptions',
    fromBeginning: true,
    commitOffsets: false,
    subscriptions: [
      on(subscriptionsTopic, async (record) => {
        store.apply(record.value);
        read.advance(record.partition, BigInt(record.offset) + 1n);
      }),
    ],
  });
  await reader.start();
  await read.until(await rt.bus.endOffsets(subscriptionsTopic));

  const caseFacts = async (caseId: string): Promise<CaseFacts | undefined> => {
    const [caseNumber, kind, accused, category, regionCode] = await redis.hmget(
      keys.case(caseId),
      'caseNumber',
      'kind',
      'accused',
      'category',
      'regionCode',
    );
    if (caseNumber === null || caseNumber === undefined || kind === null || kind === undefined) return undefined;
    return {
      caseNumber,
      kind: Number(kind) as PetitionKind,
      accusedUnitId: accused ?? '',
      category: categoryFromJSON(category ?? 'CATEGORY_UNSPECIFIED'),
      regionCode: regionCode ?? '',
    };
  };
  const hub = createFeedHub({
    bus: rt.bus,
    directory: deps.directory,
    logger,
    keyring: deps.keyring,
    caseFacts,
    publishAudit: deps.publishAudit,
    now: deps.now,
  });
  rt.onClose('consumers', 'subscription feeds', () => hub.close());
  const feeds = hub.open;
  const webhooks = createWebhookDeliveries({
    store,
    integrators: deps.integrators,
    keyring: deps.keyring,
    logger,
    openFeed: hub.openDurable,
    setStart: (groupId, start) => rt.bus.setCommittedOffsets(groupId, caseEvents, start),
    deleteGroup: (groupId) => rt.bus.deleteGroups([groupId]),
    now: deps.now,
  });
  const unfollow = webhooks.follow(store.all());
  rt.onClose('consumers', 'webhook deliveries', async () => {
    unfollow();
    await webhooks.close();
  });
  const grpc = deps.grpc
    ? await startSubscriptionGrpc({
        integrators: deps.integrators,
        store,
        openFeed: feeds,
        logger,
        host: deps.grpc.host,
        port: deps.grpc.port,
        heartbeatMs: deps.heartbeatMs,
      })
    : undefined;
  if (grpc) rt.onClose('intake', 'subscriptions gRPC', () => grpc.close());
  const eventTypes = new Set(eventTypesOf(caseEvents.name));
  logger.info(
    { subscriptions: store.all().length, integrators: deps.integrators.size, grpcPort: grpc?.port },
    'subscriptions ready',
  );
  return {
    grpcPort: grpc?.port,
    addRoutes(app: FastifyInstance) {
      const routes = addSubscriptionRoutes(app, {
        integrators: deps.integrators,
        store,
        directory: deps.directory,
        keyring: deps.keyring,
        eventTypes,
        endOfCaseEvents: () => rt.bus.endOffsets(caseEvents),
        openFeed: feeds,
        webhooks,
        now: deps.now,
        heartbeatMs: deps.heartbeatMs,
      });
      rt.onClose('intake', 'subscription streams', () => routes.closeStreams());
    },
  };
}
