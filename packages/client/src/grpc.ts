import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import * as grpc from '@grpc/grpc-js';
import type { FeedEvent } from './events.ts';
import { FeedError } from './feed-errors.ts';
import { basicAuthorization, type SubscribeOptions } from './sse.ts';

// A subscription's events over gRPC: petition.v1.SubscriptionService/Subscribe (server streaming) on the node's
// tracking gRPC port, resumed from a token like the SSE stream. The two messages are encoded here by their
// field numbers in proto/petition/v1/subscriptions.proto (a test checks them against the contract's own code),
// so that the package needs no generated code.

const subscribePath = '/petition.v1.SubscriptionService/Subscribe';

export function encodeSubscribeRequest(request: { subscriptionId: string; resumeToken: string }): Buffer {
  const writer = new BinaryWriter();
  if (request.subscriptionId) writer.uint32(10).string(request.subscriptionId);
  if (request.resumeToken) writer.uint32(18).string(request.resumeToken);
  return Buffer.from(writer.finish());
}

type Decoded =
  | { kind: 'event'; event: Omit<FeedEvent, 'event'> & { json: string } }
  | { kind: 'heartbeat'; resumeToken: string };

function decodeTimestamp(reader: BinaryReader, length: number): string {
  const end = reader.pos + length;
  let seconds = 0n;
  let nanos = 0;
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1) seconds = BigInt(reader.int64().toString());
    else if (tag >>> 3 === 2) nanos = reader.int32();
    else reader.skip(tag & 7);
  }
  return new Date(Number(seconds) * 1000 + Math.floor(nanos / 1e6)).toISOString();
}

export function decodeSubscribeResponse(bytes: Uint8Array): Decoded {
  const reader = new BinaryReader(bytes);
  let decoded: Decoded | undefined;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    if (field === 1) {
      const end = reader.uint32() + reader.pos;
      const e = { eventId: '', eventType: '', resumeToken: '', caseId: '', caseNumber: '', occurredAt: '', json: '' };
      while (reader.pos < end) {
        const t = reader.uint32();
        switch (t >>> 3) {
          case 1:
            e.eventId = reader.string();
            break;
          case 2:
            e.eventType = reader.string();
            break;
          case 3:
            e.resumeToken = reader.string();
            break;
          case 4:
            e.caseId = reader.string();
            break;
          case 5:
            e.caseNumber = reader.string();
            break;
          case 6:
            e.occurredAt = decodeTimestamp(reader, reader.uint32());
            break;
          case 7:
            e.json = reader.string();
            break;
          default:
            reader.skip(t & 7);
        }
      }
      decoded = { kind: 'event', event: { ...e, eventType: e.eventType as FeedEvent['eventType'] } };
    } else if (field === 2) {
      const end = reader.uint32() + reader.pos;
      let resumeToken = '';
      while (reader.pos < end) {
        const t = reader.uint32();
        if (t >>> 3 === 1) resumeToken = reader.string();
        else reader.skip(t & 7);
      }
      decoded = { kind: 'heartbeat', resumeToken };
    } else reader.skip(tag & 7);
  }
  if (!decoded) throw new FeedError('FEED_PROTOCOL', 'a Subscribe response with neither an event nor a heartbeat');
  return decoded;
}

/** Transient statuses: the stream is opened again from the last token. */
const reopened = new Set([grpc.status.UNAVAILABLE, grpc.status.CANCELLED, grpc.status.INTERNAL, grpc.status.UNKNOWN]);

/**
 * The subscription's events from `resumeToken` on, over gRPC from `address` (`host:port` of the node's tracking
 * gRPC port; `credentials` default insecure, for a TLS-terminating proxy give grpc.credentials.createSsl()).
 * Iterate it; break or abort `signal` to stop. A refusal ends it with a FeedError naming the node's problem code.
 */
export async function* subscribeGrpc(
  address: string,
  options: SubscribeOptions & { credentials?: grpc.ChannelCredentials },
): AsyncGenerator<FeedEvent> {
  const client = new grpc.Client(address, options.credentials ?? grpc.credentials.createInsecure());
  let token = options.resumeToken ?? '';
  try {
    for (;;) {
      if (options.signal?.aborted) return;
      const metadata = new grpc.Metadata();
      metadata.set('authorization', basicAuthorization(options));
      const call = client.makeServerStreamRequest(
        subscribePath,
        (request: { subscriptionId: string; resumeToken: string }) => encodeSubscribeRequest(request),
        (bytes: Buffer) => decodeSubscribeResponse(bytes),
        { subscriptionId: options.subscriptionId, resumeToken: token },
        metadata,
      );
      const abort = () => call.cancel();
      options.signal?.addEventListener('abort', abort, { once: true });
      try {
        for await (const item of call as AsyncIterable<Decoded>) {
          if (item.kind === 'heartbeat') {
            token = item.resumeToken;
            options.onPosition?.(token);
            continue;
          }
          const { json, ...rest } = item.event;
          token = rest.resumeToken;
          options.onPosition?.(token);
          let event: FeedEvent['event'];
          try {
            event = JSON.parse(json) as FeedEvent['event'];
          } catch {
            throw new FeedError('FEED_PROTOCOL', `event ${rest.eventId} is not JSON`);
          }
          yield { ...rest, event };
        }
        if (options.reconnect === false) return;
      } catch (err) {
        if (err instanceof FeedError) throw err;
        if (options.signal?.aborted) return;
        const status = err as grpc.ServiceError;
        if (!reopened.has(status.code)) {
          const problem = /^([A-Z_]+): /.exec(status.details ?? '')?.[1];
          throw new FeedError('FEED_REFUSED', status.details ?? status.message, problem, status.code);
        }
        if (options.reconnect === false) throw new FeedError('FEED_UNREACHABLE', status.details ?? status.message);
      } finally {
        options.signal?.removeEventListener('abort', abort);
        call.cancel();
      }
      await new Promise((resolve) => setTimeout(resolve, options.reconnectDelayMs ?? 1_000));
    }
  } finally {
    client.close();
  }
}
