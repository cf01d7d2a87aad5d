import { CaseState, Category, clockStageToJSON, type PetitionKind } from '@petition/contract';
import { type Directory, type LevelName, levelName, levelNames } from '@petition/directory';
import { concealedFrom } from '@petition/jurisdiction';
import type { ClockView } from '@petition/kpi';
import { invalidParameters, ProblemError } from '@petition/runtime';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import type { SupervisionView } from './case-details.ts';
import { createCategoryAdvisor } from './category-advice.ts';
import { cursorOf, type Position, pageAfter, positionOf } from './cursor.ts';
import type { Access } from './http.ts';
import { trackingKeys } from './keys.ts';
import { type KpiRow, kpiCsv } from './kpi-csv.ts';
import { describeUnit, periodOf, type Queries } from './queries.ts';
import { UNDATED } from './read-model.ts';

export { cursorOf, kpiCsv, pageAfter, positionOf };

// Finding things (issue 21): a unit's inbox a page at a time with its filters and search, the supervision
// boards of a region (clocks run out, 督办单) with theirs, and the KPI tables as JSON and as CSV. Every list
// is read as the caller's unit may see it: an accusation kept from it (art 30) is left out without a trace.

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

// ---- Routes ---------------------------------------------------------------------------------------------

export const unitParams = { type: 'object', properties: { unitId: { type: 'string', maxLength: 64 } } } as const;
const regionParams = { type: 'object', properties: { regionCode: { type: 'string', pattern: '^\\d{6}$' } } } as const;
// A calendar date (ajv-formats' `date`: four-digit year, a month that exists, a day that month has); a bad one
// is answered BAD_PERIOD naming it (http.ts).
const periodProperties = {
  from: {
    type: 'string',
    format: 'date',
    description: 'First day, YYYY-MM-DD (Asia/Shanghai); 29 days before `to` when omitted',
  },
  to: { type: 'string', format: 'date', description: 'Last day, YYYY-MM-DD; today when omitted' },
} as const;
const period = { type: 'object', properties: periodProperties } as const;
type PeriodQuery = { Querystring: { from?: string; to?: string } };
const categoryFilter = { type: 'string', enum: categories, description: 'Only cases of this category' } as const;
const levelFilter = {
  type: 'string',
  enum: levelNames,
  description: 'Only units of this administrative level',
} as const;
const boardQuery = { type: 'object', properties: { category: categoryFilter, level: levelFilter } } as const;

const inboxQuery = {
  type: 'object',
  properties: {
    cursor: { type: 'string', maxLength: 200, description: 'Where the page starts: `next` of the page before' },
    limit: { type: 'integer', minimum: 1, maximum: 200, default: 50, description: 'Cases on a page' },
    state: { type: 'string', enum: caseStates, description: 'Only cases in this state' },
    category: categoryFilter,
    overdue: { type: 'string', enum: ['true', 'false'], description: 'Only cases run out (true) or not (false)' },
    q: {
      type: 'string',
      minLength: 1,
      maxLength: 100,
      description: 'A case number (exactly), or words that must all be in the title (any case, any width)',
    },
  },
} as const;
type InboxQuery = {
  cursor?: string;
  limit: number;
  state?: string;
  category?: string;
  overdue?: 'true' | 'false';
  q?: string;
};

/** A query parameter that passed its schema but means nothing (400, named as a schema finding is). */
const badQuery = (field: string, message: string) =>
  new ProblemError(invalidParameters([{ field, in: 'query', message }]));

export interface FindingDeps {
  readonly redis: Redis;
  readonly prefix: string;
  readonly directory: Directory;
  readonly queries: Queries;
  readonly access: Access;
  readonly kpiRetentionDays: number;
  readonly now: () => Date;
}

