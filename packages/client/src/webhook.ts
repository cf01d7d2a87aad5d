import { createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookError } from './errors.ts';

// Webhooks the Standard Webhooks way (standardwebhooks.com): `webhook-id`, `webhook-timestamp` (unix
// seconds) and `webhook-signature`, a space-separated list of `v1,<base64 HMAC-SHA256 of
// "<id>.<timestamp>.<body>">`. The timestamp is signed, so a captured call is refused once the tolerance
// has passed; within it, a `seen` store of ids refuses the same call a second time.

/** Ids already taken, remembered until they could no longer pass the timestamp check anyway. */
export interface SeenStore {
  has(id: string): boolean | Promise<boolean>;
  add(id: string, expiresAt: Date): void | Promise<void>;
}

/** A `SeenStore` in this process's memory (a receiver of several instances wants a shared one, e.g. Redis SET NX EX). */
export function memorySeenStore(): SeenStore {
  const ids = new Map<string, number>();
  return {
    has(id) {
      const until = ids.get(id);
      return until !== undefined && until > Date.now();
    },
    add(id, expiresAt) {
      const now = Date.now();
      for (const [known, until] of ids) if (until <= now) ids.delete(known);
      ids.set(id, expiresAt.getTime());
    },
  };
}

/**
 * The key's bytes: `whsec_<base64>` as Standard Webhooks gives secrets; anything else is taken as the bytes
 * of the string itself, so a subscription's secret from before Standard Webhooks keeps working.
 */
export function secretBytes(secret: string): Buffer {
  if (!secret) throw new WebhookError('WEBHOOK_BAD_SECRET', 'the secret is empty');
  if (!secret.startsWith('whsec_')) return Buffer.from(secret, 'utf8');
  const encoded = secret.slice('whsec_'.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0)
    throw new WebhookError('WEBHOOK_BAD_SECRET', 'the part after whsec_ is not base64');
  return Buffer.from(encoded, 'base64');
}

const hmac = (key: Buffer, id: string, timestamp: number, body: string | Uint8Array) =>
  createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();

// A type, not an interface: it passes as a plain record of headers (to fetch, or back to verifyWebhook).
export type SignedHeaders = {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
};

/** The three headers that carry `body` signed with `secret` under `id` at `timestamp` (a Date or unix seconds). */
export function signWebhook(o: {
  secret: string;
  id: string;
  timestamp: Date | number;
  body: string | Uint8Array;
}): SignedHeaders {
  const seconds = typeof o.timestamp === 'number' ? o.timestamp : Math.floor(o.timestamp.getTime() / 1000);
  const signature = hmac(secretBytes(o.secret), o.id, seconds, o.body).toString('base64');
  return { 'webhook-id': o.id, 'webhook-timestamp': String(seconds), 'webhook-signature': `v1,${signature}` };
}

type HeaderBag = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;
function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const bag = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  const key = Object.keys(bag).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : bag[key];
  return Array.isArray(value) ? value.join(' ') : (value as string | undefined);
}

export interface Verified {
  readonly id: string;
  readonly timestamp: Date;
}

/**
 * Checks a delivery as received: `body` must be the raw bytes (or their text) as they came, before any
 * parsing. Resolves with its id and time, or rejects with a `WebhookError`. With `seen`, the id is then
 * remembered: the same id again is WEBHOOK_REPLAYED — which a receiver that crashed before answering a
 * first delivery should answer with a 2xx, since it has had that event.
 */
export async function verifyWebhook(o: {
  secret: string;
  headers: HeaderBag;
  body: string | Uint8Array;
  now?: Date;
  toleranceSeconds?: number;
  seen?: SeenStore;
}): Promise<Verified> {
  const key = secretBytes(o.secret);
  const id = header(o.headers, 'webhook-id');
  const stamp = header(o.headers, 'webhook-timestamp');
  const signatures = header(o.headers, 'webhook-signature');
  if (!id || !stamp || !signatures)
    throw new WebhookError('WEBHOOK_MISSING_HEADERS', 'webhook-id, webhook-timestamp and webhook-signature are needed');
  if (!/^\d{1,12}$/.test(stamp)) throw new WebhookError('WEBHOOK_BAD_TIMESTAMP', `"${stamp}" is not unix seconds`);
  const seconds = Number(stamp);
  const expected = hmac(key, id, seconds, o.body);
  // Compared in constant time, each `v1` candidate; other versions are not ours to judge.
  const matches = signatures.split(' ').some((candidate) => {
    const [version, encoded] = candidate.split(',', 2);
    if (version !== 'v1' || !encoded) return false;
    const given = Buffer.from(encoded, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new WebhookError('WEBHOOK_BAD_SIGNATURE', 'no v1 signature matches');
  const tolerance = o.toleranceSeconds ?? 300;
  const now = Math.floor((o.now ?? new Date()).getTime() / 1000);
  if (seconds < now - tolerance)
    throw new WebhookError('WEBHOOK_STALE', `signed ${now - seconds}s ago, more than ${tolerance}s`);
  if (seconds > now + tolerance)
    throw new WebhookError('WEBHOOK_FUTURE', `signed ${seconds - now}s ahead, more than ${tolerance}s`);
  if (o.seen) {
    if (await o.seen.has(id)) throw new WebhookError('WEBHOOK_REPLAYED', `id ${id} was taken before`);
    // Past timestamp + tolerance the call fails as stale, so the id need not be kept longer.
    await o.seen.add(id, new Date((seconds + tolerance) * 1000));
  }
  return { id, timestamp: new Date(seconds * 1000) };
}
