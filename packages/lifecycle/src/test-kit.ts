import {
  CaseCommand,
  type CaseEvent,
  Category,
  Channel,
  type CommandMeta,
  Petition,
  PetitionKind,
} from '@petition/contract';
import { buildNationalDirectory, type Directory, nationalDirectory } from '@petition/directory';
import { createLegalCalendar, stateCouncilTable } from '@petition/legal-calendar';
import { expect } from 'vitest';
import type { CaseSummary, DecideContext } from './context.ts';
import { decideAndEvolve, type Outcome } from './decide.ts';
import type { CaseSnapshot } from './snapshot.ts';

// Test support: the real national directory, the State Council calendar, and a case driven command by
// command with its own clock. Not part of the package API.

let national: ReturnType<typeof buildNationalDirectory> | undefined;

/** A fresh directory built from the real divisions (a test that changes it gets its own). */
export function realDirectory(): Directory {
  national ??= buildNationalDirectory();
  return nationalDirectory(national, new Date('2026-01-01T00:00:00Z'));
}

export const calendar = createLegalCalendar({ table: stateCouncilTable() });

type Actor = CommandMeta['actor'];
export const unit = (unitId: string, staffId = 'staff-1'): Actor => ({ $case: 'unit', value: { unitId, staffId } });
export const petitionerOf = (caseNumber: string): Actor => ({
  $case: 'petitioner',
  value: { caseNumber, personId: 'p-1' },
});
export const watchdog: Actor = { $case: 'system', value: { service: 'deadline-watchdog', triggerEventId: 'w-1' } };

// Enums widen to number so that tests can send values outside them, as a broken client could.
type DeepPartial<T> = T extends Date
  ? T
  : T extends number
    ? number
    : T extends readonly (infer U)[]
      ? DeepPartial<U>[]
      : T extends object
        ? { [K in keyof T]?: DeepPartial<T[K]> }
        : T;
type Command = NonNullable<CaseCommand['command']>;
/** A command body with only the fields a test cares about (the rest default as on the wire). */
export type Body = {
  [C in Command['$case']]: { $case: C; value: DeepPartial<Extract<Command, { $case: C }>['value']> };
}[Command['$case']];
type Payload = NonNullable<CaseEvent['payload']>;

/** The payload of an event, which must be of the kind expected. */
export function payloadOf<C extends Payload['$case']>(event: CaseEvent | undefined, $case: C) {
  const payload = event?.payload;
  if (payload?.$case !== $case) return expect.fail(`expected ${$case}, got ${payload?.$case}`);
  return payload.value as Extract<Payload, { $case: C }>['value'];
}

export const petition = (over: Partial<Petition> = {}): Petition =>
  Petition.fromPartial({
    caseNumber: 'ZJ330106-20261120-0001',
    channel: Channel.CHANNEL_WEB,
    kind: PetitionKind.PETITION_KIND_COMPLAINT,
    category: Category.CATEGORY_LABOR_SOCIAL_SECURITY,
    regionCode: '330106',
    title: '工资拖欠',
    content: '某公司拖欠工资三个月',
    petitioner: { personId: 'p-1' },
    ...over,
  });

let commands = 0;

/** One case under test: its events, its snapshot and a clock that only moves forward. */
export class CaseRun {
  readonly caseId: string;
  readonly directory: Directory;
  readonly events: CaseEvent[] = [];
  snapshot: CaseSnapshot | undefined;
  now: Date;
  cases: Map<string, CaseSummary> = new Map();

  constructor(options: { now: string; directory: Directory; caseId?: string }) {
    this.now = new Date(options.now);
    this.directory = options.directory;
    this.caseId = options.caseId ?? `case-${++commands}`;
  }

  get ctx(): DecideContext {
    return { now: this.now, directory: this.directory, calendar, cases: (id) => this.cases.get(id) };
  }

  get state() {
    return this.snapshot?.state;
  }

  get caseNumber() {
    return this.snapshot?.caseNumber ?? '';
  }

  /** Moves the clock to an instant (ISO) or by a number of days. */
  at(when: string | number): this {
    this.now = typeof when === 'number' ? new Date(this.now.getTime() + when * 86_400_000) : new Date(when);
    return this;
  }

  send(actor: Actor, body: Body, meta: Partial<CommandMeta> = {}): Outcome {
    const command = CaseCommand.fromPartial({
      meta: { commandId: `cmd-${++commands}`, caseId: this.caseId, issueTime: this.now, actor, ...meta },
      command: body as Command,
    });
    const { outcome, snapshot } = decideAndEvolve(this.snapshot, command, this.ctx);
    this.snapshot = snapshot;
    this.events.push(...outcome.events);
    return outcome;
  }

  /** Sends and expects the command applied; returns its events. */
  ok(actor: Actor, body: Body): [CaseEvent, ...CaseEvent[]] {
    const outcome = this.send(actor, body);
    if (outcome.kind === 'refused') expect.fail(`${body.$case} refused: ${outcome.refusal.code} ${outcome.refusal.en}`);
    return outcome.events as [CaseEvent, ...CaseEvent[]];
  }

  /** Sends and expects a refusal; returns its code. */
  refused(actor: Actor, body: Body): string {
    const outcome = this.send(actor, body);
    if (outcome.kind === 'applied') expect.fail(`${body.$case} was applied, expected a refusal`);
    return outcome.kind === 'refused' ? outcome.refusal.code : '';
  }
}
