// `npm run notify -- replay [notice id …]`: puts parked notices (all, or those named) back in
// notification's queue with fresh attempts, e.g. once an integrator's endpoint works again. The same as
// `POST /v1/parked/replay` on a running notification service.
import { createNotificationQueue, loadNotificationConfig } from '@petition/notification';
import { Redis } from 'ioredis';

const [command = '', ...ids] = process.argv.slice(2);
if (command !== 'replay') {
  process.stderr.write('usage: npm run notify -- replay [notice id …]\n');
  process.exit(2);
}
const config = loadNotificationConfig();
const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 3 });
try {
  const queue = createNotificationQueue(redis, `${config.topicPrefix}ntf:`);
  const replayed = await queue.replay(ids.length > 0 ? ids : undefined);
  process.stdout.write(`${replayed} parked notice(s) queued again\n`);
} finally {
  redis.disconnect();
}
