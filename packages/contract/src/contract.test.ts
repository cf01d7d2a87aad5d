import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import { describe, expect, it } from 'vitest';
import * as contract from './index.ts';
import {
  CaseCommand,
  CaseEvent,
  CaseState,
  Category,
  Channel,
  ClockStage,
  caseStateToJSON,
  DeadlineEvent,
  Evaluation,
  IntakeServiceService,
  PetitionKind,
  ReplyDisposition,
  SealAlgorithm,
  Unit,
  UnitEvent,
  UnitKind,
  UnitLevel,
} from './index.ts';

const t = (iso: string) => new Date(iso);

const envelope = (version: number) => ({
  eventId: '01JD7Z3Q0000000000000000EV',
  caseId: 'case-7f3a',
  caseVersion: version,
  occurTime: t('2026-11-20T02:00:00.000Z'),
  actingUnitId: 'unit-330106-xfj',
  correlationId: 'cmd-1',
  causationId: 'cmd-1',
  trace: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: '' },
  producer: 'routing',
});

const registered: CaseEvent = CaseEvent.fromPartial({
  envelope: envelope(1),
  state: CaseState.CASE_STATE_REGISTERED,
  custodyUnitId: 'unit-330106-xfj',
  payload: {
    $case: 'petitionRegistered',
    value: {
      petition: {
        caseNumber: '3301062026112000001',
        channel: Channel.CHANNEL_WEB,
        kind: PetitionKind.PETITION_KIND_COMPLAINT,
        category: Category.CATEGORY_LABOR_SOCIAL_SECURITY,
        regionCode: '330106',
        title: '拖欠工资',
        content: '某公司拖欠三个月工资。',
        petitioner: {
          personId: 'p-1',
          sealed: {
            algorithm: SealAlgorithm.SEAL_ALGORITHM_AES_256_GCM,
            keyId: 'k-2026-0001',
            nonce: new Uint8Array(12).fill(7),
            ciphertext: new Uint8Array([1, 2, 3, 4, 5]),
            authTag: new Uint8Array(16).fill(9),
            purpose: 'petitioner',
            aad: new TextEncoder().encode('petition.v1|case-7f3a|petitioner'),
          },
        },
        representatives: [{ personId: 'p-2' }, { personId: 'p-3' }],
        groupSize: 12,
        attachments: [
          {
            name: '工资条.pdf',
            mediaType: 'application/pdf',
            sizeBytes: 2 ** 33,
            sha256: new Uint8Array(32).fill(0xab),
            storageUri: 's3://petition-attachments/case-7f3a/ab',
            confidential: false,
          },
        ],
        registeringUnitId: 'unit-330106-xfj',
        receivedTime: t('2026-11-20T01:30:00.000Z'),
        queryCodeHash: '$scrypt$ln=15,r=8,p=1$c2FsdA$aGFzaA',
      },
      registrationDueTime: t('2026-12-07T16:00:00.000Z'),
    },
  },
});

