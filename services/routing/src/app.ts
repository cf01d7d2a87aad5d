import {
  caseCommands,
  caseEvents,
  deadlineEvents,
  linkTopic,
  on,
  onBatch,
  type Publisher,
  routingSnapshots,
  units,
} from '@petition/bus';
import type { CaseCommand, CaseEvent } from '@petition/contract';
import { createRecordVerifier, federationFrom, recordSignerFrom } from '@petition/federation';
import { createLegalCalendar, stateCouncilTable } from '@petition/legal-calendar';
import type { Logger } from '@petition/logging';
import { createStateReader, deleteLeftInstanceGroups, type ServiceHooks, startRuntime } from '@petition/runtime';
import { Counter, Gauge } from 'prom-client';
import { parseRouteModes } from './auto-route.ts';
import { createCaseStore } from './case-store.ts';
import type { RoutingConfig } from './config.ts';
import { startInterconnect } from './interconnect.ts';
import { createSnapshotWriter, restoreSnapshots } from './snapshots.ts';
import { createWriter, type DirectoryChange, dissolution } from './writer.ts';

// Routing: the only writer of case-events. It first takes its snapshots and reads case-events after them
// to the end (every case's state and every answered command), then applies case-commands in partition order: decide, publish (acks=all),
// remember, and only then let the command's offset be committed.

export interface Routing {
  readonly httpUrl: string;
  close(): Promise<void>;
}

