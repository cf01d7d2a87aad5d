import { connectRedis, epochKey, redisUrlForLogs } from '@petition/runtime';
import type { Context } from './context.ts';
import { json } from './io.ts';

// `petition rebuild <service> --yes`: deletes the epoch key of the service's Redis keyspace. Each instance
// watches that key (runtime epoch-watch, every 5 s); once it is gone the instance exits to be restarted, and
// the first to start again rewinds the service's consumer groups (same names) for the new epoch once every
// instance has left them (runtime epoch-groups): they read the topics from the beginning and rebuild the
// read model. Nothing in Redis is lost that Kafka does not hold (DESIGN: the log is the truth).

/**
 * Where each service keeps its keys: `<TOPIC_PREFIX><segment>`, as its app.ts names it (intake `intake:`,
 * tracking `trk:`, notification `ntf:`, deadline-watchdog `wd:`). Routing keeps no Redis keys (it starts
 * from its snapshots topic and the case-events after it) and is not here.
 */
export const serviceKeyspaces = {
  intake: 'intake:',
  tracking: 'trk:',
  notification: 'ntf:',
  'deadline-watchdog': 'wd:',
} as const;

export type RebuildableService = keyof typeof serviceKeyspaces;

export const rebuildableServices = Object.keys(serviceKeyspaces) as RebuildableService[];

export const isRebuildable = (name: string): name is RebuildableService => Object.hasOwn(serviceKeyspaces, name);

/** The epoch key of the service's keyspace in the deployment of `topicPrefix`. */
export const serviceEpochKey = (service: RebuildableService, topicPrefix: string) =>
  epochKey(`${topicPrefix}${serviceKeyspaces[service]}`);

export async function rebuildCommand(ctx: Context, service: RebuildableService, redisUrl: string): Promise<number> {
  const key = serviceEpochKey(service, ctx.prefix);
  const redis = await connectRedis({ redisUrl, redisTlsCa: ctx.io.env.REDIS_TLS_CA || undefined });
  let deleted: number;
  try {
    deleted = await redis.del(key);
  } finally {
    redis.disconnect();
  }
  if (ctx.json) {
    ctx.io.out(json({ service, key, deleted: deleted === 1, redis: redisUrlForLogs(redisUrl) }));
  } else if (deleted === 1) {
    ctx.io.out(
      `deleted ${key} on ${redisUrlForLogs(redisUrl)}: each ${service} instance notices within 5 s, exits and is restarted, rebuilding from Kafka\n`,
    );
  } else {
    ctx.io.out(`no ${key} on ${redisUrlForLogs(redisUrl)}: ${service} is already rebuilding or has not started\n`);
  }
  return 0;
}
