import { type CaseEvent, Category, Channel, DeadlineEvent, PetitionKind } from '@petition/contract';
import { nationalDirectory } from '@petition/directory';
import { describe, expect, it } from 'vitest';
import { createSituation, regionLookupOf } from './analysis.ts';
import { clockOutcomeOf, petitionOf } from './events.ts';
import { type HotspotDecision, opaqueIdPart, type PetitionSeen } from './hotspots.ts';
import { loadThresholds, parseThresholds, type Thresholds } from './thresholds.ts';

// The analysis alone, over the real region tree: a burst of wage-arrears petitions from one county is a
// surge there and up its chain as far as the burst stands out, not at its neighbours; it clears only after
// the hold period of quiet buckets (hysteresis); near-identical petitions in an hour are a cluster; a unit's
// breaches in a row are a streak; and reading the same events again decides the same hotspots.

const directory = nationalDirectory();
const regions = regionLookupOf(directory);
const shipped = loadThresholds();
const hourMs = 3_600_000;
const start = Date.parse('2026-11-02T00:00:00+08:00');
const xihu = '330106';
const gongshu = '330105';
const wageTitles = ['拖欠工资', '工资被拖欠', '讨要工资', '欠薪未付', '工程款拖欠'];
const otherMatters = ['道路破损', '噪音扰民', '低保申请', '学位分配', '医疗纠纷', '土地征收', '物业纠纷'];

let n = 0;
function petition(over: Partial<PetitionSeen> & { timeMs: number }): PetitionSeen {
  n++;
  return {
    eventId: `e-${n}`,
    caseId: `c-${String(n).padStart(6, '0')}`,
    regionCode: xihu,
    category: Category.CATEGORY_URBAN_RURAL_CONSTRUCTION,
    kind: PetitionKind.PETITION_KIND_COMPLAINT,
    channel: Channel.CHANNEL_WEB,
    title: otherMatters[n % otherMatters.length] as string,
    content: `第${n}号事项，情况各不相同，编号${n * 7919}。`,
    concealed: false,
    ...over,
  };
}

/** A week of background: a petition every few hours spread over Hangzhou's counties and categories. */
function background(): PetitionSeen[] {
  const counties = ['330102', gongshu, xihu, '330108', '330109', '330110'];
  const out: PetitionSeen[] = [];
  for (let h = 0; h < 7 * 24; h += 3) {
    out.push(
      petition({
        timeMs: start + h * hourMs,
        regionCode: counties[h % counties.length] as string,
        category: ((h / 3) % 18) + 1,
      }),
    );
  }
  return out;
}

const burstAt = start + 7 * 24 * hourMs + 10 * hourMs;
/** Six wage-arrears petitions from 西湖区 within twenty minutes, each in words of its own. */
const burst = () =>
  Array.from({ length: 6 }, (_, i) =>
    petition({
      timeMs: burstAt + i * 200_000,
      category: Category.CATEGORY_LABOR_SOCIAL_SECURITY,
      title: wageTitles[i % wageTitles.length] as string,
      content: `第${i}家企业的问题：${['三个月未发', '年底结算不给', '包工头失联', '押金不退', '社保未缴', '加班费不算'][i]}。`,
    }),
  );

function replay(thresholds: Thresholds, events: PetitionSeen[], thenMs?: number) {
  const situation = createSituation(thresholds, regions);
  const decisions: HotspotDecision[] = [];
  for (const p of events) decisions.push(...situation.petition(p));
  if (thenMs !== undefined) decisions.push(...situation.advanceTo(thenMs));
  return { situation, decisions };
}

const surgesAt = (decisions: HotspotDecision[], type: 'detected' | 'cleared') =>
  decisions
    .filter((d) => d.type === type && d.evidence.kind === 'SURGE' && d.evidence.window === 'hour')
    .map((d) => `${d.evidence.regionCode}:${d.evidence.category}`);

