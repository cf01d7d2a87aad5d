import { signWebhook } from '@petition/client';
import nodemailer from 'nodemailer';

// The ways out: an SMS gateway over HTTP, SMTP mail, and integrators' webhooks (CloudEvents JSON signed
// the Standard Webhooks way, @petition/client); the in-app inbox is the in-app-notices topic (delivery.ts
// posts to it). Each delivery carries the notice id as its idempotency key (HTTP `Idempotency-Key` and
// `webhook-id`, mail `Message-ID`, the posted notice's id), so a receiver can recognise a repeat.

export class DeliveryError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  /** How long the receiver asked to be left alone (`Retry-After` on a 429 or 503), in ms. */
  readonly retryAfterMs: number | undefined;
  constructor(code: string, message: string, retryable: boolean, retryAfterMs?: number) {
    super(message);
    this.name = 'DeliveryError';
    this.code = code;
    this.retryable = retryable;
    this.retryAfterMs = retryAfterMs;
  }
}

const TIMEOUT_MS = 10_000;
/** The most of an answer read: a receiver's body is only a message id, and a large one must not fill memory. */
export const ANSWER_BYTES = 64 * 1024;
/** A `Retry-After` further out than this is capped: a receiver does not get to park a notice for a week. */
const RETRY_AFTER_MAX_MS = 3_600_000;

/**
 * `Retry-After` (seconds, or an HTTP date read against `now`, the real clock the receiver's date is on) as
 * a delay in ms, within 0 and an hour; undefined when absent or unreadable.
 */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const text = value.trim();
  const delay = /^\d+$/.test(text) ? Number(text) * 1000 : Date.parse(text) - now;
  if (Number.isNaN(delay)) return undefined;
  return Math.min(Math.max(delay, 0), RETRY_AFTER_MAX_MS);
}

/** The answer's first `ANSWER_BYTES` as text; the rest is not read (the connection is dropped). */
async function boundedText(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < ANSWER_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // A body cut short: what came is all there is to read.
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, ANSWER_BYTES).toString('utf8');
}

async function post(code: string, url: string, body: string, headers: Record<string, string>): Promise<string> {
  let res: Response;
  try {
    // Never followed: a redirect would take a signed body, or the next one, somewhere nobody configured.
    res = await fetch(url, {
      method: 'POST',
      body,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (err) {
    throw new DeliveryError(`${code}_UNREACHABLE`, (err as Error).message, true);
  }
  const text = await boundedText(res);
  if (res.ok) return text;
  if (res.status >= 300 && res.status < 400)
    throw new DeliveryError(`${code}_HTTP_${res.status}`, `${code.toLowerCase()} redirected, not followed`, true);
  const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
  const later =
    res.status === 429 || res.status === 503 ? retryAfterMs(res.headers.get('retry-after'), Date.now()) : undefined;
  throw new DeliveryError(
    `${code}_HTTP_${res.status}`,
    `${code.toLowerCase()} answered ${res.status}`,
    retryable,
    later,
  );
}

export function createChannels(o: { smsUrl?: string; smtpUrl?: string; mailFrom: string }) {
  const mailer = o.smtpUrl ? nodemailer.createTransport(o.smtpUrl) : undefined;
  return {
    sms: o.smsUrl ? { enabled: true } : undefined,
    email: mailer ? { enabled: true } : undefined,

    async sendSms(to: string, text: string, id: string): Promise<string> {
      if (!o.smsUrl) throw new DeliveryError('SMS_OFF', 'no SMS gateway configured', false);
      if (!to) throw new DeliveryError('SMS_NO_NUMBER', 'the recipient has no phone number', false);
      const answer = await post('SMS_GATEWAY', o.smsUrl, JSON.stringify({ id, to, text }), {
        'content-type': 'application/json',
        'idempotency-key': id,
      });
      try {
        return String((JSON.parse(answer) as { messageId?: unknown }).messageId ?? '');
      } catch {
        return '';
      }
    },

    async sendMail(to: string, subject: string, text: string, id: string): Promise<string> {
      if (!mailer) throw new DeliveryError('EMAIL_OFF', 'no SMTP server configured', false);
      if (!to) throw new DeliveryError('EMAIL_NO_ADDRESS', 'the recipient has no e-mail address', false);
      try {
        const info = await mailer.sendMail({
          from: o.mailFrom,
          to,
          subject,
          text,
          messageId: `<${id}@petition.local>`,
        });
        return String(info.messageId ?? '');
      } catch (err) {
        const code = (err as { responseCode?: number }).responseCode ?? 0;
        throw new DeliveryError(
          `SMTP_${code || 'ERROR'}`,
          (err as Error).message,
          code === 0 || (code >= 400 && code < 500),
        );
      }
    },

    /**
     * Signed under the notice id, so a redelivery carries the same `webhook-id`, and signed afresh at each
     * attempt, so a late retry is not stale. A secret without `whsec_` is used as its own bytes.
     */
    async callWebhook(url: string, secret: string, body: string, id: string): Promise<string> {
      await post('WEBHOOK', url, body, {
        'content-type': 'application/cloudevents+json',
        'idempotency-key': id,
        ...signWebhook({ secret, id, timestamp: new Date(), body }),
      });
      return id;
    },
  };
}

export type Channels = ReturnType<typeof createChannels>;
