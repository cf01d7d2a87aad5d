import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  caseEvents,
  createBus,
  deadlineEvents,
  inAppNotices,
  isolatedPrefix,
  notificationEvents,
  on,
} from '@petition/bus';
import { memorySeenStore, type Verified, verifyWebhook, WebhookError } from '@petition/client';
import {
  type CaseEvent,
  ClockStage,
  DeadlineEvent,
  type InAppNoticePosted,
  type NotificationEvent,
  PetitionKind,
  RecipientKind,
} from '@petition/contract';
import { CaseRun, petition, realDirectory, unit } from '@petition/lifecycle/test-kit';
import { createLogger } from '@petition/logging';
import { devSealKeys, parseKeyring, sealPerson, sealText } from '@petition/seal';
import { waitFor as until } from '@petition/testing';
import { Redis } from 'ioredis';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Notification, startNotification } from './app.ts';
import { loadNotificationConfig } from './config.ts';

// Notification against the real broker and Redis, a real SMTP server (smtp-server) receiving the mail,
// and real HTTP receivers standing for the SMS gateway and an integrator's webhook.

const logger = createLogger({ service: 'notification-test', level: process.env.LOG_LEVEL ?? 'warn' });
const prefix = isolatedPrefix('notification');
const bus = createBus({
  brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
  clientId: 'ntf-test',
  logger,
  topicPrefix: prefix,
});
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const mails: { to: string; text: string; messageId: string }[] = [];
const sms: { body: { id: string; to: string; text: string }; key: string }[] = [];
/** A delivery as captured, with what the receiver's verifier said of it. */
type Captured = { body: string; headers: IncomingMessage['headers']; key: string; verified: Verified };
const hooks: Captured[] = [];
const unitHooks: Captured[] = [];
const xfjHooks: string[] = [];
/** Each receiver's secret (as the subscriptions below give it) and the ids it has taken. */
const secrets: Record<string, string> = {
  '/hook': 'webhook-secret-0123456789',
  '/gone': 'moved-secret-0123456789',
  '/xfj-hook': 'xfj-secret-0123456789',
  '/unit-hook': 'unit-secret-0123456789',
};
const seen = memorySeenStore();
/** Calls the receivers refused, with the verifier's code. */
const refusals: { url: string; code: string }[] = [];
const gone: string[] = [];
let goneFixed = false;
let hookFailures = 2;
const outcomes: NotificationEvent[] = [];
/** The in-app notices as a reader of the in-app-notices topic takes them, with the record's key. */
const posted: (InAppNoticePosted & { key: string })[] = [];
let smtp: SMTPServer;
let http: Server;
let notification: Notification | undefined;
let env: NodeJS.ProcessEnv;

const read = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => resolve(body));
  });
