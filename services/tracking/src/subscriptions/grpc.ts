import * as grpc from '@grpc/grpc-js';
import {
  type SubscribeRequest,
  SubscribeResponse,
  type SubscribeResponse as SubscribeResponseMessage,
  SubscriptionServiceService,
  SubscriptionState,
} from '@petition/contract';
import type { Logger } from '@petition/logging';
import { ProblemError } from '@petition/runtime';
import type { Feed, FeedOptions } from './feed.ts';
import { authenticateIntegrator, type Integrator, integratorScopes } from './integrators.ts';
import { streamable, streamStart, subscriptionProblems } from './routes.ts';
import type { SubscriptionStore } from './store.ts';

// SubscriptionService.Subscribe on tracking's gRPC port: the feed of routes.ts's SSE stream as server
// streaming, the same credentials (`authorization: Basic …` metadata), the same resume tokens, and every
// problem as a status whose details name it (with the problem document in the `problem-bin` trailer).

const statusOf: Record<number, grpc.status> = {
  400: grpc.status.INVALID_ARGUMENT,
  401: grpc.status.UNAUTHENTICATED,
  403: grpc.status.PERMISSION_DENIED,
  404: grpc.status.NOT_FOUND,
  409: grpc.status.FAILED_PRECONDITION,
  422: grpc.status.INVALID_ARGUMENT,
  429: grpc.status.RESOURCE_EXHAUSTED,
  503: grpc.status.UNAVAILABLE,
};

function statusFor(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof ProblemError) {
    const metadata = new grpc.Metadata();
    metadata.set('problem-bin', Buffer.from(JSON.stringify(err.problem)));
    return {
      code: statusOf[err.problem.status] ?? grpc.status.INTERNAL,
      details: `${err.problem.code}: ${err.problem.detail ?? err.problem.title}`,
      metadata,
    };
  }
  return { code: grpc.status.UNAVAILABLE, details: `FEED_UNAVAILABLE: ${(err as Error).message}` };
}

export interface SubscriptionGrpcDeps {
  readonly integrators: ReadonlyMap<string, Integrator>;
  readonly store: SubscriptionStore;
  readonly openFeed: (options: FeedOptions) => Promise<Feed>;
  readonly logger: Logger;
  readonly host: string;
  readonly port: number;
  readonly heartbeatMs?: number;
}

export async function startSubscriptionGrpc(deps: SubscriptionGrpcDeps) {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 16 * 1024 });
  const calls = new Set<() => void>();

  async function subscribe(call: grpc.ServerWritableStream<SubscribeRequest, SubscribeResponseMessage>) {
    const authorization = call.metadata.get('authorization')[0]?.toString();
    const integrator = authenticateIntegrator(deps.integrators, authorization);
    if (!integrator?.scopes.has(integratorScopes.events)) {
      // grpc-js sends a status emitted as an error; a destroyed call reaches the client as a transient failure.
      call.emit(
        'error',
        statusFor(
          subscriptionProblems.error(integrator ? 'SCOPE_REQUIRED' : 'INTEGRATOR_UNAUTHORIZED', {
            detail: integrator ? 'no events scope' : 'send authorization: Basic base64(client id:secret)',
          }),
        ),
      );
      return;
    }
    let feed: Feed | undefined;
    let ended = false;
    const write = (response: SubscribeResponseMessage) =>
      new Promise<void>((resolve) => {
        if (ended || call.write(response)) resolve();
        else call.once('drain', () => resolve());
      });
    let movedToken = '';
    let lastSent = '';
    const heartbeat = setInterval(() => {
      const token = movedToken || lastSent;
      if (token) void write({ item: { $case: 'heartbeat', value: { resumeToken: token } } });
    }, deps.heartbeatMs ?? 15_000);
    const end = (status?: Partial<grpc.StatusObject>) => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      calls.delete(end);
      off?.();
      void feed?.close();
      if (status) call.emit('error', status);
      else call.end();
    };
    calls.add(end);
    call.on('cancelled', () => end());
    call.on('close', () => end());
    let off: (() => void) | undefined;
    try {
      const request = call.request;
      const subscription = streamable(deps.store, integrator, request.subscriptionId);
      const from = streamStart(subscription, request.resumeToken || undefined);
      off = deps.store.onChange((changed) => {
        if (
          changed.subscriptionId === subscription.subscriptionId &&
          changed.state !== SubscriptionState.SUBSCRIPTION_STATE_ACTIVE
        )
          end(
            statusFor(
              subscriptionProblems.error(
                changed.state === SubscriptionState.SUBSCRIPTION_STATE_PAUSED
                  ? 'SUBSCRIPTION_PAUSED'
                  : 'SUBSCRIPTION_NOT_FOUND',
                { detail: 'the subscription was paused or deleted' },
              ),
            ),
          );
      });
      feed = await deps.openFeed({
        subscription,
        integrator,
        from,
        channel: 'grpc',
        recipient: call.getPeer(),
        deliver: async (d) => {
          lastSent = d.resumeToken;
          movedToken = '';
          await write(
            SubscribeResponse.fromPartial({
              item: {
                $case: 'event',
                value: {
                  eventId: d.eventId,
                  eventType: d.eventType,
                  resumeToken: d.resumeToken,
                  caseId: d.caseId,
                  caseNumber: d.caseNumber,
                  occurTime: d.occurTime,
                  json: JSON.stringify(d.json),
                },
              },
            }),
          );
        },
        moved: (token) => {
          movedToken = token;
        },
        // The stream cannot go on (the audit not taking a record): UNAVAILABLE, which a client retries from its token.
        failed: (err) =>
          end({ code: grpc.status.UNAVAILABLE, details: `FEED_INTERRUPTED: ${(err as Error).message ?? String(err)}` }),
      });
      if (ended) void feed.close();
    } catch (err) {
      deps.logger.info({ err: (err as Error).message }, 'subscribe refused');
      end(statusFor(err));
    }
  }

  server.addService(SubscriptionServiceService, {
    subscribe: (call: grpc.ServerWritableStream<SubscribeRequest, SubscribeResponseMessage>) => void subscribe(call),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${deps.host}:${deps.port}`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const end of [...calls]) end();
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 5_000).unref();
      }),
  };
}
