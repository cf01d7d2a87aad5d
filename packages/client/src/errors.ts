export type WebhookErrorCode =
  /** `webhook-id`, `webhook-timestamp` or `webhook-signature` absent. */
  | 'WEBHOOK_MISSING_HEADERS'
  /** `webhook-timestamp` not a whole number of unix seconds. */
  | 'WEBHOOK_BAD_TIMESTAMP'
  /** Signed longer ago than the tolerance: a captured call sent again later. */
  | 'WEBHOOK_STALE'
  /** Signed further ahead than the tolerance: a clock wrong, or a call forged to outlive the replay window. */
  | 'WEBHOOK_FUTURE'
  /** No `v1` signature in the header matches: the body, id or timestamp altered, or the wrong secret. */
  | 'WEBHOOK_BAD_SIGNATURE'
  /** This id was verified before (the caller's `seen` store): a replay, or a redelivery already taken. */
  | 'WEBHOOK_REPLAYED'
  /** Configuration: the secret is empty or its `whsec_` part is not base64. */
  | 'WEBHOOK_BAD_SECRET';

export class WebhookError extends Error {
  readonly code: WebhookErrorCode;
  constructor(code: WebhookErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'WebhookError';
    this.code = code;
  }
}
