import { addCivilDays, type CivilDate, civilDateOf, endOfCivilDay } from '@petition/legal-calendar';

// Tracking's Redis keyspace under `<prefix>trk:` — a cache, rebuilt from Kafka after a flush (app.ts):
//   c:<caseId>         the case: number, query-code hash, kind and accused unit (art 30: whom every view keeps it
//                      from), state, holder, version, acceptedTime, deadline offset, and in a federation
//                      `heldAt`: the node that took the case over (empty while this node holds it)
//   n:<caseNumber>     → case id
//   t:<caseId>         its timeline, one JSON entry per step
//   k:<caseId>         its clocks (clock id → ClockView JSON)
//   x:<caseId>         the steps that stopped a clock (event id → {stage, dueTime, inTime})
//   i:<unitId>         a unit's inbox: the cases it holds, scored by the running clock's due time
//   u:<unitId>:<day>   a unit's KPI counts of a day (Asia/Shanghai), kept TRACKING_KPI_RETENTION_DAYS after it
//   r:<region>:<day>   the same summed over every unit in the region and below (kept as long)
//   au:<accused>:<unitId>:<day>   the part of u:<unitId>:<day> that accusations against <accused> counted, and
//   ar:<accused>:<region>:<day>   of r:<region>:<day>: taken out again for a viewer they are kept from (art 30)
//   ac                 the accused units with such counts
//   o:<region>         clocks run out and unanswered in the region and below, by due time ("<caseId> <clockId>")
//   g:<client>         wrong case number / query code tries (expire after 10 minutes)

/** When a day's KPI counts expire (ms): `retentionDays` days after the day ends. */
export const kpiExpiresAt = (day: CivilDate, retentionDays: number) =>
  endOfCivilDay(addCivilDays(day, retentionDays)).getTime();

/** The first day whose KPI counts are still kept at `now`. */
export const firstKeptDay = (now: Date, retentionDays: number) => addCivilDays(civilDateOf(now), -retentionDays);

export function trackingKeys(prefix: string) {
  return {
    case: (caseId: string) => `${prefix}c:${caseId}`,
    number: (caseNumber: string) => `${prefix}n:${caseNumber}`,
    timeline: (caseId: string) => `${prefix}t:${caseId}`,
    clocks: (caseId: string) => `${prefix}k:${caseId}`,
    stops: (caseId: string) => `${prefix}x:${caseId}`,
    inbox: (unitId: string) => `${prefix}i:${unitId}`,
    unitDay: (unitId: string, day: string) => `${prefix}u:${unitId}:${day}`,
    regionDay: (region: string, day: string) => `${prefix}r:${region}:${day}`,
    accusedUnitDay: (accused: string, unitId: string, day: string) => `${prefix}au:${accused}:${unitId}:${day}`,
    accusedRegionDay: (accused: string, region: string, day: string) => `${prefix}ar:${accused}:${region}:${day}`,
    accusedUnits: () => `${prefix}ac`,
    overdue: (region: string) => `${prefix}o:${region}`,
    guesses: (client: string) => `${prefix}g:${client}`,
  };
}

export type TrackingKeys = ReturnType<typeof trackingKeys>;
