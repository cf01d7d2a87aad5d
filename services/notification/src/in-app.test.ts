import {
  caseEvents,
  createBus,
  deadlineEvents,
  inAppNotices,
  isolatedPrefix,
  notificationEvents,
  on,
  type Publisher,
} from '@petition/bus';
import {
  type CaseEvent,
  ClockStage,
  DeadlineEvent,
  Evaluation,
  type InAppNoticePosted,
  NotificationChannel,
  type NotificationEvent,
  OpinionStage,
  PetitionKind,
  RecipientKind,
  RepeatBasis,
  ReplyDisposition,
  SupervisionGround,
  TransferReason,
} from '@petition/contract';
import { CaseRun, petition, petitionerOf, realDirectory, unit } from '@petition/lifecycle/test-kit';
import { createLogger } from '@petition/logging';
import { type Notice, noticeId, render } from '@petition/notices';
import { devSealKeys, parseKeyring, sealPerson } from '@petition/seal';
import { waitFor as until } from '@petition/testing';
import { Redis } from 'ioredis';
import { Counter } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Notification, startNotification } from './app.ts';
import { createChannels } from './channels.ts';
import { loadNotificationConfig } from './config.ts';
import { createContacts } from './contacts.ts';
import { createDelivery } from './delivery.ts';
import { createQueue } from './queue.ts';

// The in-app channel against the real broker and Redis: a notice is delivered by posting it on
// in-app-notices (the inboxes are read from there alone), read back here as tracking reads it. Units and
// petitioners are told in-app only (no SMS gateway, no mail server): every notice lands on the topic.

const logger = createLogger({ service: 'notification-in-app-test', level: process.env.LOG_LEVEL ?? 'warn' });
const prefix = isolatedPrefix('notification-in-app');
const bus = createBus({
  brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
  clientId: 'ntf-in-app-test',
  logger,
  topicPrefix: prefix,
});
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const env = {
  ...process.env,
  TOPIC_PREFIX: prefix,
  NOTIFY_HTTP_PORT: '0',
  NOTIFY_HOST: '127.0.0.1',
  NOTIFY_QUIET_HOURS: '0-0',
  NOTIFY_TICK: '100ms',
  NOTIFY_RETRY_BASE: '1ms',
};
/** The in-app notices as a reader of the topic takes them, with the record's key. */
const posted: (InAppNoticePosted & { key: string })[] = [];
const outcomes: NotificationEvent[] = [];
let notification: Notification | undefined;

beforeAll(async () => {
  notification = await startNotification(loadNotificationConfig(env), logger);
  const reader = bus.consumer({
    groupId: 'test-in-app-reader',
    fromBeginning: true,
    subscriptions: [
      on(inAppNotices, async (r) => {
        if (r.value.payload?.$case === 'posted') posted.push({ ...r.value.payload.value, key: r.key });
      }),
      on(notificationEvents, async (r) => void outcomes.push(r.value)),
    ],
  });
  await reader.start();
});

