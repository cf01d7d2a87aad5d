import { addCivilDays, type CivilDate, civilDateOf, endOfCivilDay } from '@petition/legal-calendar';

// Tracking's Redis keyspace under `<prefix>trk:` — a cache, rebuilt from Kafka after a flush (app.ts):
//   c:<caseId>         the case: number, query-code hash, kind and accused unit (art 30: whom every view keeps it
//                      from), state, holder, version, acceptedTime, deadline offset, and in a federation
//                      `heldAt`: the node that took the case over (empty while this node holds it);
//                      the matter as registered: title, content, category and channel (their proto JSON names,
//                      e.g. CATEGORY_LABOR_SOCIAL_SECURITY), regionCode, receivedTime, registeringUnit,
//                      anonymous ('1' or ''), groupSize, attachments (JSON [{name, mediaType, sizeBytes,
//                      sha256 hex}]), person (the petitioner's pseudonymous person id, '' when anonymous),
//                      representatives (JSON [{personId}]) — never a name, number, phone or address;
//                      coUnits (JSON {lead, co[]}, once designated), original (JSON {caseId, caseNumber}: the
//                      case this one repeats), supervisions (JSON list of its 督办单, oldest first: see
//                      read-model.ts SupervisionView), supervision (JSON of the one not yet closed; absent
//                      when none), leader (the staff id of the leader in charge; absent when none) and
//                      leaderCharge (JSON {unitId, staffId, note, time}), urges (times urged), lastUrgeTime,
//                      repeatsOpen (repeat candidates flagged and not dismissed: the inbox's mark)
//   p:<caseId>         its petitioner and representatives sealed as intake sealed them (base64 SealedData):
//                      `petitioner`, `representative:<n>` (1-based) — opened only for personal-data (case-view.ts)
//   rp:<caseId>        the cases linked to this one as its repeats (case id → case number)
//   rc:<caseId>        the earlier cases intake flagged as possible originals of this one (art 19): candidate
//                      case id → JSON {caseNumber, score, time}; staff answers in ra:
//   ra:<caseId>        staff's dismissals of those candidates: candidate case id → JSON {unitId, reason, time}
//                      (a confirmation is the case's own `original`)
//   sp:<caseId>        the petitioner's supplements, one JSON entry {eventId, time, material, attachments} each
//   sv:<region>        cases with a 督办单, in the region of their supervised unit and every region above it,
//                      scored by the latest one's issue time
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
// The access audit (audit.ts), from the access-audit topic — every opening of personal data, kept as long as
// the topic keeps it; members of the sets are "<time ms, 15 digits> <eventId>", all scored 0, so that they
// page newest first by their order alone (ZRANGE … BYLEX REV):
//   pd:<eventId>       one opening (JSON AuditEntry)
//   pdu:<unitId>       openings by staff of the unit or of any unit under it by superior
//   pdr:<region>       openings by staff of units in the region or below (what its bureau, government and
//                      party committee oversee by place)
//   pdc:<caseId>       openings of the case's personal data
// The in-app inbox (notices.ts), from the in-app-notices topic — the notices notification posted and the read
// marks their readers set. A <recipient> is `unit:<unitId>` or `petitioner:<personId>`; a <shelf> is what one
// page lists: a unit's recipient itself, a petitioner's recipient and case (`petitioner:<personId>:<caseId>`:
// the case page shows that case's only):
//   ni:<recipient>     the recipient's notices (notice id → JSON StoredNotice); a notice id kept is not taken again
//   nl:<shelf>         the shelf's notice ids scored by their offset in in-app-notices (one partition per
//                      recipient, so the order they came in), newest first by the highest
//   nu:<shelf>         those of nl:<shelf> not read yet (same scores)
//   nr:<recipient>     the notice ids the recipient marked read (notice-reads): a mark read back before its
//                      notice (another topic) still keeps the notice off the unread when it comes

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
    sealed: (caseId: string) => `${prefix}p:${caseId}`,
    repeats: (caseId: string) => `${prefix}rp:${caseId}`,
    repeatCandidates: (caseId: string) => `${prefix}rc:${caseId}`,
    repeatAnswers: (caseId: string) => `${prefix}ra:${caseId}`,
    supplements: (caseId: string) => `${prefix}sp:${caseId}`,
    supervised: (region: string) => `${prefix}sv:${region}`,
    opening: (eventId: string) => `${prefix}pd:${eventId}`,
    openingsByUnit: (unitId: string) => `${prefix}pdu:${unitId}`,
    openingsInRegion: (region: string) => `${prefix}pdr:${region}`,
    openingsOfCase: (caseId: string) => `${prefix}pdc:${caseId}`,
    notices: (recipient: string) => `${prefix}ni:${recipient}`,
    shelf: (shelf: string) => `${prefix}nl:${shelf}`,
    unread: (shelf: string) => `${prefix}nu:${shelf}`,
    readMarks: (recipient: string) => `${prefix}nr:${recipient}`,
  };
}

export type TrackingKeys = ReturnType<typeof trackingKeys>;
