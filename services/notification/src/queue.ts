import type { TraceContext } from '@petition/contract';
import type { Notice } from '@petition/notices';
import type { ChainableCommander, Redis } from 'ioredis';

// The notices to deliver, in Redis under `<prefix>ntf:`: each notice once (its id is derived from the
// source event, the recipient and the channel, and a delivered one is remembered), due times in a sorted
// set, and a claim that is only a lease — a worker that dies mid-delivery leaves the notice to come due
// again. Failed notices come back after their backoff; given-up ones are parked until replayed.
//
// Notification's whole keyspace under `<prefix>ntf:` — a cache, rebuilt from Kafka after a flush (app.ts):
//   n:<noticeId>       a notice queued (JSON Pending), until delivered or parked
//   due                the queued notices, scored by when they are due (or a claim's lease runs out)
//   done:<noticeId>    delivered or parked: never queued again (90 days; read back from notification-events)
//   parked             the notices given up (notice id → JSON Pending), until replayed
//   outbox             outcome events (NotificationEvent bytes) settled but not yet on notification-events
//   outbox-lock        the instance publishing the outbox (delivery.ts)
//   rate:<channel>:<kind>:<recipient>:<hour>   notices counted against the hourly limit (2 hours)
//   case:<caseId>      what is kept of the case to write and send its notices (contacts.ts)
//   index-epoch        the keyspace's epoch (packages/runtime): gone means flushed
// No inbox: an in-app notice is posted on in-app-notices, which is the one place inboxes are read from.

export interface Pending {
  readonly notice: Notice;
  readonly attempts: number;
  /** For a webhook: the CloudEvent body to send. */
  readonly body?: string;
  readonly lastErrorCode?: string;
  /** The trace of the event the notice is about (W3C), continued when it is delivered. */
  readonly trace?: TraceContext;
}

const enqueueScript = `
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('SET', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[3])
return 1`;

const claimScript = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return ids`;

const DONE_TTL_S = 90 * 86_400;

export type Settled =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'retry'; readonly pending: Pending; readonly at: number }
  | { readonly kind: 'park'; readonly pending: Pending };

export function createQueue(redis: Redis, prefix: string, leaseMs = 60_000) {
  // Called by its digest (EVALSHA): the script's text is not sent, nor hashed by Redis, for every notice.
  redis.defineCommand('notificationEnqueue', { numberOfKeys: 3, lua: enqueueScript });
  type WithEnqueue = { notificationEnqueue(...keysThenArgs: string[]): ChainableCommander };
  const k = {
    pending: (id: string) => `${prefix}n:${id}`,
    done: (id: string) => `${prefix}done:${id}`,
    due: `${prefix}due`,
    parked: `${prefix}parked`,
    outbox: `${prefix}outbox`,
  };
  return {
    /** Queues notices in one round trip, each unless it is queued or delivered already. */
    async enqueueMany(items: readonly { pending: Pending; dueAt: number }[]) {
      if (items.length === 0) return;
      const pipe = redis.pipeline();
      for (const { pending, dueAt } of items) {
        const id = pending.notice.id;
        (pipe as unknown as WithEnqueue).notificationEnqueue(
          k.done(id),
          k.pending(id),
          k.due,
          JSON.stringify(pending),
          String(dueAt),
          id,
        );
      }
      await pipe.exec();
    },

    /** Up to `limit` notices due by `now`, each leased to the caller for a while. */
    async claim(now: number, limit: number): Promise<Pending[]> {
      const ids = (await redis.eval(
        claimScript,
        1,
        k.due,
        String(now),
        String(now + leaseMs),
        String(limit),
      )) as string[];
      if (ids.length === 0) return [];
      const raw = await redis.mget(...ids.map(k.pending));
      return raw.flatMap((json) => (json ? [JSON.parse(json) as Pending] : []));
    },

    /**
     * Records what became of an attempt, and queues its outcome events in the outbox — in one step, right
     * after the attempt, so that a process killed a moment later neither sends it again nor loses them.
     */
    async settle(p: Pending, next: Settled, outcomes: readonly Uint8Array[]) {
      const id = p.notice.id;
      const m = redis.multi();
      if (next.kind === 'delivered') m.set(k.done(id), '1', 'EX', DONE_TTL_S).del(k.pending(id)).zrem(k.due, id);
      else if (next.kind === 'retry') m.set(k.pending(id), JSON.stringify(next.pending)).zadd(k.due, next.at, id);
      else m.hset(k.parked, id, JSON.stringify(next.pending)).del(k.pending(id)).zrem(k.due, id);
      for (const o of outcomes) m.rpush(k.outbox, Buffer.from(o));
      await m.exec();
    },

    /** The oldest outcome events not yet published. */
    outboxPeek: (limit: number) => redis.lrangeBuffer(k.outbox, 0, limit - 1),
    /** Forgets the `n` oldest outcome events once they are published. */
    outboxDrop: async (n: number) => {
      await redis.ltrim(k.outbox, n, -1);
    },

    /** Puts notices back to come due again at their times, in one round trip. */
    async retryAtMany(later: readonly { pending: Pending; at: number }[]) {
      if (later.length === 0) return;
      const m = redis.multi();
      for (const { pending, at } of later)
        m.set(k.pending(pending.notice.id), JSON.stringify(pending)).zadd(k.due, at, pending.notice.id);
      await m.exec();
    },

    /** Counts one more notice for each recipient in the hour of `now`, in one round trip; the counts so far. */
    async countHourlyMany(recipients: readonly string[], now: number): Promise<number[]> {
      if (recipients.length === 0) return [];
      const hour = Math.floor(now / 3_600_000);
      const pipe = redis.pipeline();
      for (const recipient of recipients) {
        const key = `${prefix}rate:${recipient}:${hour}`;
        pipe.incr(key).expire(key, 7_200);
      }
      const replies = (await pipe.exec()) ?? [];
      return recipients.map((_, i) => Number(replies[2 * i]?.[1] ?? 0));
    },

    /** Puts parked notices (all, or those named) back in the queue with fresh attempts. */
    async replay(ids?: readonly string[]): Promise<number> {
      const all = await redis.hgetall(k.parked);
      let n = 0;
      for (const [id, json] of Object.entries(all)) {
        if (ids && !ids.includes(id)) continue;
        const p = JSON.parse(json) as Pending;
        await redis
          .multi()
          .hdel(k.parked, id)
          .set(k.pending(id), JSON.stringify({ ...p, attempts: 0 }))
          .zadd(k.due, Date.now(), id)
          .exec();
        n++;
      }
      return n;
    },

    parkedCount: () => redis.hlen(k.parked),
  };
}

export type Queue = ReturnType<typeof createQueue>;
