// Routing's speed, all in the same run on the real national directory:
// - in process: commands decided per second by routing's writer (lifecycle + jurisdiction + automatic
//   legs), no broker;
// - end to end through Kafka: commands published to case-commands until routing has answered them all on
//   case-events, beside a raw kafkajs pass-through of the same command bytes (consume a batch, produce it
//   acks=all to another topic) measured the same way.
// Half the commands register a petition at a county bureau (auto-routed: one leg to the department),
// half accept those cases, so the end-to-end run writes 1.5 events per command.
import { caseCommands, caseEvents, createBus, isolatedPrefix, toMessage } from '@petition/bus';
import { CaseCommand, Category, Channel, PetitionKind, UnitLevel } from '@petition/contract';
import { buildNationalDirectory, nationalDirectory } from '@petition/directory';
import { createLegalCalendar, stateCouncilTable } from '@petition/legal-calendar';
import { type Logger, progress } from '@petition/logging';
import { createCaseStore, createWriter, loadRoutingConfig, parseRouteModes, startRouting } from '@petition/routing';
import { Kafka, logLevel } from 'kafkajs';
import { countRecords, waitForCount } from './count.ts';

const partitions = 12;
const seconds = (started: number) => (performance.now() - started) / 1000;
const departments: Record<number, string> = {
  [Category.CATEGORY_LABOR_SOCIAL_SECURITY]: 'rsj',
  [Category.CATEGORY_EDUCATION]: 'jyj',
  [Category.CATEGORY_CIVIL_AFFAIRS]: 'mzj',
};
const categories = Object.keys(departments).map(Number) as Category[];

/** Registrations in every county, then an acceptance of each by the department it was routed to. */
export function workload(counties: string[], commands: number): CaseCommand[] {
  const run = Date.now().toString(36);
  const cases = Math.floor(commands / 2);
  const meta = (i: number, kind: string, actor?: string) => ({
    commandId: `bench-${run}-${kind}-${i}`,
    caseId: `bench-${run}-${i}`,
    issueTime: new Date(),
    actor: actor ? { $case: 'unit' as const, value: { unitId: actor, staffId: 'bench' } } : undefined,
  });
  const region = (i: number) => counties[i % counties.length] ?? '';
  const category = (i: number) => categories[i % categories.length] ?? Category.CATEGORY_OTHER;
  const registrations = Array.from({ length: cases }, (_, i) =>
    CaseCommand.fromPartial({
      meta: meta(i, 'reg'),
      command: {
        $case: 'registerPetition',
        value: {
          petition: {
            caseNumber: `B${i}`,
            channel: Channel.CHANNEL_WEB,
            kind: PetitionKind.PETITION_KIND_COMPLAINT,
            category: category(i),
            regionCode: region(i),
            title: '工资拖欠',
            content: '某公司拖欠工资三个月，多次协商未果',
            petitioner: { personId: `p-${i}` },
          },
        },
      },
    }),
  );
  const acceptances = Array.from({ length: cases }, (_, i) =>
    CaseCommand.fromPartial({
      meta: meta(i, 'acc', `${region(i)}-${departments[category(i)]}`),
      command: { $case: 'acceptCase', value: { noticeDocumentUri: '' } },
    }),
  );
  return [...registrations, ...acceptances];
}

function inProcess(commands: CaseCommand[], logger: Logger) {
  const store = createCaseStore();
  const writer = createWriter({
    directory: nationalDirectory(),
    calendar: createLegalCalendar({ table: stateCouncilTable() }),
    store,
    routeModes: parseRouteModes('chain', []),
    now: () => new Date(),
  });
  const p = progress(logger, { label: 'decide in process', total: commands.length, everyMs: 2_000 });
  const started = performance.now();
  let refused = 0;
  for (let i = 0; i < commands.length; i += 100) {
    const { decided } = writer.decideAll(commands.slice(i, i + 100));
    for (const d of decided) {
      if (d.outcome.kind === 'refused') refused++;
      for (const e of d.events) store.apply(e, 0);
    }
    p.add(100);
  }
  p.finish();
  return { decisionsPerSec: Math.round(commands.length / seconds(started)), refused };
}

