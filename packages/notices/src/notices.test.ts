import { ClockStage, DeadlineEvent, NotificationChannel, RecipientKind, SealedData } from '@petition/contract';
import { CaseRun, petition, realDirectory, unit } from '@petition/lifecycle/test-kit';
import { describe, expect, it } from 'vitest';
import { cloudEventOf, dueDate, type NoticeContext, noticesFor, render } from './index.ts';

const directory = realDirectory();
const {
  NOTIFICATION_CHANNEL_SMS: SMS,
  NOTIFICATION_CHANNEL_IN_APP: IN_APP,
  NOTIFICATION_CHANNEL_EMAIL: EMAIL,
} = NotificationChannel;

function context(over: Partial<NoticeContext> = {}): NoticeContext {
  return {
    directory,
    caseNumberOf: () => 'ZJ330106-20261120-0001',
    petitionerOf: () => ({ personId: 'p-1', channels: [SMS, IN_APP] }),
    unitChannels: (unitId) => (unitId.endsWith('-xfj') ? [IN_APP, EMAIL] : [IN_APP]),
    subscriptions: [],
    ...over,
  };
}

function accepted() {
  const run = new CaseRun({ now: '2026-11-20T10:00:00+08:00', directory });
  run.ok(undefined, { $case: 'registerPetition', value: { petition: petition() } });
  const [forwarded] = run.ok(unit('330106-xfj'), {
    $case: 'forwardCase',
    value: { toUnitId: '330106-rsj', toHandlingUnit: true, reason: '' },
  });
  const [acceptedEvent] = run.ok(unit('330106-rsj'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } });
  return { run, forwarded, accepted: acceptedEvent };
}

describe('notices an event calls for', () => {
  it('tells the petitioner of the acceptance on each of their channels, in Chinese, with the due date', () => {
    const { accepted: event } = accepted();
    const notices = noticesFor({ case: event }, context());
    expect(notices.map((n) => [n.recipientKind, n.channel])).toEqual([
      [RecipientKind.RECIPIENT_KIND_PETITIONER, SMS],
      [RecipientKind.RECIPIENT_KIND_PETITIONER, IN_APP],
    ]);
    const text = render(notices[0]?.templateId ?? '', notices[0]?.vars ?? {});
    expect(text.body).toContain('杭州市西湖区人力资源和社会保障局受理');
    expect(text.body).toContain('2027年1月19日');
    expect(text.body).not.toMatch(/\{\w+\}/);
    // The same event redelivered gives the same notices.
    expect(noticesFor({ case: event }, context()).map((n) => n.id)).toEqual(notices.map((n) => n.id));
  });

  it('sends the query code on registration only by SMS or mail, never to the in-app inbox', () => {
    const run = new CaseRun({ now: '2026-11-20T10:00:00+08:00', directory });
    const queryCodeSealed = SealedData.fromPartial({ keyId: 'k', purpose: 'query-code' });
    const [registered] = run.ok(undefined, {
      $case: 'registerPetition',
      value: { petition: petition({ queryCodeSealed }) },
    });
    const notices = noticesFor({ case: registered }, context());
    expect(notices.map((n) => [n.templateId, n.channel])).toEqual([['query-code.zh-CN', SMS]]);
    // The code itself is filled in only when the notice is sent.
    expect(notices[0]?.vars.queryCode).toBeUndefined();
  });

  it('tells nobody in particular when there is no petitioner to tell (anonymous accusation)', () => {
    const { accepted: event } = accepted();
    expect(noticesFor({ case: event }, context({ petitionerOf: () => undefined }))).toEqual([]);
  });

  it('tells the receiving unit of a new case, on the channels it prefers, not urgently', () => {
    const { forwarded } = accepted();
    const notices = noticesFor({ case: forwarded }, context());
    expect(notices.map((n) => [n.recipientId, n.channel, n.urgent])).toEqual([['330106-rsj', IN_APP, false]]);
  });

  it('tells the holder of a breach and the supervising bureau of supervision, urgently', () => {
    const breach = DeadlineEvent.fromPartial({
      envelope: { eventId: 'd-1', caseId: 'c-1' },
      clockId: 'c-1:handling:3',
      stage: ClockStage.CLOCK_STAGE_HANDLING,
      responsibleUnitId: '330106-rsj',
      payload: {
        $case: 'supervisionOpened',
        value: { supervisingUnitId: '330100-xfj', supervisedUnitId: '330106-rsj' },
      },
    });
    const notices = noticesFor({ deadline: breach }, context());
    expect(notices.map((n) => [n.recipientId, n.channel, n.urgent])).toEqual([
      ['330100-xfj', IN_APP, true],
      ['330100-xfj', EMAIL, true],
      ['330106-rsj', IN_APP, true],
    ]);
    expect(render(notices[0]?.templateId ?? '', notices[0]?.vars ?? {}).body).toContain('杭州市信访局督办');
  });

  it('sends integrators what happens in their unit subtree and of the types they chose', () => {
    const { accepted: event, forwarded } = accepted();
    const subscriptions = [
      {
        id: 'zj',
        url: 'http://x',
        secret: 's',
        unitId: '330000-zf',
        eventTypes: ['caseAccepted'],
        personalData: false,
      },
      { id: 'bj', url: 'http://y', secret: 's', unitId: '110000-zf', eventTypes: ['*'], personalData: false },
    ];
    const ctx = context({ subscriptions, petitionerOf: () => undefined });
    expect(noticesFor({ case: event }, ctx).map((n) => n.recipientId)).toEqual(['zj']);
    expect(
      noticesFor({ case: forwarded }, ctx).filter(
        (n) => n.channel === NotificationChannel.NOTIFICATION_CHANNEL_WEBHOOK,
      ),
    ).toEqual([]);
  });

  it('sends integrators the registration without the petitioner unless their scope includes personal data', () => {
    const run = new CaseRun({ now: '2026-11-20T10:00:00+08:00', directory });
    const sealed = SealedData.fromPartial({ keyId: 'k', purpose: 'petitioner' });
    const [registered] = run.ok(undefined, {
      $case: 'registerPetition',
      value: { petition: petition({ petitioner: { personId: 'p-1', sealed }, queryCodeSealed: sealed }) },
    });
    const sub = { id: 's', url: 'http://x', secret: 's', unitId: '330000-zf', eventTypes: ['*'], personalData: false };
    const [notice] = noticesFor({ case: registered }, context({ subscriptions: [sub], petitionerOf: () => undefined }));
    if (!registered || !notice) throw new Error('no notice');
    const plain = JSON.parse(cloudEventOf(notice, { case: registered }, sub));
    expect(plain).toMatchObject({ specversion: '1.0', id: notice.id, type: 'cn.petition.petitionRegistered' });
    expect(plain.data.petitionRegistered.petition.petitioner).toBeUndefined();
    expect(plain.data.petitionRegistered.petition.queryCodeSealed).toBeUndefined();
    expect(plain.data.petitionRegistered.petition.regionCode).toBe('330106');
    const scoped = JSON.parse(cloudEventOf(notice, { case: registered }, { ...sub, personalData: true }));
    expect(scoped.data.petitionRegistered.petition.petitioner.personId).toBe('p-1');
    expect(scoped.data.petitionRegistered.petition.queryCodeSealed).toBeUndefined();
  });

  it('writes a period’s last day as the petitioner reads it, not the midnight after it', () => {
    expect(dueDate(new Date('2026-12-07T16:00:00Z'))).toBe('2026年12月7日');
  });
});