export async function startRouting(config: RoutingConfig, logger: Logger, hooks: ServiceHooks = {}): Promise<Routing> {
  const now = hooks.now ?? (() => new Date());
  const rt = await startRuntime({
    service: 'routing',
    config,
    logger,
    topics: [caseCommands, caseEvents, deadlineEvents, routingSnapshots, units],
  });
  const { bus, directory, registry, instance } = rt;
  // The node this routing writes for (DESIGN "Nodes"); the single-node nation without NODE_ID.
  const federation = federationFrom(config, directory);
  const signer = recordSignerFrom(config);
  const links = federation
    .peers()
    .flatMap((peer) => [linkTopic(federation.self, peer), linkTopic(peer, federation.self)]);
  if (links.length) await bus.ensureTopics(links, { partitions: config.topicPartitions });
  const calendar = createLegalCalendar({ table: stateCouncilTable() });
  const store = createCaseStore();
  const writer = createWriter({
    directory,
    calendar,
    store,
    routeModes: parseRouteModes(config.routeMode, config.routeModes ?? []),
    federation,
    now,
  });

  const decided = new Counter({
    name: 'routing_commands_total',
    help: 'Commands decided',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const autoLegs = new Counter({
    name: 'routing_auto_legs_total',
    help: 'Forwarding legs taken automatically for bureaus in chain or direct mode',
    registers: [registry],
  });
  new Gauge({
    name: 'routing_cases',
    help: 'Cases held in memory',
    registers: [registry],
    collect() {
      this.set(store.size);
    },
  });
  new Gauge({
    name: 'routing_open_cases',
    help: 'Cases held in memory that are still open (their events kept for a handoff)',
    registers: [registry],
    collect() {
      this.set(store.open);
    },
  });
  const startFigures = new Gauge({
    name: 'routing_start',
    help: 'How this start rebuilt the case state: cases restored from snapshots, case-events read after them, milliseconds',
    labelNames: ['figure'],
    registers: [registry],
  });
  const snapshotsWritten = new Counter({
    name: 'routing_snapshot_records_total',
    help: 'Records written to the snapshots topic',
    labelNames: ['kind'],
    registers: [registry],
  });

  // 1. The state: the snapshots, then the case-events after them, read by this instance alone (runtime's
  // state reader: nothing committed). While another instance may be writing — this one does not hold every
  // partition of the commands — it follows case-events all the time. While it holds them all, every
  // event is its own: it applies what it writes as it writes it, and the reader pauses, reading again
  // only when something must see the log up to a point (partitions taken over, the interconnect).
  // The snapshots (snapshots.ts) hold the latest record of each case and, per partition, the offset of
  // case-events they cover.
  let owned = new Set<number>();
  const started = Date.now();
  const caseEventEnds = await bus.endOffsets(caseEvents);
  const partitionCount = caseEventEnds.size;
  // The readers' own groups of instances that are gone (a crash leaves their offsets set by startAt).
  await deleteLeftInstanceGroups(bus, ['routing-state', 'routing-snapshots'], instance, logger);
  const restored = await restoreSnapshots(rt, store, caseEventEnds, logger);
  const stateGroup = `routing-state-${instance}`;
  /** Case-events this instance has read (not counting what it wrote and applied itself). */
  let readEvents = 0;
  const state = createStateReader(rt, {
    groupId: stateGroup,
    topic: caseEvents,
    apply: (r) => {
      readEvents++;
      store.apply(r.value, r.partition);
    },
    keepReading: () => owned.size < partitionCount,
    startAt: restored.startAt,
  });
  // The offsets set for the reader stay with its group: the group goes once the reader has left it.
  rt.onClose('work', 'state reader group', () =>
    bus.deleteGroups([stateGroup]).catch((err) => logger.warn({ err }, 'state reader group left on the broker')),
  );
  /** Resolves once this instance has read case-events of `partitions` (all when omitted) to their end. */
  const catchUp = (partitions?: readonly number[]) => state.caughtUp(partitions);
  /** Resolves once this instance's state has read case-events of `partition` past `offset`. */
  const stateRead = (partition: number, offset: bigint) => state.readPast(partition, offset);

  // 2. Applying a command, one at a time whatever its source (commands, deadline events, the directory).
  // What this instance writes to case-events it applies to its state as soon as it is written, and only
  // then counts as read: whoever waits for the state to have read that far finds it there.
  const producer = await bus.publisher();
  const publisher: Publisher = {
    publishRaw: (topic, records) => producer.publishRaw(topic, records),
    close: () => producer.close(),
    async publish(topic, messages) {
      const published = await producer.publish(topic, messages);
      const [one] = published;
      if (topic.name === caseEvents.name && published.length === 1 && one) {
        for (const event of messages as readonly unknown[] as CaseEvent[]) store.apply(event, one.partition);
        state.noteWrites(published, messages.length);
      }
      return published;
    },
  };
  const { run: serial } = rt.serialQueue();
  /** Decides commands of one partition in order, publishes all their events at once, then remembers them. */
  const applyAll = (commands: readonly CaseCommand[], partition: number) =>
    serial(async () => {
      const { decided: results, duplicates } = writer.decideAll(commands);
      if (duplicates.length) {
        decided.inc({ outcome: 'duplicate' }, duplicates.length);
        logger.info({ commandIds: duplicates }, 'commands already answered; not applied again');
      }
      const events = results.flatMap((r) => r.events);
      if (events.length) await publisher.publish(caseEvents, events);
      for (const event of events) store.apply(event, partition);
      for (const r of results) {
        decided.inc({ outcome: r.outcome.kind });
        autoLegs.inc(r.events.length - r.outcome.events.length);
        if (r.skipped)
          logger.warn({ caseId: r.events[0]?.envelope?.caseId, reason: r.skipped }, 'not routed automatically');
      }
      if (config.faultAfterPublish && events.length) {
        logger.warn({ commands: commands.length }, 'fault injection: exiting after publishing, before committing');
        process.exit(137);
      }
    });
  const apply = (command: CaseCommand, partition: number) => applyAll([command], partition);

  // `owned`: the partitions this instance holds for case-commands; it alone writes their cases.
  // case-commands, case-events and deadline-events are keyed alike with as many partitions, so a case has
  // the same partition number in each.

  // 3. The directory (art 25): an open case held by a unit that was merged, split or dissolved moves to
  // the unit that now exercises its functions. Checked when a unit goes and when partitions arrive.
  const changes = new Map<string, DirectoryChange>();
  const moveFromDissolved = async (partitions: ReadonlySet<number>, unitId?: string) => {
    const held = (custodyUnitId: string) =>
      unitId ? custodyUnitId === unitId : directory.unit(custodyUnitId)?.dissolved === true;
    for (const s of [...store.openHeldIn(partitions, held)]) {
      if (!writer.writesHere(s)) continue;
      const command = writer.transferFromDissolved(s, changes.get(s.custodyUnitId));
      if (command) await apply(command, store.partitionOf(s.caseId) ?? 0);
    }
  };

  // 4. Windows that ran out (deadline-events, read whole by every instance): applied by the instance that
  // holds the case's partition, kept until then by the others.
  const pendingWindows = new Map<string, { command: CaseCommand; partition: number }>();
  const applyPendingWindows = async (partitions: ReadonlySet<number>) => {
    for (const [id, w] of [...pendingWindows]) {
      if (store.answered(id)) pendingWindows.delete(id);
      else if (partitions.has(w.partition)) {
        pendingWindows.delete(id);
        await apply(w.command, w.partition);
      }
    }
  };

  let fence: Promise<void> = Promise.resolve();
  const consumers = [
    rt.followDirectory({
      onApplied: async (event) => {
        const gone = dissolution(event);
        if (!gone) return;
        changes.set(gone.unit.unitId, gone);
        await fence;
        await moveFromDissolved(owned, gone.unit.unitId);
      },
    }),
    state.consumer,
    // Read whole from the beginning at every start (nothing committed), as the windows pending are kept in memory.
    rt.consumer({
      groupId: `routing-deadlines-${instance}`,
      fromBeginning: true,
      commitOffsets: false,
      subscriptions: [
        on(deadlineEvents, async (r) => {
          const command = writer.expireWindow(r.value);
          const id = command?.meta?.commandId ?? '';
          if (!command || store.answered(id)) return;
          // Another node's case (read here for upward visibility) runs its windows at that node.
          const held = store.get(r.value.envelope?.caseId ?? '');
          if (held && !writer.writesHere(held)) return;
          pendingWindows.set(id, { command, partition: r.partition });
          await fence;
          await applyPendingWindows(owned);
        }),
      ],
    }),
  ];
  await Promise.all(consumers.map((c) => c.start()));
  await catchUp();
  const rebuilt = {
    restoredCases: restored.cases,
    replayedEvents: readEvents,
    ms: Date.now() - started,
  };
  startFigures.set({ figure: 'restored_cases' }, rebuilt.restoredCases);
  startFigures.set({ figure: 'replayed_events' }, rebuilt.replayedEvents);
  startFigures.set({ figure: 'ms' }, rebuilt.ms);
  logger.info(
    { cases: store.size, ...rebuilt },
    'case state rebuilt from the snapshots and the case-events after them',
  );

  // Snapshots of the partitions this instance writes, every ROUTING_SNAPSHOT_INTERVAL and once more on close.
  const snapshots = createSnapshotWriter({
    publisher: producer,
    store,
    positions: state.positions,
    owned: () => owned,
    instance,
    now,
  });
  const writeSnapshots = async () => {
    const { cases, checkpoints } = await snapshots.flush();
    snapshotsWritten.inc({ kind: 'case' }, cases);
    snapshotsWritten.inc({ kind: 'checkpoint' }, checkpoints);
  };
  rt.repeat(
    'snapshots',
    async () => {
      await writeSnapshots().catch((err) => logger.warn({ err }, 'snapshots not written; tried again'));
      return false;
    },
    config.snapshotIntervalMs,
  );
  rt.onClose('work', 'last snapshots', () =>
    writeSnapshots().catch((err) => logger.warn({ err }, 'last snapshots not written')),
  );

  // 5. The commands. A partition that comes to this instance (start, another instance joining or leaving)
  // may hold cases another instance just wrote: before deciding on it, read case-events of that partition
  // to its end, then do what the previous holder may have left undone.
  const commandConsumer = rt.consumer({
    groupId: 'routing',
    fromBeginning: true,
    onAssigned: (assigned) => {
      const partitions = assigned.get(caseCommands.name) ?? [];
      owned = new Set(partitions);
      state.settle();
      const mine = owned;
      fence = catchUp(partitions)
        .then(() => applyPendingWindows(mine))
        .then(() => moveFromDissolved(mine))
        .catch((err) => logger.error({ err }, 'taking over partitions failed'));
      logger.info({ partitions: partitions.length }, 'command partitions assigned');
    },
    subscriptions: [
      onBatch(caseCommands, async (records) => {
        await fence;
        await applyAll(
          records.map((r) => r.value),
          records[0]?.partition ?? 0,
        );
      }),
    ],
  });
  await commandConsumer.start();

  // 6. The interconnect with the other nodes of the federation (none in a single-node deployment).
  if (signer && federation.peers().length > 0) {
    const interconnect = startInterconnect({
      bus,
      federation,
      signer,
      verifier: createRecordVerifier(federation.nodes),
      writer,
      store,
      publisher,
      logger,
      registry,
      serial,
      stateRead,
      caughtUp: (partition) => catchUp([partition]),
      now,
    });
    for (const c of interconnect) rt.onClose('consumers', 'interconnect', () => c.stop());
    await Promise.all(interconnect.map((c) => c.start()));
    logger.info({ node: federation.self, peers: federation.peers() }, 'interconnect running');
  }

  const httpUrl = await rt.listenOps({ port: config.httpPort, host: config.host });
  logger.info({ http: httpUrl, cases: store.size }, 'routing running');
  return { httpUrl, close: () => rt.close() };
}
