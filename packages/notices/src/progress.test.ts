import {
  CaseEvent,
  CaseState,
  Category,
  ClockStage,
  ClosureReason,
  DeadlineEvent,
  type DeepPartial,
  NotificationChannel,
  PetitionKind,
  RecipientKind,
  RepeatBasis,
  SupervisionGround,
  TransferReason,
} from '@petition/contract';
import { realDirectory } from '@petition/lifecycle/test-kit';
import { describe, expect, it } from 'vitest';
import { type Notice, type NoticeContext, noticesFor, render } from './index.ts';

// The notices of the unit's workspace (issue 21): the petitioner told where the case went and how it
// ended; the holder told of a 督办单, of material handed in and of urging; the issuer told of the report,
// and of a report that is late. Art 30 as for every notice.

const directory = realDirectory();
const { NOTIFICATION_CHANNEL_SMS: SMS, NOTIFICATION_CHANNEL_IN_APP: IN_APP } = NotificationChannel;
const { RECIPIENT_KIND_PETITIONER: PETITIONER, RECIPIENT_KIND_UNIT: UNIT } = RecipientKind;

function context(over: Partial<NoticeContext> = {}): NoticeContext {
  return {
    directory,
    caseNumberOf: () => 'ZJ330106-20261120-0001',
    petitionerOf: () => ({ personId: 'p-1', channels: [SMS, IN_APP] }),
    unitChannels: () => [IN_APP],
    subscriptions: [],
    matterOf: () => undefined,
    supervisorOf: (_caseId, supervisionId) =>
      supervisionId === undefined || supervisionId === 's-1' ? '330100-xfj' : undefined,
    ...over,
  };
}

let events = 0;
/** An event of case c-1 held (after it) by `holder`. */
const caseEvent = (payload: DeepPartial<CaseEvent>['payload'], holder = '330106-rsj') =>
  CaseEvent.fromPartial({
    envelope: { eventId: `e-${++events}`, caseId: 'c-1', caseVersion: events },
    state: CaseState.CASE_STATE_ACCEPTED,
    custodyUnitId: holder,
    payload,
  });

const texts = (notices: readonly Notice[]) => notices.map((n) => render(n.templateId, n.vars));
const to = (notices: readonly Notice[], kind: RecipientKind) => notices.filter((n) => n.recipientKind === kind);

/** Every text is whole: no `{name}` left unfilled. */
function whole(notices: readonly Notice[]) {
  for (const t of texts(notices)) expect(`${t.subject}${t.body}`).not.toMatch(/\{\w+\}/);
  return notices;
}

const forwarded = (toHandlingUnit: boolean, toUnitId = '330106-rsj') =>
  caseEvent(
    {
      $case: 'caseForwarded',
      value: { fromUnitId: '330106-xfj', toUnitId, toHandlingUnit, legDueTime: new Date('2026-11-25T16:00:00Z') },
    },
    toUnitId,
  );
const transferred = caseEvent(
  {
    $case: 'custodyTransferred',
    value: {
      fromUnitId: '330106-rsj',
      toUnitId: '330106-zjj',
      reason: TransferReason.TRANSFER_REASON_SUPERIOR_DESIGNATED,
      note: '内部说明：原单位承办人请假',
    },
  },
  '330106-zjj',
);
const linked = (basis: RepeatBasis) =>
  caseEvent({
    $case: 'caseLinkedAsRepeat',
    value: { originalCaseId: 'c-0', originalCaseNumber: 'ZJ330106-20261001-0042', basis, reason: '同一事实' },
  });
const closed = (reason: ClosureReason) => caseEvent({ $case: 'caseClosedAsFinal', value: { reason } });

