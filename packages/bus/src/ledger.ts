import type { ChainableCommander, Redis } from 'ioredis';
import { PoisonRecordError } from './retry.ts';

/**
 * Per-record idempotency for handlers whose effects live in Redis. `once(id, effects)` applies the
 * effects and marks the id done in one MULTI/EXEC, so a record delivered twice — after a crash between
 * the effect and the offset commit, or a rebalance — has its effects applied exactly once. WATCH on the
 * mark makes a second instance racing on the same record lose cleanly. Flushing Redis drops effects
 * and marks together, and the service rebuilds both from Kafka.
 */
export interface Ledger {
  once(id: string, effects: (tx: ChainableCommander) => void): Promise<'applied' | 'duplicate'>;
  /** The ids of a batch already done, in one round trip, to skip them before any work. */
  done(ids: readonly string[]): Promise<Set<string>>;
  close(): Promise<void>;
}

export interface LedgerOptions {
  /** Key prefix of the owning service, e.g. `notification:done:`. */
  prefix: string;
  /** How long a mark outlives its record: longer than any redelivery can come late. */
  ttlSeconds?: number;
}

export function createLedger(redis: Redis, options: LedgerOptions): Ledger {
  // WATCH state belongs to a connection: this one is used by the ledger alone, one record at a time.
  const conn = redis.duplicate();
  const ttl = options.ttlSeconds ?? 7 * 24 * 3600;
  const key = (id: string) => options.prefix + id;
  let queue: Promise<unknown> = Promise.resolve();

  async function apply(id: string, effects: (tx: ChainableCommander) => void): Promise<'applied' | 'duplicate'> {
    await conn.watch(key(id));
    if ((await conn.exists(key(id))) === 1) {
      await conn.unwatch();
      return 'duplicate';
    }
    const tx = conn.multi();
    effects(tx);
    tx.set(key(id), '1', 'EX', ttl);
    const result = await tx.exec();
    if (result === null) return 'duplicate';
    const failed = result.find(([err]) => err);
    if (failed) {
      // A command refused inside EXEC (a wrong type, say) is a programming error, not a transient fault:
      // the mark goes, so that the record parked in the DLQ applies again when replayed after a fix.
      await conn.del(key(id));
      throw new PoisonRecordError('LEDGER_EFFECT_FAILED', `effects of ${id} failed: ${failed[0]?.message}`);
    }
    return 'applied';
  }

  return {
    once(id, effects) {
      const next = queue.then(() => apply(id, effects));
      queue = next.catch(() => {});
      return next;
    },
    async done(ids) {
      if (ids.length === 0) return new Set();
      const pipeline = redis.pipeline();
      for (const id of ids) pipeline.exists(key(id));
      const results = (await pipeline.exec()) ?? [];
      return new Set(ids.filter((_, i) => results[i]?.[1] === 1));
    },
    async close() {
      await queue;
      conn.disconnect();
    },
  };
}
