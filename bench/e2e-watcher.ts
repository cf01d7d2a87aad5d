// The e2e benchmark's eye on tracking, in a process of its own so that what it costs is measured apart from
// the load and from the product: it learns of each case it is given the moment tracking writes its clocks,
// from Redis keyspace notifications on the case's clock key (no polling), then checks the case with one
// pipelined read; a case whose clock came before its state is looked at again every 20 ms until it is there. Protocol over IPC: the parent sends `{ add: [caseId, sentAtEpochMs][] }` batches and
// `{ finish: timeoutMs }`; the watcher answers `{ seen: latencyMs[], missing }` and exits.
import { Redis } from 'ioredis';

const prefix = process.env.WATCH_PREFIX ?? '';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const caseKey = (caseId: string) => `${prefix}c:${caseId}`;
const clocksKey = (caseId: string) => `${prefix}k:${caseId}`;

type Message = { add: [string, number][] } | { finish: number };

const reader = new Redis(redisUrl);
const subscriber = new Redis(redisUrl);
const db = Number(new URL(redisUrl).pathname.slice(1) || 0);
const channel = `__keyspace@${db}__:`;

/** Case id → when it was sent (epoch ms). */
const pending = new Map<string, number>();
/** Cases tracking wrote since the last check (notified or just added). */
const touched = new Set<string>();
/** Cases with a clock whose state was not there yet: looked at again on a timer. */
const again = new Set<string>();
setInterval(() => {
  for (const id of again) touched.add(id);
  again.clear();
  void check();
}, 20).unref();
const seen: number[] = [];
let checking = false;

async function check() {
  if (checking || touched.size === 0) return;
  checking = true;
  try {
    while (touched.size > 0) {
      const ids = [...touched].filter((id) => pending.has(id));
      touched.clear();
      if (ids.length === 0) break;
      const pipe = reader.pipeline();
      for (const id of ids) pipe.hget(caseKey(id), 'state').exists(clocksKey(id));
      const replies = (await pipe.exec()) ?? [];
      const now = Date.now();
      ids.forEach((id, i) => {
        const clocked = replies[2 * i + 1]?.[1] === 1;
        const visible = clocked && replies[2 * i]?.[1] === 'CASE_STATE_AWAITING_ACCEPTANCE';
        const sentAt = pending.get(id);
        if (sentAt === undefined) return;
        if (!visible) {
          if (clocked) again.add(id);
          return;
        }
        seen.push(now - sentAt);
        pending.delete(id);
        again.delete(id);
      });
    }
  } finally {
    checking = false;
  }
}

subscriber.on('pmessage', (_pattern: string, key: string) => {
  // `…k:<caseId>`: the case's clocks changed.
  touched.add(key.slice(channel.length + prefix.length + 2));
  void check();
});

// Keyspace events of hash commands, for the time of the run; what was configured before is put back.
const [, notifying = ''] = (await subscriber.config('GET', 'notify-keyspace-events')) as string[];
await subscriber.config('SET', 'notify-keyspace-events', 'Kh');
await subscriber.psubscribe(`${channel}${prefix}k:*`);

process.on('message', (message: Message) => {
  if ('add' in message) {
    for (const [caseId, sentAt] of message.add) {
      pending.set(caseId, sentAt);
      touched.add(caseId); // written before it was added: the check finds it
    }
    void check();
    return;
  }
  const deadline = Date.now() + message.finish;
  const finish = async () => {
    for (let looked = Date.now(); pending.size > 0 && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 50));
      // Every 2 s a look at what remains, in case a notification was missed (a reconnect, say).
      if (Date.now() - looked < 2_000) continue;
      looked = Date.now();
      for (const id of pending.keys()) touched.add(id);
      await check();
    }
    await reader.config('SET', 'notify-keyspace-events', notifying);
    process.send?.({ seen, missing: pending.size }, () => {
      reader.disconnect();
      subscriber.disconnect();
      process.exit(0);
    });
  };
  void finish();
});
process.send?.({ ready: true });