describe('the petitioner is told where the case went and how it ended', () => {
  it('of a forward to the unit that decides on it, on each of their channels, with its name', () => {
    const notices = whole(to(noticesFor({ case: forwarded(true) }, context()), PETITIONER));
    expect(notices.map((n) => [n.templateId, n.channel, n.urgent])).toEqual([
      ['case-forwarded.zh-CN', SMS, true],
      ['case-forwarded.zh-CN', IN_APP, true],
    ]);
    expect(texts(notices)[0]?.body).toContain('已转送杭州市西湖区人力资源和社会保障局');
  });

  it('not of a leg between petition bureaus (the units’ own routing)', () => {
    const notices = noticesFor({ case: forwarded(false, '330106-xfj') }, context());
    expect(to(notices, PETITIONER)).toEqual([]);
    expect(to(notices, UNIT).map((n) => n.recipientId)).toEqual(['330106-xfj']);
  });

  it('of a transfer, with the new unit and why in words — never the units’ note', () => {
    const notices = whole(to(noticesFor({ case: transferred }, context()), PETITIONER));
    expect(notices.map((n) => n.templateId)).toEqual(['custody-transferred.zh-CN', 'custody-transferred.zh-CN']);
    const [text] = texts(notices);
    expect(text?.body).toContain('经共同上级机关指定，改由杭州市西湖区住房和城乡建设局办理');
    expect(JSON.stringify([notices, texts(notices)])).not.toContain('承办人');
  });

  it('of a link to the original, with its number and what follows from each basis', () => {
    const bodies = [
      RepeatBasis.REPEAT_BASIS_IN_PROGRESS,
      RepeatBasis.REPEAT_BASIS_FINAL,
      RepeatBasis.REPEAT_BASIS_DUPLICATE_SUBMISSION,
    ].map((basis) => texts(whole(to(noticesFor({ case: linked(basis) }, context()), PETITIONER)))[0]?.body);
    for (const body of bodies) expect(body).toContain('与编号 ZJ330106-20261001-0042 的信访事项为同一事项');
    expect(bodies[0]).toContain('正在办理中');
    expect(bodies[1]).toContain('不再受理');
    expect(bodies[2]).toContain('重复提交');
    // A basis nobody knows tells nothing rather than half a sentence.
    expect(noticesFor({ case: linked(RepeatBasis.REPEAT_BASIS_UNSPECIFIED) }, context())).toEqual([]);
  });

  it('of a closure by a lapsed window or their rating, with the reason', () => {
    const notices = whole(noticesFor({ case: closed(ClosureReason.CLOSURE_REASON_REVIEW_WINDOW_EXPIRED) }, context()));
    expect(notices.map((n) => [n.recipientKind, n.templateId])).toEqual([
      [PETITIONER, 'case-closed.zh-CN'],
      [PETITIONER, 'case-closed.zh-CN'],
    ]);
    expect(texts(notices)[0]?.body).toContain('30 日内未请求复查，已办结');
    const satisfied = noticesFor({ case: closed(ClosureReason.CLOSURE_REASON_PETITIONER_SATISFIED) }, context());
    expect(texts(satisfied)[0]?.body).toContain('评价满意');
  });

  it('not twice of a closure the same step told them of (re-review, non-acceptance, guidance)', () => {
    for (const reason of [
      ClosureReason.CLOSURE_REASON_RE_REVIEW_DECIDED,
      ClosureReason.CLOSURE_REASON_NOT_ACCEPTED,
      ClosureReason.CLOSURE_REASON_GUIDED_TO_LEGAL_CHANNEL,
      ClosureReason.CLOSURE_REASON_ANONYMOUS_ANSWERED,
    ])
      expect(noticesFor({ case: closed(reason) }, context())).toEqual([]);
  });

  it('never when there is nobody to tell: an anonymous accusation', () => {
    const anonymous = context({
      petitionerOf: () => undefined,
      matterOf: () => ({ kind: PetitionKind.PETITION_KIND_ACCUSATION, accusedUnitId: '330106-xfj' }),
    });
    for (const event of [
      forwarded(true, '330106-jw'),
      transferred,
      linked(RepeatBasis.REPEAT_BASIS_IN_PROGRESS),
      closed(ClosureReason.CLOSURE_REASON_EVALUATION_WINDOW_EXPIRED),
    ])
      expect(to(noticesFor({ case: event }, anonymous), PETITIONER)).toEqual([]);
  });

  it('never naming the accused of an accusation they made', () => {
    const accusation = context({
      matterOf: () => ({
        kind: PetitionKind.PETITION_KIND_ACCUSATION,
        category: Category.CATEGORY_DISCIPLINE_SUPERVISION,
        accusedUnitId: '330106-xfj',
      }),
    });
    const told = [forwarded(true, '330106-jw'), transferred].flatMap((e) =>
      texts(to(noticesFor({ case: e }, accusation), PETITIONER)),
    );
    expect(told).toHaveLength(4);
    expect(JSON.stringify(told)).not.toContain('西湖区信访局');
  });
});

