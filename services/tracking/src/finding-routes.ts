import type { Directory } from '@petition/directory';
import { levelNames } from '@petition/directory';
import { invalidParameters, ProblemError } from '@petition/runtime';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Redis } from 'ioredis';
import { positionOf } from './cursor.ts';
import {
  BOARD_ROWS,
  type BoardFilter,
  caseStates,
  categories,
  createFinding,
  searchWords,
  supervisionStates,
} from './finding.ts';
import type { Access } from './http.ts';
import { type KpiRow, kpiCsv } from './kpi-csv.ts';
import { periodOf, type Queries } from './queries.ts';
// The routes of finding things (finding.ts): a unit's inbox, the supervision boards and the KPI tables on
// tracking's API, each with its schema, the caller's access checked first.

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
