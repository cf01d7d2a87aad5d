import { ClockStage, clockStageToJSON, PetitionKind } from '@petition/contract';
import { buildRegionTree, chinaDivisions, type Directory, levelName } from '@petition/directory';
import { concealedFrom } from '@petition/jurisdiction';
import { addCounts, type ClockView, type Counts, type Formula, kpiValues, subtractCounts } from '@petition/kpi';
import { addCivilDays, type CivilDate, civilDateOf, civilDaysBetween, isCivilDate } from '@petition/legal-calendar';
import type { Redis } from 'ioredis';
import type { AttachmentView, SupervisionView } from './case-details.ts';
import { firstKeptDay, trackingKeys } from './keys.ts';
import type { TimelineEntry } from './read-model.ts';

// The read side: what petitioners, unit staff and supervisors see, from the keys read-model.ts writes.

export class QueryError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export interface Period {
  readonly from: CivilDate;
  readonly to: CivilDate;
}

export const MAX_PERIOD_DAYS = 366;

/**
 * `from`..`to` as civil dates (Asia/Shanghai), both included; by default the 30 days up to today. A period
 * reaching back before the counts kept (`retentionDays`) is refused, not answered with zeros.
 */
export function periodOf(from: string | undefined, to: string | undefined, now: Date, retentionDays: number): Period {
  const end = to ?? civilDateOf(now);
  const start = from ?? addCivilDays(end as CivilDate, -29);
  for (const [name, value] of [
    ['from', start],
    ['to', end],
  ] as const) {
    if (!isCivilDate(value)) throw new QueryError('BAD_PERIOD', `${name} must be a date YYYY-MM-DD, not "${value}"`);
  }
  const days = civilDaysBetween(start as CivilDate, end as CivilDate) + 1;
  if (days < 1) throw new QueryError('BAD_PERIOD', `from (${start}) is after to (${end})`);
  if (days > MAX_PERIOD_DAYS)
    throw new QueryError('BAD_PERIOD', `a period covers at most ${MAX_PERIOD_DAYS} days, not ${days}`);
  const first = firstKeptDay(now, retentionDays);
  if (start < first)
    throw new QueryError(
      'BAD_PERIOD',
      `KPI counts are kept ${retentionDays} days: from may be ${first} at the earliest`,
    );
  return { from: start as CivilDate, to: end as CivilDate };
}

// Counted from the first day, never past the last: stepping on from 9999-12-31 leaves the calendar
// ("+010000-01-01"), which a fuzzed query found as a 500.
function daysOf(p: Period): CivilDate[] {
  return Array.from({ length: civilDaysBetween(p.from, p.to) + 1 }, (_, i) => addCivilDays(p.from, i));
}

/** A unit as the API shows it, or undefined when the directory has no such unit. */
export function describeUnit(directory: Directory, unitId: string) {
  const u = directory.unit(unitId);
  return u && { unitId: u.unitId, name: u.name, level: levelName(u.level), regionCode: u.regionCode };
}

let regionNames: Map<string, string> | undefined;
/** A region's name as unit names begin with it (杭州市西湖区), from the divisions the directory is built from. */
export function regionName(code: string): string {
  regionNames ??= new Map(buildRegionTree(chinaDivisions()).regions.map((r) => [r.code, r.name || '全国']));
  return regionNames.get(code) ?? '';
}

/** Where KPI counts are kept: a unit's own, or a region's summed over every unit in it and below. */
type Scope = { readonly unitId: string } | { readonly region: string };

/** The case fields art 30 needs (keys.ts), in the order `keptFrom` takes them. */
const matterFields = ['kind', 'accused'] as const;

