import type { Redis } from 'ioredis';
import { ProblemError, problem } from './problems.ts';

// Case numbers and query codes must not be guessable by trying: failed attempts are counted per client
// in a window, and a client over the limit is turned away until the window ends.

export function createGuessLimiter(redis: Redis, prefix: string, limit: number, windowMs: number) {
  const key = (client: string) => `${prefix}guess:${client}`;
  return {
    async check(client: string): Promise<void> {
      const count = Number((await redis.get(key(client))) ?? 0);
      if (count >= limit) {
        const ttl = await redis.pttl(key(client));
        throw new ProblemError(
          problem(429, 'TOO_MANY_ATTEMPTS', 'Too many wrong case numbers or query codes; try again later', {
            retryAfterSeconds: Math.max(1, Math.ceil(ttl / 1000)),
          }),
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
