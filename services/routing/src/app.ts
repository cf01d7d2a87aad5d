import { randomUUID } from 'node:crypto';
import {
  type BusConsumer,
  caseCommands,
  caseEvents,
  createBus,
  deadlineEvents,
  linkTopic,
  on,
  onBatch,
  units,
} from '@petition/bus';
import type { CaseCommand } from '@petition/contract';
import { nationalDirectory } from '@petition/directory';
import { followDirectory } from '@petition/directory-feed';
import { createRecordVerifier, federationFrom, recordSignerFrom } from '@petition/federation';
import { createLegalCalendar, stateCouncilTable } from '@petition/legal-calendar';
import type { Logger } from '@petition/logging';
import { createRegistry, listenOps } from '@petition/ops';
import { Counter, Gauge } from 'prom-client';
import { parseRouteModes } from './auto-route.ts';
import { createCaseStore } from './case-store.ts';
import type { RoutingConfig } from './config.ts';
import { startInterconnect } from './interconnect.ts';
import { createWriter, type DirectoryChange, dissolution } from './writer.ts';

// Routing: the only writer of case-events. It first reads case-events to the end (every case's state and
// every answered command), then applies case-commands in partition order: decide, publish (acks=all),
// remember, and only then let the command's offset be committed.

export interface Routing {
  readonly httpUrl: string;
  close(): Promise<void>;
}

export async function startRouting(
  config: RoutingConfig,
  logger: Logger,
  options: { now?: () => Date } = {},
): Promise<Routing> {
  const now = options.now ?? (() => new Date());
  const instance = randomUUID().slice(0, 8);
  const bus = createBus({
    brokers: config.brokers ?? [],
    clientId: `routing-${instance}`,
    logger,
    topicPrefix: config.topicPrefix,
  });
  await bus.waitUntilReady();
  const directory = nationalDirectory();
  // The node this routing writes for (DESIGN "Nodes"); the single-node nation without NODE_ID.
  const federation = federationFrom(config, directory);
  const signer = recordSignerFrom(config);
  const links = federation
    .peers()
    .flatMap((peer) => [linkTopic(federation.self, peer), linkTopic(peer, federation.self)]);
  await bus.ensureTopics([caseCommands, caseEvents, deadlineEvents, units, ...links], {
    partitions: config.topicPartitions,
  });
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

  const registry = createRegistry();
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

  // 1. The state: every case-event, from the beginning, in this instance's own group.
  const read = new Map<number, bigint>();
  const stateConsumer = bus.consumer({
    groupId: `routing-state-${instance}`,
    fromBeginning: true,
    subscriptions: [
      on(caseEvents, async (r) => {
        store.apply(r.value, r.partition);
        read.set(r.partition, BigInt(r.offset) + 1n);
      }),
    ],
  });
  /** Resolves once this instance has read case-events of `partitions` (all when omitted) to their end. */
  const catchUp = async (partitions?: readonly number[]) => {
    const ends = await bus.endOffsets(caseEvents);
    const wanted = partitions ?? [...ends.keys()];
    const behind = () => wanted.some((p) => (read.get(p) ?? 0n) < (ends.get(p) ?? 0n));
    while (behind()) await new Promise((r) => setTimeout(r, 20));
  };
  /** Resolves once this instance's state has read case-events of `partition` past `offset`. */
  const stateRead = async (partition: number, offset: bigint) => {
    while ((read.get(partition) ?? 0n) <= offset) await new Promise((r) => setTimeout(r, 20));
  };

  // 2. Applying a command, one at a time whatever its source (commands, deadline events, the directory).
  const publisher = await bus.publisher();
  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = tail.then(work);
    tail = run.catch(() => undefined);
    return run;
  };
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

  // Partitions this instance holds for case-commands; it alone writes their cases. case-commands,
  // case-events and deadline-events are keyed alike with as many partitions, so a case has the same
  // partition number in each.
  let owned = new Set<number>();

  // 3. The directory (art 25): an open case held by a unit that was merged, split or dissolved moves to
  // the unit that now exercises its functions. Checked when a unit goes and when partitions arrive.
  const changes = new Map<string, DirectoryChange>();
  const moveFromDissolved = async (partitions: ReadonlySet<number>, unitId?: string) => {
    for (const s of [...store.inPartitions(partitions)]) {
      if ((unitId && s.custodyUnitId !== unitId) || !writer.writesHere(s)) continue;
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
  const consumers: BusConsumer[] = [
    followDirectory(bus, directory, {
      groupId: `routing-directory-${instance}`,
      logger,
      onApplied: async (event) => {
        const gone = dissolution(event);
        if (!gone) return;
        changes.set(gone.unit.unitId, gone);
        await fence;
        await moveFromDissolved(owned, gone.unit.unitId);
      },
    }),
    stateConsumer,
    bus.consumer({
      groupId: `routing-deadlines-${instance}`,
      fromBeginning: true,
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
  const started = Date.now();
  await catchUp();
  logger.info({ cases: store.size, ms: Date.now() - started }, 'case state rebuilt from case-events');

  // 5. The commands. A partition that comes to this instance (start, another instance joining or leaving)
  // may hold cases another instance just wrote: before deciding on it, read case-events of that partition
  // to its end, then do what the previous holder may have left undone.
  const commandConsumer = bus.consumer({
    groupId: 'routing',
    fromBeginning: true,
    onAssigned: (assigned) => {
      const partitions = assigned.get(caseCommands.name) ?? [];
      owned = new Set(partitions);
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
  consumers.push(commandConsumer);

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
    await Promise.all(interconnect.map((c) => c.start()));
    consumers.push(...interconnect);
    logger.info({ node: federation.self, peers: federation.peers() }, 'interconnect running');
  }

  let closing = false;
  const http = await listenOps({
    port: config.httpPort,
    host: config.host,
    registry,
    checks: async () => ({
      broker: await bus.waitUntilReady(2_000).then(
        () => true,
        () => false,
      ),
      accepting: !closing,
    }),
  });
  const httpUrl = http.url;
  logger.info({ http: httpUrl, cases: store.size }, 'routing running');

  return {
    httpUrl,
    async close() {
      closing = true;
      await http.close();
      await bus.close();
      logger.info('routing stopped');
    },
  };
}
