import {
  type CaseEvent,
  CaseState,
  ClockStopReason,
  caseStateToJSON,
  clockStageToJSON,
  type DeadlineEvent,
} from '@petition/contract';
import type { Directory } from '@petition/directory';
import { type ClockView, caseFacts, deadlineFacts, type Fact, isOverdue, nextClock } from '@petition/kpi';
import type { ChainableCommander, Redis } from 'ioredis';
import { trackingKeys } from './keys.ts';

// The write side of tracking's read models (keys.ts): each case event and deadline event applied once —
// a case event only above the version the case has, a deadline event only above the deadline-events
// offset its case has seen — together with the KPI counts it adds, in one MULTI.

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
    (v.opinion as { summary?: string } | undefined)?.summary ??
    ((v.reasonText ?? v.reason ?? v.channelDetail) as string | undefined);
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

export function createReadModel(redis: Redis, prefix: string, directory: Directory) {
  const k = trackingKeys(prefix);
  const regionsOf = (unitId: string) =>
    directory.regionChain(directory.unit(unitId)?.regionCode ?? '').map((r) => r.code);

  /** Each fact counts for its unit and for every region from the unit's up to the nation. */
  function count(m: ChainableCommander, facts: readonly Fact[]) {
    for (const f of facts) {
      m.hincrby(k.unitDay(f.unitId, f.day), f.counter, f.amount);
      for (const region of regionsOf(f.unitId)) m.hincrby(k.regionDay(region, f.day), f.counter, f.amount);
    }
  }

  /**
   * Where the case sorts in its holder's inbox: the soonest due of the holder's clocks still open (or run
   * out), `latest` standing in for the stored state of its clock. The same whichever topic came first.
   */
  async function dueFor(caseId: string, unitId: string, latest?: ClockView): Promise<number> {
    const clocks = (await redis.hvals(k.clocks(caseId))).map((raw) => JSON.parse(raw) as ClockView);
    let due = UNDATED;
    for (const c of latest ? [...clocks.filter((c) => c.clockId !== latest.clockId), latest] : clocks) {
      if (c.unitId === unitId && c.dueTime && (c.state === 'running' || c.state === 'paused' || c.state === 'breached'))
        due = Math.min(due, Date.parse(c.dueTime));
    }
    return due;
  }

  return {
    async applyCaseEvent(e: CaseEvent) {
      const env = e.envelope;
      if (!env?.caseId) return;
      const [version, before, acceptedTime] = await redis.hmget(
        k.case(env.caseId),
        'version',
        'holder',
        'acceptedTime',
      );
      if (Number(version ?? 0) >= env.caseVersion) return;
      const m = redis.multi();
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
        m.set(k.number(petition?.caseNumber ?? ''), env.caseId);
      }
      if (p?.$case === 'caseAccepted') fields.acceptedTime = env.occurTime?.toISOString() ?? '';
      m.hset(k.case(env.caseId), fields);
      const entry = entryOf(e);
      if (entry) m.rpush(k.timeline(env.caseId), JSON.stringify(entry));
      if (before && before !== e.custodyUnitId) m.zrem(k.inbox(before), env.caseId);
      if (closed.has(e.state)) m.zrem(k.inbox(e.custodyUnitId), env.caseId);
      else if (before !== e.custodyUnitId) {
        // Its clock may have come first (another topic): the new holder's inbox takes its due time.
        m.zadd(k.inbox(e.custodyUnitId), await dueFor(env.caseId, e.custodyUnitId), env.caseId);
      }
      count(m, caseFacts(e, acceptedTime ? new Date(acceptedTime) : undefined));
      await m.exec();
    },

    /** `offset` is the record's offset in deadline-events: every event of a case is on one partition. */
    async applyDeadlineEvent(d: DeadlineEvent, offset: string) {
      const caseId = d.envelope?.caseId ?? '';
      if (!caseId || !d.payload || !d.clockId) return;
      const [[seen, holder], raw] = await Promise.all([
        redis.hmget(k.case(caseId), 'deadlineOffset', 'holder'),
        redis.hget(k.clocks(caseId), d.clockId),
      ]);
      if (seen != null && BigInt(seen) >= BigInt(offset)) return;
      const before = raw ? (JSON.parse(raw) as ClockView) : undefined;
      const next = nextClock(before, d);
      const m = redis
        .multi()
        .hset(k.clocks(caseId), d.clockId, JSON.stringify(next))
        .hset(k.case(caseId), 'deadlineOffset', offset);
      count(m, deadlineFacts(before, d));
      const p = d.payload;
      if (holder && (next.state !== before?.state || next.dueTime !== before?.dueTime)) {
        m.zadd(k.inbox(holder), 'XX', await dueFor(caseId, holder, next), caseId);
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
      await m.exec();
    },
  };
}

export type ReadModel = ReturnType<typeof createReadModel>;
