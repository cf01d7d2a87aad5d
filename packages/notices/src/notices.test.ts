import {
  Category,
  ClockStage,
  DeadlineEvent,
  NotificationChannel,
  PetitionKind,
  RecipientKind,
  SealedData,
} from '@petition/contract';
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
    matterOf: () => undefined,
    supervisorOf: () => undefined,
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
    const notices = noticesFor({ case: forwarded }, context()).filter(
      (n) => n.recipientKind === RecipientKind.RECIPIENT_KIND_UNIT,
    );
    expect(notices.map((n) => [n.recipientId, n.channel, n.urgent])).toEqual([['330106-rsj', IN_APP, false]]);
  });

  it('tells the unit whose handoff another node refused that it holds the case again, urgently, with the reason', () => {
    const { accepted: event } = accepted();
    const refused = {
      ...event,
      payload: {
        $case: 'handoffRefused' as const,
        value: { handoffId: 'h-1', toNodeId: '64', reasonCode: 'UNIT_NOT_HOSTED', detail: '640100-xfj' },
      },
    };
    const notices = noticesFor({ case: refused }, context());
    expect(notices.map((n) => [n.recipientId, n.urgent])).toEqual([['330106-rsj', true]]);
    const text = render(notices[0]?.templateId ?? '', notices[0]?.vars ?? {});
    expect(text.body).toContain('节点 64 被退回（UNIT_NOT_HOSTED 640100-xfj）');
    expect(text.body).not.toMatch(/\{\w+\}/);
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
      value: {
        petition: petition({ petitioner: { personId: 'p-1', sealed }, queryCodeSealed: sealed, queryCodeHash: 'q1:x' }),
      },
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
    expect(JSON.stringify([plain, scoped])).not.toContain('q1:');
  });

  describe('art 30: nothing about an accusation goes to the accused, a unit within it or its integrators', () => {
    const accusationAgainst = (accusedUnitId: string) => ({
      kind: PetitionKind.PETITION_KIND_ACCUSATION,
      category: Category.CATEGORY_DISCIPLINE_SUPERVISION,
      accusedUnitId,
    });
    /** An accusation against 西湖区信访局, registered at 杭州市信访局 and accepted by 西湖区纪委. */
    function accusation() {
      const run = new CaseRun({ now: '2026-11-20T10:00:00+08:00', directory });
      const [registered] = run.ok(undefined, {
        $case: 'registerPetition',
        value: { petition: petition(accusationAgainst('330106-xfj')) },
      });
      const [forwarded] = run.ok(unit('330100-xfj'), {
        $case: 'forwardCase',
        value: { toUnitId: '330106-jw', toHandlingUnit: true, reason: '' },
      });
      const [acceptedEvent] = run.ok(unit('330106-jw'), { $case: 'acceptCase', value: { noticeDocumentUri: '' } });
      return { registered, forwarded, accepted: acceptedEvent };
    }
    const sub = (id: string, unitId: string, unitNotices = false) => ({
      id,
      url: `http://${id}`,
      secret: 's',
      unitId,
      eventTypes: ['*'],
      personalData: false,
      unitNotices,
    });
    const subscriptions = [
      sub('county-bureau', '330106-xfj', true),
      sub('city-bureau', '330100-xfj'),
      sub('jw', '330106-jw'),
    ];
    const matterOf = () => accusationAgainst('330106-xfj');

    it('sends no webhook to a subscription of the accused, on any event of the case, registration included', () => {
      const { registered, forwarded, accepted: event } = accusation();
      for (const e of [registered, forwarded, event]) {
        if (!e) throw new Error('no event');
        const ids = noticesFor({ case: e }, context({ subscriptions, matterOf })).map((n) => n.recipientId);
        expect(ids).not.toContain('county-bureau');
        expect(ids).toContain('city-bureau');
      }
      // The registration tells it by itself, before anything is remembered of the case.
      const told = noticesFor({ case: registered as NonNullable<typeof registered> }, context({ subscriptions }));
      expect(told.map((n) => n.recipientId)).not.toContain('county-bureau');
    });

    it('sends no unit notice to the accused or a unit within it, on any of its channels', () => {
      // As a watchdog from before the rule would have written it: supervision at the accused bureau.
      const supervision = DeadlineEvent.fromPartial({
        envelope: { eventId: 'd-7', caseId: 'c-7' },
        clockId: 'c-7:handling:3',
        stage: ClockStage.CLOCK_STAGE_HANDLING,
        responsibleUnitId: '330106-jw',
        payload: {
          $case: 'supervisionOpened',
          value: { supervisingUnitId: '330106-xfj', supervisedUnitId: '330106-jw' },
        },
      });
      const notices = noticesFor({ deadline: supervision }, context({ subscriptions, matterOf }));
      expect(notices.map((n) => n.recipientId)).toEqual(['330106-jw', 'city-bureau', 'jw']);
      const escalated = DeadlineEvent.fromPartial({
        ...supervision,
        envelope: { eventId: 'd-8', caseId: 'c-7' },
        payload: {
          $case: 'supervisionEscalated',
          value: {
            fromSupervisingUnitId: '330106-xfj',
            toSupervisingUnitId: '330100-xfj',
            supervisedUnitId: '330106-jw',
          },
        },
      });
      const against = { kind: PetitionKind.PETITION_KIND_ACCUSATION, accusedUnitId: '330100-xfj' };
      expect(noticesFor({ deadline: escalated }, context({ matterOf: () => against }))).toEqual([]);
    });
  });

  it('writes a period’s last day as the petitioner reads it, not the midnight after it', () => {
    expect(dueDate(new Date('2026-12-07T16:00:00Z'))).toBe('2026年12月7日');
  });
});

describe('render', () => {
  it('ends a sentence once when the value already ends it', () => {
    const vars = { unitName: '西湖区人社局', caseNumber: 'N-1' };
    expect(render('case-replied.zh-CN', { ...vars, summary: '已责令补发全部工资。' }).body).toContain(
      '补发全部工资。如不服',
    );
    expect(render('case-replied.zh-CN', { ...vars, summary: '已责令补发全部工资' }).body).toContain(
      '补发全部工资。如不服',
    );
  });
});
