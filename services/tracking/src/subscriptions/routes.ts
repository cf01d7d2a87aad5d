import { randomBytes, randomUUID } from 'node:crypto';
import { type Subscription, SubscriptionState, subscriptionStateToJSON } from '@petition/contract';
import type { Directory } from '@petition/directory';
import { type ProblemCatalogue, problemCatalogue } from '@petition/runtime';
import { type Keyring, sealText } from '@petition/seal';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Feed, FeedOptions } from './feed.ts';
import { authenticateIntegrator, type Integrator, integratorScopes } from './integrators.ts';
import { decodePosition, encodePosition, notBefore, type Position, PositionError } from './position.ts';
import { FilterError, filterFromJson, filterProblems, filterToJson } from './selection.ts';
import type { SubscriptionStore } from './store.ts';
import { targetProblem } from './targets.ts';

// The subscriptions API (/v1/subscriptions): an integrator, by its own credentials (HTTP Basic, integrators.ts),
// makes, lists, pauses, resumes and deletes its subscriptions, and pulls one's events as Server-Sent Events
// from a position (Last-Event-ID or ?from=, a resume token). gRPC's Subscribe (grpc.ts) serves the same feed.

/** Every problem of the subscriptions API, with its status, once. */
export const subscriptionProblems: ProblemCatalogue<
  | 'INTEGRATOR_UNAUTHORIZED'
  | 'SCOPE_REQUIRED'
  | 'SUBSCRIPTION_NOT_FOUND'
  | 'INVALID_FILTER'
  | 'TARGET_NOT_ALLOWED'
  | 'BAD_RESUME_TOKEN'
  | 'SUBSCRIPTION_PAUSED'
  | 'TOO_MANY_SUBSCRIPTIONS'
  | 'TOO_MANY_STREAMS'
  | 'STORE_UNAVAILABLE'
> = problemCatalogue({
  INTEGRATOR_UNAUTHORIZED: {
    status: 401,
    title: 'Send your integrator credentials (HTTP Basic: client id and secret)',
  },
  SCOPE_REQUIRED: { status: 403, title: 'Your scopes do not permit this' },
  SUBSCRIPTION_NOT_FOUND: { status: 404, title: 'No such subscription of yours' },
  INVALID_FILTER: { status: 422, title: 'The filter names something you may not subscribe to' },
  TARGET_NOT_ALLOWED: { status: 422, title: 'The webhook URL is not one this node calls' },
  BAD_RESUME_TOKEN: { status: 400, title: 'The resume token is not one this subscription gave' },
  SUBSCRIPTION_PAUSED: { status: 409, title: 'The subscription is paused: resume it first' },
  TOO_MANY_SUBSCRIPTIONS: { status: 409, title: 'You have as many subscriptions as a client may have' },
  TOO_MANY_STREAMS: { status: 429, title: 'The subscription has as many open streams as it may have' },
  STORE_UNAVAILABLE: { status: 503, title: 'The subscription could not be saved; nothing changed' },
});

export type SubscriptionProblemCode = keyof typeof subscriptionProblems.specs;

export const subscriptionLimits = { perIntegrator: 100, streamsPerSubscription: 4, nameLength: 200 } as const;

export interface SubscriptionRoutesDeps {
  readonly integrators: ReadonlyMap<string, Integrator>;
  readonly store: SubscriptionStore;
  readonly directory: Directory;
  readonly keyring: Keyring;
  /** The event types of case-events (the AsyncAPI document's). */
  readonly eventTypes: ReadonlySet<string>;
  /** Where case-events ends now, per partition: where a new subscription starts. */
  readonly endOfCaseEvents: () => Promise<Position>;
  /** Opens the feed of a subscription from a position (feed.ts with the service's dependencies). */
  readonly openFeed: (options: FeedOptions) => Promise<Feed>;
  /** Starts and stops webhook deliveries as subscriptions change (webhooks.ts). */
  readonly webhooks: { created(subscription: Subscription, start: Position): Promise<void> };
  readonly now: () => Date;
  readonly heartbeatMs?: number;
}

/** The integrator a request's credentials name; 401 with a Basic challenge otherwise. */
export function integratorOf(
  integrators: ReadonlyMap<string, Integrator>,
  request: FastifyRequest,
  reply: FastifyReply,
): Integrator {
  const integrator = authenticateIntegrator(integrators, request.headers.authorization);
  if (integrator?.scopes.has(integratorScopes.events)) return integrator;
  if (integrator)
    throw subscriptionProblems.error('SCOPE_REQUIRED', { detail: `client ${integrator.clientId} has no events scope` });
  reply.header('www-authenticate', 'Basic realm="petition subscriptions", charset="UTF-8"');
  throw subscriptionProblems.error('INTEGRATOR_UNAUTHORIZED', {
    detail: 'no credentials, or a client id and secret this node does not know',
  });
}

