// Routing's restart at scale, in one run on the real national directory:
// - `records` cases on case-events (decided by the lifecycle, half of them withdrawn so that they have ended);
// - reference: a routing with no snapshots reads every event (how every start worked before snapshots);
//   it then writes its snapshots as it closes;
// - a tail of 1,000 more cases written after the snapshots;
// - the figure: a routing started again restores the snapshots and reads only the tail.
// Both routings run in this process with their whole start (directory, groups joined) counted.
import { caseEvents, createBus, isolatedPrefix } from '@petition/bus';
import { type Logger, progress } from '@petition/logging';
import { loadRoutingConfig, type Routing, startRouting, writtenHistory } from '@petition/routing';
import { heapHeld } from './heap.ts';

const tailCases = 1_000;

async function figures(routing: Routing) {
  const text = await (await fetch(`${routing.httpUrl}/metrics`)).text();
  const value = (pattern: string) => Number(new RegExp(pattern, 'm').exec(text)?.[1] ?? Number.NaN);
  return {
    restoredCases: value('^routing_start\\{figure="restored_cases"\\} (\\d+)'),
    replayedEvents: value('^routing_start\\{figure="replayed_events"\\} (\\d+)'),
    cases: value('^routing_cases (\\d+)'),
    openCases: value('^routing_open_cases (\\d+)'),
  };
}

export async function benchRoutingRestart(o: { brokers: string[]; logger: Logger; records: number }) {
  const prefix = isolatedPrefix('bench-restart');
  const env = {
    ...process.env,
    KAFKA_BROKERS: o.brokers.join(','),
    TOPIC_PREFIX: prefix,
    ROUTING_HTTP_PORT: '0',
    ROUTING_HOST: '127.0.0.1',
    ROUTING_ROUTE_MODE: 'manual',
    ROUTING_SNAPSHOT_INTERVAL: '1h',
  };
  const config = loadRoutingConfig(env);
  const quiet = o.logger.child({}, { level: 'warn' });
  const bus = createBus({ brokers: o.brokers, clientId: 'bench-restart', logger: quiet, topicPrefix: prefix });
  try {
    await bus.ensureTopics([caseEvents], { partitions: config.topicPartitions });
    const run = Date.now().toString(36);
    const history = writtenHistory({ count: o.records, idPrefix: `bench-${run}`, endEvery: 2 });
    const publisher = await bus.publisher();
    const written = progress(o.logger, { label: 'case-events written', total: history.length, everyMs: 5_000 });
    for (let i = 0; i < history.length; i += 5_000) {
      const chunk = history.slice(i, i + 5_000);
      await publisher.publish(caseEvents, chunk);
      written.add(chunk.length);
    }
    written.finish();

    // The heap of a routing holding no case: its directory, code and clients.
    const emptyPrefix = isolatedPrefix('bench-restart-empty');
    const heapBeforeEmpty = heapHeld();
    const empty = await startRouting(loadRoutingConfig({ ...env, TOPIC_PREFIX: emptyPrefix }), quiet);
    const emptyHeapMB = (heapHeld() - heapBeforeEmpty) / 2 ** 20;
    await empty.close();
    const emptyBus = createBus({
      brokers: o.brokers,
      clientId: 'bench-restart',
      logger: quiet,
      topicPrefix: emptyPrefix,
    });
    await emptyBus.deleteOwnTopics().catch(() => {});
    await emptyBus.close();

    o.logger.info('reference: a routing without snapshots reads every case-event');
    const heapBeforeFull = heapHeld();
    let started = performance.now();
    const full = await startRouting(config, quiet);
    const fullStartMs = performance.now() - started;
    const reference = await figures(full);
    const fullHeapMB = (heapHeld() - heapBeforeFull) / 2 ** 20;
    started = performance.now();
    await full.close();
    const closeWithSnapshotsMs = performance.now() - started;

    const tail = writtenHistory({ count: tailCases, idPrefix: `tail-${run}`, endEvery: 2 });
    await publisher.publish(caseEvents, tail);
    o.logger.info('figure: a routing started again from the snapshots');
    const heapBefore = heapHeld();
    started = performance.now();
    const again = await startRouting(config, quiet);
    const restartMs = performance.now() - started;
    const restarted = await figures(again);
    const routingHeapMB = (heapHeld() - heapBefore) / 2 ** 20;
    await again.close();
    await publisher.close();
    return {
      bench: 'routing-restart',
      cases: o.records + tailCases,
      events: reference.replayedEvents,
      restartMs: Math.round(restartMs),
      restoredCases: restarted.restoredCases,
      replayedEvents: restarted.replayedEvents,
      tailEvents: tail.length,
      openCases: restarted.openCases,
      reference: {
        fullReplayStartMs: Math.round(fullStartMs),
        eventsRead: reference.replayedEvents,
        routingHeapMB: Math.round(fullHeapMB),
        heapBytesPerCase: Math.round(((fullHeapMB - emptyHeapMB) * 2 ** 20) / o.records),
      },
      emptyRoutingHeapMB: Math.round(emptyHeapMB),
      ratio: Math.round((restartMs / fullStartMs) * 100) / 100,
      closeWithSnapshotsMs: Math.round(closeWithSnapshotsMs),
      // The heap the restarted routing holds, and per case beyond what a routing holding none does.
      routingHeapMB: Math.round(routingHeapMB),
      heapBytesPerCase: Math.round(((routingHeapMB - emptyHeapMB) * 2 ** 20) / (o.records + tailCases)),
      lost: restarted.cases !== o.records + tailCases,
    };
  } finally {
    await bus.deleteOwnTopics().catch(() => {});
    await bus.close();
  }
}
