import type { ActiveHotspot, ClockOutcome, Evidence, HotspotDecision, RegionLookup } from './hotspots.ts';
import { opaqueIdPart, pushSample } from './hotspots.ts';
import type { Thresholds } from './thresholds.ts';

// BREACH_STREAK: one unit's statutory clocks running out one after another (deadline-events: a
// DeadlineBreached for each). `streak` breaches with no step met in time between them make a hotspot, told to
// the petition bureau above the unit (the one that supervises it); it clears after `clearAfterInTime` steps
// met in time in a row. A unit is kept only while it has a streak going or a hotspot open. The id is a digest of
// the least clock id among the breaches that made it (a clock id names its case), so a rebuild that reads them
// in another order names it alike; a concealed case's breach counts but is never a sample (art 30).

interface Run {
  breaches: number;
  inTime: number;
  firstMs: number;
  lastMs: number;
  readonly clockIds: string[];
  readonly samples: string[];
  hotspot?: { readonly hotspotId: string; readonly detectedAtMs: number; readonly supervisingUnitId: string };
  peak: number;
}

export function createStreaks(thresholds: Thresholds, regions: RegionLookup) {
  const { streak, clearAfterInTime } = thresholds.breachStreak;
  const runs = new Map<string, Run>();

  const scoreOf = (run: Run) => run.breaches / streak;
  const evidenceOf = (unitId: string, run: Run): Evidence => ({
    kind: 'BREACH_STREAK',
    regionCode: regions.regionOfUnit(unitId) ?? '',
    category: 0,
    petitionKind: 0,
    channel: 0,
    unitId,
    window: 'run',
    windowStartMs: run.firstMs,
    windowEndMs: run.lastMs,
    count: run.breaches,
    baselineMean: 0,
    baselineStddev: 0,
    score: scoreOf(run),
    sampleCaseIds: [...run.samples],
    similarity: 0,
  });

  return {
    clock(o: ClockOutcome): HotspotDecision[] {
      if (!o.unitId) return [];
      const run = runs.get(o.unitId);
      if (o.outcome === 'in-time') {
        if (!run) return [];
        if (!run.hotspot) {
          runs.delete(o.unitId);
          return [];
        }
        run.inTime++;
        if (run.inTime < clearAfterInTime) return [];
        runs.delete(o.unitId);
        return [
          {
            type: 'cleared',
            hotspotId: run.hotspot.hotspotId,
            evidence: evidenceOf(o.unitId, run),
            detectedAtMs: run.hotspot.detectedAtMs,
            atMs: o.timeMs,
            peakScore: run.peak,
            supervisingUnitId: run.hotspot.supervisingUnitId,
            causationId: o.eventId,
          },
        ];
      }
      const current: Run = run ?? {
        breaches: 0,
        inTime: 0,
        firstMs: o.timeMs,
        lastMs: o.timeMs,
        clockIds: [],
        samples: [],
        peak: 0,
      };
      runs.set(o.unitId, current);
      current.breaches++;
      current.inTime = 0;
      current.firstMs = Math.min(current.firstMs, o.timeMs);
      current.lastMs = Math.max(current.lastMs, o.timeMs);
      if (current.clockIds.length < streak) current.clockIds.push(o.clockId);
      pushSample(current.samples, o, thresholds.sampleCaseIds);
      current.peak = Math.max(current.peak, scoreOf(current));
      if (current.hotspot || current.breaches < streak) return [];
      const first = [...current.clockIds].sort()[0] ?? o.clockId;
      current.hotspot = {
        hotspotId: `breach-streak:${o.unitId}:${opaqueIdPart(first)}`,
        detectedAtMs: o.timeMs,
        supervisingUnitId: regions.bureauAbove(o.unitId) ?? '',
      };
      return [
        {
          type: 'detected',
          hotspotId: current.hotspot.hotspotId,
          evidence: evidenceOf(o.unitId, current),
          detectedAtMs: o.timeMs,
          atMs: o.timeMs,
          peakScore: current.peak,
          supervisingUnitId: current.hotspot.supervisingUnitId,
          causationId: o.eventId,
        },
      ];
    },
    active(): ActiveHotspot[] {
      return [...runs.entries()].flatMap(([unitId, run]) =>
        run.hotspot
          ? [
              {
                hotspotId: run.hotspot.hotspotId,
                evidence: evidenceOf(unitId, run),
                detectedAtMs: run.hotspot.detectedAtMs,
                peakScore: run.peak,
                supervisingUnitId: run.hotspot.supervisingUnitId,
              },
            ]
          : [],
      );
    },
  };
}