const issued = caseEvent({
  $case: 'supervisionIssued',
  value: {
    supervisionId: 's-1',
    supervisingUnitId: '330100-xfj',
    supervisedUnitId: '330106-rsj',
    ground: SupervisionGround.SUPERVISION_GROUND_SENSITIVE,
    instructions: '群体性事项，请主要负责人亲自过问',
    reportDueTime: new Date('2026-12-07T16:00:00Z'),
    staffId: 'staff-9',
  },
});
const answered = (supervisionId: string, inTime: boolean) =>
  caseEvent({
    $case: 'supervisionAnswered',
    value: { supervisionId, unitId: '330106-rsj', report: { summary: '已约谈企业，工资分两期支付' }, inTime },
  });
const supplemented = caseEvent({
  $case: 'caseSupplemented',
  value: {
    material: '补充：公司法定代表人王五，电话 13912345678',
    attachments: [{ name: '工资条.pdf', mediaType: 'application/pdf' }],
  },
});
const urged = caseEvent({ $case: 'caseUrged', value: { note: '请尽快处理，我是张三', times: 2 } });
const reportBreach = (stage: ClockStage, responsibleUnitId = '330106-rsj') =>
  DeadlineEvent.fromPartial({
    envelope: { eventId: `d-${++events}`, caseId: 'c-1' },
    clockId: `c-1:${stage}:7`,
    stage,
    responsibleUnitId,
    payload: { $case: 'deadlineBreached', value: { dueTime: new Date('2026-12-07T16:00:00Z') } },
  });

