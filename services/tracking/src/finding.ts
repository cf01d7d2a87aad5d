import { CaseState, Category, clockStageToJSON, type PetitionKind } from '@petition/contract';
import { type Directory, type LevelName, levelName } from '@petition/directory';
import { concealedFrom } from '@petition/jurisdiction';
import type { ClockView } from '@petition/kpi';
import type { Redis } from 'ioredis';
import type { SupervisionView } from './case-details.ts';
import { createCategoryAdvisor } from './category-advice.ts';
import { cursorOf, type Position, pageAfter, positionOf } from './cursor.ts';
import { trackingKeys } from './keys.ts';
import { kpiCsv } from './kpi-csv.ts';
import { describeUnit } from './queries.ts';
import { UNDATED } from './read-model.ts';

export { cursorOf, kpiCsv, pageAfter, positionOf };

// Finding things (issue 21): a unit's inbox a page at a time with its filters and search, the supervision
// boards of a region (clocks run out, 督办单) with theirs, and the KPI tables as JSON and as CSV. Every list
// is read as the caller's unit may see it: an accusation kept from it (art 30) is left out without a trace.
// The rules and the reading are here; the routes with their schemas in finding-routes.ts.

// ---- Pure rules --------------------------------------------------------------------------------------

const enumNames = (e: Record<string, number>) =>
  Object.keys(e).filter((name) => (e[name] ?? 0) > 0 && name !== 'UNRECOGNIZED');
/** The values the `state` and `category` filters take: the contract's JSON names, as the case hash keeps them. */
export const caseStates = enumNames(CaseState);
export const categories = enumNames(Category);
export const supervisionStates = ['open', 'answered', 'closed'] as const;

/** Folds width and case (ＡＢＣ, abc, ABC alike), so that a search matches however it was typed. */
const folded = (text: string) => text.normalize('NFKC').toLowerCase();

/** The words of a search; none when it holds only spaces. */
export const searchWords = (q: string) => folded(q).split(/\s+/u).filter(Boolean);

/**
 * Whether a case answers a search: its number exactly, or every word in its title. Chinese is written without
 * spaces, so a word is looked for anywhere in the title (合同 finds 劳动合同纠纷).
 */
export function matchesSearch(q: string, words: readonly string[], c: { caseNumber: string; title: string }) {
  if (c.caseNumber !== '' && c.caseNumber === q.trim()) return true;
  const title = folded(c.title);
  return words.length > 0 && words.every((w) => title.includes(w));
}

/** Whether a case passes the inbox's filters (`overdue` is read from its clocks only when filtered on). */
export function passesFilter(
  filter: InboxFilter,
  words: readonly string[],
  c: { state: string; category: string; caseNumber: string; title: string; overdue?: boolean },
) {
  return (
    (filter.state === undefined || c.state === filter.state) &&
    (filter.category === undefined || c.category === filter.category) &&
    (filter.overdue === undefined || c.overdue === filter.overdue) &&
    (filter.q === undefined || matchesSearch(filter.q, words, c))
  );
}

/** What a unit's clocks on a case say: run out (breached), warned of, supervised from above. */
export function clockFlags(clocks: readonly ClockView[], unitId: string) {
  const open = clocks.filter((c) => c.unitId === unitId && (c.state === 'running' || c.state === 'breached'));
  return {
    overdue: open.some((c) => c.state === 'breached'),
    warned: open.some((c) => c.warned),
    supervisedFromAbove: open.some((c) => !!c.supervisedBy),
  };
}

// ---- Reading ---------------------------------------------------------------------------------------------

export interface InboxFilter {
  readonly state?: string;
  readonly category?: string;
  readonly overdue?: boolean;
  readonly q?: string;
}

export interface BoardFilter {
  readonly category?: string;
  readonly level?: LevelName;
}

/** The boards show this many rows at most, the longest overdue (the latest 督办单) first. */
export const BOARD_ROWS = 200;