afterAll(async () => {
  await notification?.close();
  await bus.deleteOwnTopics();
  await bus.close();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

const directory = realDirectory();
const keyring = parseKeyring(devSealKeys);
const person = { name: '张三', idNumber: '', idType: '', phone: '', address: '', email: '' };
const { RECIPIENT_KIND_PETITIONER: PETITIONER, RECIPIENT_KIND_UNIT: UNIT } = RecipientKind;
const IN_APP = NotificationChannel.NOTIFICATION_CHANNEL_IN_APP;

function acceptedCase(caseId: string, kind: PetitionKind = PetitionKind.PETITION_KIND_COMPLAINT) {
  const run = new CaseRun({ now: '2026-11-20T10:00:00+08:00', directory, caseId });
  const sealed = sealPerson(keyring, person, caseId, 'petitioner');
  run.ok(undefined, {
    $case: 'registerPetition',
    value: { petition: petition({ kind, petitioner: { personId: `p-${caseId}`, sealed } }) },
  });
  run.ok(unit('330106-xfj'), {
    $case: 'forwardCase',
    value: { toUnitId: '330106-rsj', toHandlingUnit: true, reason: '' },
  });
  run.ok(unit('330106-rsj'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } });
  return run;
}
const publish = async (events: CaseEvent[]) => (await bus.publisher()).publish(caseEvents, events);
/** The in-app notices of a case posted to one kind of recipient. */
const mine = (caseId: string, kind: RecipientKind) =>
  posted.filter((p) => p.caseId === caseId && p.recipientKind === kind);

describe('in-app notices', () => {
  it('lands on in-app-notices exactly as rendered, under its notice id and keyed by recipient', async () => {
    const run = acceptedCase(`in-app-${Date.now()}`);
    await publish(run.events);
    const recipientId = `p-${run.caseId}`;
    await until('the acceptance in-app', () =>
      mine(run.caseId, PETITIONER).some((p) => p.templateId === 'case-accepted.zh-CN'),
    );
    const sourceEventId = run.events.find((e) => e.payload?.$case === 'caseAccepted')?.envelope?.eventId ?? '';
    const id = noticeId(sourceEventId, PETITIONER, recipientId, IN_APP);
    const text = render('case-accepted.zh-CN', {
      caseNumber: 'ZJ330106-20261120-0001',
      unitName: '杭州市西湖区人力资源和社会保障局',
      dueDate: '2027年1月19日',
    });
    expect(text.body).toBe(
      '您的信访事项（编号 ZJ330106-20261120-0001）已由杭州市西湖区人力资源和社会保障局受理，将于 2027年1月19日 前出具处理意见。可凭查询码在网上查询办理进度。',
    );
    expect(mine(run.caseId, PETITIONER).find((p) => p.noticeId === id)).toEqual({
      noticeId: id,
      recipientKind: PETITIONER,
      recipientId,
      caseId: run.caseId,
      caseNumber: 'ZJ330106-20261120-0001',
      templateId: 'case-accepted.zh-CN',
      subject: text.subject,
      body: text.body,
      postTime: expect.any(Date),
      sourceEventId,
      urgent: true,
      key: `${PETITIONER}:${recipientId}`,
    });
    // Counted as delivered under the same id; nothing of it kept in notification's Redis.
    await until('its outcome', () => outcomes.some((o) => o.notificationId === id));
    const delivered = outcomes.find((o) => o.notificationId === id);
    expect(delivered).toMatchObject({ channel: IN_APP, payload: { $case: 'notificationDelivered' } });
    expect(delivered?.payload?.$case === 'notificationDelivered' && delivered.payload.value.providerMessageId).toBe(id);
    expect(await redis.keys(`${prefix}ntf:inbox*`)).toEqual([]);
  });

  it('counts a notice delivered only once the broker has it: refused, it is retried, then posted once', async () => {
    const real = await bus.publisher();
    let refusals = 1;
    const flaky: Publisher = {
      publish: (topic, messages) =>
        topic.name === inAppNotices.name && refusals-- > 0
          ? Promise.reject(new Error('NOT_ENOUGH_REPLICAS'))
          : real.publish(topic, messages),
      publishRaw: (topic, records) => real.publishRaw(topic, records),
      close: async () => {},
    };
    const config = loadNotificationConfig(env);
    const direct = `${prefix}direct:`;
    const queue = createQueue(redis, direct, config.leaseMs);
    const { deliverDue } = createDelivery({
      config,
      redis,
      prefix: direct,
      queue,
      channels: createChannels({ mailFrom: config.mailFrom }),
      contacts: createContacts(redis, direct, keyring, logger),
      subscriptions: [],
      unitEndpoint: () => undefined,
      publisher: flaky,
      outcomes: new Counter({
        name: 'in_app_test_outcomes',
        help: 'test',
        labelNames: ['channel', 'outcome'],
        registers: [],
      }),
      now: () => new Date(),
    });
    const sourceEventId = `urged-${Date.now()}`;
    const notice: Notice = {
      id: noticeId(sourceEventId, UNIT, '330106-rsj', IN_APP),
      caseId: 'c-direct',
      sourceEventId,
      recipientKind: UNIT,
      recipientId: '330106-rsj',
      channel: IN_APP,
      templateId: 'case-urged.zh-CN',
      vars: { caseNumber: 'ZJ330106-20261120-0009', times: '3' },
      urgent: false,
    };
    await queue.enqueueMany([{ pending: { notice, attempts: 0 }, dueAt: Date.now() }]);
    expect(await deliverDue()).toBe(1);
    expect(await redis.exists(`${direct}done:${notice.id}`)).toBe(0);
    await until('the refusal recorded', () =>
      outcomes.some((o) => o.notificationId === notice.id && o.payload?.$case === 'notificationFailed'),
    );
    const failed = outcomes.find((o) => o.notificationId === notice.id);
    expect(failed?.payload).toMatchObject({
      $case: 'notificationFailed',
      value: { attempt: 1, errorCode: 'IN_APP_UNPUBLISHED', retryable: true },
    });
    await until('delivered on a later round', async () => {
      await deliverDue();
      return (await redis.exists(`${direct}done:${notice.id}`)) === 1;
    });
    await until('posted', () => posted.some((p) => p.noticeId === notice.id));
    await until('its delivery recorded', () =>
      outcomes.some((o) => o.notificationId === notice.id && o.payload?.$case === 'notificationDelivered'),
    );
    expect(await deliverDue()).toBe(0);
    expect(posted.filter((p) => p.noticeId === notice.id)).toEqual([
      expect.objectContaining({
        subject: '信访人催办（ZJ330106-20261120-0009）',
        body: '信访人第 3 次催办信访事项 ZJ330106-20261120-0009，请抓紧办理。',
        urgent: false,
      }),
    ]);
  });

  it('tells, in-app, the petitioner where the case went and how it ended, and the holder and issuer of a 督办单', async () => {
    // A case moved by its common superior to another department, one linked to it as a repeat, and one
    // with a 督办单 from the city bureau: urged, supplemented, answered late, replied to, rated, closed.
    const moved = acceptedCase(`ntf-moved-${Date.now()}`);
    moved.ok(unit('330106-zf'), {
      $case: 'transferCase',
      value: {
        toUnitId: '330106-zjj',
        reason: TransferReason.TRANSFER_REASON_SUPERIOR_DESIGNATED,
        note: '内部说明：职能划转',
      },
    });
    const repeat = new CaseRun({ now: '2026-11-21T10:00:00+08:00', directory, caseId: `ntf-repeat-${Date.now()}` });
    repeat.cases.set(moved.caseId, {
      caseId: moved.caseId,
      caseNumber: 'ZJ330106-20261120-0001',
      state: moved.state ?? 0,
    });
    repeat.ok(undefined, {
      $case: 'registerPetition',
      value: {
        petition: petition({
          caseNumber: 'ZJ330106-20261121-0002',
          petitioner: {
            personId: `p-${repeat.caseId}`,
            sealed: sealPerson(keyring, person, repeat.caseId, 'petitioner'),
          },
        }),
      },
    });
    repeat.ok(unit('330106-xfj'), {
      $case: 'forwardCase',
      value: { toUnitId: '330106-zjj', toHandlingUnit: true, reason: '' },
    });
    repeat.ok(unit('330106-zjj'), {
      $case: 'linkAsRepeat',
      value: { originalCaseId: moved.caseId, basis: RepeatBasis.REPEAT_BASIS_IN_PROGRESS, reason: '同一事实和理由' },
    });
    // A suggestion: once the petitioner has rated its opinion there is no review, and the case closes.
    const supervised = acceptedCase(`ntf-supervised-${Date.now()}`, PetitionKind.PETITION_KIND_SUGGESTION);
    const [issued] = supervised.ok(unit('330100-xfj'), {
      $case: 'issueSupervision',
      value: {
        ground: SupervisionGround.SUPERVISION_GROUND_URGED,
        instructions: '请于期限内报告',
        reportDueTime: new Date('2026-12-07T16:00:00Z'),
      },
    });
    const asPetitioner = petitionerOf(supervised.caseNumber);
    supervised.ok(asPetitioner, { $case: 'urgeCase', value: { note: '请尽快' } });
    supervised.ok(asPetitioner, { $case: 'supplementCase', value: { material: '补充：欠薪名单' } });
    supervised.at('2026-12-10T10:00:00+08:00');
    const supervisionId = issued.payload?.$case === 'supervisionIssued' ? issued.payload.value.supervisionId : '';
    supervised.ok(unit('330106-rsj'), {
      $case: 'answerSupervision',
      value: { supervisionId, report: { summary: '已约谈企业，工资分两期支付' } },
    });
    supervised.ok(unit('330106-rsj'), {
      $case: 'replyCase',
      value: { opinion: { summary: '建议已采纳' }, disposition: ReplyDisposition.REPLY_DISPOSITION_ANSWERED },
    });
    supervised.ok(asPetitioner, {
      $case: 'evaluateCase',
      value: { stage: OpinionStage.OPINION_STAGE_HANDLING, evaluation: Evaluation.EVALUATION_SATISFIED },
    });
    await publish([...moved.events, ...repeat.events, ...supervised.events]);
    await (await bus.publisher()).publish(deadlineEvents, [
      DeadlineEvent.fromPartial({
        envelope: { eventId: `d-sv-${Date.now()}`, caseId: supervised.caseId, occurTime: new Date() },
        clockId: `${supervised.caseId}:supervisionReport:${issued.envelope?.caseVersion}`,
        stage: ClockStage.CLOCK_STAGE_SUPERVISION_REPORT,
        responsibleUnitId: '330106-rsj',
        payload: { $case: 'deadlineBreached', value: { dueTime: new Date('2026-12-07T16:00:00Z') } },
      }),
    ]);
    const templates = (caseId: string, kind: RecipientKind) =>
      mine(caseId, kind).map((p) => [p.recipientId, p.templateId, p.urgent]);
    await until('the transfer told', () => mine(moved.caseId, PETITIONER).length === 3);
    await until('the repeat told', () => mine(repeat.caseId, PETITIONER).length === 2);
    await until('the supervised case told', () => mine(supervised.caseId, UNIT).length === 7);
    await until('its closure told', () =>
      mine(supervised.caseId, PETITIONER).some((p) => p.templateId === 'case-closed.zh-CN'),
    );
    // A round's notices are posted together, in no particular order: compared as sets.
    const sorted = (rows: unknown[][]) => rows.map((r) => JSON.stringify(r)).sort();
    const petitioner = (caseId: string) => `p-${caseId}`;
    const body = (caseId: string, kind: RecipientKind, templateId: string) =>
      mine(caseId, kind).find((p) => p.templateId === templateId)?.body;
    expect(sorted(templates(moved.caseId, PETITIONER))).toEqual(
      sorted(
        ['case-forwarded.zh-CN', 'case-accepted.zh-CN', 'custody-transferred.zh-CN'].map((t) => [
          petitioner(moved.caseId),
          t,
          true,
        ]),
      ),
    );
    expect(body(moved.caseId, PETITIONER, 'custody-transferred.zh-CN')).toContain(
      '经共同上级机关指定，改由杭州市西湖区住房和城乡建设局办理',
    );
    expect(JSON.stringify(posted)).not.toContain('职能划转');
    expect(templates(moved.caseId, UNIT)).toContainEqual(['330106-zjj', 'case-received.zh-CN', false]);
    expect(sorted(templates(repeat.caseId, PETITIONER))).toEqual(
      sorted([
        [petitioner(repeat.caseId), 'case-forwarded.zh-CN', true],
        [petitioner(repeat.caseId), 'case-linked-as-repeat.zh-CN', true],
      ]),
    );
    expect(body(repeat.caseId, PETITIONER, 'case-linked-as-repeat.zh-CN')).toContain(
      '与编号 ZJ330106-20261120-0001 的信访事项为同一事项',
    );
    expect(sorted(templates(supervised.caseId, UNIT))).toEqual(
      sorted([
        ['330106-rsj', 'case-received.zh-CN', false],
        ['330106-rsj', 'supervision-issued.zh-CN', true],
        ['330106-rsj', 'case-urged.zh-CN', false],
        ['330106-rsj', 'case-supplemented.zh-CN', false],
        ['330100-xfj', 'supervision-answered.zh-CN', false],
        ['330106-rsj', 'deadline-breached.zh-CN', true],
        ['330100-xfj', 'supervision-report-overdue.zh-CN', true],
      ]),
    );
    expect(body(supervised.caseId, UNIT, 'supervision-answered.zh-CN')).toBe(
      '杭州市西湖区人力资源和社会保障局已就信访事项 ZJ330106-20261120-0001 的督办单逾期报告办理情况：已约谈企业，工资分两期支付。',
    );
    expect(JSON.stringify(mine(supervised.caseId, UNIT))).not.toContain('欠薪名单');
    expect(body(supervised.caseId, PETITIONER, 'case-closed.zh-CN')).toContain('处理意见不适用复查，已办结');
  });
});