/** Publishes the command bytes and resolves with the seconds until `expected` records are on `output`. */
async function pushThrough(o: {
  kafka: Kafka;
  input: string;
  output: string;
  messages: ReturnType<typeof toMessage>[];
  expected: number;
  logger: Logger;
  label: string;
}) {
  const counter = await countRecords(o.kafka, [o.output], `count-${o.label}`);
  const producer = o.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const started = performance.now();
  for (let i = 0; i < o.messages.length; i += 1_000) {
    await producer.send({ topic: o.input, messages: o.messages.slice(i, i + 1_000), acks: -1 });
  }
  const complete = await waitForCount(counter.seen, o.expected, o);
  const sec = seconds(started);
  await Promise.all([producer.disconnect(), counter.close()]);
  return { sec, complete };
}

export async function rawPassThrough(brokers: string[], commands: CaseCommand[], logger: Logger) {
  const bus = createBus({ brokers, clientId: 'bench-pass', logger, topicPrefix: isolatedPrefix('bench-pass') });
  await bus.ensureTopics([caseCommands, caseEvents], { partitions });
  const kafka = new Kafka({ clientId: 'bench-pass', brokers, logLevel: logLevel.NOTHING });
  const input = bus.topicName(caseCommands);
  const output = bus.topicName(caseEvents);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: 'pass' });
  await Promise.all([producer.connect(), consumer.connect()]);
  await consumer.subscribe({ topics: [input], fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset }) => {
      await producer.send({ topic: output, acks: -1, messages: batch.messages });
      resolveOffset(batch.messages.at(-1)?.offset ?? '0');
    },
  });
  try {
    const messages = commands.map((c) => toMessage(caseCommands, c));
    return await pushThrough({ kafka, input, output, messages, expected: messages.length, logger, label: 'raw' });
  } finally {
    await Promise.all([consumer.disconnect(), producer.disconnect()]);
    await bus.deleteOwnTopics();
    await bus.close();
  }
}

async function throughRouting(brokers: string[], commands: CaseCommand[], logger: Logger) {
  const prefix = isolatedPrefix('bench-routing');
  const config = loadRoutingConfig({
    ...process.env,
    KAFKA_BROKERS: brokers.join(','),
    TOPIC_PREFIX: prefix,
    TOPIC_PARTITIONS: String(partitions),
    ROUTING_HTTP_PORT: '0',
    ROUTING_HOST: '127.0.0.1',
  });
  const routing = await startRouting(config, logger.child({}, { level: 'warn' }));
  const bus = createBus({ brokers, clientId: 'bench-routing', logger, topicPrefix: prefix });
  const kafka = new Kafka({ clientId: 'bench-routing', brokers, logLevel: logLevel.NOTHING });
  try {
    const messages = commands.map((c) => toMessage(caseCommands, c));
    return await pushThrough({
      kafka,
      input: bus.topicName(caseCommands),
      output: bus.topicName(caseEvents),
      messages,
      // A registration answers with two events (registered, forwarded), an acceptance with one.
      expected: Math.round(messages.length * 1.5),
      logger,
      label: 'routing',
    });
  } finally {
    await routing.close();
    await bus.deleteOwnTopics();
    await bus.close();
  }
}

export async function benchRouting(options: { brokers: string[]; logger: Logger; records: number }) {
  const logger = options.logger.child({ bench: 'routing' });
  const quiet = logger.child({}, { level: 'warn' });
  const counties = buildNationalDirectory()
    .regions.filter((r) => r.level === UnitLevel.UNIT_LEVEL_COUNTY)
    .map((r) => r.code);
  const local = inProcess(workload(counties, options.records), logger);
  logger.info(local, 'in-process done');
  const raw = await rawPassThrough(options.brokers, workload(counties, options.records), quiet);
  logger.info({ sec: raw.sec }, 'raw pass-through done');
  const routed = await throughRouting(options.brokers, workload(counties, options.records), quiet);
  logger.info({ sec: routed.sec }, 'routing done');
  const rawPerSec = Math.round(options.records / raw.sec);
  const routingPerSec = Math.round(options.records / routed.sec);
  return {
    bench: 'routing',
    commands: options.records,
    partitions,
    endToEnd: { commandsPerSec: routingPerSec, eventsPerCommand: 1.5 },
    rawPassThrough: { recordsPerSec: rawPerSec },
    ratio: Number((routingPerSec / rawPerSec).toFixed(3)),
    inProcess: local,
    lost: !raw.complete || !routed.complete || local.refused > 0,
  };
}
