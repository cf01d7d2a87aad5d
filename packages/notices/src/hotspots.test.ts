import {
  Category,
  HotspotKind,
  HotspotWindow,
  NotificationChannel,
  RecipientKind,
  SituationEvent,
} from '@petition/contract';
import { realDirectory } from '@petition/lifecycle/test-kit';
import { describe, expect, it } from 'vitest';
import { hotspotNotices } from './hotspots.ts';
import { render } from './templates.ts';

const directory = realDirectory();
const bureau = directory.bureauOf('330106')?.unitId ?? '';

const surge = (step: 'hotspotDetected' | 'hotspotCleared') =>
  SituationEvent.fromPartial({
    envelope: { eventId: `ev-${step}` },
    hotspotId: 'surge:hour:330106|3|0|0:493000',
    payload: {
      $case: step,
      value: {
        supervisingUnitId: bureau,
        evidence: {
          kind: HotspotKind.HOTSPOT_KIND_SURGE,
          regionCode: '330106',
          category: Category.CATEGORY_LABOR_SOCIAL_SECURITY,
          window: HotspotWindow.HOTSPOT_WINDOW_HOUR,
          count: 5,
          baselineMean: 0.04,
          score: 5.6,
          sampleCaseIds: ['c-1', 'c-2', 'c-3', 'c-4', 'c-5'],
        },
      },
    },
  });

describe('hotspot notices', () => {
  const unitChannels = () => [NotificationChannel.NOTIFICATION_CHANNEL_IN_APP];

  it('tells the bureau the situation service named, at once, in words it reads', () => {
    const [notice, ...more] = hotspotNotices(surge('hotspotDetected'), { directory, unitChannels });
    expect(more).toEqual([]);
    expect(notice?.recipientKind).toBe(RecipientKind.RECIPIENT_KIND_UNIT);
    expect(notice?.recipientId).toBe(bureau);
    expect(notice?.urgent).toBe(true);
    const text = render(notice?.templateId ?? '', notice?.vars ?? {});
    expect(text.subject).toBe('形势预警：杭州市西湖区劳动社保信访量激增');
    expect(text.body).toContain('一小时内劳动社保信访 5 件（基线 0.0，评分 5.6）');
    expect(text.body).toContain('c-1、c-2、c-3');
    expect(text.body).not.toMatch(/\{\w+\}/);
  });

  it('tells of the clearing without urgency, under another id, and nothing without a bureau', () => {
    const [detected] = hotspotNotices(surge('hotspotDetected'), { directory, unitChannels });
    const [cleared] = hotspotNotices(surge('hotspotCleared'), { directory, unitChannels });
    expect(cleared?.urgent).toBe(false);
    expect(cleared?.id).not.toBe(detected?.id);
    expect(render(cleared?.templateId ?? '', cleared?.vars ?? {}).subject).toBe(
      '预警解除：杭州市西湖区劳动社保信访量激增',
    );
    const orphan = surge('hotspotDetected');
    if (orphan.payload) orphan.payload.value.supervisingUnitId = '';
    expect(hotspotNotices(orphan, { directory, unitChannels })).toEqual([]);
  });
});
