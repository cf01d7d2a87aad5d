import { categoryLabel } from '@petition/categorize';
import {
  HotspotKind,
  HotspotWindow,
  type NotificationChannel,
  RecipientKind,
  type SituationEvent,
} from '@petition/contract';
import type { Directory } from '@petition/directory';
import { type Notice, noticeId } from './notices.ts';

// The notices a hotspot calls for (issue 24, 形势网上判): the petition bureau the situation service named
// (the region's own for a surge or a cluster, the one above the unit for a breach streak) is told when a
// hotspot is detected — at once, whatever the quiet hours — and when it clears. No case is named but by id in
// the evidence, and no person at all: hotspots carry none.

const kindNames: Readonly<Record<number, string>> = {
  [HotspotKind.HOTSPOT_KIND_SURGE]: '信访量激增',
  [HotspotKind.HOTSPOT_KIND_CLUSTER]: '群体性苗头（内容相近的信访集中出现）',
  [HotspotKind.HOTSPOT_KIND_BREACH_STREAK]: '连续超期',
};
const windowNames: Readonly<Record<number, string>> = {
  [HotspotWindow.HOTSPOT_WINDOW_HOUR]: '一小时内',
  [HotspotWindow.HOTSPOT_WINDOW_DAY]: '当日',
  [HotspotWindow.HOTSPOT_WINDOW_RUN]: '近期',
};

/** What a unit is told of a situation event; none for a hotspot without a supervising bureau. */
export function hotspotNotices(
  event: SituationEvent,
  ctx: { readonly directory: Directory; readonly unitChannels: (unitId: string) => readonly NotificationChannel[] },
): Notice[] {
  const payload = event.payload;
  const eventId = event.envelope?.eventId ?? '';
  if (!payload || !eventId) return [];
  const unitId = payload.value.supervisingUnitId;
  const evidence = payload.value.evidence;
  if (!unitId || !evidence) return [];
  // Where it is, as people say it: the unit of a streak, else the region by its bureau's name (杭州市西湖区).
  const bureau = ctx.directory.bureauOf(evidence.regionCode);
  const place = evidence.unitId
    ? (ctx.directory.unit(evidence.unitId)?.name ?? evidence.unitId)
    : (bureau?.name.replace(/信访(局|办|办公室)$/, '') ?? evidence.regionCode);
  const vars: Record<string, string> = {
    caseNumber: '',
    hotspotId: event.hotspotId,
    kind: kindNames[evidence.kind] ?? '热点',
    place,
    category: evidence.category ? categoryLabel(evidence.category) : '各类',
    window: windowNames[evidence.window] ?? '',
    count: String(evidence.count),
    baseline: evidence.baselineMean.toFixed(1),
    score: evidence.score.toFixed(1),
    samples: evidence.sampleCaseIds.slice(0, 3).join('、'),
  };
  const detected = payload.$case === 'hotspotDetected';
  return ctx.unitChannels(unitId).map((channel) => ({
    id: noticeId(eventId, RecipientKind.RECIPIENT_KIND_UNIT, unitId, channel),
    caseId: '',
    sourceEventId: eventId,
    recipientKind: RecipientKind.RECIPIENT_KIND_UNIT,
    recipientId: unitId,
    channel,
    templateId: detected ? 'hotspot-detected.zh-CN' : 'hotspot-cleared.zh-CN',
    vars,
    urgent: detected,
  }));
}
