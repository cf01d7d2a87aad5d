// Shared by intake's integration tests (not part of the service's API): an intake on free ports with its
// own topic prefix, a stand-in for routing that answers commands with the real lifecycle rules, and a
// reader that counts what reached case-commands.
import { randomInt } from 'node:crypto';
import { type Bus, caseCommands, caseEvents, createBus, isolatedPrefix, on } from '@petition/bus';
import type { CaseCommand, CaseEvent } from '@petition/contract';
import type { Directory } from '@petition/directory';
import { createLegalCalendar, stateCouncilTable } from '@petition/legal-calendar';
import { type CaseSnapshot, decideAndEvolve } from '@petition/lifecycle';
import { createLogger } from '@petition/logging';
import { createReadPositions } from '@petition/runtime';
import { testStaffEnv, testToken, waitFor } from '@petition/testing';
import { startIntake } from './app.ts';
import { loadIntakeConfig } from './config.ts';

export const testLogger = () => createLogger({ service: 'intake-test', level: process.env.LOG_LEVEL ?? 'warn' });

export async function startTestIntake(label: string, env: Record<string, string> = {}) {
  const prefix = isolatedPrefix(label);
  const config = loadIntakeConfig({
    ...process.env,
    ...testStaffEnv(),
    TOPIC_PREFIX: prefix,
    INTAKE_HTTP_PORT: '0',
    INTAKE_GRPC_PORT: '0',
    INTAKE_OPS_PORT: '0',
    INTAKE_HOST: '127.0.0.1',
    INTAKE_SOURCE_ID: String(randomInt(1024)),
    INTAKE_OUTCOME_WAIT: '3s',
    // The tests are one client filing many petitions naming one phone; the limits have tests of their own.
    INTAKE_REGISTRATION_LIMIT: '1000000',
    INTAKE_PHONE_LIMIT: '1000000',
    ...env,
  });
  const logger = testLogger();
  const intake = await startIntake(config, logger);
  const bus = createBus({ brokers: config.brokers ?? [], clientId: `${label}-test`, logger, topicPrefix: prefix });
  return { intake, bus, prefix, config, logger };
}

/** A staff token of `unitId` with every role (tests about roles pass theirs to testToken). */
export const tokenFor = (unitId: string) => testToken(unitId);

/**
 * A command intake published on its own behind a registration: the link of an exact repeat or the flag of
 * repeat candidates (repeats.ts), as the system. No caller asked for it.
 */
export const isRepeatFollowUp = (c: CaseCommand) =>
  (c.command?.$case === 'flagRepeatCandidates' || c.command?.$case === 'linkAsRepeat') &&
  c.meta?.actor?.$case === 'system' &&
  c.meta.actor.value.service === 'intake';

/**
 * Every command that reached case-commands, as intake published it (`seen`), and those a caller asked for
 * (`asked`: without the repeat follow-ups a registration of a person filing again may bring).
 */
export async function commandLog(bus: Bus, groupId: string) {
  const seen: CaseCommand[] = [];
  const asked: CaseCommand[] = [];
  const read = createReadPositions();
  const consumer = bus.consumer({
    groupId,
    fromBeginning: true,
    subscriptions: [
      on(caseCommands, async (r) => {
        seen.push(r.value);
        if (!isRepeatFollowUp(r.value)) asked.push(r.value);
        read.advance(r.partition, BigInt(r.offset) + 1n);
      }),
    ],
  });
  await consumer.start();
  /**
   * How many commands callers have asked for so far, once the log has read every command published until
   * now (counting before it has would count a command published a moment ago later, as if it came after).
   */
  const askedNow = async () => {
    const ends = await bus.endOffsets(caseCommands);
    await waitFor('the command log at the end of case-commands', () => read.reached(ends));
    return asked.length;
  };
  return { seen, asked, askedNow, stop: () => consumer.stop() };
}

/** Answers each command the way routing will: the real lifecycle rules over one directory. */
export async function routingStandIn(bus: Bus, directory: Directory, groupId: string) {
  const calendar = createLegalCalendar({ table: stateCouncilTable() });
  const cases = new Map<string, CaseSnapshot | undefined>();
  const publisher = await bus.publisher();
  const consumer = bus.consumer({
    groupId,
    fromBeginning: true,
    subscriptions: [
      on(caseCommands, async (r) => {
        const caseId = r.value.meta?.caseId ?? '';
        const { outcome, snapshot } = decideAndEvolve(cases.get(caseId), r.value, {
          now: new Date(),
          directory,
          calendar,
        });
        cases.set(caseId, snapshot);
        await publisher.publish(caseEvents, outcome.events as CaseEvent[]);
      }),
    ],
  });
  await consumer.start();
  return { cases, stop: () => consumer.stop() };
}

export { waitFor };

export const validPetition = () => ({
  channel: 'WEB',
  petitioner: { name: '张三', idNumber: '11010519491231002X', phone: '13800000000', address: '杭州市西湖区' },
  regionCode: '330106',
  category: '劳动社保',
  kind: '申诉求决',
  title: '拖欠工资',
  content: '某公司拖欠工资三个月，请求处理。',
});

/**
 * Protobuf wire bytes written by hand, for what a foreign client may send and ours cannot encode (a
 * Timestamp no Date can hold, a field of the wrong wire type).
 */
export const protoWire = {
  varint(value: bigint): Buffer {
    let v = BigInt.asUintN(64, value);
    const out: number[] = [];
    do {
      out.push(Number(v & 0x7fn) | (v > 0x7fn ? 0x80 : 0));
      v >>= 7n;
    } while (v > 0n);
    return Buffer.from(out);
  },
  /** Field `field` (wire type 2) holding `payload`. */
  lengthDelimited: (field: number, payload: Buffer) =>
    Buffer.concat([protoWire.varint(BigInt((field << 3) | 2)), protoWire.varint(BigInt(payload.length)), payload]),
  /** A google.protobuf.Timestamp's body: seconds (field 1), nanos (field 2). */
  timestamp: (seconds: bigint, nanos = 0) =>
    Buffer.concat([
      protoWire.varint(8n),
      protoWire.varint(seconds),
      protoWire.varint(16n),
      protoWire.varint(BigInt(nanos)),
    ]),
};