/** The subscription as its integrator sees it (never the webhook secret, which is shown once). */
export const subscriptionView = (s: Subscription) => ({
  id: s.subscriptionId,
  name: s.name,
  state: subscriptionStateToJSON(s.state).replace('SUBSCRIPTION_STATE_', '').toLowerCase(),
  filter: filterToJson(s.filter ?? { unitIds: [], regionCodes: [], eventTypes: [], kinds: [], categories: [] }),
  delivery: s.webhookUrl ? { webhookUrl: s.webhookUrl } : { stream: true },
  startToken: s.startToken,
  createdAt: s.createTime?.toISOString(),
  updatedAt: s.updateTime?.toISOString(),
});

/** The position a stream starts from: the token given (one of this subscription's, not before its start), or its start. */
export function streamStart(subscription: Subscription, token: string | undefined): Position {
  const start = decodePosition(subscription.subscriptionId, subscription.startToken);
  if (!token) return start;
  let position: Position;
  try {
    position = decodePosition(subscription.subscriptionId, token);
  } catch (err) {
    if (err instanceof PositionError) throw subscriptionProblems.error('BAD_RESUME_TOKEN', { detail: err.message });
    throw err;
  }
  if (!notBefore(position, start))
    throw subscriptionProblems.error('BAD_RESUME_TOKEN', {
      detail: 'the resume token reaches back before the subscription began',
    });
  return position;
}

/** The integrator's subscription that may stream now: 404 when it is not theirs, 409 when paused. */
export function streamable(store: SubscriptionStore, integrator: Integrator, subscriptionId: string): Subscription {
  const subscription = store.get(subscriptionId);
  if (!subscription || subscription.integratorId !== integrator.clientId)
    throw subscriptionProblems.error('SUBSCRIPTION_NOT_FOUND', {
      detail: `no subscription ${subscriptionId} of yours`,
    });
  if (subscription.state === SubscriptionState.SUBSCRIPTION_STATE_PAUSED)
    throw subscriptionProblems.error('SUBSCRIPTION_PAUSED', { detail: `subscription ${subscriptionId} is paused` });
  return subscription;
}

const idParams = {
  type: 'object',
  required: ['subscriptionId'],
  properties: { subscriptionId: { type: 'string', pattern: '^[0-9a-f-]{36}$' } },
} as const;
const stringList = (maxItems: number, pattern?: string) =>
  ({
    type: 'array',
    maxItems,
    items: { type: 'string', minLength: 1, maxLength: 64, ...(pattern ? { pattern } : {}) },
  }) as const;
const createBody = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: subscriptionLimits.nameLength },
    filter: {
      type: 'object',
      additionalProperties: false,
      properties: {
        unitIds: stringList(100),
        regionCodes: stringList(100, '^\\d{6}$'),
        eventTypes: stringList(100),
        kinds: stringList(3),
        categories: stringList(18),
      },
    },
    webhookUrl: { type: 'string', minLength: 8, maxLength: 2000 },
  },
} as const;

interface CreateBody {
  name: string;
  filter?: Parameters<typeof filterFromJson>[0];
  webhookUrl?: string;
}

