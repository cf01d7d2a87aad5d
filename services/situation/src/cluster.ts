import { estimatedJaccard, type Signature, signPetition } from '@petition/repeats';
import type { ActiveHotspot, Evidence, HotspotDecision, PetitionSeen, RegionLookup } from './hotspots.ts';
import { opaqueIdPart, pushSample } from './hotspots.ts';
import type { Thresholds } from './thresholds.ts';

// CLUSTER: near-identical petitions from one place in a short window — a group matter forming (群体苗头).
// Each region (the petition's own, usually a county) keeps the petitions of the last `windowMinutes`, at most
// `maxPerRegion`, as MinHash signatures of title and content (packages/repeats, character shingles). A new
// petition similar (estimated Jaccard ≥ `similarity`) to enough of them that the group reaches `minSize`
// makes a hotspot; later similar petitions join it instead of making another. It clears once no petition
// has joined for `clearHoldMinutes`. Its id is a digest of its earliest member's case, so a rebuild names it
// alike; an accusation naming an accused (art 30) counts as a member but is never a sample.

interface Waiting {
  readonly caseId: string;
  readonly concealed: boolean;
  readonly timeMs: number;
  readonly signature: Signature;
}

interface Cluster {
  readonly hotspotId: string;
  readonly regionCode: string;
  readonly signature: Signature;
  readonly firstMs: number;
  readonly detectedAtMs: number;
  readonly supervisingUnitId: string;
  readonly samples: string[];
  readonly similarity: number;
  count: number;
  lastMs: number;
  peak: number;
}

const minuteMs = 60_000;

export function createClusters(thresholds: Thresholds, regions: RegionLookup) {
  const limits = thresholds.cluster;
  const windowMs = limits.windowMinutes * minuteMs;
  const holdMs = limits.clearHoldMinutes * minuteMs;
  const waiting = new Map<string, Waiting[]>();
  const clusters = new Map<string, Cluster[]>();

  const scoreOf = (c: Cluster) => (c.count / limits.minSize) * c.similarity;
  const evidenceOf = (c: Cluster): Evidence => ({
    kind: 'CLUSTER',
    regionCode: c.regionCode,
    category: 0,
    petitionKind: 0,
    channel: 0,
    unitId: '',
    window: 'run',
    windowStartMs: c.firstMs,
    windowEndMs: c.lastMs,
    count: c.count,
    baselineMean: 0,
    baselineStddev: 0,
    score: scoreOf(c),
    sampleCaseIds: [...c.samples],
    similarity: c.similarity,
  });

  let nextSweepMs = Number.NEGATIVE_INFINITY;
  /** Clears the clusters of a region nobody joined for the hold period before `timeMs`. */
  const expire = (region: string, timeMs: number): HotspotDecision[] => {
    const list = clusters.get(region);
    if (!list) return [];
    const kept = list.filter((c) => c.lastMs + holdMs > timeMs);
    if (kept.length) clusters.set(region, kept);
    else clusters.delete(region);
    return list
      .filter((c) => c.lastMs + holdMs <= timeMs)
      .map((c) => ({
        type: 'cleared',
        hotspotId: c.hotspotId,
        evidence: evidenceOf(c),
        detectedAtMs: c.detectedAtMs,
        atMs: c.lastMs + holdMs,
        peakScore: c.peak,
        supervisingUnitId: c.supervisingUnitId,
        causationId: c.hotspotId,
      }));
  };

  return {
    petition(p: PetitionSeen): HotspotDecision[] {
      const signature = signPetition(p.title, p.content);
      if (signature.shingleCount === 0) return [];
      const region = p.regionCode;
      const expired = expire(region, p.timeMs);
      const joined = (clusters.get(region) ?? []).find(
        (c) => estimatedJaccard(c.signature, signature) >= limits.similarity,
      );
      if (joined) {
        joined.count++;
        joined.lastMs = Math.max(joined.lastMs, p.timeMs);
        joined.peak = Math.max(joined.peak, scoreOf(joined));
        pushSample(joined.samples, p, thresholds.sampleCaseIds);
        return expired;
      }
      const recent = (waiting.get(region) ?? []).filter((w) => w.timeMs > p.timeMs - windowMs);
      const similar = recent
        .map((w) => ({ w, score: estimatedJaccard(w.signature, signature) }))
        .filter((m) => m.score >= limits.similarity);
      if (similar.length + 1 < limits.minSize) {
        recent.push({ caseId: p.caseId, concealed: p.concealed, timeMs: p.timeMs, signature });
        waiting.set(region, recent.slice(-limits.maxPerRegion));
        return expired;
      }
      const newest = { caseId: p.caseId, concealed: p.concealed, timeMs: p.timeMs, signature };
      const members = [...similar.map((m) => m.w), newest].sort(
        (x, y) => x.timeMs - y.timeMs || (x.caseId < y.caseId ? -1 : 1),
      );
      const first = members[0] as Waiting;
      const taken = new Set(members.map((m) => m.caseId));
      waiting.set(
        region,
        recent.filter((w) => !taken.has(w.caseId)),
      );
      const cluster: Cluster = {
        hotspotId: `cluster:${region}:${opaqueIdPart(first.caseId)}`,
        regionCode: region,
        signature: first.signature,
        firstMs: first.timeMs,
        detectedAtMs: p.timeMs,
        supervisingUnitId: regions.bureauOf(region) ?? '',
        samples: members
          .filter((m) => !m.concealed)
          .slice(0, thresholds.sampleCaseIds)
          .map((m) => m.caseId),
        similarity: similar.reduce((sum, m) => sum + m.score, 0) / similar.length,
        count: members.length,
        lastMs: Math.max(...members.map((m) => m.timeMs)),
        peak: 0,
      };
      cluster.peak = scoreOf(cluster);
      clusters.set(region, [...(clusters.get(region) ?? []), cluster]);
      const evidence = evidenceOf(cluster);
      return [
        ...expired,
        {
          type: 'detected',
          hotspotId: cluster.hotspotId,
          evidence,
          detectedAtMs: p.timeMs,
          atMs: p.timeMs,
          peakScore: cluster.peak,
          supervisingUnitId: cluster.supervisingUnitId,
          causationId: p.eventId,
        },
      ];
    },
    /** Clears the clusters nobody joined for the hold period, and forgets petitions older than the window. */
    advanceTo(timeMs: number): HotspotDecision[] {
      // Swept at most once a minute of the clock: a sweep visits every region with a window, and the clock
      // moves with every petition. A petition first clears its own region's clusters (expire), so none
      // joins a cluster whose hold has passed before the sweep comes.
      if (timeMs < nextSweepMs) return [];
      nextSweepMs = timeMs + minuteMs;
      const out: HotspotDecision[] = [];
      for (const region of [...clusters.keys()]) out.push(...expire(region, timeMs));
      for (const [region, list] of waiting) {
        const kept = list.filter((w) => w.timeMs > timeMs - windowMs);
        if (kept.length) waiting.set(region, kept);
        else waiting.delete(region);
      }
      return out;
    },
    active(): ActiveHotspot[] {
      return [...clusters.values()].flat().map((c) => ({
        hotspotId: c.hotspotId,
        evidence: evidenceOf(c),
        detectedAtMs: c.detectedAtMs,
        peakScore: c.peak,
        supervisingUnitId: c.supervisingUnitId,
      }));
    },
  };
}

export type Clusters = ReturnType<typeof createClusters>;
