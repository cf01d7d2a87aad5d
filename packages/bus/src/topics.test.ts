import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as contract from '@petition/contract';
import { describe, expect, it } from 'vitest';
import { on } from './consumer.ts';
import { allTopics, caseCommands, caseEvents, deadlineEvents, notificationEvents, units } from './topics.ts';

const exported = new Set(Object.keys(contract));
const named = (type: string) => exported.has(type.replace(/^petition\.v1\./, ''));

describe('topic catalogue', () => {
  it('has one topic per stream of the design, each with a .v1 name', () => {
    expect(allTopics.map((t) => t.name)).toEqual([
      'petition.case-commands.v1',
      'petition.case-events.v1',
      'petition.deadline-events.v1',
      'petition.notification-events.v1',
      'petition.access-audit.v1',
      'petition.in-app-notices.v1',
      'petition.notice-reads.v1',
      'petition.routing-snapshots.v1',
      'petition.situation-events.v1',
      'petition.subscriptions.v1',
      'petition.units.v1',
    ]);
    expect(allTopics.filter((t) => t.compacted).map((t) => t.name)).toEqual([
      'petition.routing-snapshots.v1',
      'petition.subscriptions.v1',
      'petition.units.v1',
    ]);
  });

  it('labels every case event with the name of its payload message', () => {
    const event = contract.CaseEvent.fromPartial({
      envelope: { caseId: 'c-1' },
      payload: { $case: 'caseAccepted', value: {} },
    });
    expect(caseEvents.typeOf(event)).toBe('petition.v1.CaseAccepted');
    expect(caseEvents.keyOf(event)).toBe('c-1');
  });

  it('turns the payload cases a subscription wants into the headers it passes', async () => {
    const sub = on(caseEvents, async () => {}, { only: ['caseAccepted', 'petitionRegistered'] });
    expect(sub.only).toEqual(new Set(['petition.v1.CaseAccepted', 'petition.v1.PetitionRegistered']));
    expect(on(units, async () => {}, { only: ['renamed'] }).only).toEqual(new Set(['petition.v1.UnitRenamed']));
    expect(on(caseEvents, async () => {}).only).toBeUndefined();
    // @ts-expect-error: a case of another topic's message
    on(caseEvents, async () => {}, { only: ['renamed'] });
  });

  it('names a real contract message for every payload of every topic', () => {
    const wrappers = [
      { topic: caseCommands, file: 'case_commands', message: 'CaseCommand', oneof: 'command' },
      { topic: caseEvents, file: 'case_events', message: 'CaseEvent', oneof: 'payload' },
      { topic: deadlineEvents, file: 'deadline_events', message: 'DeadlineEvent', oneof: 'payload' },
      { topic: notificationEvents, file: 'notification_events', message: 'NotificationEvent', oneof: 'payload' },
      { topic: units, file: 'directory', message: 'UnitEvent', oneof: 'payload' },
    ];
    for (const w of wrappers) {
      const members = oneofMembers(w.file, w.message);
      expect(members.length, w.message).toBeGreaterThan(2);
      for (const member of members) {
        const codec = (contract as unknown as Record<string, { fromPartial(o: object): never }>)[w.message];
        const message = codec?.fromPartial({ [w.oneof]: { $case: member, value: {} } });
        const type = w.topic.typeOf(message as never);
        expect(named(type), `${w.message}.${member} → ${type}`).toBe(true);
        expect(w.topic.eventTypeOfCase?.(member), `${w.message}.${member}`).toBe(type);
      }
    }
  });
});

/** The oneof member names (camelCase, as ts-proto names `$case`) of a wrapper message in a .proto file. */
function oneofMembers(file: string, message: string): string[] {
  const text = readFileSync(join(workspaceRoot(), 'proto', 'petition', 'v1', `${file}.proto`), 'utf8');
  const body = text.slice(text.indexOf(`message ${message} {`));
  const oneof = body.slice(body.indexOf('oneof '), body.indexOf('}'));
  return [...oneof.matchAll(/^\s+[A-Z]\w* (\w+) = \d+;/gm)].map((m) =>
    (m[1] ?? '').replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()),
  );
}

function workspaceRoot(): string {
  return fileURLToPath(new URL('../../../', import.meta.url));
}
