import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { caseEvents, createBus, isolatedPrefix } from '@petition/bus';
import { CaseRun, petition, realDirectory, unit } from '@petition/lifecycle/test-kit';
import { createLogger } from '@petition/logging';
import { devSealKeys, parseKeyring, sealPerson, sealText } from '@petition/seal';
import { waitFor as until } from '@petition/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';

// Notification as its own process, killed (SIGKILL) in the middle of a burst and started again: every
// notice still arrives, and one that went out just before the kill and goes out again carries the same
// idempotency key, so the receiver can tell.

const logger = createLogger({ service: 'notification-kill-test', level: 'warn' });
const prefix = isolatedPrefix('ntf-kill');
const bus = createBus({
  brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
  clientId: 'ntf-kill',
  logger,
  topicPrefix: prefix,
});
const received: { id: string; key: string }[] = [];
let gateway: Server;
/** SMS the gateway has answered (each after 500 ms, longer than the test's 50 ms look): a notice is settled only after its answer. */
let answered = 0;
let child: ChildProcess | undefined;

beforeAll(async () => {
  gateway = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      received.push({ id: JSON.parse(body).id, key: String(req.headers['idempotency-key']) });
      setTimeout(() => {
        answered++;
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      }, 500);
    });
  });
  await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', () => r()));
});

afterAll(async () => {
  child?.kill('SIGKILL');
  await bus.deleteOwnTopics();
  await bus.close();
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const keys = await redis.keys(`${prefix}ntf:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  gateway.close();
});

function startChild() {
  child = spawn(process.execPath, ['services/notification/src/main.ts'], {
    env: {
      ...process.env,
      TOPIC_PREFIX: prefix,
      NOTIFY_HTTP_PORT: '0',
      NOTIFY_HOST: '127.0.0.1',
      NOTIFY_SMS_URL: `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/sms`,
      NOTIFY_TICK: '50ms',
      NOTIFY_LEASE: '3s',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

it('killed with SIGKILL during a burst and started again, delivers every notice, repeats under the same key', async () => {
  const keyring = parseKeyring(devSealKeys);
  const directory = realDirectory();
  const cases = Array.from({ length: 60 }, (_, i) => {
    const caseId = `kill-${i}-${Date.now()}`;
    const run = new CaseRun({ now: '2026-11-20T10:00:00+08:00', directory, caseId });
    const person = {
      name: '李四',
      idNumber: '',
      idType: '',
      phone: `1390000${String(i).padStart(4, '0')}`,
      address: '',
      email: '',
    };
    const sealed = sealPerson(keyring, person, caseId, 'petitioner');
    const queryCodeSealed = sealText(keyring, `CODE-${i}`, caseId, 'query-code');
    run.ok(undefined, {
      $case: 'registerPetition',
      value: { petition: petition({ petitioner: { personId: `k-${caseId}`, sealed }, queryCodeSealed }) },
    });
    run.ok(unit('330106-xfj'), {
      $case: 'forwardCase',
      value: { toUnitId: '330106-rsj', toHandlingUnit: true, reason: '' },
    });
    run.ok(unit('330106-rsj'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } });
    return run;
  });
  await bus.ensureTopics([caseEvents], { partitions: 12 });
  await (await bus.publisher()).publish(
    caseEvents,
    cases.flatMap((r) => r.events),
  );
  startChild();
  await until('part of the burst', () => received.length >= 20);
  child?.kill('SIGKILL');
  // A round sends its notices at once, so all may have arrived by now; the burst is unfinished while some
  // are not answered yet (a notice is settled after its answer).
  const answeredAtKill = answered;
  startChild();
  // Three SMS per case: the query code, the forward to the unit that decides, the acceptance.
  const expected = cases.length * 3;
  await until('every notice', () => new Set(received.map((r) => r.id)).size === expected);
  await new Promise((r) => setTimeout(r, 4_000));
  expect(answeredAtKill).toBeLessThan(expected);
  expect(new Set(received.map((r) => r.id)).size).toBe(expected);
  for (const r of received) expect(r.key).toBe(r.id);
  logger.warn({ delivered: received.length, distinct: expected, repeats: received.length - expected }, 'after SIGKILL');
});
