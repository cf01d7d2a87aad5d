import {
  type CaseEvent,
  CaseState,
  ClockStopReason,
  caseStateToJSON,
  clockStageToJSON,
  type DeadlineEvent,
} from '@petition/contract';
import type { Redis } from 'ioredis';

// Tracking's read models in Redis under `<prefix>trk:` (a cache: rebuilt from Kafka after a flush):
//   c:<caseId>  the case (number, query-code hash, state, holder, version)   n:<caseNumber> → case id
//   t:<caseId>  its timeline, one entry per step                              k:<caseId>    its clocks
//   i:<unitId>  a unit's inbox: the cases it holds, by due time

export interface TimelineEntry {
  readonly version: number;
  readonly step: string;
  readonly label: string;
  readonly time: string;
  readonly unitId: string;
  readonly detail?: string;
  readonly dueTime?: string;
}

export interface ClockView {
  readonly clockId: string;
  readonly stage: string;
  readonly dueTime: string;
  /** running, paused, met, missed (stopped after its due time), breached (ran out while running). */
  readonly state: string;
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
    version: env?.caseVersion ?? 0,
    step: p.$case,
    label: labels[p.$case] ?? p.$case,
    time: env?.occurTime?.toISOString() ?? '',
    unitId: env?.actingUnitId || e.custodyUnitId,
    detail: detail || undefined,
    dueTime: due?.toISOString(),
  };
}

export function createReadModel(redis: Redis, prefix: string) {
  const k = {
    case: (id: string) => `${prefix}c:${id}`,
    number: (n: string) => `${prefix}n:${n}`,
    timeline: (id: string) => `${prefix}t:${id}`,
    clocks: (id: string) => `${prefix}k:${id}`,
    inbox: (unitId: string) => `${prefix}i:${unitId}`,
  };

  return {
    /** Applies a case event unless the case already has it (its version is not above the one stored). */
    async applyCaseEvent(e: CaseEvent) {
      const env = e.envelope;
      if (!env?.caseId) return;
      const current = await redis.hmget(k.case(env.caseId), 'version', 'holder');
      if (Number(current[0] ?? 0) >= env.caseVersion) return;
      const m = redis.multi();
      const fields: Record<string, string> = {
        version: String(env.caseVersion),
        state: caseStateToJSON(e.state),
        holder: e.custodyUnitId,
      };
      if (e.payload?.$case === 'petitionRegistered') {
        const p = e.payload.value.petition;
        fields.caseNumber = p?.caseNumber ?? '';
        fields.queryCodeHash = p?.queryCodeHash ?? '';
        fields.receivedTime = p?.receivedTime?.toISOString() ?? '';
        m.set(k.number(p?.caseNumber ?? ''), env.caseId);
      }
      m.hset(k.case(env.caseId), fields);
      const entry = entryOf(e);
      if (entry) m.rpush(k.timeline(env.caseId), JSON.stringify(entry));
      const before = current[1] ?? '';
      if (before && before !== e.custodyUnitId) m.zrem(k.inbox(before), env.caseId);
      if (closed.has(e.state)) m.zrem(k.inbox(e.custodyUnitId), env.caseId);
      else m.zadd(k.inbox(e.custodyUnitId), 'NX', Date.now() + 365 * 86_400_000, env.caseId);
      await m.exec();
    },

    /** Keeps each clock's due time and state; a unit clock's due time orders its holder's inbox. */
    async applyDeadlineEvent(d: DeadlineEvent) {
      const caseId = d.envelope?.caseId ?? '';
      const p = d.payload;
      if (!caseId || !p) return;
      const raw = await redis.hget(k.clocks(caseId), d.clockId);
      const clock: ClockView = raw
        ? (JSON.parse(raw) as ClockView)
        : { clockId: d.clockId, stage: clockStageToJSON(d.stage), dueTime: '', state: 'running' };
      let next = clock;
      if (p.$case === 'clockStarted')
        next = { ...clock, dueTime: p.value.dueTime?.toISOString() ?? '', state: 'running' };
      else if (p.$case === 'clockRecomputed')
        next = { ...clock, dueTime: p.value.newDueTime?.toISOString() ?? '', state: 'running' };
      else if (p.$case === 'clockStopped') {
        const state =
          p.value.reason === ClockStopReason.CLOCK_STOP_REASON_HEARING ? 'paused' : p.value.inTime ? 'met' : 'missed';
        next = { ...clock, state };
      } else if (p.$case === 'deadlineBreached' && clock.state === 'running') next = { ...clock, state: 'breached' };
      const m = redis.multi().hset(k.clocks(caseId), d.clockId, JSON.stringify(next));
      if (p.$case === 'clockStarted' && d.responsibleUnitId && p.value.dueTime) {
        m.zadd(k.inbox(d.responsibleUnitId), 'XX', p.value.dueTime.getTime(), caseId);
      }
      await m.exec();
    },

    /** The case as its petitioner sees it, or undefined when the number is unknown. */
    async caseByNumber(caseNumber: string) {
      const caseId = await redis.get(k.number(caseNumber));
      if (!caseId) return undefined;
      const c = await redis.hgetall(k.case(caseId));
      const timeline = (await redis.lrange(k.timeline(caseId), 0, -1)).map((j) => JSON.parse(j) as TimelineEntry);
      const clocks = Object.values(await redis.hgetall(k.clocks(caseId))).map((j) => JSON.parse(j) as ClockView);
      return { caseId, ...c, timeline, clocks };
    },

    /** The cases a unit holds, soonest due first. */
    async inbox(unitId: string, limit = 200) {
      const entries = await redis.zrange(k.inbox(unitId), 0, limit - 1, 'WITHSCORES');
      const out: { caseId: string; caseNumber: string; state: string; dueTime?: string }[] = [];
      for (let i = 0; i < entries.length; i += 2) {
        const caseId = entries[i] ?? '';
        const score = Number(entries[i + 1]);
        const [caseNumber, state] = await redis.hmget(k.case(caseId), 'caseNumber', 'state');
        out.push({
          caseId,
          caseNumber: caseNumber ?? '',
          state: state ?? '',
          dueTime: score < Date.now() + 300 * 86_400_000 ? new Date(score).toISOString() : undefined,
        });
      }
      return out;
    },
  };
}

export type ReadModel = ReturnType<typeof createReadModel>;
