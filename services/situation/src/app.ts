import { staffTokenVerifierFrom } from '@petition/auth';
import { caseEvents, deadlineEvents, onBatch, situationEvents, units } from '@petition/bus';
import type { SituationEvent } from '@petition/contract';
import type { Logger } from '@petition/logging';
import {
  createReadPositions,
  deleteLeftInstanceGroups,
  type ReadPositions,
  type ServiceHooks,
  startRuntime,
} from '@petition/runtime';
import { Counter, Gauge } from 'prom-client';
import { createSituation, regionLookupOf } from './analysis.ts';
import type { SituationConfig } from './config.ts';
import { clockOutcomeOf, petitionOf, situationEventOf } from './events.ts';
import type { HotspotDecision } from './hotspots.ts';
import { createHttp } from './http.ts';
import { loadThresholds } from './thresholds.ts';

// Situation: case-events and deadline-events in, hotspots out on situation-events. Its state lives in memory
// only and is rebuilt from the log at every start (DESIGN: the log is the truth): first its own topic, to
// know which event ids it already wrote, then the case and deadline events from the beginning; decisions
// are derived from event times, so reading the log again decides the same hotspots with the same ids, and
// only those not yet written are written. One instance does the analysis (its counts span every partition);
// a second would write nothing twice but race the first for it. The read API serves what is in memory.

export interface SituationService {
  readonly httpUrl: string;
  readonly opsUrl: string;
  /** Resolves once the log has been read up to where it ended at start. */
  readonly ready: Promise<void>;
  /** Moves the analysis clock to now and writes what clears (the service does this every SITUATION_TICK). */
  tick(): Promise<number>;
  close(): Promise<void>;
}