export function addSubscriptionRoutes(app: FastifyInstance, deps: SubscriptionRoutesDeps) {
  const { store, directory } = deps;
  const openStreams = new Map<string, Set<Feed>>();
  const enders = new Set<() => void>();
  const tags = ['integrator'];

  function own(request: FastifyRequest<{ Params: { subscriptionId: string } }>, reply: FastifyReply) {
    const integrator = integratorOf(deps.integrators, request, reply);
    const subscription = store.get(request.params.subscriptionId);
    if (!subscription || subscription.integratorId !== integrator.clientId)
      throw subscriptionProblems.error('SUBSCRIPTION_NOT_FOUND', {
        detail: `no subscription ${request.params.subscriptionId} of yours`,
      });
    return { integrator, subscription };
  }

  async function save(subscription: Subscription) {
    try {
      await store.save(subscription);
    } catch (err) {
      throw subscriptionProblems.error('STORE_UNAVAILABLE', { detail: (err as Error).message });
    }
  }

  app.post<{ Body: CreateBody }>(
    '/v1/subscriptions',
    {
      schema: {
        summary: 'Makes a subscription to case events, delivered to a webhook or pulled (SSE, gRPC)',
        description:
          'The filter selects by the holder’s unit subtree, the place’s region, event types, kinds and categories; ' +
          'an empty dimension selects everything your unit may see. With `webhookUrl` (https, a public address) ' +
          'events are POSTed there signed the Standard Webhooks way; the secret is in the answer, once. ' +
          'The subscription starts at the end of case-events now.',
        tags,
        body: createBody,
      },
    },
    async (request, reply) => {
      const integrator = integratorOf(deps.integrators, request, reply);
      if (store.ofIntegrator(integrator.clientId).length >= subscriptionLimits.perIntegrator)
        throw subscriptionProblems.error('TOO_MANY_SUBSCRIPTIONS', {
          detail: `a client may have ${subscriptionLimits.perIntegrator} subscriptions`,
        });
      let filter: ReturnType<typeof filterFromJson>;
      try {
        filter = filterFromJson(request.body.filter);
      } catch (err) {
        if (err instanceof FilterError)
          throw subscriptionProblems.error('INVALID_FILTER', { detail: err.message, findings: err.problems });
        throw err;
      }
      const problems = filterProblems(filter, integrator, directory, deps.eventTypes);
      if (problems.length)
        throw subscriptionProblems.error('INVALID_FILTER', { detail: problems.join('; '), findings: problems });
      const webhookUrl = request.body.webhookUrl ?? '';
      if (webhookUrl) {
        const problem = await targetProblem(webhookUrl, integrator.allowPrivateTargets);
        if (problem) throw subscriptionProblems.error('TARGET_NOT_ALLOWED', { detail: problem });
      }
      const subscriptionId = randomUUID();
      const now = deps.now();
      const start = await deps.endOfCaseEvents();
      const secret = webhookUrl ? `whsec_${randomBytes(24).toString('base64')}` : '';
      const subscription: Subscription = {
        subscriptionId,
        integratorId: integrator.clientId,
        name: request.body.name,
        filter,
        state: SubscriptionState.SUBSCRIPTION_STATE_ACTIVE,
        webhookUrl,
        webhookSecretSealed: secret ? sealText(deps.keyring, secret, subscriptionId, 'webhook-secret') : undefined,
        startToken: encodePosition(subscriptionId, start),
        createTime: now,
        updateTime: now,
      };
      if (webhookUrl) await deps.webhooks.created(subscription, start);
      await save(subscription);
      reply.code(201).header('location', `/v1/subscriptions/${subscriptionId}`);
      return { ...subscriptionView(subscription), ...(secret ? { webhookSecret: secret } : {}) };
    },
  );

  app.get('/v1/subscriptions', { schema: { summary: 'Lists your subscriptions', tags } }, async (request, reply) => {
    const integrator = integratorOf(deps.integrators, request, reply);
    return {
      integrator: { clientId: integrator.clientId, unitId: integrator.unitId, scopes: [...integrator.scopes] },
      items: store.ofIntegrator(integrator.clientId).map(subscriptionView),
    };
  });

  app.get<{ Params: { subscriptionId: string } }>(
    '/v1/subscriptions/:subscriptionId',
    { schema: { summary: 'One of your subscriptions', tags, params: idParams } },
    async (request, reply) => subscriptionView(own(request, reply).subscription),
  );

  const changeState = (to: SubscriptionState, summary: string) => ({
    schema: { summary, tags, params: idParams },
    handler: async (request: FastifyRequest<{ Params: { subscriptionId: string } }>, reply: FastifyReply) => {
      const { subscription } = own(request, reply);
      if (subscription.state === to) return subscriptionView(subscription);
      const changed = { ...subscription, state: to, updateTime: deps.now() };
      await save(changed);
      return subscriptionView(changed);
    },
  });
  app.post(
    '/v1/subscriptions/:subscriptionId/pause',
    changeState(
      SubscriptionState.SUBSCRIPTION_STATE_PAUSED,
      'Pauses a subscription: its streams end, its webhook waits',
    ),
  );
  app.post(
    '/v1/subscriptions/:subscriptionId/resume',
    changeState(SubscriptionState.SUBSCRIPTION_STATE_ACTIVE, 'Resumes a paused subscription from where it stood'),
  );

  app.delete<{ Params: { subscriptionId: string } }>(
    '/v1/subscriptions/:subscriptionId',
    {
      schema: {
        summary: 'Deletes a subscription: its streams end and nothing more is delivered',
        tags,
        params: idParams,
      },
    },
    async (request, reply) => {
      const { subscription } = own(request, reply);
      await save({ ...subscription, state: SubscriptionState.SUBSCRIPTION_STATE_DELETED, updateTime: deps.now() });
      reply.code(204);
    },
  );

  app.get<{ Params: { subscriptionId: string }; Querystring: { from?: string } }>(
    '/v1/subscriptions/:subscriptionId/events',
    {
      schema: {
        summary: 'The subscription’s events as Server-Sent Events, from a position',
        description:
          'Each event: `id:` its resume token, `event:` its type, `data:` the event as JSON (with `eventId` for ' +
          'dedupe). Reconnect with `Last-Event-ID` (EventSource does) or `?from=<token>` to go on after it; ' +
          'without either the stream starts where the subscription began. A `position` event every 15 s moves ' +
          'the id over stretches the filter passed by.',
        tags,
        params: idParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { from: { type: 'string', maxLength: 2048 } },
        },
      },
    },
    async (request, reply) => {
      const integrator = integratorOf(deps.integrators, request, reply);
      const subscription = streamable(store, integrator, request.params.subscriptionId);
      const lastEventId = request.headers['last-event-id'];
      const from = streamStart(
        subscription,
        (typeof lastEventId === 'string' && lastEventId) || request.query.from || undefined,
      );
      const streams = openStreams.get(subscription.subscriptionId) ?? new Set<Feed>();
      if (streams.size >= subscriptionLimits.streamsPerSubscription)
        throw subscriptionProblems.error('TOO_MANY_STREAMS', {
          detail: `a subscription may have ${subscriptionLimits.streamsPerSubscription} open streams`,
        });
      const raw = reply.raw;
      let ended = false;
      let lastSentToken = '';
      let movedToken = '';
      const write = async (text: string) => {
        if (ended) return;
        if (!raw.write(text)) await new Promise<void>((resolve) => raw.once('drain', resolve).once('close', resolve));
      };
      reply.hijack();
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      raw.write('retry: 2000\n\n');
      // The stream's end, once it exists; a failure reported before that ends it as soon as it does.
      let failedEarly = false;
      let endStream = () => {
        failedEarly = true;
      };
      const feed = await deps
        .openFeed({
          subscription,
          integrator,
          from,
          channel: 'sse',
          recipient: request.ip,
          deliver: async (d) => {
            lastSentToken = d.resumeToken;
            movedToken = '';
            const data = {
              eventId: d.eventId,
              eventType: d.eventType,
              caseId: d.caseId,
              caseNumber: d.caseNumber,
              occurredAt: d.occurTime?.toISOString(),
              event: d.json,
            };
            await write(`id: ${d.resumeToken}\nevent: ${d.eventType}\ndata: ${JSON.stringify(data)}\n\n`);
          },
          moved: (token) => {
            movedToken = token;
          },
          // The stream cannot go on (the audit not taking a record): it ends, the client comes back from its token.
          failed: () => endStream(),
        })
        .catch((err) => {
          raw.end(`event: error\ndata: ${JSON.stringify({ detail: (err as Error).message })}\n\n`);
          throw err;
        });
      streams.add(feed);
      openStreams.set(subscription.subscriptionId, streams);
      const heartbeat = setInterval(() => {
        if (movedToken && movedToken !== lastSentToken) {
          lastSentToken = movedToken;
          void write(`id: ${movedToken}\nevent: position\ndata: ${JSON.stringify({ resumeToken: movedToken })}\n\n`);
        } else void write(': heartbeat\n\n');
      }, deps.heartbeatMs ?? 15_000);
      // A pause or a deletion ends the subscription's streams.
      const off = store.onChange((changed) => {
        if (
          changed.subscriptionId === subscription.subscriptionId &&
          changed.state !== SubscriptionState.SUBSCRIPTION_STATE_ACTIVE
        )
          end();
      });
      const end = () => {
        if (ended) return;
        ended = true;
        clearInterval(heartbeat);
        off();
        enders.delete(end);
        streams.delete(feed);
        if (streams.size === 0) openStreams.delete(subscription.subscriptionId);
        void feed.close();
        raw.end();
      };
      enders.add(end);
      raw.on('close', end);
      endStream = end;
      if (failedEarly) end();
    },
  );

  return {
    /** Ends every open stream (at shutdown). */
    closeStreams() {
      for (const end of enders) end();
    },
  };
}
