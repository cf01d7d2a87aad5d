import { createHmac } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ProblemError, problem } from './problems.ts';

// Counted limits per client, in intake's Redis keys (`<prefix>guess:<client>`, `<prefix>reg:<client>`,
// `<prefix>phone:<digest>`), each a counter that expires with its window:
// - case numbers and query codes must not be guessable by trying: failed attempts are counted, and a client
//   over the limit is turned away until the window ends;
// - anonymous registrations per client, and registrations naming one phone number (each one texts it when
//   SMS is on), so that nobody floods the units' inboxes or a stranger's phone.

const tooMany = (title: string, code: string, ttlMs: number) =>
  new ProblemError(problem(429, code, title, { retryAfterSeconds: Math.max(1, Math.ceil(ttlMs / 1000)) }));

export function createGuessLimiter(redis: Redis, prefix: string, limit: number, windowMs: number) {
  const key = (client: string) => `${prefix}guess:${client}`;
  return {
    async check(client: string): Promise<void> {
      const count = Number((await redis.get(key(client))) ?? 0);
      if (count >= limit) {
        throw tooMany(
          'Too many wrong case numbers or query codes; try again later',
          'TOO_MANY_ATTEMPTS',
          await redis.pttl(key(client)),
        );
      }
    },
    async failed(client: string): Promise<void> {
      const k = key(client);
      const count = await redis.incr(k);
      if (count === 1) await redis.pexpire(k, windowMs);
    },
  };
}

export type GuessLimiter = ReturnType<typeof createGuessLimiter>;

export interface RegistrationLimits {
  /** Anonymous registrations one client may make per window. */
  readonly perClient: number;
  readonly clientWindowMs: number;
  /** Registrations that may name one phone number per window. */
  readonly perPhone: number;
  readonly phoneWindowMs: number;
}

// Counts one more and answers the count; the window starts with the first.
const countScript = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`;

export function createRegistrationLimiter(redis: Redis, prefix: string, limits: RegistrationLimits, secret: string) {
  const count = async (key: string, windowMs: number) =>
    (await redis.eval(countScript, 1, key, windowMs)) as [number, number];
  // Phone numbers are counted under a keyed digest: no number is kept in the clear.
  const phoneKey = (phone: string) =>
    `${prefix}phone:${createHmac('sha256', secret)
      .update(phone.replace(/[^0-9+]/g, ''))
      .digest('base64url')}`;
  return {
    /** Counts a registration; refuses it (429) when the client or the phone number is over its limit. */
    async take(o: { client?: string; phones: readonly string[] }): Promise<void> {
      if (o.client !== undefined) {
        const [n, ttl] = await count(`${prefix}reg:${o.client}`, limits.clientWindowMs);
        if (n > limits.perClient)
          throw tooMany('Too many petitions from this client; try again later', 'TOO_MANY_REGISTRATIONS', ttl);
      }
      for (const phone of new Set(o.phones)) {
        const [n, ttl] = await count(phoneKey(phone), limits.phoneWindowMs);
        if (n > limits.perPhone)
          throw tooMany('Too many petitions name this phone number; try again later', 'TOO_MANY_FOR_PHONE', ttl);
      }
    },
  };
}

export type RegistrationLimiter = ReturnType<typeof createRegistrationLimiter>;
