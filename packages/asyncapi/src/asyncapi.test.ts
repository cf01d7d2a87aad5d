import { Parser } from '@asyncapi/parser';
import { fromBinary, toJson } from '@bufbuild/protobuf';
import { allTopics, caseEvents, defineTopic, Header, type TopicSpec } from '@petition/bus';
import { CaseEvent, Category, UnitEvent, UnitKind, UnitLevel } from '@petition/contract';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { contractRegistry, generateAsyncApiText } from './generate.ts';
import { asyncApiDocument, documentedTopics, readAsyncApiDocument } from './index.ts';

type Doc = ReturnType<typeof asyncApiDocument>;
type Channel = { address: string; 'x-writer': string; messages: Record<string, { $ref: string }> };
type Operation = { action: string; channel: { $ref: string }; 'x-writer': string };
type Message = { headers: { properties: Record<string, { const?: string }> }; payload: unknown };

const generated = generateAsyncApiText();
const document = JSON.parse(generated) as Doc;
const channels = Object.values(document.channels) as Channel[];
const operations = Object.values(document.operations) as Operation[];
const messageOf = (ref: string) =>
  (document.components.messages as Record<string, Message>)[ref.replace('#/components/messages/', '')];

describe('the AsyncAPI document of the topics', () => {
  it('is kept current in docs/asyncapi.json (npm run gen writes it)', () => {
    const current = readAsyncApiDocument() === generated;
    expect(current, 'docs/asyncapi.json differs from what the contract and the catalogue make: npm run gen').toBe(true);
  });

  it('validates with @asyncapi/parser, without one error', async () => {
    const { document: parsed, diagnostics } = await new Parser().parse(generated);
    expect(diagnostics.filter((d) => d.severity === 0)).toEqual([]);
    expect(
      parsed
        ?.channels()
        .all()
        .map((c) => c.address()),
    ).toContain(caseEvents.name);
  });

  it('has every topic of the catalogue as a channel, sent by its one writer', () => {
    for (const spec of allTopics) {
      const channel = channels.find((c) => c.address === spec.name);
      expect(channel, spec.name).toBeDefined();
      expect(channel?.['x-writer']).toBe(spec.writer);
      const senders = operations.filter((o) => document.channels[o.channel.$ref.split('/')[2] as never] === channel);
      expect(senders.map((o) => [o.action, o['x-writer']])).toEqual([['send', spec.writer]]);
    }
    const link = channels.find((c) => c.address === 'petition.link.{fromNode}.{toNode}.v1');
    expect(link?.['x-writer']).toBe('routing');
    expect(channels.find((c) => c.address === '{topic}.dlq')).toBeDefined();
  });

  it('names each payload case by the event-type header the bus writes', () => {
    const channel = channels.find((c) => c.address === caseEvents.name) as Channel;
    const eventTypes = Object.values(channel.messages).map(
      (m) => messageOf(m.$ref)?.headers.properties[Header.eventType]?.const,
    );
    const accepted = CaseEvent.fromPartial({ payload: { $case: 'caseAccepted', value: {} } });
    expect(eventTypes).toContain(caseEvents.typeOf(accepted));
    expect(eventTypes).toContain('petition.v1.CommandRefused');
    expect(new Set(eventTypes).size).toBe(eventTypes.length);
    // Every event-type of the document names a message of the contract, as the bus's headers do.
    const registry = contractRegistry();
    const all = Object.values(document.components.messages as Record<string, Message>).map(
      (m) => m.headers.properties[Header.eventType]?.const,
    );
    expect(all.filter((t) => t !== undefined && !registry.getMessage(t))).toEqual([]);
  });

  it('takes its payload schemas from the proto descriptors, comments and proto3 JSON names included', () => {
    const schemas = document.components.schemas as Record<string, { properties?: Record<string, unknown> }>;
    const envelope = schemas['petition.v1.EventEnvelope']?.properties ?? {};
    expect(envelope.caseVersion).toMatchObject({ type: ['string', 'integer'], pattern: '^[0-9]+$' });
    expect(envelope.occurTime).toMatchObject({ $ref: '#/components/schemas/google.protobuf.Timestamp' });
    expect(envelope.eventId).toMatchObject({ description: expect.stringContaining('idempotency key') });
    expect(Object.keys(schemas['petition.v1.CaseEvent']?.properties ?? {})).toContain('caseAccepted');
    const inbox = channels.find((c) => c.address === 'petition.notice-reads.v1') as Channel;
    expect(Object.keys(inbox.messages)).toEqual(['InAppNoticeRead']); // the case its writer puts there
  });

  it('describes the JSON of real records, as ts-proto and protobuf-es write it; a wrong field fails', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema({ ...document, $id: 'asyncapi' });
    const payloadOf = (messageId: string) => {
      const validate = ajv.getSchema(`asyncapi#/components/messages/${messageId}/payload`);
      if (!validate) throw new Error(`no message ${messageId}`);
      return (json: unknown) =>
        validate(json) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
    };
    const registry = contractRegistry();
    const canonical = (typeName: string, bytes: Uint8Array) => {
      const desc = registry.getMessage(typeName);
      if (!desc) throw new Error(typeName);
      return toJson(desc, fromBinary(desc, bytes));
    };
    const accepted = CaseEvent.fromPartial({
      envelope: { eventId: 'e1', caseId: 'c1', caseVersion: 3, occurTime: new Date('2026-11-30T08:00:00Z') },
      payload: { $case: 'caseAccepted', value: { acceptingUnitId: '330106-rsj', noticeTime: new Date() } },
    });
    const created = UnitEvent.fromPartial({
      unit: {
        unitId: '330106-rsj',
        level: UnitLevel.UNIT_LEVEL_COUNTY,
        kind: UnitKind.UNIT_KIND_PETITION_BUREAU,
        categories: [Category.CATEGORY_URBAN_RURAL_CONSTRUCTION],
      },
      payload: { $case: 'created', value: {} },
    });
    const caseAccepted = payloadOf('case-events.CaseAccepted');
    const unitCreated = payloadOf('units.UnitCreated');
    expect(caseAccepted(CaseEvent.toJSON(accepted))).toEqual([]);
    expect(caseAccepted(canonical('petition.v1.CaseEvent', CaseEvent.encode(accepted).finish()))).toEqual([]);
    expect(unitCreated(UnitEvent.toJSON(created))).toEqual([]);
    expect(unitCreated(canonical('petition.v1.UnitEvent', UnitEvent.encode(created).finish()))).toEqual([]);

    const json = CaseEvent.toJSON(accepted) as { envelope: Record<string, unknown> };
    expect(caseAccepted({ ...json, envelope: { ...json.envelope, caseVersion: 'three' } })).not.toEqual([]);
    expect(caseAccepted({ envelope: json.envelope })).not.toEqual([]); // not a CaseAccepted
    expect(unitCreated({ ...(UnitEvent.toJSON(created) as object), unit: { level: 'UNIT_LEVEL_HAMLET' } })).not.toEqual(
      [],
    );
  });

  it('refuses a catalogue topic that does not say who writes it', () => {
    const unowned = defineTopic({ ...caseEvents, writer: undefined }) as unknown as TopicSpec<never>;
    expect(() => asyncApiDocument(contractRegistry(), [...documentedTopics, { spec: unowned }])).toThrow(/writer/);
  });
});
