export { WebhookError, type WebhookErrorCode } from './errors.ts';
export {
  type CaseEventDocument,
  type CaseEventType,
  caseEventTypes,
  type DeliveredPerson,
  type FeedEvent,
  isEventOf,
  type PayloadField,
} from './events.ts';
export { FeedError, type FeedErrorCode } from './feed-errors.ts';
export { decodeSubscribeResponse, encodeSubscribeRequest, subscribeGrpc } from './grpc.ts';
export { basicAuthorization, type Credentials, type SubscribeOptions, subscribeSse } from './sse.ts';
export { type Subscription, type SubscriptionFilter, subscriptionsClient } from './subscriptions.ts';
export {
  memorySeenStore,
  type SeenStore,
  type SignedHeaders,
  secretBytes,
  signWebhook,
  type Verified,
  verifyWebhook,
} from './webhook.ts';
