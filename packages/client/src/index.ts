export { WebhookError, type WebhookErrorCode } from './errors.ts';
export {
  memorySeenStore,
  type SeenStore,
  type SignedHeaders,
  secretBytes,
  signWebhook,
  type Verified,
  verifyWebhook,
} from './webhook.ts';
