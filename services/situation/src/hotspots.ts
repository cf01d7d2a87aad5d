import { createHash } from 'node:crypto';
import type { Granularity, RegionLevelName } from './thresholds.ts';

// What the analysis takes in and what it decides, as plain values: the service turns decisions into
// situation-events (events.ts) and the analysis never sees the bus. Times are ms since the epoch, taken from
// the events (never the wall clock), so that reading the same log again decides the same hotspots with the
// same ids — which is how a restart knows what it already said.

export type HotspotKindName = 'SURGE' | 'CLUSTER' | 'BREACH_STREAK';
export type WindowName = Granularity | 'run';

/** A registered petition, as the analysis counts it. */
export interface PetitionSeen {
  readonly eventId: string;
  readonly caseId: string;
  readonly timeMs: number;
  readonly regionCode: string;
  readonly category: number;
  readonly kind: number;
  readonly channel: number;
  readonly title: string;
  readonly content: string;
  /**
   * An accusation naming an accused (art 30, `accusedOf` in packages/jurisdiction): counted like any
   * petition, but never named in a hotspot — not as a sample, not in an id — since a hotspot is shown and
   * notified to a bureau that may be the accused or under it.
   */
  readonly concealed: boolean;
}

/** A statutory clock of a unit that ran out, or was met. */
export interface ClockOutcome {
  readonly eventId: string;
  readonly caseId: string;
  readonly clockId: string;
  readonly unitId: string;
  readonly timeMs: number;
  readonly outcome: 'breached' | 'in-time';
  /** The clock's case is an accusation naming an accused (the watchdog says so: `confidential`). */
  readonly concealed: boolean;
}

export interface Evidence {
  readonly kind: HotspotKindName;
  readonly regionCode: string;
  readonly category: number;
  readonly petitionKind: number;
  readonly channel: number;
  readonly unitId: string;
  readonly window: WindowName;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly count: number;
  readonly baselineMean: number;
  readonly baselineStddev: number;
  readonly score: number;
  readonly sampleCaseIds: readonly string[];
  readonly similarity: number;
}

export interface HotspotDecision {
  readonly type: 'detected' | 'cleared';
  readonly hotspotId: string;
  readonly evidence: Evidence;
  /** When it was detected (the petition or clock event that tipped it). */
  readonly detectedAtMs: number;
  /** When it cleared (the end of the hold period); the detection time for a detection. */
  readonly atMs: number;
  readonly peakScore: number;
  /** The petition bureau told: the region's own (surge, cluster) or the one above the unit (streak). */
  readonly supervisingUnitId: string;
  /** The event that tipped the decision, or the hotspot id where time alone cleared it. */
  readonly causationId: string;
}

/** A hotspot not yet cleared, as the read API lists it. */
export interface ActiveHotspot {
  readonly hotspotId: string;
  readonly evidence: Evidence;
  readonly detectedAtMs: number;
  readonly peakScore: number;
  readonly supervisingUnitId: string;
}

/** The directory as the analysis needs it (the service passes packages/directory's, never a copy). */
export interface RegionLookup {
  /** The region and its ancestors up to the nation, each with its level; empty for an unknown code. */
  chain(regionCode: string): readonly { readonly code: string; readonly level: RegionLevelName }[];
  /** The petition bureau of a region. */
  bureauOf(regionCode: string): string | undefined;
  /** A unit's region. */
  regionOfUnit(unitId: string): string | undefined;
  /** The petition bureau one level above a unit. */
  bureauAbove(unitId: string): string | undefined;
}

/**
 * A hotspot id's own part where it stands for a case or a clock (a cluster's first petition, a streak's least
 * clock): a digest, the same for the same name, so that a rebuild names the hotspot alike while the id —
 * shown and notified like the evidence — names no case.
 */
export const opaqueIdPart = (name: string) => createHash('sha256').update(name).digest('hex').slice(0, 16);

/** Keeps at most `limit` case ids, the first ones; a concealed case is never one of them. */
export function pushSample(
  samples: string[],
  seen: { readonly caseId: string; readonly concealed: boolean },
  limit: number,
): void {
  if (!seen.concealed && samples.length < limit && !samples.includes(seen.caseId)) samples.push(seen.caseId);
}
