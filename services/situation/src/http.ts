import { AuthError, permits, type StaffClaims, type StaffTokenVerifier } from '@petition/auth';
import { Category, categoryFromJSON, HotspotEvidence } from '@petition/contract';
import type { Directory } from '@petition/directory';
import { createApiServer, problem, problemCatalogue } from '@petition/runtime';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import type { Situation } from './analysis.ts';
import { evidenceMessage } from './events.ts';

// Situation's read API: the hotspots not yet cleared in a region's subtree, and a category's trend in a
// region, for staff who supervise that region (a supervisor or leader of its petition bureau, government or
// party committee, or of one above it: packages/directory supervisesRegion). Errors are problem+json from the
// catalogue below and the runtime's own.

export const situationProblems = problemCatalogue({
  UNKNOWN_REGION: { status: 404, title: 'No such region' },
  NOT_SUPERVISOR: { status: 403, title: 'Your unit does not supervise this region' },
  ROLE_REQUIRED: { status: 403, title: 'Your roles do not permit this' },
  NOT_READY: { status: 503, title: 'The analysis is still reading the log' },
});

export interface HttpDeps {
  readonly directory: Directory;
  readonly situation: Situation;
  readonly staffTokens: StaffTokenVerifier;
  /** False until the log has been read up to where it ended at start. */
  readonly rebuilt: () => boolean;
}

const regionQuery = { type: 'string', pattern: '^[0-9]{6}$' } as const;
const categoryNames = Object.keys(Category).filter((c) => c !== 'UNRECOGNIZED' && c !== 'CATEGORY_UNSPECIFIED');

/** A region's name as people say it: its petition bureau's name without the bureau (杭州市西湖区). */
export const regionNameOf = (directory: Directory, regionCode: string) =>
  directory.bureauOf(regionCode)?.name.replace(/信访(局|办|办公室)$/, '') ?? regionCode;

/** The regions right under each region (by their petition bureaus), made once. */
function childRegionsOf(directory: Directory): ReadonlyMap<string, readonly string[]> {
  const children = new Map<string, string[]>();
  for (const unit of directory.units()) {
    const region = directory.region(unit.regionCode);
    if (!region?.parentCode || directory.bureauOf(region.code)?.unitId !== unit.unitId) continue;
    children.set(region.parentCode, [...(children.get(region.parentCode) ?? []), region.code]);
  }
  for (const list of children.values()) list.sort();
  return children;
}

export function createHttp(deps: HttpDeps): FastifyInstance {
  const { directory, situation } = deps;
  let children: ReadonlyMap<string, readonly string[]> | undefined;
  const app = createApiServer({
    bodyLimit: 1_024,
    known: (error: FastifyError) =>
      error instanceof AuthError
        ? problem(error.retryable ? 503 : 401, error.code, error.code, { detail: error.message })
        : undefined,
  });

  const mayReadRegion = async (request: FastifyRequest, regionCode: string): Promise<StaffClaims> => {
    const header = request.headers.authorization ?? '';
    const claims = await deps.staffTokens.verify(header.startsWith('Bearer ') ? header.slice(7) : undefined);
    if (!directory.region(regionCode))
      throw situationProblems.error('UNKNOWN_REGION', { detail: `no region ${regionCode}` });
    if (!directory.supervisesRegion(claims.unitId, regionCode))
      throw situationProblems.error('NOT_SUPERVISOR', {
        detail: `${claims.unitId} does not supervise region ${regionCode}`,
      });
    if (!permits(claims.roles, 'supervise'))
      throw situationProblems.error('ROLE_REQUIRED', { detail: 'hotspots need the supervisor or leader role' });
    if (!deps.rebuilt())
      throw situationProblems.error('NOT_READY', { detail: 'the analysis has not read the log up to now yet' });
    return claims;
  };

  app.get<{ Querystring: { region: string } }>(
    '/v1/hotspots',
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['region'],
          additionalProperties: false,
          properties: { region: regionQuery },
        },
      },
    },
    async (request) => {
      const { region } = request.query;
      await mayReadRegion(request, region);
      const active = situation.active(region);
      children ??= childRegionsOf(directory);
      // The highest score open in each region's subtree (0 for none), from the hotspots already listed: a
      // hotspot counts for every region up its chain.
      const highest = new Map<string, number>();
      for (const h of active) {
        const score = Number.isFinite(h.evidence.score) ? h.evidence.score : 99;
        for (const { code } of directory.regionChain(h.evidence.regionCode))
          highest.set(code, Math.max(highest.get(code) ?? 0, score));
      }
      const scoreUnder = (code: string) => highest.get(code) ?? 0;
      return {
        region,
        regionName: regionNameOf(directory, region),
        asOf: Number.isFinite(situation.clockMs) ? new Date(situation.clockMs).toISOString() : null,
        hotspots: active.map((h) => ({
          hotspotId: h.hotspotId,
          regionName: regionNameOf(directory, h.evidence.regionCode),
          detectedAt: new Date(h.detectedAtMs).toISOString(),
          peakScore: h.peakScore,
          supervisingUnitId: h.supervisingUnitId,
          evidence: HotspotEvidence.toJSON(evidenceMessage(h.evidence)),
        })),
        // The regions right under this one, each with the highest score open in it: the page's grid.
        regions: (children.get(region) ?? []).map((code) => ({
          code,
          name: regionNameOf(directory, code),
          score: scoreUnder(code),
        })),
      };
    },
  );

  app.get<{ Querystring: { region: string; category: string; window?: 'hour' | 'day' } }>(
    '/v1/trend',
    {
      schema: {
        querystring: {
          type: 'object',
          required: ['region', 'category'],
          additionalProperties: false,
          properties: {
            region: regionQuery,
            category: { type: 'string', enum: categoryNames },
            window: { type: 'string', enum: ['hour', 'day'], default: 'day' },
          },
        },
      },
    },
    async (request) => {
      const { region, category, window = 'day' } = request.query;
      await mayReadRegion(request, region);
      return {
        region,
        category,
        window,
        buckets: situation
          .trend(region, categoryFromJSON(category), window)
          .map((b) => ({ start: new Date(b.startMs).toISOString(), count: b.count })),
      };
    },
  );
  return app;
}
