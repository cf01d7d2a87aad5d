import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ProblemError, problem } from './problems.ts';

// Idempotency-Key: the same key with the same body gives the same answer; the same key with another body
// is a conflict. The first request claims the key; a second one arriving while the first is still in
// flight is told to retry.

export interface StoredAnswer {
  readonly status: number;
  readonly body: unknown;
}

export const bodyHash = (body: unknown) =>
  createHash('sha256')
    .update(JSON.stringify(body ?? null))
    .digest('hex');

export function createIdempotency(redis: Redis, prefix: string, ttlMs: number) {
  const key = (scope: string, idempotencyKey: string) => `${prefix}idem:${scope}:${idempotencyKey}`;
  return {
    /** Runs `work` once per (scope, key, body); replays the stored answer after that. */
    async once(
      scope: string,
      idempotencyKey: string | undefined,
      body: unknown,
      work: () => Promise<StoredAnswer>,
    ): Promise<StoredAnswer> {
      if (!idempotencyKey) return work();
      if (idempotencyKey.length > 200) {
        throw new ProblemError(
          problem(400, 'INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key is longer than 200 characters'),
        );
      }
      const k = key(scope, idempotencyKey);
      const hash = bodyHash(body);
      const claimed = await redis.set(k, JSON.stringify({ hash }), 'PX', ttlMs, 'NX');
      if (!claimed) {
        const stored = JSON.parse((await redis.get(k)) ?? '{}') as { hash?: string; answer?: StoredAnswer };
        if (stored.hash !== hash) {
          throw new ProblemError(
            problem(409, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with another request body'),
          );
        }
        if (!stored.answer) {
          throw new ProblemError(
            problem(
              409,
              'IDEMPOTENCY_IN_PROGRESS',
              'The first request with this Idempotency-Key is still running; retry',
              {
                retryable: true,
              },
            ),
          );
        }
        return stored.answer;
      }
      try {
        const answer = await work();
        // Client mistakes are answered again the same way; server trouble frees the key for a retry.
        if (answer.status >= 500) await redis.del(k);
        else await redis.set(k, JSON.stringify({ hash, answer }), 'PX', ttlMs);
        return answer;
      } catch (error) {
        await redis.del(k);
        throw error;
      }
    },
  };
}

export type Idempotency = ReturnType<typeof createIdempotency>;
