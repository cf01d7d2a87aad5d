import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStaffTokenVerifier, defaultStaffTokenAudience } from '@petition/auth';
import { type Bus, caseEvents, createBus, isolatedPrefix, on, PoisonRecordError, units } from '@petition/bus';
import { ensureNodeKeys } from '@petition/infra';
import { createLogger } from '@petition/logging';
import { connectRedis } from '@petition/runtime';
import { waitFor } from '@petition/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedriveHeader, rawTopic } from './dlq.ts';
import { capturedIo } from './io.ts';
import { progressBar } from './progress-bar.ts';
import { run } from './run.ts';

// The CLI against a real broker and a real Redis, on a prefix of its own: in this process through run() (the
// commands' output captured), and as a child process with a real argv where exit codes matter.

const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = isolatedPrefix('cli');
const env = { ...process.env, KAFKA_BROKERS: brokers, TOPIC_PREFIX: prefix, LOG_LEVEL: 'error' };
const main = fileURLToPath(new URL('./main.ts', import.meta.url));
const rawEvents = rawTopic(caseEvents.name);

async function cli(...args: string[]) {
  const { io, captured } = capturedIo(env);
  const code = await run(args, io);
  return { code, ...captured };
}

function cliProcess(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [main, ...args], { env }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('the petition CLI', () => {
  let bus: Bus;
  let redis: Redis;

  beforeAll(async () => {
    bus = createBus({
      brokers: brokers.split(','),
      clientId: 'cli-test',
      logger: createLogger({ service: 'cli-test', level: 'error' }),
      topicPrefix: prefix,
    });
    await bus.ensureTopics([caseEvents, units], { partitions: 2 });
    redis = await connectRedis({ redisUrl });
  });

  afterAll(async () => {
    await bus.close();
    await bus.deleteOwnTopics();
    redis.disconnect();
  });

  it('shows the lag of a stopped group: what was written after it stopped', async () => {
    const publisher = await bus.publisher();
    const record = (key: string) => ({ key, value: Buffer.from(key) });
    await publisher.publishRaw(
      bus.topicName(caseEvents),
      ['a', 'b', 'c'].map((k) => record(`lag-${k}`)),
    );
    const seen: string[] = [];
    const group = bus.consumer({
      groupId: 'lagging',
      fromBeginning: true,
      subscriptions: [on(rawEvents, async (r) => void seen.push(r.key))],
    });
    await group.start();
    await waitFor('the group to read the first three', () => seen.length >= 3);
    await group.stop();
    await publisher.publishRaw(
      bus.topicName(caseEvents),
      ['d', 'e'].map((k) => record(`lag-${k}`)),
    );

    const { code, stdout } = await cli('lag', '--group', 'lagging', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.totalLag).toBe('2');
    expect(new Set(report.rows.map((r: { topic: string }) => r.topic))).toEqual(new Set([caseEvents.name]));
    const table = await cli('lag', '--group', 'lagging');
    expect(table.stdout).toMatch(/^group\s+topic\s+partition\s+end\s+committed\s+lag/);
    expect(table.stdout).toContain('total lag: 2');
  });

  describe('a parked record', () => {
    const poisonKey = 'case-poison';
    let parkedAt = '';
    const redriven: { key: string; headers: Record<string, string> }[] = [];
    let reader: ReturnType<Bus['consumer']>;

    beforeAll(async () => {
      const handler = bus.consumer({
        groupId: 'parking',
        fromBeginning: true,
        subscriptions: [
          on(rawEvents, async (r) => {
            if (r.key === poisonKey && !r.headers[RedriveHeader.redrivenFrom]) {
              throw new PoisonRecordError('CASE_UNKNOWN', 'no such case: case-poison');
            }
          }),
        ],
      });
      await handler.start();
      await (await bus.publisher()).publishRaw(bus.topicName(caseEvents), [
        { key: poisonKey, value: Buffer.from('poison'), headers: { 'event-type': 'petition.v1.CaseAccepted' } },
      ]);
      const dlqEnd = async () =>
        [...(await bus.endOffsets({ name: `${caseEvents.name}.dlq` })).values()].reduce((n, e) => n + e, 0n);
      await waitFor('the poison to be parked', async () => (await dlqEnd()) >= 1n);
      await handler.stop();
      // What comes back on the topic, as a consumer of it sees it.
      reader = bus.consumer({
        groupId: 'redriven-reader',
        fromBeginning: true,
        subscriptions: [
          on(
            rawEvents,
            async (r) =>
              void (r.headers[RedriveHeader.redrivenFrom] || r.key === 'sentinel'
                ? redriven.push({ key: r.key, headers: r.headers })
                : undefined),
          ),
        ],
      });
      await reader.start();
    });

    afterAll(async () => {
      await reader.stop();
    });

    it('is listed and inspected with its reason, error code, source and event type', async () => {
      const list = await cli('dlq', 'list', '--json');
      expect(list.code).toBe(0);
      const dlq = JSON.parse(list.stdout).dlqs.find((d: { topic: string }) => d.topic === `${caseEvents.name}.dlq`);
      expect(dlq).toMatchObject({ parked: 1, redriven: 0, waiting: 1 });

      const inspect = await cli('dlq', 'inspect', caseEvents.name, '--json');
      expect(inspect.code).toBe(0);
      const [record] = JSON.parse(inspect.stdout).records;
      expect(record).toMatchObject({
        key: poisonKey,
        reason: 'no such case: case-poison',
        errorCode: 'CASE_UNKNOWN',
        attempts: '1',
        eventType: 'petition.v1.CaseAccepted',
        group: `${prefix}parking`,
      });
      expect(record.sourceOffset).toMatch(/^\d+$/);
      parkedAt = record.at;
      const table = await cli('dlq', 'inspect', `${caseEvents.name}.dlq`);
      expect(table.stdout).toContain('no such case: case-poison');
    });

    it('is put back on its topic once by a redrive (a child process), and a second redrive does nothing', async () => {
      const dry = await cliProcess('dlq', 'redrive', caseEvents.name, '--offset', parkedAt);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toContain('would redrive 1 record(s)');

      const first = await cliProcess('dlq', 'redrive', caseEvents.name, '--offset', parkedAt, '--yes');
      expect(first.code).toBe(0);
      // stderr is no terminal here: progress comes as plain lines, never on stdout.
      expect(first.stderr).toContain(`redriving to ${prefix}${caseEvents.name}: 1/1\n`);
      expect(first.stdout).not.toContain('1/1');
      expect(first.stdout).toContain('redrove 1 record(s)');
      expect(first.stdout).toContain('no such case: case-poison');

      const again = await cliProcess('dlq', 'redrive', caseEvents.name, '--offset', parkedAt, '--yes');
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('redrove 0 record(s)');
      expect(again.stdout).toContain(`${parkedAt} was already redriven`);
      const all = await cli('dlq', 'redrive', caseEvents.name, '--all', '--yes', '--json');
      expect(JSON.parse(all.stdout).redriven).toEqual([]);

      // Everything written before the sentinel has reached the reader once it sees the sentinel.
      await (await bus.publisher()).publishRaw(bus.topicName(caseEvents), [
        { key: 'sentinel', value: Buffer.from('s') },
      ]);
      await waitFor('the sentinel', () => redriven.some((r) => r.key === 'sentinel'));
      const back = redriven.filter((r) => r.key === poisonKey);
      expect(back).toHaveLength(1);
      expect(back[0]?.headers[RedriveHeader.redrivenFrom]).toBe(`${prefix}${caseEvents.name}.dlq:${parkedAt}`);
      expect(back[0]?.headers['event-type']).toBe('petition.v1.CaseAccepted');
      expect(Object.keys(back[0]?.headers ?? {}).filter((h) => h.startsWith('dlq-'))).toEqual([]);

      const list = await cli('dlq', 'list', '--json');
      const dlq = JSON.parse(list.stdout).dlqs.find((d: { topic: string }) => d.topic === `${caseEvents.name}.dlq`);
      expect(dlq).toMatchObject({ parked: 1, redriven: 1, waiting: 0 });
    });
  });

  it('rebuild deletes the epoch key of the service under the prefix, and only with --yes', async () => {
    const key = `${prefix}trk:index-epoch`;
    const other = `${prefix}ntf:index-epoch`;
    await redis.set(key, 'epoch-1');
    await redis.set(other, 'epoch-1');
    const refused = await cliProcess('rebuild', 'tracking');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    expect(await redis.exists(key)).toBe(1);

    const done = await cli('rebuild', 'tracking', '--yes', '--redis', redisUrl);
    expect(done.code).toBe(0);
    expect(done.stdout).toContain(`deleted ${key}`);
    expect(await redis.exists(key)).toBe(0);
    expect(await redis.exists(other)).toBe(1);
    await redis.del(other);
  });

  it('token prints a JWT that the node’s public key verifies', async () => {
    const { code, stdout, stderr } = await cli('token', '330106-rsj', '--role', 'handler', '--ttl', '30m');
    expect(code).toBe(0);
    expect(stderr).toContain('330106-rsj');
    const keys = ensureNodeKeys();
    const verifier = createStaffTokenVerifier({
      issuers: [keys.issuer],
      audience: defaultStaffTokenAudience,
      jwks: keys.jwks,
      maxLifetimeSeconds: 3600,
    });
    const claims = await verifier.verify(stdout.trim());
    expect(claims).toMatchObject({ unitId: '330106-rsj', roles: ['handler'] });
  });

  it('directory apply makes a change into a units record on top of what the topic holds, and publishes it with --yes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'petition-cli-'));
    const file = join(dir, 'rename.json');
    writeFileSync(file, JSON.stringify([{ change: 'rename', unitId: '330106-rsj', name: '西湖区人社局（改名）' }]));
    const dry = await cli('directory', 'apply', file, '--json');
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({
      published: false,
      records: [{ eventId: '330106-rsj@2', change: 'renamed' }],
    });
    const sum = async () => [...(await bus.endOffsets(units)).values()].reduce((n, e) => n + e, 0n);
    expect(await sum()).toBe(0n);

    expect((await cliProcess('directory', 'apply', file, '--yes')).code).toBe(0);
    expect(await sum()).toBe(1n);
    // The second change is made on the unit as the topic has it now: revision 3, not 2 again.
    const again = await cli('directory', 'apply', file, '--yes', '--json');
    expect(JSON.parse(again.stdout).records[0]).toMatchObject({ eventId: '330106-rsj@3', revision: 3 });

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ change: 'merge', unitId: '330106-rsj' }]));
    const refused = await cli('directory', 'apply', bad);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${bad} [0]`);
  });

  it('draws progress as a bar redrawn in place on a terminal, as plain lines elsewhere', () => {
    const terminal = capturedIo(env);
    const written: string[] = [];
    const bar = progressBar({ ...terminal.io, errIsTty: true, err: (t) => void written.push(t) }, 'work', 4);
    bar.update(2);
    bar.finish();
    expect(written[0]).toBe(`\rwork [${'█'.repeat(15)}${'░'.repeat(15)}] 2/4`);
    expect(written.at(-1)).toBe('\n');
    const plain = capturedIo(env);
    const lines = progressBar(plain.io, 'work', 100);
    for (let i = 1; i <= 100; i++) lines.update(i);
    lines.finish();
    // One line at each tenth (0 % to 100 %), not one per item.
    expect(plain.captured.stderr.split('\n').filter(Boolean)).toHaveLength(11);
    expect(plain.captured.stderr).toContain('work: 100/100\n');
    expect(plain.captured.stdout).toBe('');
  });

  it('exits 2 naming the problem on usage errors', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command "frobnicate"/],
      [['dlq'], /"dlq" needs a subcommand/],
      [['dlq', 'redrive', caseEvents.name], /--all, --offset/],
      [['dlq', 'redrive', caseEvents.name, '--offset', 'x'], /--offset "x"/],
      [['dlq', 'inspect', caseEvents.name, '--limit', '0'], /--limit "0"/],
      [['lag', '--colour'], /--colour/],
      [['rebuild', 'routing', '--yes'], /cannot rebuild "routing"/],
      [['token', 'nowhere-xyz'], /unknown unit "nowhere-xyz"/],
      [['token', '330106-rsj', '--role', 'emperor'], /emperor/],
    ];
    for (const [args, problem] of cases) {
      const { code, stderr } = await cli(...args);
      expect({ args, code }).toEqual({ args, code: 2 });
      expect(stderr).toMatch(problem);
    }
    const child = await cliProcess('frobnicate');
    expect(child.code).toBe(2);
    expect(child.stderr).toMatch(/unknown command "frobnicate"/);
    const missing = await cliProcess('dlq', 'inspect', 'petition.nothing.v1');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/"petition.nothing.v1" is no topic of the catalogue/);
  });
});