export function createQueries(redis: Redis, prefix: string, directory: Directory, formulas: readonly Formula[]) {
  const k = trackingKeys(prefix);
  const unitView = (unitId: string) => describeUnit(directory, unitId) ?? { unitId };

  /** Sums the hashes under each list of keys, one list per result. */
  async function sums(groups: readonly string[][]): Promise<Counts[]> {
    const pipe = redis.pipeline();
    for (const keys of groups) for (const key of keys) pipe.hgetall(key);
    const replies = (await pipe.exec()) ?? [];
    let i = 0;
    return groups.map((keys) => {
      const total: Record<string, number> = {};
      for (const _ of keys) addCounts(total, (replies[i++]?.[1] ?? {}) as Record<string, string>);
      return total;
    });
  }
  const withKpis = (counts: Counts) => ({ counts, kpis: kpiValues(formulas, counts) });

  /**
   * The counts of each scope over its days as `viewer` (the caller's unit) may see them: less what the
   * accusations kept from it counted there (art 30) — those against any accused among the counted ones
   * (keys.ts `ac`) that `concealedFrom` keeps from the viewer. A counter taken back to nothing is left out,
   * as if never counted.
   */
  async function countsFor(viewer: string, groups: readonly { scope: Scope; days: readonly CivilDate[] }[]) {
    const hidden = (await redis.smembers(k.accusedUnits())).filter((accusedUnitId) =>
      concealedFrom(directory, viewer, { kind: PetitionKind.PETITION_KIND_ACCUSATION, accusedUnitId }),
    );
    const counted = (scope: Scope, day: CivilDate) =>
      'unitId' in scope ? k.unitDay(scope.unitId, day) : k.regionDay(scope.region, day);
    const shown = await sums(groups.map((g) => g.days.map((d) => counted(g.scope, d))));
    if (hidden.length === 0) return shown;
    const keptOut = (scope: Scope, day: CivilDate) =>
      hidden.map((a) =>
        'unitId' in scope ? k.accusedUnitDay(a, scope.unitId, day) : k.accusedRegionDay(a, scope.region, day),
      );
    const less = await sums(groups.map((g) => g.days.flatMap((d) => keptOut(g.scope, d))));
    return shown.map((counts, i) =>
      Object.fromEntries(Object.entries(subtractCounts(counts, less[i] ?? {})).filter(([, n]) => (n ?? 0) > 0)),
    );
  }

  /** Art 30: the case (its `kind` and `accused` fields, keys.ts) is kept from the viewer (`concealedFrom`). */
  const keptFrom = (viewer: string, [kind, accused]: (string | null)[]) =>
    concealedFrom(directory, viewer, { kind: Number(kind ?? 0) as PetitionKind, accusedUnitId: accused ?? '' });

  /**
   * The case hash with its timeline (each step with its unit, deadline and whether it was met) and clocks,
   * and with `details` the units' side of it (linked repeats, supplements, repeat candidates and answers) — all
   * read in one transaction, so that they come from the same applied batch: a view never shows an answer
   * whose step its timeline lacks.
   */
  async function caseRecord(caseId: string, details = false) {
    const read = redis
      .multi()
      .hgetall(k.case(caseId))
      .lrange(k.timeline(caseId), 0, -1)
      .hvals(k.clocks(caseId))
      .hgetall(k.stops(caseId));
    if (details)
      read
        .hgetall(k.repeats(caseId))
        .lrange(k.supplements(caseId), 0, -1)
        .hgetall(k.repeatCandidates(caseId))
        .hgetall(k.repeatAnswers(caseId));
    const replies = ((await read.exec()) ?? []).map(([err, reply]) => {
      if (err) throw err;
      return reply;
    });
    const [c, timeline, clocks, stops, repeats, supplements, flagged, answers] = replies as [
      Record<string, string>,
      string[],
      string[],
      Record<string, string>,
      Record<string, string> | undefined,
      string[] | undefined,
      Record<string, string> | undefined,
      Record<string, string> | undefined,
    ];
    return {
      c,
      details: {
        repeats: repeats ?? {},
        supplements: supplements ?? [],
        flagged: flagged ?? {},
        answers: answers ?? {},
      },
      timeline: timeline.map((j) => {
        const { eventId, ...e } = JSON.parse(j) as TimelineEntry;
        const stop = stops[eventId] ? (JSON.parse(stops[eventId]) as { dueTime?: string; inTime: boolean }) : undefined;
        return { ...e, unitName: directory.unit(e.unitId)?.name ?? '', ...(stop ? { deadline: stop } : {}) };
      }),
      clocks: clocks
        .map((j) => JSON.parse(j) as ClockView)
        .map((v) => ({
          clockId: v.clockId,
          stage: clockStageToJSON(v.stage),
          dueTime: v.dueTime,
          state: v.state,
          unitId: v.unitId,
          ...(v.warned ? { warned: true } : {}),
        }))
        .sort((a, b) => (a.dueTime ?? '').localeCompare(b.dueTime ?? '')),
    };
  }
  const json = <T>(text: string | undefined, otherwise: T): T => (text ? (JSON.parse(text) as T) : otherwise);

  /**
   * What passes between units over a 督办单 (the notice, the report, the closing) and its report clock are
   * the units' own business: the petitioner's view leaves them out. A leader taking charge, material they
   * handed in and their urging are theirs to see.
   */
  // Staff's own working steps: supervision, and the repeat candidates put before them and their answers.
  const unitsOnlySteps = new Set([
    'supervisionIssued',
    'supervisionAnswered',
    'supervisionClosed',
    'repeatCandidatesFlagged',
    'repeatCandidateDismissed',
  ]);
  const unitsOnlyClock = clockStageToJSON(ClockStage.CLOCK_STAGE_SUPERVISION_REPORT);

  return {
    /** The case as its petitioner sees it: each step with its unit, deadline and whether it was met. */
    async caseByNumber(caseNumber: string) {
      const caseId = await redis.get(k.number(caseNumber));
      if (!caseId) return undefined;
      const { c, timeline, clocks } = await caseRecord(caseId);
      return {
        caseId,
        caseNumber,
        queryCodeHash: c.queryCodeHash ?? '',
        state: c.state ?? '',
        holder: unitView(c.holder ?? ''),
        /** The node that took the case over, in a federation; this one's view stops at its acceptance. */
        heldAt: c.heldAt || undefined,
        timeline: timeline.filter((e) => !unitsOnlySteps.has(e.step)),
        clocks: clocks.filter((clock) => clock.stage !== unitsOnlyClock),
      };
    },

    /**
     * Everything the read model knows of a case for the units that may see it (case-view.ts decides who),
     * or undefined for no such case: never the petitioner's or representatives' data (sealed, keys.ts p:),
     * and the cases linked to it only as `viewer` may see them (art 30).
     */
    async caseDetails(caseId: string, viewer: string) {
      const { c, timeline, clocks, details } = await caseRecord(caseId, true);
      if (!c.version) return undefined;
      const { repeats, supplements, flagged, answers } = details;
      const original = json<{ caseId: string; caseNumber: string } | null>(c.original, null);
      // A linked case is named only to a viewer it is not kept from.
      const linked = Object.entries(repeats).map(([id, caseNumber]) => ({ caseId: id, caseNumber }));
      // Intake's candidates (art 19), best first, each with staff's answer: open, dismissed, or confirmed
      // (this case linked to it).
      const candidates = Object.entries(flagged)
        .map(([id, text]) => {
          const { caseNumber, score, time } = json<{ caseNumber: string; score: number; time: string }>(text, {
            caseNumber: '',
            score: 0,
            time: '',
          });
          const dismissal = json<{ unitId: string; reason: string; time: string } | null>(answers[id], null);
          const answer = original?.caseId === id ? 'confirmed' : dismissal ? 'dismissed' : 'open';
          return { caseId: id, caseNumber, score, flaggedTime: time, answer, ...(dismissal ? { dismissal } : {}) };
        })
        .sort((a, b) => b.score - a.score);
      const pipe = redis.pipeline();
      for (const { caseId: id } of [...(original ? [original] : []), ...linked, ...candidates])
        pipe.hmget(k.case(id), ...matterFields);
      const matters = ((await pipe.exec()) ?? []).map(([, m]) => (m ?? []) as (string | null)[]);
      const shown = (i: number) => !keptFrom(viewer, matters[i] ?? []);
      const offset = original ? 1 : 0;
      return {
        caseId,
        caseNumber: c.caseNumber ?? '',
        version: Number(c.version),
        state: c.state ?? '',
        holder: unitView(c.holder ?? ''),
        matter: { kind: Number(c.kind ?? 0) as PetitionKind, accusedUnitId: c.accused ?? '' },
        title: c.title ?? '',
        content: c.content ?? '',
        category: c.category ?? '',
        kind: Number(c.kind ?? 0) as PetitionKind,
        channel: c.channel ?? '',
        region: { code: c.regionCode ?? '', name: regionName(c.regionCode ?? '') },
        receivedTime: c.receivedTime ?? '',
        registeringUnit: c.registeringUnit ? unitView(c.registeringUnit) : null,
        anonymous: c.anonymous === '1',
        groupSize: Number(c.groupSize ?? 0),
        attachments: json<AttachmentView[]>(c.attachments, []),
        petitioner: c.person ? { personId: c.person } : null,
        representatives: json<{ personId: string }[]>(c.representatives, []),
        timeline,
        clocks,
        coUnits: json<{ lead: string; co: string[] } | null>(c.coUnits, null),
        repeats: {
          original: original && shown(0) ? original : null,
          linked: linked.filter((_, i) => shown(offset + i)),
          candidates: candidates.filter((_, i) => shown(offset + linked.length + i)),
        },
        supervisions: json<SupervisionView[]>(c.supervisions, []),
        leader: json<{ unitId: string; staffId: string; note: string; time: string } | null>(c.leaderCharge, null),
        supplements: supplements.map((j) => JSON.parse(j) as object),
        urges: Number(c.urges ?? 0),
        lastUrgeTime: c.lastUrgeTime || undefined,
      };
    },

    /** A unit's own KPIs over the period, as `viewer` may see them (art 30). */
    async unitKpis(unitId: string, viewer: string, period: Period) {
      const [counts = {}] = await countsFor(viewer, [{ scope: { unitId }, days: daysOf(period) }]);
      return { unit: unitView(unitId), period, ...withKpis(counts) };
    },

    /**
     * A region's KPIs over the period: the total, a row for each region under it and for each of its own
     * units with anything counted, and the total day by day (the trend) — as `viewer` may see them (art 30).
     */
    async regionKpis(regionCode: string, viewer: string, period: Period) {
      const days = daysOf(period);
      const bureau = directory.bureauOf(regionCode);
      const childRegions = bureau ? directory.children(bureau.unitId).map((b) => b.regionCode) : [];
      const ownUnits = [...directory.units()].filter((u) => u.regionCode === regionCode && !u.dissolved);
      const groups = [
        { scope: { region: regionCode }, days },
        ...childRegions.map((region) => ({ scope: { region }, days })),
        ...ownUnits.map((u) => ({ scope: { unitId: u.unitId }, days })),
        ...days.map((d) => ({ scope: { region: regionCode }, days: [d] })),
      ];
      const all = await countsFor(viewer, groups);
      const [total = {}, ...rest] = all.slice(0, all.length - days.length);
      const trend = all.slice(all.length - days.length);
      const rows = [
        ...childRegions.map((r, i) => ({
          kind: 'region',
          ...unitView(directory.bureauOf(r)?.unitId ?? ''),
          regionCode: r,
          ...withKpis(rest[i] ?? {}),
        })),
        ...ownUnits.map((u, i) => ({
          kind: 'unit',
          ...unitView(u.unitId),
          ...withKpis(rest[childRegions.length + i] ?? {}),
        })),
      ].filter((row) => row.kind === 'region' || Object.values(row.counts).some((v) => v));
      return {
        region: regionCode,
        bureau: bureau ? unitView(bureau.unitId) : undefined,
        period,
        ...withKpis(total),
        rows,
        trend: days.map((day, i) => ({ day, ...withKpis(trend[i] ?? {}) })),
      };
    },
  };
}

export type Queries = ReturnType<typeof createQueries>;
