import { caseCommands, caseEvents, createBus, isolatedPrefix, on } from '@petition/bus';
import {
  CaseCommand,
  type CaseEvent,
  Category,
  Channel,
  type CommandMeta,
  type Petition,
  PetitionKind,
} from '@petition/contract';
import { createLogger } from '@petition/logging';
import { waitFor as until } from '@petition/testing';

// Test support for routing against the real broker: topics under their own prefix, every case event
// collected, commands built and sent the way intake sends them. Not part of the service.

export const logger = createLogger({ service: 'routing-test', level: process.env.LOG_LEVEL ?? 'warn' });

type Actor = CommandMeta['actor'];
export const unit = (unitId: string): Actor => ({ $case: 'unit', value: { unitId, staffId: 't' } });
export const petitioner = (caseNumber: string): Actor => ({
  $case: 'petitioner',
  value: { caseNumber, personId: 'p' },
});

type Command = NonNullable<CaseCommand['command']>;
/** A command body with only the fields a test cares about; the rest default as on the wire. */
type Body = {
  [C in Command['$case']]: { $case: C; value: Partial<Extract<Command, { $case: C }>['value']> | object };
}[Command['$case']];

let n = 0;
export function command(caseId: string, actor: Actor, body: Body, commandId?: string) {
  return CaseCommand.fromPartial({
    meta: { commandId: commandId ?? `cmd-${++n}-${Date.now()}`, caseId, issueTime: new Date(), actor },
    command: body as Command,
  });
}

export const register = (caseId: string, over: Partial<Petition> = {}) =>
  command(caseId, undefined, {
    $case: 'registerPetition',
    value: {
      petition: {
        caseNumber: `N-${caseId}`,
        channel: Channel.CHANNEL_WEB,
        kind: PetitionKind.PETITION_KIND_COMPLAINT,
        category: Category.CATEGORY_LABOR_SOCIAL_SECURITY,
        regionCode: '330106',
        title: '工资拖欠',
        content: '某公司拖欠工资三个月',
        petitioner: { personId: 'p', sealed: undefined },
        representatives: [],
        groupSize: 0,
        accusedUnitId: '',
        concernedUnitId: '',
        attachments: [],
        registeringUnitId: '',
        queryCodeHash: '',
        anonymous: false,
        externalRef: '',
        ...over,
      },
    },
  });

/** A prefix of its own, a bus on it, and every case event routing writes there. */
export async function routingHarness(name: string, extraEnv: Record<string, string> = {}) {
  const prefix = isolatedPrefix(name);
  const env = {
    ...process.env,
    TOPIC_PREFIX: prefix,
    ROUTING_HTTP_PORT: '0',
    ROUTING_HOST: '127.0.0.1',
    ...extraEnv,
  };
  const bus = createBus({
    brokers: (process.env.KAFKA_BROKERS ?? '').split(','),
    clientId: `${name}-test`,
    logger,
    topicPrefix: prefix,
  });
  const events: CaseEvent[] = [];
  /** The partition each case's events were seen in. */
  const partitions = new Map<string, number>();
  const watcher = bus.consumer({
    groupId: 'test-events',
    fromBeginning: true,
    subscriptions: [
      on(caseEvents, async (r) => {
        events.push(r.value);
        partitions.set(r.value.envelope?.caseId ?? '', r.partition);
      }),
    ],
  });
  const publisher = await bus.publisher();
  const of = (commandId: string) => events.filter((e) => e.envelope?.causationId === commandId);
  const caseOf = (caseId: string) => events.filter((e) => e.envelope?.caseId === caseId);
  return {
    env,
    bus,
    events,
    partitions,
    publisher,
    /** Starts collecting case events (after routing created the topics). */
    watch: () => watcher.start(),
    send: (...commands: CaseCommand[]) => publisher.publish(caseCommands, commands),
    of,
    caseOf,
    /** The case's last event. */
    last: (caseId: string) => caseOf(caseId).at(-1),
    /** Sends one command and resolves with its answer (the events it caused, or its refusal). */
    async answer(c: CaseCommand): Promise<CaseEvent[]> {
      const id = c.meta?.commandId ?? '';
      await publisher.publish(caseCommands, [c]);
      await until(`the answer to ${c.command?.$case}`, () => of(id).length > 0);
      return of(id);
    },
    async close() {
      await bus.deleteOwnTopics();
      await bus.close();
    },
  };
}

export type Harness = Awaited<ReturnType<typeof routingHarness>>;

/** The refusal code of an answer, or undefined when it was applied. */
export const refusalOf = (answer: CaseEvent[]) => {
  const p = answer[0]?.payload;
  return p?.$case === 'commandRefused' ? p.value.reasonCode : undefined;
};

export { until };
