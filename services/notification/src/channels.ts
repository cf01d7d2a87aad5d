import { createHmac } from 'node:crypto';
import nodemailer from 'nodemailer';

// The ways out: an SMS gateway over HTTP, SMTP mail, and integrators' webhooks (CloudEvents JSON signed
// with HMAC-SHA256); the in-app inbox is the in-app-notices topic (delivery.ts posts to it). Each delivery
// carries the notice id as its idempotency key (HTTP `Idempotency-Key`, mail `Message-ID`, the posted
// notice's id), so a receiver can recognise a repeat.

export class DeliveryError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  constructor(code: string, message: string, retryable: boolean) {
    super(message);
    this.name = 'DeliveryError';
    this.code = code;
    this.retryable = retryable;
  }
}

const TIMEOUT_MS = 10_000;

async function post(code: string, url: string, body: string, headers: Record<string, string>): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    throw new DeliveryError(`${code}_UNREACHABLE`, (err as Error).message, true);
  }
  const text = await res.text().catch(() => '');
  if (res.ok) return text;
  const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
  throw new DeliveryError(`${code}_HTTP_${res.status}`, `${code.toLowerCase()} answered ${res.status}`, retryable);
}

export const signature = (secret: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

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

    async callWebhook(url: string, secret: string, body: string, id: string): Promise<string> {
      await post('WEBHOOK', url, body, {
        'content-type': 'application/cloudevents+json',
        'idempotency-key': id,
        'x-petition-signature': signature(secret, body),
      });
      return id;
    },
  };
}

export type Channels = ReturnType<typeof createChannels>;
