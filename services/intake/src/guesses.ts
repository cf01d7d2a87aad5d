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

// Counts one more under each key in turn (its window starting with its first) and stops at the first over
// its limit: answers that key's position (1-based) and the time left in its window, or 0 when none is over.
// One round trip for every counter a request takes. ARGV: per key, its window (ms) and its limit.
const countScript = `
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  if n == 1 then redis.call('PEXPIRE', key, ARGV[i * 2 - 1]) end
  if n > tonumber(ARGV[i * 2]) then return {i, redis.call('PTTL', key)} end
end
return {0, 0}`;

export function createGuessLimiter(redis: Redis, prefix: string, limit: number, windowMs: number) {
  const key = (client: string) => `${prefix}guess:${client}`;
  return {
    async check(client: string): Promise<void> {
      const [[getErr, count], [, ttl]] = ((await redis.pipeline().get(key(client)).pttl(key(client)).exec()) ?? []) as [
        [Error | null, string | null],
        [Error | null, number],
      ];
      if (getErr) throw getErr;
      if (Number(count ?? 0) >= limit)
        throw tooMany('Too many wrong case numbers or query codes; try again later', 'TOO_MANY_ATTEMPTS', ttl);
    },
    async failed(client: string): Promise<void> {
      await redis.eval(countScript, 1, key(client), windowMs, Number.MAX_SAFE_INTEGER);
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

export function createRegistrationLimiter(redis: Redis, prefix: string, limits: RegistrationLimits, secret: string) {
  // Phone numbers are counted under a keyed digest: no number is kept in the clear.
  const phoneKey = (phone: string) =>
    `${prefix}phone:${createHmac('sha256', secret)
      .update(phone.replace(/[^0-9+]/g, ''))
      .digest('base64url')}`;
  return {
    /** Counts a registration; refuses it (429) when the client or the phone number is over its limit. */
    async take(o: { client?: string; phones: readonly string[] }): Promise<void> {
      const counters: { key: string; windowMs: number; limit: number; title: string; code: string }[] = [];
      if (o.client !== undefined) {
        counters.push({
          key: `${prefix}reg:${o.client}`,
          windowMs: limits.clientWindowMs,
          limit: limits.perClient,
          title: 'Too many petitions from this client; try again later',
          code: 'TOO_MANY_REGISTRATIONS',
        });
      }
      for (const phone of new Set(o.phones)) {
        counters.push({
          key: phoneKey(phone),
          windowMs: limits.phoneWindowMs,
          limit: limits.perPhone,
          title: 'Too many petitions name this phone number; try again later',
          code: 'TOO_MANY_FOR_PHONE',
        });
      }
      if (counters.length === 0) return;
      const [over, ttl] = (await redis.eval(
        countScript,
        counters.length,
        ...counters.map((c) => c.key),
        ...counters.flatMap((c) => [c.windowMs, c.limit]),
      )) as [number, number];
      const refused = counters[over - 1];
      if (refused) throw tooMany(refused.title, refused.code, ttl);
    },
  };
}

export type RegistrationLimiter = ReturnType<typeof createRegistrationLimiter>;
