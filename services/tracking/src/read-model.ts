import {
  type CaseEvent,
  CaseState,
  ClockStopReason,
  caseStateToJSON,
  clockStageToJSON,
  type DeadlineEvent,
  type PetitionKind,
} from '@petition/contract';
import type { Directory } from '@petition/directory';
import { accusedOf } from '@petition/jurisdiction';
import { type ClockView, caseFacts, deadlineFacts, type Fact, isOverdue, nextClock } from '@petition/kpi';
import { isTerminal } from '@petition/lifecycle';
import type { WriteBatch } from '@petition/runtime';
import type { Redis } from 'ioredis';
import {
  attachmentsOf,
  matterOf,
  openSupervision,
  type SupervisionView,
  sealedOf,
  supervisionsAfter,
} from './case-details.ts';
import { kpiExpiresAt, trackingKeys } from './keys.ts';

// The write side of tracking's read models (keys.ts): each case event and deadline event applied once —
// a case event only above the version the case has, a deadline event only above the deadline-events
// offset its case has seen — together with the KPI counts it adds. A batch of consecutive records is read
// in one round trip and written in another (the epoch's guarded write).

export interface TimelineEntry {
  readonly eventId: string;
  readonly version: number;
  readonly step: string;
  readonly label: string;
  readonly time: string;
  readonly unitId: string;
  readonly detail?: string;
  readonly dueTime?: string;
}

/** What each step is called on the petitioner's page. */
const labels: Readonly<Record<string, string>> = {
  petitionRegistered: '登记',
  caseForwarded: '转送',
  forwardObjected: '对转送提出异议',
  caseAssigned: '交办',
  completionReported: '报送办理结果',
  caseAccepted: '受理',
  caseNotAccepted: '不予受理',
  caseGuidedToLegalChannel: '导入法定途径',
  coUnitsDesignated: '确定牵头单位',
  deadlineExtended: '延长办理期限',
  caseReplied: '出具处理意见',
  caseEvaluated: '评价',
  reviewRequested: '请求复查',
  reviewDecided: '出具复查意见',
  reReviewRequested: '请求复核',
  hearingStarted: '举行听证',
  hearingEnded: '听证结束',
  reReviewDecided: '出具复核意见',
  caseWithdrawn: '撤回',
  caseLinkedAsRepeat: '作为重复信访处理',
  caseWindowLapsed: '期限届满',
  caseClosedAsFinal: '办结',
  custodyTransferred: '移交',
  caseHandedOff: '移交其他节点',
  handoffAccepted: '其他节点接收',
  handoffRefused: '移交被退回',
  supervisionIssued: '督办',
  supervisionAnswered: '督办回复',
  supervisionClosed: '督办办结',
  caseTakenInCharge: '领导包案',
  caseSupplemented: '补充材料',
  caseUrged: '催办',
  repeatCandidatesFlagged: '疑似重复信访',
  repeatCandidateDismissed: '排除重复信访',
};

const closed = new Set<CaseState>([
  CaseState.CASE_STATE_NOT_ACCEPTED,
  CaseState.CASE_STATE_GUIDED_TO_LEGAL_CHANNEL,
  CaseState.CASE_STATE_FINAL,
  CaseState.CASE_STATE_WITHDRAWN,
  CaseState.CASE_STATE_LINKED_AS_REPEAT,
  CaseState.CASE_STATE_CLOSED,
  CaseState.CASE_STATE_COMPLETION_REPORTED,
]);

/** An inbox entry of a case without a running clock sorts after every dated one. */
export const UNDATED = 8_000_000_000_000;

function entryOf(e: CaseEvent): TimelineEntry | undefined {
  const p = e.payload;
  if (!p || p.$case === 'commandRefused') return undefined;
  const env = e.envelope;
  const v = p.value as Record<string, unknown>;
  const due = (v.handlingDueTime ?? v.legDueTime ?? v.newDueTime ?? v.reportDueTime ?? v.reviewDueTime) as
    | Date
    | undefined;
  const detail =
    p.$case === 'handoffRefused'
      ? `${p.value.reasonCode}: ${p.value.detail}`
      : p.$case === 'caseHandedOff' || p.$case === 'handoffAccepted'
        ? `node ${p.value.toNodeId}`
        : ((v.opinion as { summary?: string } | undefined)?.summary ??
          ((v.reasonText ?? v.reason ?? v.channelDetail) as string | undefined));
  return {
    eventId: env?.eventId ?? '',
    version: env?.caseVersion ?? 0,
    step: p.$case,
    label: labels[p.$case] ?? p.$case,
    time: env?.occurTime?.toISOString() ?? '',
    unitId: env?.actingUnitId || e.custodyUnitId,
    detail: detail || undefined,
    dueTime: due?.toISOString(),
  };
}