describe('CaseEvent', () => {
  it('round-trips a oneof payload through the wire format', () => {
    const bytes = CaseEvent.encode(registered).finish();
    const back = CaseEvent.decode(bytes);
    expect(back).toEqual(registered);
    expect(back.payload?.$case).toBe('petitionRegistered');
    if (back.payload?.$case !== 'petitionRegistered') throw new Error('payload lost');
    expect(back.payload.value.petition?.attachments[0]?.sizeBytes).toBe(2 ** 33);
    expect(back.payload.value.petition?.receivedTime?.toISOString()).toBe('2026-11-20T01:30:00.000Z');
    expect(back.payload.value.petition?.petitioner?.sealed?.authTag).toHaveLength(16);
  });

  it('round-trips through proto3 JSON, as the HTTP edge and integrator feeds use it', () => {
    const json = CaseEvent.toJSON(registered) as Record<string, unknown>;
    expect(json.state).toBe('CASE_STATE_REGISTERED');
    expect(CaseEvent.fromJSON(JSON.parse(JSON.stringify(json)))).toEqual(registered);
  });

  it('keeps the published field numbers (integrators decode them)', () => {
    const bytes = CaseEvent.encode(registered).finish();
    const tags: number[] = [];
    const reader = new BinaryReader(bytes);
    while (reader.pos < reader.len) {
      const [field, wireType] = reader.tag();
      tags.push(field);
      reader.skip(wireType);
    }
    // envelope = 1, state = 2, custody_unit_id = 3, petition_registered = 10
    expect(tags).toEqual([1, 2, 3, 10]);

    const refused = CaseEvent.encode(
      CaseEvent.fromPartial({
        payload: { $case: 'commandRefused', value: { commandId: 'c', reasonCode: 'NOT_IN_CUSTODY' } },
      }),
    ).finish();
    expect(new BinaryReader(refused).tag()[0]).toBe(33);
  });

  it('tolerates fields it does not know (a newer producer)', () => {
    const known = CaseEvent.encode(registered).finish();
    const extra = new BinaryWriter();
    extra.uint32((900 << 3) | 0).uint64(42); // an unknown varint field
    extra.uint32((901 << 3) | 2).string('added later'); // an unknown length-delimited field
    const bytes = new Uint8Array([...known, ...extra.finish()]);
    expect(CaseEvent.decode(bytes)).toEqual(registered);
  });

  it('decodes an event whose payload is a oneof member added later as "no payload", keeping the envelope', () => {
    const w = new BinaryWriter();
    w.uint32((1 << 3) | 2).bytes(contract.EventEnvelope.encode(envelope(5)).finish());
    w.uint32((2 << 3) | 0).int32(CaseState.CASE_STATE_ACCEPTED);
    w.uint32((99 << 3) | 2).bytes(new Uint8Array([0x0a, 0x01, 0x78]));
    const back = CaseEvent.decode(w.finish());
    expect(back.payload).toBeUndefined();
    expect(back.envelope?.caseVersion).toBe(5);
    expect(back.state).toBe(CaseState.CASE_STATE_ACCEPTED);
  });
});

describe('enum defaults', () => {
  it('decodes empty bytes to zero values: UNSPECIFIED enums, absent messages and oneofs', () => {
    const empty = CaseEvent.decode(new Uint8Array());
    expect(empty.state).toBe(CaseState.CASE_STATE_UNSPECIFIED);
    expect(empty.state).toBe(0);
    expect(empty.envelope).toBeUndefined();
    expect(empty.payload).toBeUndefined();
    expect(empty.custodyUnitId).toBe('');
    expect(CaseEvent.encode(empty).finish()).toHaveLength(0);

    const unit = Unit.create();
    expect(unit.level).toBe(UnitLevel.UNIT_LEVEL_UNSPECIFIED);
    expect(unit.kind).toBe(UnitKind.UNIT_KIND_UNSPECIFIED);
    expect(unit.categories).toEqual([]);
  });

  it('keeps an enum value it does not know, and names it UNRECOGNIZED in JSON', () => {
    const w = new BinaryWriter();
    w.uint32((2 << 3) | 0).int32(77);
    const back = CaseEvent.decode(w.finish());
    expect(back.state).toBe(77);
    expect(caseStateToJSON(back.state)).toBe('UNRECOGNIZED');
  });

  it('numbers the lifecycle states as published', () => {
    expect(CaseState.CASE_STATE_REGISTERED).toBe(1);
    expect(CaseState.CASE_STATE_FINAL).toBe(14);
    expect(Category.CATEGORY_OTHER).toBe(18);
    expect(Object.keys(Category).filter((k) => k.startsWith('CATEGORY_') && k !== 'CATEGORY_UNSPECIFIED')).toHaveLength(
      18,
    );
    expect(Evaluation.EVALUATION_DISSATISFIED).toBe(3);
  });
});

describe('CaseCommand', () => {
  it('round-trips meta with an actor oneof, an optional expected version and a command', () => {
    const command = CaseCommand.fromPartial({
      meta: {
        commandId: 'cmd-9',
        caseId: 'case-7f3a',
        issueTime: t('2027-01-05T03:04:05.678Z'),
        correlationId: 'cmd-1',
        idempotencyKey: 'idem-abc',
        expectedCaseVersion: 2 ** 40,
        actor: { $case: 'unit', value: { unitId: 'unit-330106-rs', staffId: 's-17' } },
      },
      command: {
        $case: 'replyCase',
        value: {
          opinion: { summary: '责令补发工资', documentUri: 's3://opinions/case-7f3a.pdf' },
          disposition: ReplyDisposition.REPLY_DISPOSITION_SUPPORTED,
        },
      },
    });
    const back = CaseCommand.decode(CaseCommand.encode(command).finish());
    expect(back).toEqual(command);
    expect(back.meta?.expectedCaseVersion).toBe(2 ** 40);
    expect(back.meta?.actor?.$case).toBe('unit');
    expect(back.command?.$case).toBe('replyCase');
  });

  it('tells an unset expected version apart from version 0', () => {
    const unset = CaseCommand.decode(CaseCommand.encode({ meta: baseMeta() }).finish());
    expect(unset.meta?.expectedCaseVersion).toBeUndefined();
    const zero = CaseCommand.decode(CaseCommand.encode({ meta: { ...baseMeta(), expectedCaseVersion: 0 } }).finish());
    expect(zero.meta?.expectedCaseVersion).toBe(0);
  });
});

