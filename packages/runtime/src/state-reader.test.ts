import { caseEvents, isolatedPrefix } from '@petition/bus';
import { CaseEvent } from '@petition/contract';
import { createLogger } from '@petition/logging';
import { waitFor } from '@petition/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Runtime, startRuntime } from './service-runtime.ts';
import { createStateReader } from './state-reader.ts';

// A state read from a topic by one process (routing's cases), against the real broker: it reads to the end
// when asked, pauses once caught up while nobody else writes, counts the process's own writes as read, and
// follows the topic all the time while others may write.

const logger = createLogger({ service: 'state-reader-test', level: process.env.LOG_LEVEL ?? 'warn' });
let rt: Runtime;

beforeAll(async () => {
  rt = await startRuntime({
    service: 'state-reader-test',
    config: {
      brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
      topicPrefix: isolatedPrefix('state-reader'),
      topicPartitions: 2,
      redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    },
    logger,
    topics: [caseEvents],
  });
});
afterAll(async () => {
  await rt?.close();
  await rt?.bus.deleteOwnTopics();
});

let n = 0;
const event = (caseId: string) =>
  CaseEvent.fromPartial({
    envelope: { eventId: `e-${++n}`, caseId, caseVersion: 1, occurTime: new Date(), producer: 'test' },
    payload: { $case: 'caseAccepted', value: {} },
  });
const publish = async (...caseIds: string[]) =>
  (await rt.bus.publisher()).publish(
    caseEvents,
    caseIds.map((id) => event(id)),
  );

describe('createStateReader', () => {
  it('reads to the end when asked, then pauses until asked again', async () => {
    const applied: string[] = [];
    let othersWrite = false;
    const state = createStateReader(rt, {
      groupId: 'state-test',
      topic: caseEvents,
      apply: (r) => void applied.push(r.value.envelope?.caseId ?? ''),
      keepReading: () => othersWrite,
    });
    await publish('a', 'b', 'c', 'd');
    await state.consumer.start();
    await state.caughtUp();
    expect(applied).toHaveLength(4);

    // Written by someone else while it is paused: not read until something asks for the end.
    await publish('e', 'f');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(applied).toHaveLength(4);
    await state.caughtUp();
    expect(applied).toHaveLength(6);

    // Its own write, applied by the process itself: counted as read without reading it.
    const published = await publish('g');
    state.noteWrites(published, 1);
    await state.caughtUp();
    expect(applied).toHaveLength(6);
    const [own] = published;
    await state.readPast(own?.partition ?? 0, BigInt(own?.baseOffset ?? 0));

    // While others may write, it follows the topic without being asked (reading its own write again too:
    // applying is idempotent).
    othersWrite = true;
    state.settle();
    await publish('h');
    await waitFor('the record written by another', () => applied.includes('h'));
  });
});
