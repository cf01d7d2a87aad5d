import { durationMs, int, loadConfig, str, url } from '@petition/config';
import { membershipSchema } from '@petition/federation';
import { runtimeSchema } from '@petition/runtime';
import { devSealKeys } from '@petition/seal';

export const notificationSchema = {
  ...runtimeSchema,
  ...membershipSchema,
  httpPort: int('NOTIFY_HTTP_PORT', {
    default: 8092,
    min: 0,
    max: 65_535,
    doc: 'Port of notification’s /healthz, /readyz, /metrics',
  }),
  host: str('NOTIFY_HOST', { default: '0.0.0.0', doc: 'Address notification listens on' }),
  sealKeys: str('SEAL_KEYS', {
    default: devSealKeys,
    secret: true,
    doc: 'Personal-data keys `kid:base64(32 bytes),…` (as intake’s): opened only to reach the petitioner',
  }),
  smsUrl: url('NOTIFY_SMS_URL', {
    optional: true,
    doc: 'SMS gateway endpoint (POST JSON {id, to, text}); SMS is off when unset',
  }),
  smtpUrl: url('NOTIFY_SMTP_URL', {
    optional: true,
    doc: 'SMTP server, e.g. smtp://mail.example:25; e-mail is off when unset',
  }),
  mailFrom: str('NOTIFY_MAIL_FROM', { default: 'xinfang-noreply@petition.local', doc: 'Sender of notification mail' }),
  unitMailDomain: str('NOTIFY_UNIT_MAIL_DOMAIN', {
    default: 'units.petition.local',
    doc: 'Units are mailed at <unit id>@<this domain>',
  }),
  unitChannels: str('NOTIFY_UNIT_CHANNELS', {
    default: 'IN_APP',
    doc: 'How units are told: channels joined by +, with per-unit or per-region exceptions, e.g. `IN_APP,33=IN_APP+EMAIL`',
  }),
  webhooks: str('NOTIFY_WEBHOOKS', {
    optional: true,
    doc: 'JSON file of subscriptions [{id, url, secret, unitId, eventTypes, personalData, unitNotices}]',
  }),
  opsToken: str('NOTIFY_OPS_TOKEN', {
    optional: true,
    secret: true,
    doc: 'Bearer token operators send to POST /v1/parked/replay; unset: the replay is refused',
  }),
  maxAttempts: int('NOTIFY_MAX_ATTEMPTS', { default: 6, min: 1, max: 50, doc: 'Tries before a notice is parked' }),
  retryBaseMs: durationMs('NOTIFY_RETRY_BASE', {
    default: 2_000,
    doc: 'First retry delay; doubles each time, with jitter',
  }),
  quietHours: str('NOTIFY_QUIET_HOURS', {
    default: '22-7',
    doc: 'Hours (Asia/Shanghai) in which non-urgent notices to units wait, `from-to`; `0-0` for none',
  }),
  perRecipientHourly: int('NOTIFY_RATE_PER_RECIPIENT', {
    default: 20,
    min: 1,
    max: 100_000,
    doc: 'Most notices one recipient gets on one channel in an hour; the rest wait for the next hour',
  }),
  perChannelSecond: int('NOTIFY_RATE_PER_CHANNEL', {
    default: 500,
    min: 1,
    max: 1_000_000,
    doc: 'Most notices one instance sends on one channel in a second (gateway limits); the rest wait a second',
  }),
  leaseMs: durationMs('NOTIFY_LEASE', {
    default: 60_000,
    doc: 'How long a claimed notice is left to its worker before another may take it (a worker that died)',
  }),
  tickMs: durationMs('NOTIFY_TICK', { default: 200, doc: 'How often due notices are looked for' }),
} as const;

export type NotificationConfig = ReturnType<typeof loadNotificationConfig>;

/** Which secrets hold the development values published in this repository (refused at start unless allowed). */
export const developmentSecretsIn = (config: NotificationConfig) => ({ SEAL_KEYS: config.sealKeys === devSealKeys });
export const loadNotificationConfig = (env: NodeJS.ProcessEnv = process.env) => loadConfig(notificationSchema, env);
