// In-process speed of the domain core: directory lookups/s beside plain Map.get over the same ids, and
// lifecycle commands decided and folded/s beside a protobuf encode + decode of the events they produce —
// all in the same run, on the real national directory.
import {
  CaseCommand,
  CaseEvent,
  type Category,
  Channel,
  Evaluation,
  OpinionStage,
  PetitionKind,
  ReplyDisposition,
  ReviewDecision,
  UnitLevel,
} from '@petition/contract';
import { buildNationalDirectory, type Directory, nationalDirectory } from '@petition/directory';
import { createLegalCalendar, stateCouncilTable } from '@petition/legal-calendar';
import { type CaseSnapshot, decideAndEvolve } from '@petition/lifecycle';
import { type Logger, progress } from '@petition/logging';

const seconds = (started: number) => (performance.now() - started) / 1000;
const perSec = (n: number, sec: number) => Math.round(n / sec);

/** A deterministic pseudo-random sequence, so that both sides of a comparison see the same inputs. */
function sequence(seed: number) {
  let x = seed;
  return (n: number) => {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    return x % n;
  };
}

function benchDirectory(directory: Directory, ids: string[], lookups: number) {
  const regions = ids.map((id) => directory.unit(id)?.regionCode ?? '');
  const map = new Map(ids.map((id) => [id, directory.unit(id)]));
  let sink = 0;
  const pick = sequence(7);
  let started = performance.now();
  for (let i = 0; i < lookups; i++) sink += map.get(ids[pick(ids.length)] ?? '') ? 1 : 0;
  const mapSec = seconds(started);
  // The same number of lookups, a mix of what routing asks: unit, superior, ancestors, the responsible
  // department of a region for a category, the region's bureau, a common superior, a subtree test.
  const next = sequence(7);
  started = performance.now();
  for (let i = 0; i < lookups; i++) {
    const at = next(ids.length);
    const id = ids[at] ?? '';
    switch (i % 7) {
      case 0:
        sink += directory.unit(id) ? 1 : 0;
        break;
      case 1:
        sink += directory.superior(id) ? 1 : 0;
        break;
      case 2:
        sink += directory.ancestors(id).length;
        break;
      case 3:
        sink += directory.responsibleUnit(regions[at] ?? '', ((i % 18) + 1) as Category) ? 1 : 0;
        break;
      case 4:
        sink += directory.bureauOf(regions[at] ?? '') ? 1 : 0;
        break;
      case 5:
        sink += directory.commonSuperior([id, ids[(at + 1) % ids.length] ?? '']) ? 1 : 0;
        break;
      default:
        sink += directory.isWithin(id, ids[(at + 97) % ids.length] ?? '') ? 1 : 0;
    }
  }
  const directorySec = seconds(started);
  return { lookups, lookupsPerSec: perSec(lookups, directorySec), mapGetPerSec: perSec(lookups, mapSec), sink };
}

/** Eight commands per case: register, forward, accept, extend, reply, rate, ask for review, decide it. */
function script(i: number, region: string, handler: string, bureau: string, reviewer: string) {
  const unit = (unitId: string) => ({ $case: 'unit' as const, value: { unitId, staffId: 's' } });
  const caseNumber = `B${region}-${i}`;
  const petitioner = { $case: 'petitioner' as const, value: { caseNumber, personId: `p-${i}` } };
  const opinion = { summary: '处理意见' };
  return [
    [
      undefined,
      {
        $case: 'registerPetition',
        value: {
          petition: {
            caseNumber,
            channel: Channel.CHANNEL_WEB,
            kind: PetitionKind.PETITION_KIND_COMPLAINT,
            category: 3,
            regionCode: region,
            title: '工资',
            content: '拖欠工资',
            petitioner: { personId: `p-${i}` },
          },
        },
      },
    ],
    [unit(bureau), { $case: 'forwardCase', value: { toUnitId: handler, toHandlingUnit: true } }],
    [unit(handler), { $case: 'acceptCase', value: {} }],
    [unit(handler), { $case: 'extendDeadline', value: { extraDays: 15, reason: '需调查' } }],
    [
      unit(handler),
      { $case: 'replyCase', value: { opinion, disposition: ReplyDisposition.REPLY_DISPOSITION_EXPLAINED } },
    ],
    [
      petitioner,
      {
        $case: 'evaluateCase',
        value: { stage: OpinionStage.OPINION_STAGE_HANDLING, evaluation: Evaluation.EVALUATION_DISSATISFIED },
      },
    ],
    [petitioner, { $case: 'requestReview', value: {} }],
    [unit(reviewer), { $case: 'decideReview', value: { decision: ReviewDecision.REVIEW_DECISION_UPHELD, opinion } }],
  ] as const;
}