/** The inbox, the boards and the KPI tables (JSON and CSV) on tracking's API. */
export function addFindingRoutes(app: FastifyInstance, deps: FindingDeps) {
  const { queries, access } = deps;
  const finding = createFinding(deps.redis, deps.prefix, deps.directory);
  const periodIn = (q: { from?: string; to?: string }) => periodOf(q.from, q.to, deps.now(), deps.kpiRetentionDays);

  app.get<{ Params: { unitId: string }; Querystring: InboxQuery }>(
    '/v1/units/:unitId/inbox',
    {
      schema: {
        summary: 'The cases a unit holds, soonest due first, a page at a time; filtered and searched',
        description:
          'Every case the unit holds, `limit` at a time: follow `next` until it is null. `total` counts the cases ' +
          'that pass the filters. An unknown filter value is refused (400) naming the parameter.',
        tags: ['unit'],
        params: unitParams,
        querystring: inboxQuery,
        security: [{ unitToken: [] }],
      },
    },
    async (request) => {
      const { unitId } = request.params;
      const { unitId: viewer } = await access.mayReadUnit(request, unitId);
      const { cursor, limit, state, category, overdue, q } = request.query;
      const after = cursor === undefined ? undefined : positionOf(cursor);
      if (cursor !== undefined && !after) throw badQuery('cursor', 'is not a cursor this API handed out');
      if (q !== undefined && searchWords(q).length === 0) throw badQuery('q', 'must hold a case number or a word');
      const filter = { state, category, overdue: overdue === undefined ? undefined : overdue === 'true', q };
      return finding.inbox(unitId, viewer, filter, after, limit);
    },
  );

  app.get<{ Params: { regionCode: string }; Querystring: BoardFilter }>(
    '/v1/regions/:regionCode/overdue',
    {
      schema: {
        summary: 'The supervision board: clocks run out in the region and below, with who supervises them',
        description: `The longest overdue first, at most ${BOARD_ROWS}; \`level\` is that of the unit the clock runs against.`,
        tags: ['supervisor'],
        params: regionParams,
        querystring: boardQuery,
        security: [{ unitToken: [] }],
      },
    },
    async (request) => {
      const { regionCode } = request.params;
      const { unitId: viewer } = await access.mayReadRegion(request, regionCode);
      const cases = await finding.overdue(regionCode, viewer, request.query, deps.now());
      return { region: regionCode, cases };
    },
  );

  app.get<{
    Params: { regionCode: string };
    Querystring: BoardFilter & { state?: (typeof supervisionStates)[number] };
  }>(
    '/v1/regions/:regionCode/supervisions',
    {
      schema: {
        summary: 'The 督办单 board: supervision notices to units in the region and below',
        description: `The latest first, at most ${BOARD_ROWS}; \`level\` is that of the supervised unit.`,
        tags: ['supervisor'],
        params: regionParams,
        querystring: {
          type: 'object',
          properties: {
            state: { type: 'string', enum: supervisionStates, description: 'open, answered (reported back) or closed' },
            category: categoryFilter,
            level: levelFilter,
          },
        },
        security: [{ unitToken: [] }],
      },
    },
    async (request) => {
      const { regionCode } = request.params;
      const { unitId: viewer } = await access.mayReadRegion(request, regionCode);
      const supervisions = await finding.supervisions(regionCode, viewer, request.query, deps.now());
      return { region: regionCode, supervisions };
    },
  );

  const unitKpis = async (
    request: { params: { unitId: string }; query: { from?: string; to?: string } },
    viewer: string,
  ) => queries.unitKpis(request.params.unitId, viewer, periodIn(request.query));
  const regionKpis = async (
    request: { params: { regionCode: string }; query: { from?: string; to?: string } },
    viewer: string,
  ) => queries.regionKpis(request.params.regionCode, viewer, periodIn(request.query));

  app.get<{ Params: { unitId: string } } & PeriodQuery>(
    '/v1/units/:unitId/kpis',
    {
      schema: {
        summary: 'A unit’s own KPIs over a period',
        tags: ['unit'],
        params: unitParams,
        querystring: period,
        security: [{ unitToken: [] }],
      },
    },
    async (request) => {
      const { unitId: viewer } = await access.mayReadUnit(request, request.params.unitId);
      return unitKpis(request, viewer);
    },
  );

  app.get<{ Params: { regionCode: string } } & PeriodQuery>(
    '/v1/regions/:regionCode/kpis',
    {
      schema: {
        summary: 'A region’s KPIs: the total, a row per region and own unit under it, the trend by day',
        tags: ['supervisor'],
        params: regionParams,
        querystring: period,
        security: [{ unitToken: [] }],
      },
    },
    async (request) => {
      const { unitId: viewer } = await access.mayReadRegion(request, request.params.regionCode);
      return regionKpis(request, viewer);
    },
  );

  const sendCsv = (reply: FastifyReply, name: string, csv: string) =>
    reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}"`)
      .send(csv);
  const csvDescription =
    'The JSON’s table as CSV (UTF-8 with a byte-order mark): a header in Chinese with the counters and KPIs by ' +
    'name, then a line per row; the same period and access as the JSON.';

  app.get<{ Params: { unitId: string } } & PeriodQuery>(
    '/v1/units/:unitId/kpis.csv',
    {
      schema: {
        summary: 'A unit’s own KPIs over a period, as CSV',
        description: csvDescription,
        tags: ['unit'],
        params: unitParams,
        querystring: period,
        security: [{ unitToken: [] }],
      },
    },
    async (request, reply) => {
      const { unitId: viewer } = await access.mayReadUnit(request, request.params.unitId);
      const r = await unitKpis(request, viewer);
      const csv = kpiCsv(r.period, Object.keys(r.kpis), [
        { scope: '单位', unit: r.unit, counts: r.counts, kpis: r.kpis },
      ]);
      return sendCsv(reply, `kpis-${r.unit.unitId}-${r.period.from}-${r.period.to}.csv`, csv);
    },
  );

  app.get<{ Params: { regionCode: string } } & PeriodQuery>(
    '/v1/regions/:regionCode/kpis.csv',
    {
      schema: {
        summary: 'A region’s KPI table as CSV: the total, a line per region and own unit under it, a line per day',
        description: csvDescription,
        tags: ['supervisor'],
        params: regionParams,
        querystring: period,
        security: [{ unitToken: [] }],
      },
    },
    async (request, reply) => {
      const { unitId: viewer } = await access.mayReadRegion(request, request.params.regionCode);
      const r = await regionKpis(request, viewer);
      const rows: KpiRow[] = [
        { scope: '合计', unit: r.bureau, regionCode: r.region, counts: r.counts, kpis: r.kpis },
        ...r.rows.map((row) => ({ ...row, scope: row.kind === 'region' ? '下级区划' : '本级单位', unit: row })),
        ...r.trend.map((t) => ({ ...t, scope: '按日', unit: r.bureau, regionCode: r.region })),
      ];
      return sendCsv(
        reply,
        `kpis-${r.region}-${r.period.from}-${r.period.to}.csv`,
        kpiCsv(r.period, Object.keys(r.kpis), rows),
      );
    },
  );
}
