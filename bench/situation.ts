// `npm run bench -- situation [--records N]`: the situation analysis on the real broker, in this process.
// - memory: every region × the 18 categories counted once (the analysis alone, only region × category series):
//   heap and array buffers grown, per series, after a full collection.
// - catch-up: N registrations (default 100,000) spread over the week before now, over every county and
//   category, are on case-events before situation starts; it reads them from the beginning: events/s from
//   its start until `ready` (the log read up to where it ended, every hotspot written). Reference: a raw bus
//   consumer (the same client, decoding each record) reading the same N from the beginning, in the same run.
// - latency: with situation live, bursts of six wage-arrears petitions from one county each; from publishing
//   the petition that crosses the threshold (the minCount-th) to a reader seeing its HotspotDetected.
import { caseEvents, createBus, isolatedPrefix, on, onBatch, situationEvents } from '@petition/bus';
import { type CaseEvent, CaseState, Category, Channel, PetitionKind, UnitLevel } from '@petition/contract';
import { buildNationalDirectory, nationalDirectory } from '@petition/directory';
import type { Logger } from '@petition/logging';
import {
  createSituation,
  loadSituationConfig,
  loadThresholds,
  regionLookupOf,
  startSituation,
  type Thresholds,
} from '@petition/situation';
import { testStaffEnv } from '@petition/testing';
import { heapHeld } from './heap.ts';

const hourMs = 3_600_000;

/** Bytes per region × category series with every region and category counted. */
function memoryPerSeries() {
  const national = buildNationalDirectory();
  const directory = nationalDirectory(national);
  const shipped = loadThresholds();
  const thresholds: Thresholds = {
    ...shipped,
    series: ['category'],
    surge: { ...shipped.surge, detectOn: ['category'] },
  };
  const regions = regionLookupOf(directory);
  const codes = national.regions.map((r) => r.code);
  for (const code of codes) regions.chain(code);
  const situation = createSituation(thresholds, regions);
  const at = Date.now();
  const before = heapHeld();
  let n = 0;
  for (const code of codes)
    for (let category = 1; category <= 18; category++)
      situation.petition({
        eventId: `m-${n}`,
        caseId: `m-${n++}`,
        timeMs: at,
        regionCode: code,
        category,
        kind: 1,
        channel: 4,
        title: '',
        content: '',
        concealed: false,
      });
  const bytes = heapHeld() - before;
  return {
    regions: codes.length,
    series: situation.seriesCount,
    bytesPerSeries: Math.round(bytes / situation.seriesCount),
  };
}

