import { UnitLevel } from '@petition/contract';
import type { Directory } from '@petition/directory';
import { createClusters } from './cluster.ts';
import type { ActiveHotspot, ClockOutcome, HotspotDecision, PetitionSeen, RegionLookup } from './hotspots.ts';
import { createStreaks } from './streak.ts';
import { createSurges } from './surge.ts';
import type { Granularity, RegionLevelName, Thresholds } from './thresholds.ts';

// The situation analysis: surges, clusters and breach streaks over one clock that only moves forward — the
// latest event time seen, or a later time the service gives it (advanceTo) once it has read the log, so that a
// quiet hour clears a surge without waiting for the next petition. Pure: the service feeds it events and
// publishes what it decides.

const levelNames: Partial<Record<UnitLevel, RegionLevelName>> = {
  [UnitLevel.UNIT_LEVEL_COUNTY]: 'county',
  [UnitLevel.UNIT_LEVEL_PREFECTURE]: 'prefecture',
  [UnitLevel.UNIT_LEVEL_PROVINCIAL]: 'province',
  [UnitLevel.UNIT_LEVEL_NATIONAL]: 'national',
};

/** The directory's region tree, bureaus and units as the analysis asks for them; chains are kept once asked. */
export function regionLookupOf(directory: Directory): RegionLookup {
  const chains = new Map<string, { code: string; level: RegionLevelName }[]>();
  return {
    chain(regionCode) {
      let chain = chains.get(regionCode);
      if (!chain) {
        chain = directory
          .regionChain(regionCode)
          .map((r) => ({ code: r.code, level: levelNames[r.level] ?? 'county' }));
        chains.set(regionCode, chain);
      }
      return chain;
    },
    bureauOf: (regionCode) => directory.bureauOf(regionCode)?.unitId,
    regionOfUnit: (unitId) => directory.unit(unitId)?.regionCode,
    bureauAbove: (unitId) => directory.bureauAbove(unitId)?.unitId,
  };
}

export interface Situation {
  /** The analysis clock: the latest time it has been moved to. */
  readonly clockMs: number;
  petition(p: PetitionSeen): HotspotDecision[];
  clock(o: ClockOutcome): HotspotDecision[];
  /** Moves the clock forward (never back): hotspots quiet long enough clear. */
  advanceTo(timeMs: number): HotspotDecision[];
  /** Hotspots not cleared, of the regions under `regionCode` (every one when omitted), highest score first. */
  active(regionCode?: string): ActiveHotspot[];
  trend(regionCode: string, category: number, granularity: Granularity): { startMs: number; count: number }[];
  readonly seriesCount: number;
}

export function createSituation(thresholds: Thresholds, regions: RegionLookup): Situation {
  const surges = createSurges(thresholds, regions);
  const clusters = createClusters(thresholds, regions);
  const streaks = createStreaks(thresholds, regions);
  let clockMs = Number.NEGATIVE_INFINITY;

  const advanceTo = (timeMs: number): HotspotDecision[] => {
    if (timeMs <= clockMs) return [];
    clockMs = timeMs;
    return [...surges.advanceTo(timeMs), ...clusters.advanceTo(timeMs)];
  };

  return {
    get clockMs() {
      return clockMs;
    },
    petition(p) {
      // A petition from another partition may be a little behind the clock: it is counted in its own bucket.
      const moved = advanceTo(p.timeMs);
      return [...moved, ...surges.petition(p), ...clusters.petition(p)];
    },
    clock(o) {
      return streaks.clock(o);
    },
    advanceTo,
    active(regionCode) {
      const all = [...surges.active(), ...clusters.active(), ...streaks.active()];
      const within = regionCode
        ? all.filter((h) => regions.chain(h.evidence.regionCode).some((r) => r.code === regionCode))
        : all;
      return within.sort((a, b) => b.evidence.score - a.evidence.score || (a.hotspotId < b.hotspotId ? -1 : 1));
    },
    trend: (regionCode, category, granularity) => surges.trend(regionCode, category, granularity),
    get seriesCount() {
      return surges.seriesCount;
    },
  };
}