interface CaseRow {
  version: number;
  holder: string;
  caseNumber: string;
  /** Its 督办单 (keys.ts c: `supervisions`), kept current through the batch. */
  supervisions: SupervisionView[];
  /** The accused unit of an accusation (art 30): its KPI facts are also counted under it. */
  accused?: string;
  acceptedTime?: string;
  deadlineOffset?: bigint;
  readonly clocks: Map<string, ClockView>;
}

/**
 * Where the case sorts in a unit's inbox: the soonest due of that unit's clocks still open (or run out).
 * The same whichever topic came first.
 */
function dueOf(row: CaseRow, unitId: string): number {
  let due = UNDATED;
  for (const c of row.clocks.values()) {
    if (c.unitId === unitId && c.dueTime && (c.state === 'running' || c.state === 'paused' || c.state === 'breached'))
      due = Math.min(due, Date.parse(c.dueTime));
  }
  return due;
}

/** A batch's KPI counts by key, with when the key's day expires, and the accused they were counted under. */
type Sums = Map<string, { expiresAt: number; fields: Map<string, number> }> & { accused: Set<string> };
const newSums = (): Sums => Object.assign(new Map(), { accused: new Set<string>() });

/** The accused an accusation's facts are also counted under (as kept in the case hash); none otherwise. */
const accusedIn = (kind: string | null | undefined, accused: string | null | undefined) =>
  accusedOf({ kind: Number(kind) as PetitionKind, accusedUnitId: accused ?? undefined });

/** Makes one batch's writes together; false when they were not made (the keys' epoch is gone). */
export type Commit = (build: (m: WriteBatch) => void) => Promise<boolean>;