export async function startSituation(
  config: SituationConfig,
  logger: Logger,
  hooks: ServiceHooks = {},
): Promise<SituationService> {
  const now = hooks.now ?? (() => new Date());
  const thresholds = loadThresholds(config.thresholds);
  const staffTokens = staffTokenVerifierFrom(config, {
    now,
    onRevocationError: (err) => logger.error({ err }, 'revocation list unreadable: the last good one stays in force'),
  });
  const rt = await startRuntime({
    service: 'situation',
    config,
    logger,
    topics: [caseEvents, deadlineEvents, situationEvents, units],
  });
  rt.onClose('connections', 'staff tokens', () => staffTokens.close());
  const { bus, directory, registry } = rt;
  const situation = createSituation(thresholds, regionLookupOf(directory));
  const publisher = await bus.publisher();
  rt.onClose('connections', 'publisher', () => publisher.close());

  const decided = new Counter({
    name: 'situation_hotspots_total',
    help: 'Hotspot events written, by kind and step',
    labelNames: ['kind', 'step'],
    registers: [registry],
  });
  new Gauge({
    name: 'situation_series',
    help: 'Series counted in memory (region × category, × kind, × channel)',
    registers: [registry],
    collect() {
      this.set(situation.seriesCount);
    },
  });
  new Gauge({
    name: 'situation_active_hotspots',
    help: 'Hotspots detected and not cleared',
    registers: [registry],
    collect() {
      this.set(situation.active().length);
    },
  });

  // 1. What it already wrote: every event id on its own topic, read before any decision is made.
  const written = new Set<string>();
  const ownRead = createReadPositions();
  const own = rt.consumer({
    groupId: `situation-own-${rt.instance}`,
    fromBeginning: true,
    commitOffsets: false,
    subscriptions: [
      onBatch(situationEvents, async (records) => {
        for (const r of records) {
          written.add(r.value.envelope?.eventId ?? '');
          ownRead.advance(r.partition, BigInt(r.offset) + 1n);
        }
      }),
    ],
  });
  const ownEnds = await bus.endOffsets(situationEvents);
  await own.start();
  await ownRead.until(ownEnds);

  /** Writes the decisions not written before (acks=all) before the records that made them count as read. */
  async function write(decisions: readonly HotspotDecision[]): Promise<number> {
    const events: SituationEvent[] = [];
    for (const d of decisions) {
      const event = situationEventOf(d);
      const id = event.envelope?.eventId ?? '';
      if (written.has(id)) continue;
      written.add(id);
      events.push(event);
    }
    if (events.length === 0) return 0;
    try {
      await publisher.publish(situationEvents, events);
    } catch (err) {
      for (const e of events) written.delete(e.envelope?.eventId ?? '');
      throw err;
    }
    for (const d of decisions) decided.inc({ kind: d.evidence.kind, step: d.type });
    logger.info(
      { hotspots: events.map((e) => `${e.payload?.$case === 'hotspotDetected' ? '+' : '-'}${e.hotspotId}`) },
      'hotspots written',
    );
    return events.length;
  }

  // 2. The sources from SITUATION_LOOKBACK ago (by when records were written; the whole log for 0), in groups
  // of this process alone that commit nothing — their start offsets are set before they join, so they are
  // deleted on close, and those of gone instances at start. What lies before the look-back weighs nothing in
  // the baselines by then (five half-lives of the daily one by default); a cluster or streak open across it
  // may be named anew.
  const caseGroup = `situation-${rt.instance}`;
  const deadlineGroup = `situation-deadlines-${rt.instance}`;
  await deleteLeftInstanceGroups(bus, ['situation', 'situation-deadlines'], rt.instance, logger);
  // Records carry the wall-clock time they were written, whatever clock the analysis follows.
  const lookbackFrom = config.lookbackMs > 0 ? new Date(Date.now() - config.lookbackMs) : undefined;
  const caseRead = createReadPositions();
  const deadlineRead = createReadPositions();
  /** Sets where a source group starts (the look-back), counting what it skips as read. */
  const startAtLookback = async (
    groupId: string,
    topic: typeof caseEvents | typeof deadlineEvents,
    read: ReadPositions,
  ) => {
    if (!lookbackFrom) return 0n;
    const from = new Map([...(await bus.offsetsAt(topic, lookbackFrom))].filter(([, offset]) => offset > 0n));
    if (from.size === 0) return 0n;
    await bus.setCommittedOffsets(groupId, topic, from);
    rt.onClose('work', `${groupId} group`, () =>
      bus.deleteGroups([groupId]).catch((err) => logger.warn({ err, groupId }, 'source group left on the broker')),
    );
    for (const [partition, offset] of from) read.advance(partition, offset);
    return [...from.values()].reduce((sum, offset) => sum + offset, 0n);
  };
  const caseSource = rt.consumer({
    groupId: caseGroup,
    fromBeginning: true,
    commitOffsets: false,
    subscriptions: [
      onBatch(caseEvents, async (records) => {
        const decisions: HotspotDecision[] = [];
        for (const r of records) {
          const seen = petitionOf(r.value);
          if (seen) decisions.push(...situation.petition(seen));
        }
        await write(decisions);
        for (const r of records) caseRead.advance(r.partition, BigInt(r.offset) + 1n);
      }),
    ],
  });
  const deadlineSource = rt.consumer({
    groupId: deadlineGroup,
    fromBeginning: true,
    commitOffsets: false,
    subscriptions: [
      onBatch(deadlineEvents, async (records) => {
        const decisions: HotspotDecision[] = [];
        for (const r of records) {
          const outcome = clockOutcomeOf(r.value);
          if (outcome) decisions.push(...situation.clock(outcome));
        }
        await write(decisions);
        for (const r of records) deadlineRead.advance(r.partition, BigInt(r.offset) + 1n);
      }),
    ],
  });
  const [caseEnds, deadlineEnds] = await Promise.all([bus.endOffsets(caseEvents), bus.endOffsets(deadlineEvents)]);
  const skipped = {
    caseEvents: await startAtLookback(caseGroup, caseEvents, caseRead),
    deadlineEvents: await startAtLookback(deadlineGroup, deadlineEvents, deadlineRead),
  };
  if (lookbackFrom)
    logger.info(
      {
        from: lookbackFrom.toISOString(),
        skipped: { caseEvents: `${skipped.caseEvents}`, deadlineEvents: `${skipped.deadlineEvents}` },
      },
      'reading the log from the look-back',
    );
  await Promise.all([rt.followDirectory().start(), caseSource.start(), deadlineSource.start()]);

  // 3. Once the log is read up to where it ended at start, the clock follows `now` too: a quiet hour clears.
  let rebuilt = false;
  const tick = async () => write(situation.advanceTo(now().getTime()));
  const ready = (async () => {
    // Every record is handed over (none is skipped by header), so the handled positions reach the ends.
    await Promise.all([caseRead.until(caseEnds), deadlineRead.until(deadlineEnds)]);
    rebuilt = true;
    await tick();
    rt.repeat('clock', async () => (await tick()) > 0, config.tickMs);
    logger.info({ series: situation.seriesCount, active: situation.active().length }, 'situation rebuilt from the log');
  })();
  ready.catch((err) => logger.error({ err }, 'situation could not finish reading the log'));

  const app = createHttp({ directory, situation, staffTokens, rebuilt: () => rebuilt });
  const httpUrl = await rt.listen(app, { port: config.httpPort, host: config.host });
  const opsUrl = await rt.listenOps({
    port: config.opsPort,
    host: config.host,
    checks: rt.checks(() => ({ rebuilt })),
  });
  logger.info({ http: httpUrl, ops: opsUrl, thresholds: config.thresholds }, 'situation running');
  return { httpUrl, opsUrl, ready, tick, close: () => rt.close() };
}
