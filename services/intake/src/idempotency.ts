import { createHash } from 'node:crypto';
import { SealedData } from '@petition/contract';
import { type Keyring, open, seal } from '@petition/seal';
import type { Redis } from 'ioredis';
import { ProblemError, problem } from './problems.ts';

// Idempotency-Key: the same key with the same body gives the same answer; the same key with another body
// is a conflict. The first request claims the key together with its plan (the ids it will use: command,
// case, case number, query code). A second one arriving while the first is still in flight is told to
// retry; one arriving after the first has been gone longer than `inflightMs` without an answer (its process
// died between claiming and answering) takes the claim over and does the work again under the same plan,
// so what the first may have published is published again with the same ids, and routing applies it once.

export interface StoredAnswer {
  readonly status: number;
  readonly body: unknown;
}

export const bodyHash = (body: unknown) =>
  createHash('sha256')
    .update(JSON.stringify(body ?? null))
    .digest('hex');

// What is kept under a key holds a new petition's query code (its plan, then its answer): it is sealed with
// the node's personal-data keys (bound to the key it is stored under), so no code rests in Redis in clear.
function sealedRecords(keyring: Keyring) {
  return {
    write: (k: string, record: unknown) =>
      Buffer.from(
        SealedData.encode(seal(keyring, Buffer.from(JSON.stringify(record)), 'idempotency', k)).finish(),
      ).toString('base64'),
    read(k: string, stored: string | null): Record<string, unknown> {
      if (!stored) return {};
      const sealed = SealedData.decode(Buffer.from(stored, 'base64'));
      // A record moved under another key would answer another request: refused like a wrong key.
      if (Buffer.from(sealed.aad).toString('utf8') !== k) return {};
      return JSON.parse(Buffer.from(open(keyring, sealed)).toString('utf8'));
    },
  };
}

export function createIdempotency(redis: Redis, prefix: string, ttlMs: number, inflightMs: number, keyring: Keyring) {
  const key = (scope: string, idempotencyKey: string) => `${prefix}idem:${scope}:${idempotencyKey}`;
  const records = sealedRecords(keyring);
  return {
    /** Runs `work` once per (scope, key, body); replays the stored answer after that. */
    async once<P>(
      scope: string,
      idempotencyKey: string | undefined,
      body: unknown,
      work: (plan: P) => Promise<StoredAnswer>,
      newPlan: () => P,
    ): Promise<StoredAnswer> {
      if (!idempotencyKey) return work(newPlan());
      if (idempotencyKey.length > 200) {
        throw new ProblemError(
          problem(400, 'INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key is longer than 200 characters'),
        );
      }
      const k = key(scope, idempotencyKey);
      const hash = bodyHash(body);
      let plan = newPlan();
      const claimed = await redis.set(k, records.write(k, { hash, plan, at: Date.now() }), 'PX', ttlMs, 'NX');
      if (!claimed) {
        const stored = records.read(k, await redis.get(k)) as {
          hash?: string;
          plan?: P;
          at?: number;
          answer?: StoredAnswer;
        };
        if (stored.hash !== hash) {
          throw new ProblemError(
            problem(409, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with another request body'),
          );
        }
        if (stored.answer) return stored.answer;
        if (Date.now() - (stored.at ?? 0) < inflightMs || stored.plan === undefined) {
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
        plan = stored.plan;
        await redis.set(k, records.write(k, { hash, plan, at: Date.now() }), 'PX', ttlMs);
      }
      // Server trouble leaves the plan for the retry to take over at once (what was published may have gone out).
      const release = () => redis.set(k, records.write(k, { hash, plan, at: 0 }), 'PX', ttlMs);
      try {
        const answer = await work(plan);
        // Client mistakes are answered again the same way.
        if (answer.status >= 500) await release();
        else await redis.set(k, records.write(k, { hash, answer }), 'PX', ttlMs);
        return answer;
      } catch (error) {
        await release();
        throw error;
      }
    },
  };
}

export type Idempotency = ReturnType<typeof createIdempotency>;