describe('surge', () => {
  const labour = Category.CATEGORY_LABOR_SOCIAL_SECURITY;

  it('raises a burst at its county and the roll-up where it stands out, never at a neighbouring county', () => {
    const { decisions, situation } = replay(shipped, [...background(), ...burst()]);
    const detected = surgesAt(decisions, 'detected');
    expect(detected).toContain(`${xihu}:${labour}`);
    expect(detected).toContain(`330100:${labour}`);
    expect(detected).not.toContain(`${gongshu}:${labour}`);
    // The background alone made none.
    expect(decisions.every((d) => d.detectedAtMs >= burstAt)).toBe(true);
    const county = decisions.find((d) => d.evidence.regionCode === xihu && d.evidence.window === 'hour');
    expect(county?.evidence.count).toBe(shipped.surge.hour.minCount);
    expect(county?.evidence.sampleCaseIds).toHaveLength(shipped.surge.hour.minCount);
    expect(county?.evidence.score).toBeGreaterThanOrEqual(shipped.surge.hour.detectScore);
    expect(county?.supervisingUnitId).toBe(directory.bureauOf(xihu)?.unitId);
    expect(situation.active('330000').map((h) => h.evidence.regionCode)).toContain(xihu);
    expect(situation.active(gongshu)).toEqual([]);
  });

  it('is not raised by 1 → 3 however quiet the series (minimum count)', () => {
    const few = burst().slice(0, 3);
    // Scores low enough that three petitions would pass them: only the minimum count holds them back.
    const lenient: Thresholds = {
      ...shipped,
      surge: { ...shipped.surge, hour: { ...shipped.surge.hour, detectScore: 2, clearScore: 1 } },
    };
    const { decisions } = replay(lenient, [...background(), ...few]);
    expect(surgesAt(decisions, 'detected')).toEqual([]);
  });

  it('clears only after clearHoldBuckets quiet hours, at the end of the last one', () => {
    const hold = shipped.surge.hour.clearHoldBuckets;
    const burstHourEnd = Math.floor(burstAt / hourMs) * hourMs + hourMs;
    const early = replay(shipped, [...background(), ...burst()], burstHourEnd + (hold - 1) * hourMs + 1);
    expect(surgesAt(early.decisions, 'cleared')).not.toContain(`${xihu}:${labour}`);
    const late = replay(shipped, [...background(), ...burst()], burstHourEnd + hold * hourMs + 1);
    const cleared = late.decisions.find(
      (d) => d.type === 'cleared' && d.evidence.regionCode === xihu && d.evidence.window === 'hour',
    );
    expect(cleared?.atMs).toBe(burstHourEnd + hold * hourMs);
    expect(cleared?.peakScore).toBeGreaterThanOrEqual(shipped.surge.hour.detectScore);
    expect(late.situation.active(xihu).filter((h) => h.evidence.window === 'hour')).toEqual([]);
  });

  it('holds through a bucket between the clear and detect scores (hysteresis)', () => {
    // The hour after the burst still has two: above clearScore against a quiet baseline, below detection.
    const next = Math.floor(burstAt / hourMs) * hourMs + hourMs + 60_000;
    const lingering = [0, 1].map((i) =>
      petition({ timeMs: next + i * 60_000, category: labour, title: `欠薪${i}`, content: `另一件${i}` }),
    );
    const hold = shipped.surge.hour.clearHoldBuckets;
    const { decisions } = replay(shipped, [...background(), ...burst(), ...lingering], next + hold * hourMs);
    expect(surgesAt(decisions, 'cleared')).not.toContain(`${xihu}:${labour}`);
  });

  it('decides the same hotspots with the same ids when the same events are read again', () => {
    const events = [...background(), ...burst()];
    const first = replay(shipped, events, burstAt + 5 * hourMs).decisions.map((d) => `${d.type} ${d.hotspotId}`);
    const again = replay(shipped, events, burstAt + 5 * hourMs).decisions.map((d) => `${d.type} ${d.hotspotId}`);
    expect(again).toEqual(first);
    expect(new Set(first).size).toBe(first.length);
  });

  it('waits out the warm-up: the first hours of the log judge nothing', () => {
    const { decisions } = replay(
      shipped,
      burst().map((p) => ({ ...p, timeMs: p.timeMs - burstAt + start })),
    );
    expect(surgesAt(decisions, 'detected')).toEqual([]);
  });
});

describe('series', () => {
  it('counts region × category up the chain, and × kind and × channel where the thresholds ask for them', () => {
    const one = [petition({ timeMs: start })];
    // 西湖区 → 杭州市 → 浙江省 → the nation.
    expect(replay(shipped, one).situation.seriesCount).toBe(4);
    const all: Thresholds = { ...shipped, series: ['category', 'category+kind', 'category+channel'] };
    const { situation } = replay(all, one);
    expect(situation.seriesCount).toBe(12);
    expect(situation.trend('330000', Category.CATEGORY_URBAN_RURAL_CONSTRUCTION, 'day').at(-1)?.count).toBe(1);
  });
});

