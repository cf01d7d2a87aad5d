import { createBus, isolatedPrefix, on, units } from '@petition/bus';
import type { UnitEvent } from '@petition/contract';
import {
  buildNationalDirectory,
  buildRegionTree,
  chinaDivisions,
  createDirectory,
  creationEvents,
  unitMerged,
} from '@petition/directory';
import { createLogger } from '@petition/logging';
import { afterAll, describe, expect, it } from 'vitest';
import { publishUnitRecords } from './publish.ts';

// One province of the real directory (浙江: 1 + 11 prefectures + 90 counties, plus the nation) through
// the real broker and back.
const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');
const logger = createLogger({ service: 'directory-feed-test', level: 'warn' });
const bus = createBus({ brokers, clientId: 'directory-feed-test', logger, topicPrefix: isolatedPrefix('units') });
afterAll(async () => {
  await bus.close();
  await bus.deleteOwnTopics();
});

function zhejiang() {
  const rows = chinaDivisions();
  const tree = buildRegionTree({
    provinces: rows.provinces.filter((p) => p.code === '33'),
    cities: rows.cities.filter((c) => c.provinceCode === '33'),
    areas: rows.areas.filter((a) => a.provinceCode === '33'),
  });
  return buildNationalDirectory(tree);
}

describe('the directory on the units topic', () => {
  it('publishes every unit and a change, and a consumer rebuilds the same directory from the topic', async () => {
    await bus.ensureTopics([units], { partitions: 3 });
    const at = new Date('2026-11-22T00:00:00Z');
    const source = createDirectory(creationEvents(zhejiang().units, at));
    const merge = unitMerged(source, '330106-slj', '330106-zrzyj', at);
    for (const e of merge) source.apply(e);
    const records = [...creationEvents(zhejiang().units, at), ...merge];
    const seen: number[] = [];
    const sent = await publishUnitRecords(await bus.publisher(), records, {
      logger,
      batchSize: 500,
      onProgress: (done) => seen.push(done),
    });
    expect(sent).toBe(records.length);
    expect(seen.at(-1)).toBe(records.length);
    expect(seen.length).toBe(Math.ceil(records.length / 500));

    const received: UnitEvent[] = [];
    const consumer = bus.consumer({
      groupId: `${bus.prefix}reader`,
      fromBeginning: true,
      subscriptions: [on(units, async (r) => void received.push(r.value))],
    });
    await consumer.start();
    const deadline = Date.now() + 30_000;
    while (received.length < records.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await consumer.stop();

    expect(received).toHaveLength(records.length);
    const rebuilt = createDirectory(received);
    expect(rebuilt.counts()).toEqual(source.counts());
    expect(rebuilt.counts().byLevel).toEqual({
      national: 28,
      provincial: 28,
      prefecture: 11 * 28,
      county: 90 * 28 - 1,
    }); // less the merged 水利局;
    expect(rebuilt.unit('330106-slj')).toEqual(source.unit('330106-slj'));
    expect(rebuilt.current('330106-slj')?.name).toBe('杭州市西湖区自然资源局');
  });
});