function registration(caseId: string, at: Date, regionCode: string, category: number, title: string): CaseEvent {
  return {
    envelope: {
      eventId: `${caseId}-v1`,
      caseId,
      caseVersion: 1,
      occurTime: at,
      actingUnitId: `${regionCode}-xfj`,
      correlationId: '',
      causationId: '',
      trace: undefined,
      producer: 'bench',
    },
    state: CaseState.CASE_STATE_REGISTERED,
    custodyUnitId: `${regionCode}-xfj`,
    payload: {
      $case: 'petitionRegistered',
      value: {
        petition: {
          caseNumber: caseId,
          channel: Channel.CHANNEL_WEB,
          kind: PetitionKind.PETITION_KIND_COMPLAINT,
          category: category as Category,
          regionCode,
          title,
          content: `${title}：事项编号${caseId}，情况说明若干。`,
          petitioner: undefined,
          representatives: [],
          groupSize: 1,
          accusedUnitId: '',
          attachments: [],
          registeringUnitId: `${regionCode}-xfj`,
          receivedTime: at,
          queryCodeHash: '',
          anonymous: false,
          externalRef: '',
          concernedUnitId: '',
          queryCodeSealed: undefined,
        },
        registrationDueTime: undefined,
      },
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

export async function benchSituation(options: { brokers: string[]; logger: Logger; records: number }) {
  const logger = options.logger.child({ bench: 'situation' });
  const quiet = logger.child({}, { level: 'warn' });
  const memory = memoryPerSeries();
  logger.info(memory, 'memory measured');

  const n = options.records;
  const prefix = isolatedPrefix('bench-situation');
  const bus = createBus({ brokers: options.brokers, clientId: 'bench-situation', logger: quiet, topicPrefix: prefix });
  const config = loadSituationConfig({
    ...process.env,
    ...testStaffEnv(),
    KAFKA_BROKERS: options.brokers.join(','),
    TOPIC_PREFIX: prefix,
    SITUATION_HTTP_PORT: '0',
    SITUATION_OPS_PORT: '0',
    SITUATION_HOST: '127.0.0.1',
    SITUATION_TICK: '1s',
  });
  await bus.ensureTopics([caseEvents, situationEvents], { partitions: config.topicPartitions });
  const counties = buildNationalDirectory()
    .regions.filter((r) => r.level === UnitLevel.UNIT_LEVEL_COUNTY)
    .map((r) => r.code);
  const run = Date.now().toString(36);
  const now = Date.now();
  const from = now - 7 * 24 * hourMs;
  const publisher = await bus.publisher();
  let published = 0;
  const publishStarted = performance.now();
  for (let i = 0; i < n; i += 1_000) {
    const batch: CaseEvent[] = [];
    for (let j = i; j < Math.min(n, i + 1_000); j++) {
      const at = new Date(from + Math.floor((j / n) * (7 * 24 - 1) * hourMs));
      const county = counties[(j * 7919) % counties.length] as string;
      batch.push(registration(`bs-${run}-${j}`, at, county, (j % 18) + 1, `事项${j % 97}`));
    }
    await publisher.publish(caseEvents, batch);
    published += batch.length;
  }
  const publishMs = performance.now() - publishStarted;
  logger.info({ published, publishMs: Math.round(publishMs) }, 'background published');

  // Reference: a raw consumer of the same records from the beginning, decoding each.
  let raw = 0;
  const rawStarted = performance.now();
  const rawConsumer = bus.consumer({
    groupId: `${prefix}raw`,
    fromBeginning: true,
    commitOffsets: false,
    subscriptions: [
      onBatch(caseEvents, async (records) => {
        raw += records.length;
      }),
    ],
  });
  await rawConsumer.start();
  while (raw < n) await sleep(5);
  const rawMs = performance.now() - rawStarted;
  await rawConsumer.stop();

  // The service catching up on the same records.
  const started = performance.now();
  const situation = await startSituation(config, quiet);
  await situation.ready;
  const catchUpMs = performance.now() - started;
  logger.info({ catchUpMs: Math.round(catchUpMs), rawMs: Math.round(rawMs) }, 'caught up');

  // Latency: bursts in counties the background left quiet in labour.
  const detectedAt = new Map<string, number>();
  const reader = bus.consumer({
    groupId: `${prefix}reader`,
    fromBeginning: true,
    subscriptions: [
      on(situationEvents, async (r) => {
        const v = r.value.payload;
        if (v?.$case === 'hotspotDetected' && v.value.evidence?.category === Category.CATEGORY_LABOR_SOCIAL_SECURITY)
          detectedAt.set(`${v.value.evidence.regionCode}`, performance.now());
      }),
    ],
  });
  await reader.start();
  const minCount = loadThresholds(config.thresholds).surge.hour.minCount;
  const latencies: number[] = [];
  const bursts = 5;
  for (let b = 0; b < bursts; b++) {
    const county = counties[(b * 104_729 + 13) % counties.length] as string;
    let crossedAt = 0;
    for (let i = 0; i < minCount + 1; i++) {
      const event = registration(
        `bb-${run}-${b}-${i}`,
        new Date(),
        county,
        Category.CATEGORY_LABOR_SOCIAL_SECURITY,
        `欠薪${i}`,
      );
      if (i === minCount - 1) crossedAt = performance.now();
      await publisher.publish(caseEvents, [event]);
    }
    const deadline = Date.now() + 30_000;
    while (!detectedAt.has(county) && Date.now() < deadline) await sleep(1);
    const seen = detectedAt.get(county);
    if (seen !== undefined) latencies.push(seen - crossedAt);
  }
  await reader.stop();
  await situation.close();
  await publisher.close();
  await bus.deleteOwnTopics();
  await bus.close();

  const eventsPerSec = Math.round((n * 1000) / catchUpMs);
  const rawPerSec = Math.round((n * 1000) / rawMs);
  return {
    bench: 'situation',
    records: n,
    eventsPerSec,
    rawPerSec,
    ratio: Number((eventsPerSec / rawPerSec).toFixed(3)),
    publishPerSec: Math.round((n * 1000) / publishMs),
    bursts,
    detected: latencies.length,
    latencyMsMedian: Math.round(median(latencies)),
    latencyMsMax: Math.round(Math.max(...latencies)),
    regions: memory.regions,
    series: memory.series,
    bytesPerSeries: memory.bytesPerSeries,
    memoryMiBAllRegionsAllCategories: Number(((memory.bytesPerSeries * memory.series) / 2 ** 20).toFixed(1)),
    lost: raw !== n || latencies.length !== bursts,
  };
}