describe('cluster', () => {
  const same = (i: number, minutes: number, region = xihu) =>
    petition({
      timeMs: burstAt + minutes * 60_000,
      regionCode: region,
      title: '某小区业主集体反映开发商逾期交房',
      content: `我们是某小区业主，开发商承诺去年年底交房，至今逾期一年仍未交房，请求政府督促开发商尽快交房并赔偿（业主${i}）`,
    });

  it('flags near-identical petitions from one place within the window, once, and clears after the hold', () => {
    const group = [0, 5, 12, 20, 31, 44].map((m, i) => same(i, m));
    const { decisions, situation } = replay(shipped, [...background(), ...group]);
    const clusters = decisions.filter((d) => d.evidence.kind === 'CLUSTER');
    expect(clusters.map((d) => d.type)).toEqual(['detected']);
    expect(clusters[0]?.evidence.count).toBe(shipped.cluster.minSize);
    expect(clusters[0]?.hotspotId).toBe(`cluster:${xihu}:${opaqueIdPart(group[0]?.caseId ?? '')}`);
    expect(clusters[0]?.evidence.similarity).toBeGreaterThanOrEqual(shipped.cluster.similarity);
    expect(situation.active(xihu).find((h) => h.evidence.kind === 'CLUSTER')?.evidence.count).toBe(6);
    const later = situation.advanceTo(burstAt + (44 + shipped.cluster.clearHoldMinutes) * 60_000);
    expect(later.filter((d) => d.evidence.kind === 'CLUSTER').map((d) => d.type)).toEqual(['cleared']);
  });

  it('does not flag the same words spread over more than the window, or over different places', () => {
    const spread = [0, 70, 140, 210, 280].map((m, i) => same(i, m));
    const places = ['330102', gongshu, '330108', '330109'].map((r, i) => same(i, i, r));
    const { decisions } = replay(shipped, [...background(), ...spread, ...places]);
    expect(decisions.filter((d) => d.evidence.kind === 'CLUSTER')).toEqual([]);
  });
});

describe('breach streak', () => {
  const unitId = '330106-rsj';
  const outcome = (i: number, what: 'breached' | 'in-time') => ({
    eventId: `d-${i}`,
    caseId: `case-${i}`,
    clockId: `case-${i}:4:1`,
    unitId,
    timeMs: start + i * hourMs,
    outcome: what,
    concealed: false,
  });

  it('raises a unit’s breaches in a row, reset by a step met in time, cleared after enough of them', () => {
    const situation = createSituation(shipped, regions);
    const seq = [
      outcome(1, 'breached'),
      outcome(2, 'breached'),
      outcome(3, 'in-time'),
      outcome(4, 'breached'),
      outcome(5, 'breached'),
      outcome(6, 'breached'),
      outcome(7, 'breached'),
      outcome(8, 'in-time'),
      outcome(9, 'in-time'),
    ] as const;
    const decisions = seq.flatMap((o) => situation.clock(o));
    expect(decisions.map((d) => `${d.type}@${d.causationId}`)).toEqual(['detected@d-6', 'cleared@d-9']);
    expect(decisions[0]?.hotspotId).toBe(`breach-streak:${unitId}:${opaqueIdPart('case-4:4:1')}`);
    expect(decisions[0]?.evidence.sampleCaseIds).toEqual(['case-4', 'case-5', 'case-6']);
    expect(decisions[0]?.supervisingUnitId).toBe(directory.bureauAbove(unitId)?.unitId);
    expect(decisions[1]?.evidence.count).toBe(4);
  });
});