export function createFinding(redis: Redis, prefix: string, directory: Directory) {
  const k = trackingKeys(prefix);
  const adviceFor = createCategoryAdvisor();
  const unitView = (unitId: string) => describeUnit(directory, unitId) ?? { unitId };
  /** Art 30: the case (its `kind` and `accused` fields) is kept from the viewer. */
  const keptFrom = (viewer: string, kind: string | null | undefined, accused: string | null | undefined) =>
    concealedFrom(directory, viewer, { kind: Number(kind ?? 0) as PetitionKind, accusedUnitId: accused ?? '' });
  const levelOf = (unitId: string) => {
    const u = directory.unit(unitId);
    return u ? levelName(u.level) : undefined;
  };
  const inRegion = (unitId: string, regionCode: string) =>
    directory.regionChain(directory.unit(unitId)?.regionCode ?? '').some((r) => r.code === regionCode);
  const clocksOf = (values: unknown) => ((values ?? []) as string[]).map((j) => JSON.parse(j) as ClockView);

  /**
   * Up to `limit` rows from a sorted set read `BOARD_ROWS` members at a time (highest score first when
   * `newestFirst`), each member turned into its rows or none by `rowsOf`, until enough are found or the set ends.
   */
  async function firstRows<T>(
    key: string,
    newestFirst: boolean,
    limit: number,
    rowsOf: (members: string[]) => Promise<T[][]>,
  ): Promise<T[]> {
    const rows: T[] = [];
    for (let start = 0; rows.length < limit; start += BOARD_ROWS) {
      const stop = start + BOARD_ROWS - 1;
      const members = newestFirst ? await redis.zrevrange(key, start, stop) : await redis.zrange(key, start, stop);
      for (const found of await rowsOf(members)) for (const row of found) if (rows.length < limit) rows.push(row);
      if (members.length < BOARD_ROWS) break;
    }
    return rows;
  }

  return {
    /**
     * The cases a unit holds that pass the filter, soonest due first (undated last), a page after `after`;
     * `total` counts every one that passes, on every page.
     */
    async inbox(unitId: string, viewer: string, filter: InboxFilter, after: Position | undefined, limit: number) {
      const entries = await redis.zrange(k.inbox(unitId), 0, -1, 'WITHSCORES');
      const held: Position[] = [];
      for (let i = 0; i < entries.length; i += 2) held.push({ id: entries[i] ?? '', score: Number(entries[i + 1]) });
      const words = filter.q === undefined ? [] : searchWords(filter.q);
      const look = redis.pipeline();
      for (const { id } of held) {
        look.hmget(k.case(id), 'kind', 'accused', 'state', 'category', 'caseNumber', 'title');
        if (filter.overdue !== undefined) look.hvals(k.clocks(id));
      }
      const seen = (await look.exec()) ?? [];
      const per = filter.overdue === undefined ? 1 : 2;
      const passing = held.filter((_, i) => {
        const [kind, accused, state, category, caseNumber, title] = (seen[per * i]?.[1] ?? []) as (string | null)[];
        if (keptFrom(viewer, kind, accused)) return false;
        const overdue =
          filter.overdue === undefined ? undefined : clockFlags(clocksOf(seen[per * i + 1]?.[1]), unitId).overdue;
        const c = { state: state ?? '', category: category ?? '', caseNumber: caseNumber ?? '', title: title ?? '' };
        return passesFilter(filter, words, { ...c, overdue });
      });
      const { page, next } = pageAfter(passing, after, limit);
      const read = redis.pipeline();
      for (const { id } of page)
        read
          .hmget(
            k.case(id),
            'caseNumber',
            'title',
            'state',
            'category',
            'kind',
            'supervision',
            'leader',
            'urges',
            'repeatsOpen',
            'content',
          )
          .hvals(k.clocks(id));
      const replies = (await read.exec()) ?? [];
      const cases = page.map(({ id, score }, i) => {
        const [caseNumber, title, state, category, kind, supervision, leader, urges, repeatsOpen, content] = (replies[
          2 * i
        ]?.[1] ?? []) as (string | null)[];
        const flags = clockFlags(clocksOf(replies[2 * i + 1]?.[1]), unitId);
        return {
          caseId: id,
          caseNumber: caseNumber ?? '',
          title: title ?? '',
          state: state ?? '',
          category: category ?? '',
          kind: Number(kind ?? 0),
          dueTime: score < UNDATED ? new Date(score).toISOString() : null,
          overdue: flags.overdue,
          warned: flags.warned,
          /** Under a 督办单 not yet closed, or a clock's supervision by a bureau above. */
          supervised: !!supervision || flags.supervisedFromAbove,
          leader: leader || null,
          urges: Number(urges ?? 0),
          /** Repeat candidates intake flagged (art 19) that staff have not answered. */
          repeatCandidates: Math.max(0, Number(repeatsOpen ?? 0)),
          /** The category the classifier would give it, where that differs and it is sure (category-advice.ts). */
          suggestedCategory: adviceFor(id, { title: title ?? '', content: content ?? '' }, category ?? ''),
        };
      });
      return { unit: unitView(unitId), cases, next, total: passing.length };
    },

    /**
     * Clocks run out and unanswered in the region and below (keys.ts o:), longest overdue first, that pass the
     * filter: the case's category, the level of the unit the clock runs against.
     */
    async overdue(regionCode: string, viewer: string, filter: BoardFilter, now: Date) {
      return firstRows(k.overdue(regionCode), false, BOARD_ROWS, async (members) => {
        const pairs = members.map((m) => m.split(' ') as [string, string]);
        const pipe = redis.pipeline();
        for (const [caseId, clockId] of pairs)
          pipe
            .hget(k.clocks(caseId), clockId)
            .hmget(k.case(caseId), 'caseNumber', 'title', 'category', 'kind', 'accused');
        const replies = (await pipe.exec()) ?? [];
        return pairs.map(([caseId, clockId], i) => {
          const [caseNumber, title, category, kind, accused] = (replies[2 * i + 1]?.[1] ?? []) as (string | null)[];
          const clock = JSON.parse(String(replies[2 * i]?.[1] ?? '{}')) as Partial<ClockView>;
          if (keptFrom(viewer, kind, accused)) return [];
          if (filter.category !== undefined && category !== filter.category) return [];
          if (filter.level !== undefined && levelOf(clock.unitId ?? '') !== filter.level) return [];
          const due = clock.dueTime ? Date.parse(clock.dueTime) : now.getTime();
          return [
            {
              caseId,
              caseNumber: caseNumber ?? '',
              title: title ?? '',
              category: category ?? '',
              clockId,
              stage: clockStageToJSON(clock.stage ?? 0),
              dueTime: clock.dueTime,
              daysOverdue: Math.max(0, Math.floor((now.getTime() - due) / 86_400_000)),
              unit: unitView(clock.unitId ?? ''),
              ...(clock.supervisedBy ? { supervisedBy: unitView(clock.supervisedBy) } : {}),
            },
          ];
        });
      });
    },

    /**
     * The 督办单 addressed to units in the region and below (keys.ts sv:, c: `supervisions`), the latest first,
     * that pass the filter: their state, the case's category, the level of the supervised unit.
     */
    async supervisions(
      regionCode: string,
      viewer: string,
      filter: BoardFilter & { state?: (typeof supervisionStates)[number] },
      now: Date,
    ) {
      return firstRows(k.supervised(regionCode), true, BOARD_ROWS, async (caseIds) => {
        const pipe = redis.pipeline();
        for (const id of caseIds)
          pipe.hmget(k.case(id), 'caseNumber', 'title', 'category', 'kind', 'accused', 'holder', 'supervisions');
        const replies = (await pipe.exec()) ?? [];
        return caseIds.map((caseId, i) => {
          const [caseNumber, title, category, kind, accused, holder, list] = (replies[i]?.[1] ?? []) as (
            | string
            | null
          )[];
          if (keptFrom(viewer, kind, accused)) return [];
          if (filter.category !== undefined && category !== filter.category) return [];
          const entries = list ? (JSON.parse(list) as SupervisionView[]) : [];
          return entries
            .filter(
              (s) =>
                inRegion(s.supervisedUnitId, regionCode) &&
                (filter.state === undefined || s.state === filter.state) &&
                (filter.level === undefined || levelOf(s.supervisedUnitId) === filter.level),
            )
            .reverse()
            .map((s) => ({
              supervisionId: s.supervisionId,
              caseId,
              caseNumber: caseNumber ?? '',
              title: title ?? '',
              category: category ?? '',
              state: s.state,
              ground: s.ground,
              instructions: s.instructions,
              issueTime: s.issueTime,
              reportDueTime: s.reportDueTime ?? null,
              /** Not reported back and past the report due time. */
              late: s.state === 'open' && !!s.reportDueTime && Date.parse(s.reportDueTime) < now.getTime(),
              supervisingUnit: unitView(s.supervisingUnitId),
              supervisedUnit: unitView(s.supervisedUnitId),
              holder: unitView(holder ?? ''),
              report: s.report ? { summary: s.report.summary, answerTime: s.answerTime, inTime: s.inTime } : null,
              closing: s.closeTime ? { conclusion: s.conclusion ?? '', closeTime: s.closeTime } : null,
            }));
        });
      });
    },
  };
}

export type Finding = ReturnType<typeof createFinding>;