function benchLifecycle(directory: Directory, counties: string[], cases: number, logger: Logger) {
  const calendar = createLegalCalendar({ table: stateCouncilTable() });
  const start = Date.parse('2026-11-20T02:00:00Z');
  const commands: { command: CaseCommand; now: Date }[] = [];
  for (let i = 0; i < cases; i++) {
    const region = counties[i % counties.length] ?? '';
    const handler = directory.responsibleUnit(region, 3 as Category, UnitLevel.UNIT_LEVEL_COUNTY)?.unitId ?? '';
    const bureau = directory.bureauOf(region)?.unitId ?? '';
    const reviewer = directory.superior(handler)?.unitId ?? '';
    script(i, region, handler, bureau, reviewer).forEach(([actor, command], step) => {
      commands.push({
        command: CaseCommand.fromPartial({
          meta: { commandId: `c-${i}-${step}`, caseId: `case-${i}`, actor },
          command: command as CaseCommand['command'],
        }),
        now: new Date(start + step * 3 * 86_400_000),
      });
    });
  }
  const events: CaseEvent[] = [];
  const snapshots = new Map<string, CaseSnapshot | undefined>();
  let refused = 0;
  const bar = progress(logger, { label: 'lifecycle commands', total: commands.length, everyMs: 2_000 });
  let started = performance.now();
  for (const { command, now } of commands) {
    const caseId = command.meta?.caseId ?? '';
    const { outcome, snapshot } = decideAndEvolve(snapshots.get(caseId), command, { now, directory, calendar });
    snapshots.set(caseId, snapshot);
    if (outcome.kind === 'refused') refused++;
    for (const e of outcome.events) events.push(e);
    bar.add();
  }
  bar.finish();
  const decideSec = seconds(started);
  started = performance.now();
  let bytes = 0;
  for (const e of events) bytes += CaseEvent.decode(CaseEvent.encode(e).finish()).envelope?.caseVersion ? 1 : 0;
  const protobufSec = seconds(started);
  return {
    cases,
    commands: commands.length,
    events: events.length,
    refused,
    commandsPerSec: perSec(commands.length, decideSec),
    protobufRoundTripsPerSec: perSec(events.length, protobufSec),
    sink: bytes,
  };
}

export function benchDomain(options: { logger: Logger; records: number }) {
  const logger = options.logger.child({ bench: 'domain' });
  let started = performance.now();
  const national = buildNationalDirectory();
  const directory = nationalDirectory(national, new Date());
  const buildMs = Math.round(performance.now() - started);
  logger.info({ units: directory.size, buildMs }, 'directory built');
  const ids = [...directory.units()].map((u) => u.unitId);
  started = performance.now();
  const d = benchDirectory(directory, ids, Math.max(100_000, options.records * 10));
  logger.info({ ...d, sec: seconds(started) }, 'directory lookups done');
  const counties = national.regions.filter((r) => r.level === UnitLevel.UNIT_LEVEL_COUNTY).map((r) => r.code);
  const l = benchLifecycle(directory, counties, Math.max(1_000, Math.round(options.records / 8)), logger);
  return {
    bench: 'domain',
    directory: {
      units: directory.size,
      buildMs,
      lookups: d.lookups,
      lookupsPerSec: d.lookupsPerSec,
      reference: 'Map.get over the same unit ids',
      mapGetPerSec: d.mapGetPerSec,
      ratio: Number((d.lookupsPerSec / d.mapGetPerSec).toFixed(3)),
    },
    lifecycle: {
      cases: l.cases,
      commands: l.commands,
      events: l.events,
      refused: l.refused,
      commandsPerSec: l.commandsPerSec,
      reference: 'protobuf encode + decode of the same events',
      protobufRoundTripsPerSec: l.protobufRoundTripsPerSec,
      ratio: Number((l.commandsPerSec / l.protobufRoundTripsPerSec).toFixed(3)),
    },
  };
}