describe('accusations (art 30): counted, never named', () => {
  // A hotspot is shown and notified to a petition bureau, which may be the accused of an accusation or under
  // it: an accusation naming an accused counts in every figure but is never a sample, nor in a hotspot's id.
  const accusation = { kind: PetitionKind.PETITION_KIND_ACCUSATION, concealed: true };
  const named = (decisions: readonly HotspotDecision[]) =>
    decisions.flatMap((d) => [...d.evidence.sampleCaseIds, d.hotspotId]).join(' ');

  it('takes "concealed" from the registration (an accusation naming an accused) and from the watchdog', () => {
    const registered = (kind: PetitionKind, accusedUnitId: string) =>
      ({
        envelope: { eventId: 'e', caseId: 'c', occurTime: new Date(start) },
        payload: { $case: 'petitionRegistered', value: { petition: { kind, accusedUnitId, regionCode: xihu } } },
      }) as unknown as CaseEvent;
    expect(petitionOf(registered(PetitionKind.PETITION_KIND_ACCUSATION, '330106-rsj'))?.concealed).toBe(true);
    expect(petitionOf(registered(PetitionKind.PETITION_KIND_ACCUSATION, ''))?.concealed).toBe(false);
    expect(petitionOf(registered(PetitionKind.PETITION_KIND_COMPLAINT, '330106-rsj'))?.concealed).toBe(false);
    const breached = (confidential: boolean) =>
      DeadlineEvent.fromPartial({
        envelope: { eventId: 'd', caseId: 'c', occurTime: new Date(start) },
        clockId: 'c:4:1',
        responsibleUnitId: '330106-rsj',
        confidential,
        payload: { $case: 'deadlineBreached', value: { dueTime: new Date(start), late: false } },
      });
    expect(clockOutcomeOf(breached(true))?.concealed).toBe(true);
    expect(clockOutcomeOf(breached(false))?.concealed).toBe(false);
  });

  it('a surge made of accusations is raised with their count and no case named', () => {
    const accused = burst().map((p) => ({ ...p, ...accusation }));
    const { decisions, situation } = replay(shipped, [...background(), ...accused]);
    const county = decisions.find((d) => d.evidence.regionCode === xihu && d.evidence.window === 'hour');
    expect(county?.evidence.count).toBe(shipped.surge.hour.minCount);
    expect(county?.evidence.sampleCaseIds).toEqual([]);
    const shown = named([
      ...decisions,
      ...situation.active('330000').map((h) => ({ ...h, type: 'detected' }) as HotspotDecision),
    ]);
    for (const p of accused) expect(shown).not.toContain(p.caseId);
  });

  it('a cluster whose first member is an accusation counts it, names the others only, and its id names none', () => {
    const group = [0, 5, 12, 20, 31, 44].map((minutes, i) =>
      petition({
        timeMs: burstAt + minutes * 60_000,
        title: '某小区业主集体反映开发商逾期交房',
        content: `我们是某小区业主，开发商承诺去年年底交房，至今逾期一年仍未交房，请求政府督促开发商尽快交房并赔偿（业主${i}）`,
        ...(i % 2 === 0 ? accusation : {}),
      }),
    );
    const { decisions } = replay(shipped, [...background(), ...group]);
    const cluster = decisions.find((d) => d.evidence.kind === 'CLUSTER');
    expect(cluster?.evidence.count).toBe(shipped.cluster.minSize);
    expect(cluster?.evidence.sampleCaseIds.length).toBeGreaterThan(0);
    const shown = named(decisions);
    for (const p of group) expect(shown.includes(p.caseId)).toBe(!p.concealed);
  });

  it('a streak counts an accusation’s breaches (the watchdog marks them confidential) but names only the other cases', () => {
    const situation = createSituation(shipped, regions);
    const unitId = '330106-rsj';
    const breach = (caseId: string, i: number) => ({
      eventId: `b-${i}`,
      caseId,
      clockId: `${caseId}:4:1`,
      unitId,
      timeMs: start + i * hourMs,
      outcome: 'breached' as const,
      concealed: caseId.startsWith('secret'),
    });
    const decisions = [breach('secret-1', 1), breach('open-2', 2), breach('secret-1', 3)].flatMap((o) =>
      situation.clock(o),
    );
    expect(decisions.map((d) => d.type)).toEqual(['detected']);
    expect(decisions[0]?.evidence.count).toBe(3);
    expect(decisions[0]?.evidence.sampleCaseIds).toEqual(['open-2']);
    expect(named(decisions)).not.toContain('secret-1');
  });
});

describe('thresholds', () => {
  const raw = () => JSON.parse(JSON.stringify(shipped));

  it('refuses a bad field by name', () => {
    const bad = raw();
    bad.surge.hour.minCount = 0;
    expect(() => parseThresholds(bad, 't.json')).toThrow(/t\.json: surge\.hour\.minCount must be an integer from 1/);
    const crossed = raw();
    crossed.surge.day.clearScore = 9;
    expect(() => parseThresholds(crossed)).toThrow(/surge\.day\.clearScore must be below surge\.day\.detectScore/);
    const unknown = raw();
    unknown.surge.detectOn = ['category+weather'];
    expect(() => parseThresholds(unknown)).toThrow(/surge\.detectOn\[0\] must be one of/);
    const missing = raw();
    delete missing.cluster;
    expect(() => parseThresholds(missing)).toThrow(/cluster must be an object, got nothing/);
  });

  it('refuses a file that cannot be read, naming it', () => {
    expect(() => loadThresholds('/nonexistent/thresholds.json')).toThrow(/cannot read thresholds file \/nonexistent/);
  });
});