function baseMeta() {
  return contract.CommandMeta.fromPartial({ commandId: 'c', caseId: 'case-1' });
}

describe('DeadlineEvent', () => {
  it('round-trips a warning with durations', () => {
    const event = DeadlineEvent.fromPartial({
      envelope: { ...envelope(4), producer: 'deadline-watchdog' },
      clockId: 'case-7f3a:CLOCK_STAGE_HANDLING:1',
      stage: ClockStage.CLOCK_STAGE_HANDLING,
      responsibleUnitId: 'unit-330106-rs',
      payload: {
        $case: 'deadlineWarned',
        value: {
          dueTime: t('2027-02-03T16:00:00.000Z'),
          remaining: { seconds: 259_200, nanos: 0 },
          warningPoint: { seconds: 259_200, nanos: 0 },
        },
      },
    });
    const back = DeadlineEvent.decode(DeadlineEvent.encode(event).finish());
    expect(back).toEqual(event);
    expect(back.stage).toBe(ClockStage.CLOCK_STAGE_HANDLING);
    if (back.payload?.$case !== 'deadlineWarned') throw new Error('payload lost');
    expect(back.payload.value.remaining?.seconds).toBe(259_200);
  });
});

describe('UnitEvent', () => {
  it('round-trips a merge carrying the whole unit state', () => {
    const event = UnitEvent.fromPartial({
      eventId: 'dir-2027-0001',
      occurTime: t('2027-01-01T00:00:00.000Z'),
      unit: {
        unitId: 'unit-330106-zj',
        name: '杭州市西湖区住房和城乡建设局',
        level: UnitLevel.UNIT_LEVEL_COUNTY,
        kind: UnitKind.UNIT_KIND_FUNCTIONAL_DEPARTMENT,
        regionCode: '330106',
        parentUnitId: 'unit-330106-gov',
        categories: [Category.CATEGORY_URBAN_RURAL_CONSTRUCTION, Category.CATEGORY_LAND_WATER_FORESTRY],
        hostNodeId: '33',
        dissolved: true,
        successorUnitId: 'unit-330106-zjj',
        revision: 3,
      },
      payload: { $case: 'merged', value: { survivorUnitId: 'unit-330106-zjj' } },
    });
    const back = UnitEvent.decode(UnitEvent.encode(event).finish());
    expect(back).toEqual(event);
    expect(back.unit?.categories).toEqual([1, 2]);
    expect(back.payload).toEqual({ $case: 'merged', value: { survivorUnitId: 'unit-330106-zjj' } });
  });
});

describe('IntakeService', () => {
  it('has one RPC per caller-issued command, under the petition.v1 path', () => {
    const methods = Object.values(IntakeServiceService);
    // One per caller-issued command: 27 until issue 24 added the dismissal of a repeat candidate.
    expect(methods).toHaveLength(28);
    expect(IntakeServiceService.registerPetition.path).toBe('/petition.v1.IntakeService/RegisterPetition');
    expect(methods.some((m) => m.path.endsWith('/ExpireWindow'))).toBe(false);
  });
});

describe('index', () => {
  it('re-exports every runtime export of the generated modules', async () => {
    const dir = join(import.meta.dirname, 'gen', 'petition', 'v1');
    const missing: string[] = [];
    for (const file of readdirSync(dir)) {
      const mod = (await import(join(dir, file))) as Record<string, unknown>;
      for (const name of Object.keys(mod)) {
        if (name === 'protobufPackage' || name === 'protobufFileName') continue;
        if (!(name in contract)) missing.push(`${file}:${name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