export function createReadModel(
  redis: Redis,
  prefix: string,
  directory: Directory,
  commit: Commit,
  kpiRetentionDays: number,
  /** This node's id in a federation ('' for the single-node nation). */
  nodeId = '',
) {
  const k = trackingKeys(prefix);
  const regionsOf = (unitId: string) =>
    directory.regionChain(directory.unit(unitId)?.regionCode ?? '').map((r) => r.code);

  /**
   * Each fact counts for its unit and for every region from the unit's up to the nation, summed per batch;
   * an accusation's facts count a second time under its accused, so that a view kept from the accused can
   * take them out again (queries.ts).
   */
  function count(sums: Sums, facts: readonly Fact[], accused?: string) {
    const add = (key: string, f: Fact) => {
      const sum = sums.get(key) ?? { expiresAt: kpiExpiresAt(f.day, kpiRetentionDays), fields: new Map() };
      sum.fields.set(f.counter, (sum.fields.get(f.counter) ?? 0) + f.amount);
      sums.set(key, sum);
    };
    for (const f of facts) {
      add(k.unitDay(f.unitId, f.day), f);
      if (accused) add(k.accusedUnitDay(accused, f.unitId, f.day), f);
      for (const region of regionsOf(f.unitId)) {
        add(k.regionDay(region, f.day), f);
        if (accused) add(k.accusedRegionDay(accused, region, f.day), f);
      }
    }
    if (accused && facts.length) sums.accused.add(accused);
  }
  /** A day's counts expire with the day (a day long gone, read again in a rebuild, is gone at once). */
  function writeCounts(m: WriteBatch, sums: Sums) {
    for (const [key, { expiresAt, fields }] of sums) {
      for (const [field, n] of fields) m.hincrby(key, field, n);
      m.pexpireat(key, expiresAt);
    }
    if (sums.accused.size) m.sadd(k.accusedUnits(), ...sums.accused);
  }

  /** What a batch needs of each of its cases, read in one round trip and kept up to date as it applies. */
  async function load(caseIds: Iterable<string>): Promise<Map<string, CaseRow>> {
    const ids = [...new Set(caseIds)];
    const pipe = redis.pipeline();
    for (const id of ids)
      pipe
        .hmget(
          k.case(id),
          'version',
          'holder',
          'acceptedTime',
          'deadlineOffset',
          'kind',
          'accused',
          'caseNumber',
          'supervisions',
        )
        .hgetall(k.clocks(id));
    const replies = (await pipe.exec()) ?? [];
    const rows = new Map<string, CaseRow>();
    ids.forEach((id, i) => {
      const [version, holder, acceptedTime, offset, kind, accused, caseNumber, supervisions] = (replies[2 * i]?.[1] ??
        []) as (string | null)[];
      const clocks = (replies[2 * i + 1]?.[1] ?? {}) as Record<string, string>;
      rows.set(id, {
        version: Number(version ?? 0),
        holder: holder ?? '',
        caseNumber: caseNumber ?? '',
        supervisions: supervisions ? (JSON.parse(supervisions) as SupervisionView[]) : [],
        accused: accusedIn(kind, accused),
        acceptedTime: acceptedTime ?? undefined,
        deadlineOffset: offset == null ? undefined : BigInt(offset),
        clocks: new Map(Object.entries(clocks).map(([clockId, json]) => [clockId, JSON.parse(json) as ClockView])),
      });
    });
    return rows;
  }

  /**
   * The staff view's details a case event changes (keys.ts c:, rp:, sp:, sv:): into `fields`, or written to
   * `m`; answers the case fields to remove.
   */
  function details(m: WriteBatch, e: CaseEvent, row: CaseRow, fields: Record<string, string>): string[] {
    const caseId = e.envelope?.caseId ?? '';
    const time = e.envelope?.occurTime?.toISOString() ?? '';
    const p = e.payload;
    if (p?.$case === 'coUnitsDesignated')
      fields.coUnits = JSON.stringify({ lead: p.value.leadUnitId, co: p.value.coUnitIds });
    if (p?.$case === 'caseLinkedAsRepeat') {
      fields.original = JSON.stringify({ caseId: p.value.originalCaseId, caseNumber: p.value.originalCaseNumber });
      m.hset(k.repeats(p.value.originalCaseId), caseId, row.caseNumber);
    }
    if (p?.$case === 'repeatCandidatesFlagged') {
      for (const { caseId: candidate, caseNumber, score } of p.value.candidates)
        m.hset(k.repeatCandidates(caseId), candidate, JSON.stringify({ caseNumber, score, time }));
      // Counted on the case for the inbox's mark: each event is applied once (its version guards it).
      m.call('HINCRBY', k.case(caseId), 'repeatsOpen', p.value.candidates.length);
    }
    if (p?.$case === 'repeatCandidateDismissed') {
      const { candidateCaseId, unitId, reason } = p.value;
      m.hset(k.repeatAnswers(caseId), candidateCaseId, JSON.stringify({ unitId, reason, time }));
      m.call('HINCRBY', k.case(caseId), 'repeatsOpen', -1);
    }
    if (p?.$case === 'caseTakenInCharge') {
      const { leaderUnitId: unitId, leaderStaffId: staffId, note } = p.value;
      fields.leader = staffId;
      fields.leaderCharge = JSON.stringify({ unitId, staffId, note, time });
    }
    if (p?.$case === 'caseSupplemented') {
      const { material, attachments } = p.value;
      const entry = { eventId: e.envelope?.eventId ?? '', time, material, attachments: attachmentsOf(attachments) };
      m.rpush(k.supplements(caseId), JSON.stringify(entry));
    }
    if (p?.$case === 'caseUrged') {
      fields.urges = String(p.value.times);
      fields.lastUrgeTime = time;
    }
    if (p?.$case === 'supervisionIssued') {
      const at = e.envelope?.occurTime?.getTime() ?? 0;
      for (const region of regionsOf(p.value.supervisedUnitId)) m.zadd(k.supervised(region), at, caseId);
    }
    const supervisions = supervisionsAfter(row.supervisions, e, isTerminal(e.state));
    if (!supervisions) return [];
    row.supervisions = supervisions;
    fields.supervisions = JSON.stringify(supervisions);
    const open = openSupervision(supervisions);
    if (!open) return ['supervision'];
    fields.supervision = JSON.stringify(open);
    return [];
  }

  return {
    /** Applies consecutive case events (in their order) with one read and one write; false if not made. */
    async applyCaseEvents(events: readonly CaseEvent[]) {
      const rows = await load(events.flatMap((e) => (e.envelope?.caseId ? [e.envelope.caseId] : [])));
      return commit((m) => {
        const sums = newSums();
        for (const e of events) {
          const env = e.envelope;
          const row = rows.get(env?.caseId ?? '');
          if (!env || !row || row.version >= env.caseVersion) continue;
          const caseId = env.caseId;
          const before = row.holder;
          const fields: Record<string, string> = {
            version: String(env.caseVersion),
            state: caseStateToJSON(e.state),
            holder: e.custodyUnitId,
          };
          const p = e.payload;
          if (p?.$case === 'petitionRegistered') {
            const petition = p.value.petition;
            fields.caseNumber = petition?.caseNumber ?? '';
            fields.queryCodeHash = petition?.queryCodeHash ?? '';
            fields.receivedTime = petition?.receivedTime?.toISOString() ?? '';
            // Art 30: what every view of the case asks before showing it (concealedFrom).
            fields.kind = String(petition?.kind ?? 0);
            fields.accused = petition?.accusedUnitId ?? '';
            row.accused = accusedIn(fields.kind, fields.accused);
            row.caseNumber = fields.caseNumber;
            m.set(k.number(petition?.caseNumber ?? ''), caseId);
            Object.assign(fields, matterOf(petition));
            const sealed = sealedOf(petition);
            if (Object.keys(sealed).length) m.hset(k.sealed(caseId), sealed);
          }
          if (p?.$case === 'caseAccepted') fields.acceptedTime = env.occurTime?.toISOString() ?? '';
          // The node that took the case over, which the petitioner is sent to ('' once it is back here).
          if (p?.$case === 'handoffAccepted') fields.heldAt = p.value.toNodeId === nodeId ? '' : p.value.toNodeId;
          const unset = details(m, e, row, fields);
          m.hset(k.case(caseId), fields);
          if (unset.length) m.call('HDEL', k.case(caseId), ...unset);
          const entry = entryOf(e);
          if (entry) m.rpush(k.timeline(caseId), JSON.stringify(entry));
          if (before && before !== e.custodyUnitId) m.zrem(k.inbox(before), caseId);
          // Taken over by another node: off the inbox here, though its last holder here stays on record.
          const handedAway = p?.$case === 'handoffAccepted' && p.value.toNodeId !== nodeId;
          if (closed.has(e.state) || handedAway) m.zrem(k.inbox(e.custodyUnitId), caseId);
          // Its clock may have come first (another topic): the new holder's inbox takes its due time.
          else if (before !== e.custodyUnitId) m.zadd(k.inbox(e.custodyUnitId), dueOf(row, e.custodyUnitId), caseId);
          count(sums, caseFacts(e, row.acceptedTime ? new Date(row.acceptedTime) : undefined), row.accused);
          row.version = env.caseVersion;
          row.holder = e.custodyUnitId;
          row.acceptedTime = fields.acceptedTime ?? row.acceptedTime;
        }
        writeCounts(m, sums);
      });
    },

    /**
     * Applies consecutive deadline events with their offsets in deadline-events (every event of a case is
     * on one partition, so an offset at or below the case's last one was applied before).
     */
    async applyDeadlineEvents(records: readonly { value: DeadlineEvent; offset: string }[]) {
      const rows = await load(records.flatMap((r) => (r.value.envelope?.caseId ? [r.value.envelope.caseId] : [])));
      return commit((m) => {
        const sums = newSums();
        for (const { value: d, offset } of records) {
          const caseId = d.envelope?.caseId ?? '';
          const row = rows.get(caseId);
          const p = d.payload;
          if (!row || !p || !d.clockId) continue;
          if (row.deadlineOffset !== undefined && row.deadlineOffset >= BigInt(offset)) continue;
          const before = row.clocks.get(d.clockId);
          const next = nextClock(before, d);
          row.clocks.set(d.clockId, next);
          row.deadlineOffset = BigInt(offset);
          m.hset(k.clocks(caseId), d.clockId, JSON.stringify(next)).hset(k.case(caseId), 'deadlineOffset', offset);
          count(sums, deadlineFacts(before, d), row.accused);
          if (row.holder && (next.state !== before?.state || next.dueTime !== before?.dueTime)) {
            m.zadd(k.inbox(row.holder), 'XX', dueOf(row, row.holder), caseId);
          }
          if (p.$case === 'clockStopped' && p.value.reason === ClockStopReason.CLOCK_STOP_REASON_STEP_DONE) {
            const stop = { stage: clockStageToJSON(d.stage), dueTime: next.dueTime, inTime: p.value.inTime };
            m.hset(k.stops(caseId), p.value.stoppingEventId, JSON.stringify(stop));
          }
          const member = `${caseId} ${d.clockId}`;
          if (!isOverdue(before) && isOverdue(next)) {
            const score = next.dueTime ? Date.parse(next.dueTime) : 0;
            for (const region of regionsOf(next.unitId)) m.zadd(k.overdue(region), score, member);
          } else if (before && isOverdue(before) && !isOverdue(next)) {
            for (const region of regionsOf(before.unitId)) m.zrem(k.overdue(region), member);
          }
        }
        writeCounts(m, sums);
      });
    },
  };
}

export type ReadModel = ReturnType<typeof createReadModel>;
