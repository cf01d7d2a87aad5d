// Notices delivered per second through the notification service (in this process, on the real broker
// and Redis): N cases registered with a sealed petitioner and accepted; each acceptance calls for an SMS
// (to a local HTTP gateway) and an in-app notice, after the query code sent by SMS at registration. Measured from publishing the case events until every
// delivery is on notification-events.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { caseEvents, createBus, isolatedPrefix, notificationEvents, on } from '@petition/bus';
import { type CaseEvent, CaseState, Category, PetitionKind } from '@petition/contract';
import { type Logger, progress } from '@petition/logging';
import { loadNotificationConfig, startNotification } from '@petition/notification';
import { devSealKeys, parseKeyring, sealPerson, sealText } from '@petition/seal';

function caseEventsFor(n: number): CaseEvent[] {
  const keyring = parseKeyring(devSealKeys);
  const run = Date.now().toString(36);
  const envelope = (caseId: string, version: number) => ({
    eventId: `${caseId}-v${version}`,
    caseId,
    caseVersion: version,
    occurTime: new Date(),
    actingUnitId: '330106-rsj',
    correlationId: '',
    causationId: '',
    trace: undefined,
    producer: 'bench',
  });
  return Array.from({ length: n }, (_, i) => {
    const caseId = `bench-ntf-${run}-${i}`;
    const sealed = sealPerson(
      keyring,
      { name: '张三', idNumber: '', idType: '', phone: `138${String(i).padStart(8, '0')}`, address: '', email: '' },
      caseId,
      'petitioner',
    );
    const registered: CaseEvent = {
      envelope: envelope(caseId, 1),
      state: CaseState.CASE_STATE_REGISTERED,
      custodyUnitId: '330106-xfj',
      payload: {
        $case: 'petitionRegistered',
        value: {
          petition: {
            caseNumber: `ZJ-${i}`,
            channel: 4,
            kind: PetitionKind.PETITION_KIND_COMPLAINT,
            category: Category.CATEGORY_LABOR_SOCIAL_SECURITY,
            regionCode: '330106',
            title: '',
            content: '',
            petitioner: { personId: `p-${i}`, sealed },
            representatives: [],
            groupSize: 0,
            accusedUnitId: '',
            attachments: [],
            registeringUnitId: '330106-xfj',
            receivedTime: new Date(),
            queryCodeHash: '',
            anonymous: false,
            externalRef: '',
            concernedUnitId: '',
            queryCodeSealed: sealText(keyring, `Q${i}`, caseId, 'query-code'),
          },
          registrationDueTime: undefined,
        },
      },
    };
    const accepted: CaseEvent = {
      envelope: envelope(caseId, 2),
      state: CaseState.CASE_STATE_ACCEPTED,
      custodyUnitId: '330106-rsj',
      payload: {
        $case: 'caseAccepted',
        value: {
          acceptingUnitId: '330106-rsj',
          noticeTime: new Date(),
          handlingDueTime: new Date(Date.now() + 60 * 86_400_000),
          noticeDocumentUri: '',
        },
      },
    };
    return [registered, accepted];
  }).flat();
}

export async function benchNotification(options: { brokers: string[]; logger: Logger; records: number }) {
  const logger = options.logger.child({ bench: 'notification' });
  const quiet = logger.child({}, { level: 'warn' });
  const n = options.records;
  let smsReceived = 0;
  const gateway = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      smsReceived++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"messageId":"ok"}');
    });
  });
  await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', () => r()));
  const prefix = isolatedPrefix('bench-ntf');
  const notification = await startNotification(
    loadNotificationConfig({
      ...process.env,
      KAFKA_BROKERS: options.brokers.join(','),
      TOPIC_PREFIX: prefix,
      NOTIFY_HTTP_PORT: '0',
      NOTIFY_HOST: '127.0.0.1',
      NOTIFY_SMS_URL: `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/sms`,
      NOTIFY_TICK: '20ms',
    }),
    quiet,
  );
  const bus = createBus({ brokers: options.brokers, clientId: 'bench-ntf', logger: quiet, topicPrefix: prefix });
  let delivered = 0;
  const counter = bus.consumer({
    groupId: 'bench-count',
    subscriptions: [
      on(notificationEvents, async (r) => {
        if (r.value.payload?.$case === 'notificationDelivered') delivered++;
      }),
    ],
  });
  await counter.start();
  const events = caseEventsFor(n);
  // Per case: the query code by SMS at registration, then the acceptance by SMS and in-app.
  const expected = n * 3;
  const p = progress(logger, { label: 'notices delivered', total: expected, everyMs: 2_000 });
  const started = performance.now();
  const publisher = await bus.publisher();
  for (let i = 0; i < events.length; i += 1_000) await publisher.publish(caseEvents, events.slice(i, i + 1_000));
  let reported = 0;
  const deadline = Date.now() + 300_000;
  while (delivered < expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    p.add(delivered - reported);
    reported = delivered;
  }
  const sec = (performance.now() - started) / 1000;
  p.finish();
  await notification.close();
  await bus.deleteOwnTopics();
  await bus.close();
  gateway.close();
  return {
    bench: 'notification',
    cases: n,
    notices: expected,
    delivered,
    smsReceived,
    noticesPerSec: Math.round(delivered / sec),
    channels: 'SMS (local HTTP gateway) + in-app',
    lost: delivered !== expected || smsReceived !== 2 * n,
  };
}
