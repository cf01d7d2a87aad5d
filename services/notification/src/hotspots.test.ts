import { createBus, inAppNotices, isolatedPrefix, on, situationEvents } from '@petition/bus';
import {
  Category,
  HotspotKind,
  HotspotWindow,
  type InAppNoticePosted,
  RecipientKind,
  SituationEvent,
} from '@petition/contract';
import { realDirectory } from '@petition/lifecycle/test-kit';
import { createLogger } from '@petition/logging';
import { waitFor } from '@petition/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Notification, startNotification } from './app.ts';
import { loadNotificationConfig } from './config.ts';

// Hotspots against the real broker and Redis: a HotspotDetected on situation-events (as the situation
// service writes it) puts an in-app notice in the inbox of the bureau it names, once however often the event
// is read; a HotspotCleared another.

const logger = createLogger({ service: 'notification-hotspots-test', level: process.env.LOG_LEVEL ?? 'warn' });
const prefix = isolatedPrefix('notification-hotspots');
const bus = createBus({
  brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
  clientId: 'ntf-hotspots-test',
  logger,
  topicPrefix: prefix,
});
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const directory = realDirectory();
const bureau = directory.bureauOf('330106')?.unitId ?? '';
const posted: InAppNoticePosted[] = [];
let notification: Notification | undefined;
let reader: ReturnType<typeof bus.consumer> | undefined;

const hotspot = (step: 'hotspotDetected' | 'hotspotCleared') =>
  SituationEvent.fromPartial({
    envelope: { eventId: `${prefix}${step}`, occurTime: new Date(), producer: 'situation' },
    hotspotId: 'surge:hour:330106|3|0|0:493000',
    payload: {
      $case: step,
      value: {
        supervisingUnitId: bureau,
        evidence: {
          kind: HotspotKind.HOTSPOT_KIND_SURGE,
          regionCode: '330106',
          category: Category.CATEGORY_LABOR_SOCIAL_SECURITY,
          window: HotspotWindow.HOTSPOT_WINDOW_HOUR,
          count: 5,
          baselineMean: 0.1,
          score: 5.2,
          sampleCaseIds: ['c-1', 'c-2'],
        },
      },
    },
  });

beforeAll(async () => {
  notification = await startNotification(
    loadNotificationConfig({
      ...process.env,
      TOPIC_PREFIX: prefix,
      NOTIFY_HTTP_PORT: '0',
      NOTIFY_HOST: '127.0.0.1',
      NOTIFY_QUIET_HOURS: '0-0',
      NOTIFY_TICK: '100ms',
    }),
    logger,
  );
  reader = bus.consumer({
    groupId: 'test-hotspot-reader',
    fromBeginning: true,
    subscriptions: [
      on(inAppNotices, async (r) => {
        if (r.value.payload?.$case === 'posted') posted.push(r.value.payload.value);
      }),
    ],
  });
  await reader.start();
});

afterAll(async () => {
  await reader?.stop();
  await notification?.close();
  await bus.deleteOwnTopics();
  await bus.close();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('hotspot notices', () => {
  it('tells the bureau named in a HotspotDetected in its inbox, once, and of the clearing after', async () => {
    const publisher = await bus.publisher();
    // Written twice, as a writer retrying would: the notice id is the same, and it goes out once.
    await publisher.publish(situationEvents, [hotspot('hotspotDetected'), hotspot('hotspotDetected')]);
    await waitFor('the warning in the bureau’s inbox', () => posted.length > 0);
    const [warning] = posted;
    expect(warning?.recipientKind).toBe(RecipientKind.RECIPIENT_KIND_UNIT);
    expect(warning?.recipientId).toBe(bureau);
    expect(warning?.urgent).toBe(true);
    expect(warning?.subject).toBe('形势预警：杭州市西湖区劳动社保信访量激增');
    await publisher.publish(situationEvents, [hotspot('hotspotCleared')]);
    await waitFor('the clearing in the bureau’s inbox', () => posted.length > 1);
    expect(posted.map((p) => p.templateId)).toEqual(['hotspot-detected.zh-CN', 'hotspot-cleared.zh-CN']);
  });
});
