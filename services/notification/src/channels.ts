import { signWebhook } from '@petition/client';
import { DeliveryError, post } from '@petition/outbound';
import nodemailer from 'nodemailer';

export { ANSWER_BYTES, DeliveryError, retryAfterMs } from '@petition/outbound';

// The ways out: an SMS gateway over HTTP, SMTP mail, and integrators' webhooks (CloudEvents JSON signed
// the Standard Webhooks way, @petition/client); the in-app inbox is the in-app-notices topic (delivery.ts
// posts to it). Each delivery carries the notice id as its idempotency key (HTTP `Idempotency-Key` and
// `webhook-id`, mail `Message-ID`, the posted notice's id), so a receiver can recognise a repeat.

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