const port = (s: { address(): unknown }) => (s.address() as AddressInfo).port;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, done) {
      let raw = '';
      stream.on('data', (c) => {
        raw += c;
      });
      stream.on('end', () => {
        const messageId = /^Message-ID: (.*)$/im.exec(raw)?.[1]?.trim() ?? '';
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address).join(','), text: raw, messageId });
        done();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  http = createServer(async (req, res) => {
    const body = await read(req);
    // A receiver down, or gone, answers before it reads anything (so it has taken no id).
    // The first time with a Retry-After of a second, which stands in for the backoff of a tenth.
    if (req.url === '/hook' && hookFailures-- > 0) {
      res.writeHead(503, hookFailures === 1 ? { 'retry-after': '1' } : {}).end();
      return;
    }
    if (req.url === '/gone' && !goneFixed) {
      res.writeHead(410).end();
      return;
    }
    // Every webhook is checked as an integrator would, with @petition/client, before it is taken.
    const secret = secrets[req.url ?? ''];
    let verified: Verified | undefined;
    if (secret) {
      try {
        verified = await verifyWebhook({ secret, headers: req.headers, body, seen });
      } catch (err) {
        const code = err instanceof WebhookError ? err.code : String(err);
        refusals.push({ url: req.url ?? '', code });
        res.writeHead(401).end(code);
        return;
      }
    }
    const captured = (v: Verified) => ({
      body,
      headers: req.headers,
      key: String(req.headers['idempotency-key']),
      verified: v,
    });
    if (req.url === '/gone') {
      gone.push(body);
      res.writeHead(200).end();
      return;
    }
    if (req.url === '/xfj-hook') {
      xfjHooks.push(body);
      res.writeHead(200).end();
      return;
    }
    if (req.url === '/unit-hook') {
      if (verified) unitHooks.push(captured(verified));
      res.writeHead(200).end();
      return;
    }
    if (req.url === '/sms') {
      sms.push({ body: JSON.parse(body), key: String(req.headers['idempotency-key']) });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ messageId: `m-${sms.length}` }));
      return;
    }
    if (verified) hooks.push(captured(verified));
    res.writeHead(204).end();
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  const webhooks = join(mkdtempSync(join(tmpdir(), 'ntf-')), 'webhooks.json');
  writeFileSync(
    webhooks,
    JSON.stringify([
      {
        id: 'zj-platform',
        url: `http://127.0.0.1:${port(http)}/hook`,
        secret: 'webhook-secret-0123456789',
        unitId: '330000-zf',
        eventTypes: ['caseAccepted'],
        personalData: false,
      },
      {
        id: 'moved-platform',
        url: `http://127.0.0.1:${port(http)}/gone`,
        secret: 'moved-secret-0123456789',
        unitId: '330000-zf',
        eventTypes: ['caseReplied'],
        personalData: false,
      },
      {
        id: 'xfj-platform',
        url: `http://127.0.0.1:${port(http)}/xfj-hook`,
        secret: 'xfj-secret-0123456789',
        unitId: '330106-xfj',
        eventTypes: ['supervisionOpened'],
        personalData: false,
      },
      {
        id: 'rsj-office',
        url: `http://127.0.0.1:${port(http)}/unit-hook`,
        secret: 'unit-secret-0123456789',
        unitId: '330106-rsj',
        eventTypes: [],
        personalData: false,
        unitNotices: true,
      },
    ]),
  );
  env = {
    ...process.env,
    TOPIC_PREFIX: prefix,
    NOTIFY_HTTP_PORT: '0',
    NOTIFY_HOST: '127.0.0.1',
    NOTIFY_SMS_URL: `http://127.0.0.1:${port(http)}/sms`,
    NOTIFY_SMTP_URL: `smtp://127.0.0.1:${port(smtp.server)}`,
    NOTIFY_WEBHOOKS: webhooks,
    NOTIFY_UNIT_CHANNELS: 'IN_APP+EMAIL',
    NOTIFY_RETRY_BASE: '100ms',
    NOTIFY_QUIET_HOURS: '0-0',
    NOTIFY_TICK: '100ms',
    NOTIFY_OPS_TOKEN: 'ops-token-for-the-test',
  };
  notification = await startNotification(loadNotificationConfig(env), logger);
  const watcher = bus.consumer({
    groupId: 'test-outcomes',
    fromBeginning: true,
    subscriptions: [
      on(notificationEvents, async (r) => void outcomes.push(r.value)),
      on(inAppNotices, async (r) => {
        if (r.value.payload?.$case === 'posted') posted.push({ ...r.value.payload.value, key: r.key });
      }),
    ],
  });
  await watcher.start();
});

