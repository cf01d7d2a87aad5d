import { randomUUID } from 'node:crypto';
import { type BusConsumer, caseCommands, caseEvents, createBus, on, units } from '@petition/bus';
import type { CaseCommand, CaseEvent } from '@petition/contract';
import { nationalDirectory } from '@petition/directory';
import { followDirectory } from '@petition/directory-feed';
import { createLegalCalendar, stateCouncilTable } from '@petition/legal-calendar';
import { decide } from '@petition/lifecycle';
import type { Logger } from '@petition/logging';
import Fastify from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { createCaseStore } from './case-store.ts';
import type { RoutingConfig } from './config.ts';

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
  await bus.ensureTopics([caseCommands, caseEvents, units], { partitions: config.topicPartitions });
  const directory = nationalDirectory();
  const calendar = createLegalCalendar({ table: stateCouncilTable() });
  const store = createCaseStore();

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const decided = new Counter({
    name: 'routing_commands_total',
    help: 'Commands decided',
    labelNames: ['outcome'],
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
        store.apply(r.value);
        read.set(r.partition, BigInt(r.offset) + 1n);
      }),
    ],
  });
  const consumers: BusConsumer[] = [
    followDirectory(bus, directory, { groupId: `routing-directory-${instance}`, logger }),
    stateConsumer,
  ];
  await Promise.all(consumers.map((c) => c.start()));
  /** Resolves once this instance has read case-events of `partitions` (all when omitted) to their end. */
  const catchUp = async (partitions?: readonly number[]) => {
    const ends = await bus.endOffsets(caseEvents);
    const wanted = partitions ?? [...ends.keys()];
    const behind = () => wanted.some((p) => (read.get(p) ?? 0n) < (ends.get(p) ?? 0n));
    while (behind()) await new Promise((r) => setTimeout(r, 20));
  };
  const started = Date.now();
  await catchUp();
  logger.info({ cases: store.size, ms: Date.now() - started }, 'case state rebuilt from case-events');

  // 2. The commands.
  const publisher = await bus.publisher();
  async function apply(command: CaseCommand) {
    const commandId = command.meta?.commandId ?? '';
    if (commandId && store.answered(commandId)) {
      decided.inc({ outcome: 'duplicate' });
      logger.info({ commandId }, 'command already answered; not applied again');
      return;
    }
    const caseId = command.meta?.caseId ?? '';
    const outcome = decide(store.get(caseId), command, {
      now: now(),
      directory,
      calendar,
      cases: store.summary,
      producer: 'routing',
    });
    await publisher.publish(caseEvents, outcome.events);
    for (const event of outcome.events) store.apply(event as CaseEvent);
    decided.inc({ outcome: outcome.kind });
    if (config.faultAfterPublish) {
      logger.warn({ commandId }, 'fault injection: exiting after publishing, before committing');
      process.exit(137);
    }
  }
  // A partition that comes to this instance (start, another instance joining or leaving) may hold cases
  // another instance just wrote: before deciding on it, read case-events of that partition to its end.
  // case-commands and case-events are keyed alike with as many partitions, so a case sits in the same
  // partition number in both.
  let fence: Promise<void> = Promise.resolve();
  const commandConsumer = bus.consumer({
    groupId: 'routing',
    fromBeginning: true,
    onAssigned: (assigned) => {
      const partitions = assigned.get(caseCommands.name) ?? [];
      fence = catchUp(partitions).catch((err) => logger.error({ err }, 'catching up on case-events failed'));
      logger.info({ partitions: partitions.length }, 'command partitions assigned');
    },
    subscriptions: [
      on(caseCommands, async (r) => {
        await fence;
        await apply(r.value);
      }),
    ],
  });
  await commandConsumer.start();
  consumers.push(commandConsumer);

  const http = Fastify({ logger: false });
  let closing = false;
  http.get('/healthz', async () => ({ status: 'ok' }));
  http.get('/readyz', async (_q, reply) => {
    const broker = await bus.waitUntilReady(2_000).then(
      () => true,
      () => false,
    );
    const ok = broker && !closing;
    return reply
      .code(ok ? 200 : 503)
      .send({ status: ok ? 'ready' : 'not ready', checks: { broker, accepting: !closing } });
  });
  http.get('/metrics', async (_q, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  const httpUrl = await http.listen({ port: config.httpPort, host: config.host });
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
