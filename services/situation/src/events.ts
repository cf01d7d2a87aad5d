import { createHash } from 'node:crypto';
import {
  type CaseEvent,
  type Category,
  type Channel,
  type DeadlineEvent,
  EventEnvelope,
  type HotspotEvidence,
  HotspotKind,
  HotspotWindow,
  type PetitionKind,
  type SituationEvent,
} from '@petition/contract';
import { accusedOf } from '@petition/jurisdiction';
import type { ClockOutcome, Evidence, HotspotDecision, PetitionSeen } from './hotspots.ts';

// The edges of the analysis: what it takes from case-events and deadline-events, and the situation-events it
// writes for its decisions. An event's id is derived from its hotspot id and step (a name-based UUID), so
// that a restart reading the log again writes nothing it wrote before.

/** The petition a PetitionRegistered carries; undefined for any other case event. */
export function petitionOf(event: CaseEvent): PetitionSeen | undefined {
  if (event.payload?.$case !== 'petitionRegistered') return undefined;
  const p = event.payload.value.petition;
  if (!p) return undefined;
  return {
    eventId: event.envelope?.eventId ?? '',
    caseId: event.envelope?.caseId ?? '',
    // Counted when registered (the registering clock), which is when a supervisor can act on it.
    timeMs: (event.envelope?.occurTime ?? p.receivedTime ?? new Date(0)).getTime(),
    regionCode: p.regionCode,
    category: p.category,
    kind: p.kind,
    channel: p.channel,
    title: p.title,
    content: p.content,
    concealed: accusedOf(p) !== undefined,
  };
}

/** A clock that ran out (DeadlineBreached) or whose step was done in time (ClockStopped in time). */
export function clockOutcomeOf(event: DeadlineEvent): ClockOutcome | undefined {
  const payload = event.payload;
  const outcome =
    payload?.$case === 'deadlineBreached'
      ? 'breached'
      : payload?.$case === 'clockStopped' && payload.value.inTime
        ? 'in-time'
        : undefined;
  if (!outcome || !event.responsibleUnitId) return undefined;
  return {
    eventId: event.envelope?.eventId ?? '',
    caseId: event.envelope?.caseId ?? '',
    clockId: event.clockId,
    unitId: event.responsibleUnitId,
    timeMs: (event.envelope?.occurTime ?? new Date(0)).getTime(),
    outcome,
    concealed: event.confidential,
  };
}

/** A UUID derived from a name (SHA-256, laid out as version 8): the same name, the same id. */
export function derivedId(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  const variant = ((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export const eventIdOf = (d: Pick<HotspotDecision, 'hotspotId' | 'type'>) => derivedId(`${d.hotspotId}/${d.type}`);

const kinds = {
  SURGE: HotspotKind.HOTSPOT_KIND_SURGE,
  CLUSTER: HotspotKind.HOTSPOT_KIND_CLUSTER,
  BREACH_STREAK: HotspotKind.HOTSPOT_KIND_BREACH_STREAK,
} as const;
const windows = {
  hour: HotspotWindow.HOTSPOT_WINDOW_HOUR,
  day: HotspotWindow.HOTSPOT_WINDOW_DAY,
  run: HotspotWindow.HOTSPOT_WINDOW_RUN,
} as const;

export function evidenceMessage(e: Evidence): HotspotEvidence {
  return {
    kind: kinds[e.kind],
    regionCode: e.regionCode,
    category: e.category as Category,
    petitionKind: e.petitionKind as PetitionKind,
    channel: e.channel as Channel,
    unitId: e.unitId,
    window: windows[e.window],
    windowStartTime: new Date(e.windowStartMs),
    windowEndTime: new Date(e.windowEndMs),
    count: e.count,
    baselineMean: e.baselineMean,
    baselineStddev: e.baselineStddev,
    score: Number.isFinite(e.score) ? e.score : Number.MAX_VALUE,
    sampleCaseIds: [...e.sampleCaseIds],
    similarity: e.similarity,
  };
}

/** The situation-event of a decision. */
export function situationEventOf(d: HotspotDecision): SituationEvent {
  const evidence = evidenceMessage(d.evidence);
  const detectedTime = new Date(d.detectedAtMs);
  const payload: SituationEvent['payload'] =
    d.type === 'detected'
      ? { $case: 'hotspotDetected', value: { evidence, detectedTime, supervisingUnitId: d.supervisingUnitId } }
      : {
          $case: 'hotspotCleared',
          value: {
            evidence,
            detectedTime,
            clearedTime: new Date(d.atMs),
            supervisingUnitId: d.supervisingUnitId,
            peakScore: Number.isFinite(d.peakScore) ? d.peakScore : Number.MAX_VALUE,
          },
        };
  return {
    envelope: EventEnvelope.fromPartial({
      eventId: eventIdOf(d),
      caseId: '',
      caseVersion: 0,
      occurTime: new Date(d.atMs),
      actingUnitId: '',
      correlationId: d.hotspotId,
      causationId: d.causationId,
      producer: 'situation',
    }),
    hotspotId: d.hotspotId,
    payload,
  };
}