describe('the holder and the issuer of a 督办单 are told', () => {
  it('the holder of a 督办单 at once (urgent), with its issuer, ground, instructions and report date', () => {
    const notices = whole(noticesFor({ case: issued }, context()));
    expect(notices.map((n) => [n.recipientKind, n.recipientId, n.templateId, n.urgent])).toEqual([
      [UNIT, '330106-rsj', 'supervision-issued.zh-CN', true],
    ]);
    expect(texts(notices)[0]).toEqual({
      subject: '督办单（ZJ330106-20261120-0001）',
      body: '杭州市信访局对信访事项 ZJ330106-20261120-0001 发出督办单（敏感事项）：群体性事项，请主要负责人亲自过问。请于 2026年12月7日 前报告办理情况。',
    });
  });

  it('the issuer of the report, late or in time, and nobody when the notice is not known', () => {
    const late = whole(noticesFor({ case: answered('s-1', false) }, context()));
    expect(late.map((n) => [n.recipientId, n.templateId, n.urgent])).toEqual([
      ['330100-xfj', 'supervision-answered.zh-CN', false],
    ]);
    expect(texts(late)[0]?.body).toBe(
      '杭州市西湖区人力资源和社会保障局已就信访事项 ZJ330106-20261120-0001 的督办单逾期报告办理情况：已约谈企业，工资分两期支付。',
    );
    expect(texts(noticesFor({ case: answered('s-1', true) }, context()))[0]?.body).toContain('督办单按期报告');
    expect(noticesFor({ case: answered('s-unknown', true) }, context())).toEqual([]);
  });

  it('the holder that the petitioner handed in material or urged — saying there is something to read, not what', () => {
    const notices = whole([supplemented, urged].flatMap((e) => noticesFor({ case: e }, context())));
    expect(notices.map((n) => [n.recipientKind, n.recipientId, n.templateId, n.urgent])).toEqual([
      [UNIT, '330106-rsj', 'case-supplemented.zh-CN', false],
      [UNIT, '330106-rsj', 'case-urged.zh-CN', false],
    ]);
    const [material, urging] = texts(notices);
    expect(material?.body).toContain('补充了材料（附件 1 件）');
    expect(urging?.body).toContain('第 2 次催办');
    expect(JSON.stringify([notices, texts(notices)])).not.toMatch(/13912345678|王五|张三/);
  });

  it('the holder of a petition flagged as a possible repeat (art 19), in its inbox, with the best candidate', () => {
    const flagged = caseEvent({
      $case: 'repeatCandidatesFlagged',
      value: {
        candidates: [
          { caseId: 'c-0', caseNumber: 'ZJ330106-20261101-0007', score: 0.612 },
          { caseId: 'c-00', caseNumber: 'ZJ330106-20261015-0003', score: 0.3 },
        ],
      },
    });
    const notices = whole(noticesFor({ case: flagged }, context()));
    expect(notices.map((n) => [n.recipientKind, n.recipientId, n.templateId, n.urgent])).toEqual([
      [UNIT, '330106-rsj', 'repeat-candidates-flagged.zh-CN', false],
    ]);
    const [text] = texts(notices);
    expect(text?.body).toContain('此前的 2 件事项内容相似（最相似：ZJ330106-20261101-0007，相似度 0.61）');
  });

  it('of a late report: the holder as of any breach, and the issuer too, urgently', () => {
    const notices = whole(noticesFor({ deadline: reportBreach(ClockStage.CLOCK_STAGE_SUPERVISION_REPORT) }, context()));
    expect(notices.map((n) => [n.recipientId, n.templateId, n.urgent])).toEqual([
      ['330106-rsj', 'deadline-breached.zh-CN', true],
      ['330100-xfj', 'supervision-report-overdue.zh-CN', true],
    ]);
    const [holder, issuer] = texts(notices);
    expect(holder?.body).toContain('督办报告期限已于 2026年12月7日 届满');
    expect(issuer?.body).toContain('督办单要求杭州市西湖区人力资源和社会保障局于 2026年12月7日 前报告');
    // Another stage's breach is the holder's alone, as before.
    const handling = noticesFor({ deadline: reportBreach(ClockStage.CLOCK_STAGE_HANDLING) }, context());
    expect(handling.map((n) => n.recipientId)).toEqual(['330106-rsj']);
    // The case came to the issuer since: told once.
    const atIssuer = noticesFor(
      { deadline: reportBreach(ClockStage.CLOCK_STAGE_SUPERVISION_REPORT, '330100-xfj') },
      context(),
    );
    expect(atIssuer.map((n) => n.recipientId)).toEqual(['330100-xfj']);
    expect(new Set(atIssuer.map((n) => n.id)).size).toBe(atIssuer.length);
  });

  it('none of it by a unit the accusation is kept from, even when an event names it (art 30)', () => {
    // Written as a broken or old writer might: the accused bureau as issuer and as holder.
    const againstIssuer = context({
      matterOf: () => ({ kind: PetitionKind.PETITION_KIND_ACCUSATION, accusedUnitId: '330100-xfj' }),
    });
    expect(noticesFor({ case: answered('s-1', true) }, againstIssuer)).toEqual([]);
    expect(
      noticesFor({ deadline: reportBreach(ClockStage.CLOCK_STAGE_SUPERVISION_REPORT) }, againstIssuer).map(
        (n) => n.recipientId,
      ),
    ).toEqual(['330106-rsj']);
    // 人社局 is a department of 西湖区政府: an accusation against the government is kept from it.
    const againstHolder = context({
      matterOf: () => ({ kind: PetitionKind.PETITION_KIND_ACCUSATION, accusedUnitId: '330106-zf' }),
    });
    for (const event of [issued, supplemented, urged])
      expect(to(noticesFor({ case: event }, againstHolder), UNIT)).toEqual([]);
  });
});