afterAll(async () => {
  await notification?.close();
  await bus.deleteOwnTopics();
  await bus.close();
  const keys = await redis.keys(`${prefix}ntf:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  smtp.close();
  http.close();
});

const directory = realDirectory();
const keyring = parseKeyring(devSealKeys);
function acceptedCase(caseId: string, phone = '13800000000') {
  const run = new CaseRun({ now: '2026-11-20T10:00:00+08:00', directory, caseId });
  const sealed = sealPerson(
    keyring,
    { name: '张三', idNumber: '', idType: '', phone, address: '', email: 'zhangsan@example.cn' },
    caseId,
    'petitioner',
  );
  const queryCodeSealed = sealText(keyring, 'K7QZ-93MX', caseId, 'query-code');
  run.ok(undefined, {
    $case: 'registerPetition',
    value: { petition: petition({ petitioner: { personId: `p-${caseId}`, sealed }, queryCodeSealed }) },
  });
  run.ok(unit('330106-xfj'), {
    $case: 'forwardCase',
    value: { toUnitId: '330106-rsj', toHandlingUnit: true, reason: '' },
  });
  run.ok(unit('330106-rsj'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } });
  return run;
}
const publish = async (events: CaseEvent[]) => (await bus.publisher()).publish(caseEvents, events);
const { RECIPIENT_KIND_PETITIONER: PETITIONER, RECIPIENT_KIND_UNIT: UNIT } = RecipientKind;
/** The in-app notices of a case posted to one kind of recipient. */
const mine = (caseId: string, kind: RecipientKind) =>
  posted.filter((p) => p.caseId === caseId && p.recipientKind === kind);

describe('notification', () => {
  const run = acceptedCase(`ntf-${Date.now()}`);

  it('tells the petitioner by SMS and mail, the receiving unit by mail, and the integrator by a signed webhook', async () => {
    await publish(run.events);
    // The query code, the forward to the unit that decides, the acceptance.
    await until('the SMS', () => sms.length === 3);
    expect(sms.map((m) => m.body.to)).toEqual(['13800000000', '13800000000', '13800000000']);
    expect(sms.find((m) => m.body.text.includes('已转送'))?.body.text).toContain(
      '已转送杭州市西湖区人力资源和社会保障局',
    );
    // The query code goes by SMS (opened only to send it; it is sealed in the event) ...
    expect(sms.find((m) => m.body.text.includes('已登记'))?.body.text).toContain('查询码 K7QZ-93MX');
    expect(sms.find((m) => m.body.text.includes('已由'))?.body.text).toContain(
      '已由杭州市西湖区人力资源和社会保障局受理',
    );
    expect(sms[0]?.key).toBe(sms[0]?.body.id);
    await until('four mails', () => mails.length === 4);
    expect(mails.map((m) => m.to).sort()).toEqual([
      '330106-rsj@units.petition.local',
      'zhangsan@example.cn',
      'zhangsan@example.cn',
      'zhangsan@example.cn',
    ]);
    await until('the webhook, after two 503s', () => hooks.length === 1);
    const hook = hooks[0];
    const cloudEvent = JSON.parse(hook?.body ?? '{}');
    // Verified on receipt under the notice id, which is the CloudEvent's id and the idempotency key.
    expect(hook?.verified.id).toBe(cloudEvent.id);
    expect(hook?.key).toBe(cloudEvent.id);
    expect(hook?.headers['x-petition-signature']).toBeUndefined();
    expect(cloudEvent).toMatchObject({ specversion: '1.0', type: 'cn.petition.caseAccepted', subject: run.caseId });
    await until('the outcomes', () => outcomes.filter((o) => o.payload?.$case === 'notificationDelivered').length >= 6);
    const failed = outcomes.filter((o) => o.payload?.$case === 'notificationFailed');
    expect(failed.map((o) => (o.payload?.$case === 'notificationFailed' ? o.payload.value.errorCode : ''))).toEqual([
      'WEBHOOK_HTTP_503',
      'WEBHOOK_HTTP_503',
    ]);
    // The next attempt after each: the receiver's second, then the backoff's 100–300 ms.
    const waits = failed.map((o) =>
      o.payload?.$case === 'notificationFailed'
        ? (o.payload.value.nextAttemptTime?.getTime() ?? 0) - (o.envelope?.occurTime?.getTime() ?? 0)
        : 0,
    );
    expect(waits[0]).toBeGreaterThan(900);
    expect(waits[0]).toBeLessThanOrEqual(1_000);
    expect(waits[1]).toBeLessThan(500);
    // No address ever appears on the topic.
    expect(JSON.stringify(outcomes)).not.toContain('13800000000');
    // ... and never into the in-app inbox, nor onto any topic.
    await until('the petitioner’s in-app notices', () => mine(run.caseId, PETITIONER).length === 2);
    expect(JSON.stringify(posted)).not.toContain('K7QZ-93MX');
    expect(JSON.stringify(outcomes)).not.toContain('K7QZ-93MX');
    // The unit that asked for its notices at its own endpoint gets them there too, signed.
    await until('the unit’s webhook', () => unitHooks.length === 1);
    expect(JSON.parse(unitHooks[0]?.body ?? '{}')).toMatchObject({ template: 'case-received.zh-CN' });
    expect(unitHooks[0]?.verified.id).toBe(unitHooks[0]?.key);
    await until('the unit’s in-app notice', () => mine(run.caseId, UNIT).length === 1);
    expect(mine(run.caseId, UNIT)[0]).toMatchObject({
      recipientId: '330106-rsj',
      templateId: 'case-received.zh-CN',
      urgent: false,
      key: `${UNIT}:330106-rsj`,
    });
    expect(mine(run.caseId, UNIT)[0]?.body).toContain('请于');
  });

  it('a captured webhook sent again is refused by the verifier, and so is one past the tolerance', async () => {
    const hook = hooks[0] as Captured;
    const headers = Object.fromEntries(
      ['content-type', 'webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(hook.headers[h])]),
    );
    const replayed = await fetch(`http://127.0.0.1:${port(http)}/hook`, { method: 'POST', headers, body: hook.body });
    expect([replayed.status, await replayed.text()]).toEqual([401, 'WEBHOOK_REPLAYED']);
    expect(refusals).toEqual([{ url: '/hook', code: 'WEBHOOK_REPLAYED' }]);
    // Held back past the five minutes, it is stale even to a receiver that never saw it.
    const later = new Date(hook.verified.timestamp.getTime() + 301_000);
    await expect(
      verifyWebhook({
        secret: secrets['/hook'] as string,
        headers,
        body: hook.body,
        now: later,
        seen: memorySeenStore(),
      }),
    ).rejects.toMatchObject({ code: 'WEBHOOK_STALE' });
    // Altered on the way, it is refused for its signature.
    await expect(
      verifyWebhook({ secret: secrets['/hook'] as string, headers, body: hook.body.replace('1.0', '1.1') }),
    ).rejects.toMatchObject({ code: 'WEBHOOK_BAD_SIGNATURE' });
  });

  it('sends nothing twice when the events come again, even after a restart', async () => {
    const [smsBefore, mailBefore, hooksBefore] = [sms.length, mails.length, hooks.length];
    await publish(run.events);
    await notification?.close();
    notification = await startNotification(loadNotificationConfig(env), logger);
    await publish(run.events);
    const reply = run.ok(unit('330106-rsj'), {
      $case: 'replyCase',
      value: { opinion: { summary: '责令补发工资' }, disposition: 1 },
    });
    await publish(reply);
    await until('the reply’s SMS', () => sms.length === smsBefore + 1);
    await new Promise((r) => setTimeout(r, 1_500));
    expect([sms.length, mails.length, hooks.length]).toEqual([smsBefore + 1, mailBefore + 1, hooksBefore]);
    // A webhook sent again would have been refused as a replay rather than captured.
    expect(refusals).toHaveLength(1);
    expect(sms.at(-1)?.body.text).toContain('责令补发工资');
  });

  it('tells nothing of an accusation to the accused bureau, by mail or by its integrator’s webhook (art 30)', async () => {
    // Supervision at 西湖区信访局 of two cases its discipline body holds, as a watchdog from before the
    // rule would have opened it: a complaint, which it may hear of, and an accusation against it.
    const supervisedAt = (caseId: string, eventId: string) =>
      DeadlineEvent.fromPartial({
        envelope: { eventId, caseId, caseVersion: 3, occurTime: new Date() },
        clockId: `${caseId}:handling:3`,
        stage: ClockStage.CLOCK_STAGE_HANDLING,
        responsibleUnitId: '330106-jw',
        payload: {
          $case: 'supervisionOpened',
          value: { supervisingUnitId: '330106-xfj', level: 4, supervisedUnitId: '330106-jw' },
        },
      });
    const held = (over: Parameters<typeof petition>[0], caseId: string, bureau: string) => {
      const c = new CaseRun({ now: '2026-11-20T10:00:00+08:00', directory, caseId });
      c.ok(undefined, { $case: 'registerPetition', value: { petition: petition(over) } });
      c.ok(unit(bureau), { $case: 'forwardCase', value: { toUnitId: '330106-jw', toHandlingUnit: true, reason: '' } });
      return c;
    };
    const complaint = held({ caseNumber: 'NTF-C' }, `ntf-c-${Date.now()}`, '330106-xfj');
    const accusation = held(
      { caseNumber: 'NTF-A', kind: PetitionKind.PETITION_KIND_ACCUSATION, accusedUnitId: '330106-xfj' },
      `ntf-a-${Date.now()}`,
      '330100-xfj',
    );
    await publish([...complaint.events, ...accusation.events]);
    await (await bus.publisher()).publish(deadlineEvents, [
      supervisedAt(complaint.caseId, `d-c-${Date.now()}`),
      supervisedAt(accusation.caseId, `d-a-${Date.now()}`),
    ]);
    const subject = (text: string) =>
      Buffer.from(/^Subject: =\?UTF-8\?B\?(.*)\?=$/im.exec(text)?.[1] ?? '', 'base64').toString('utf8');
    const mailed = (to: string, caseNumber: string) =>
      mails.filter((m) => m.to === `${to}@units.petition.local` && subject(m.text) === `督办通知（${caseNumber}）`)
        .length;
    await until(
      'both supervision mails to the discipline body',
      () => mailed('330106-jw', 'NTF-C') + mailed('330106-jw', 'NTF-A') === 2,
    );
    await until('the complaint’s webhook', () => xfjHooks.length === 1);
    await new Promise((r) => setTimeout(r, 1_500));
    expect([mailed('330106-xfj', 'NTF-C'), mailed('330106-xfj', 'NTF-A')]).toEqual([1, 0]);
    expect(xfjHooks.map((b) => JSON.parse(b).subject)).toEqual([complaint.caseId]);
  });

  it('stopped and started again in the middle of a burst, still tells each petitioner once', async () => {
    const burst = Array.from({ length: 40 }, (_, i) => acceptedCase(`ntf-burst-${i}-${Date.now()}`));
    const before = sms.length;
    await publish(burst.flatMap((r) => r.events));
    await until('some of the burst', () => sms.length > before);
    await notification?.close();
    notification = await startNotification(loadNotificationConfig(env), logger);
    // Three SMS per case: the query code, the forward and the acceptance.
    await until('the whole burst', () => sms.length >= before + 3 * burst.length, 90_000);
    await new Promise((r) => setTimeout(r, 1_500));
    const ids = sms.slice(before).map((m) => m.body.id);
    expect(ids).toHaveLength(3 * burst.length);
    expect(new Set(ids).size).toBe(3 * burst.length);
  });

  it('parks what an endpoint refuses for good, and sends it once replayed', async () => {
    await until('the refused webhook parked', () =>
      outcomes.some((o) => o.recipientId === 'moved-platform' && o.payload?.$case === 'notificationParked'),
    );
    expect(gone).toEqual([]);
    goneFixed = true;
    const replayUrl = `${notification?.httpUrl}/v1/parked/replay`;
    // Operators only: without the token (or with another) nothing is replayed.
    for (const authorization of [undefined, 'Bearer not-the-token']) {
      const refused = await fetch(replayUrl, { method: 'POST', headers: authorization ? { authorization } : {} });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await refused.json()).toMatchObject({ status: 401, detail: expect.stringContaining('NOTIFY_OPS_TOKEN') });
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(gone).toEqual([]);
    const replay = await fetch(replayUrl, {
      method: 'POST',
      headers: { authorization: 'Bearer ops-token-for-the-test' },
    });
    expect(await replay.json()).toEqual({ replayed: 1 });
    await until('the replayed webhook', () => gone.length === 1);
    expect(JSON.parse(gone[0] ?? '{}')).toMatchObject({ type: 'cn.petition.caseReplied' });
  });

  it('after a flush of its Redis keys rebuilds from Kafka and sends nothing again', async () => {
    await notification?.close();
    const keys = await redis.keys(`${prefix}ntf:*`);
    expect(keys.length).toBeGreaterThan(0);
    await redis.del(...keys);
    notification = await startNotification(loadNotificationConfig(env), logger);
    // Every case's events are read again: what was delivered is not sent again. (Mails the hourly limit
    // held back for 330106-rsj were never sent; they go out now, once.)
    await new Promise((r) => setTimeout(r, 4_000));
    const once = (ids: string[]) => expect(new Set(ids).size).toBe(ids.length);
    once(sms.map((m) => m.body.id));
    once(mails.map((m) => m.messageId));
    once(hooks.map((h) => h.key));
    expect(refusals).toHaveLength(1);
    once(posted.map((p) => p.noticeId));
    expect(await redis.exists(`${prefix}ntf:case:${run.caseId}`)).toBe(1);
  });

  it('holds back what goes beyond a recipient’s hourly limit until the next hour', async () => {
    await notification?.close();
    // Its clock runs at the half hour, so that the two notices fall in one hour whenever the test runs.
    const hour = 3_600_000;
    const shift = Math.floor(Date.now() / hour) * hour + hour / 2 - Date.now();
    const now = () => new Date(Date.now() + shift);
    notification = await startNotification(loadNotificationConfig({ ...env, NOTIFY_RATE_PER_RECIPIENT: '1' }), logger, {
      now,
    });
    const run = acceptedCase(`ntf-limit-${Date.now()}`, '13900001111');
    const mine = () => sms.filter((m) => m.body.to === '13900001111').length;
    run.ok(unit('330106-rsj'), {
      $case: 'extendDeadline',
      value: { extraDays: 10, reason: '需要调查', approvalReference: 'A-1' },
    });
    await publish(run.events);
    await until('the first SMS', () => mine() === 1);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(mine()).toBe(1);
    const nextHour = (Math.floor(now().getTime() / hour) + 1) * hour;
    const waiting = await redis.zrangebyscore(`${prefix}ntf:due`, nextHour, '+inf');
    expect(waiting.length).toBeGreaterThanOrEqual(1);
  });

  it('flushed while running, asks to be restarted (its petitioners’ contacts are gone)', async () => {
    await notification?.close();
    let lost = 0;
    notification = await startNotification(loadNotificationConfig(env), logger, { onEpochLost: () => lost++ });
    const keys = await redis.keys(`${prefix}ntf:*`);
    await redis.del(...keys);
    await until('the lost epoch', () => lost > 0);
    expect(lost).toBeGreaterThan(0);
  });
});
