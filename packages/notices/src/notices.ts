import { hash } from 'node:crypto';
import {
  type CaseEvent,
  ClockStage,
  ClosureReason,
  type DeadlineEvent,
  legalChannelToJSON,
  NotificationChannel,
  RecipientKind,
  RepeatBasis,
  SupervisionGround,
  TransferReason,
} from '@petition/contract';
import type { Directory } from '@petition/directory';
import { type Confidential, concealedFrom } from '@petition/jurisdiction';

// Which notices an event calls for (DESIGN "Notification"; arts 22–23, 33–36 for what the petitioner is
// told; ch. V for supervision and the 督办单). Pure: the service knows the case numbers, the petitioner's channels, the
// units' preferences and the subscriptions, and passes them in.

export interface Subscription {
  readonly id: string;
  readonly url: string;
  readonly secret: string;
  /** Events of cases held by this unit or any unit under it (by superior or by place). */
  readonly unitId: string;
  /** Payload names (e.g. `caseAccepted`, `deadlineBreached`) or `*`. */
  readonly eventTypes: readonly string[];
  /** Whether personal data (sealed) stays in the events sent; stripped otherwise. */
  readonly personalData: boolean;
  /** A unit's own endpoint: the notices addressed to `unitId` itself also go here (the unit's preference). */
  readonly unitNotices?: boolean;
}

export interface Notice {
  /** Stable across redeliveries of the source event: one notice per (event, recipient, channel). */
  readonly id: string;
  readonly caseId: string;
  readonly sourceEventId: string;
  readonly recipientKind: RecipientKind;
  /** A unit id, a subscription id, or the petitioner's pseudonymous person id — never an address. */
  readonly recipientId: string;
  readonly channel: NotificationChannel;
  /** A template of `templates`, or `cloudevent` for a webhook. */
  readonly templateId: string;
  readonly vars: Readonly<Record<string, string>>;
  /** Urgent notices are not held back by quiet hours. */
  readonly urgent: boolean;
}

export interface NoticeContext {
  readonly directory: Directory;
  readonly caseNumberOf: (caseId: string) => string;
  /** The petitioner of a case who can be told (undefined for an anonymous accusation or an unknown case). */
  readonly petitionerOf: (caseId: string) => { personId: string; channels: readonly NotificationChannel[] } | undefined;
  readonly unitChannels: (unitId: string) => readonly NotificationChannel[];
  readonly subscriptions: readonly Subscription[];
  /**
   * The case's kind and accused unit as its registration said (undefined for a case not known): no notice
   * of an accusation goes to a unit it is kept from, nor to a subscription of such a unit (art 30).
   */
  readonly matterOf: (caseId: string) => Confidential | undefined;
  /**
   * The unit that issued a supervision notice (督办单) of the case: the one named, or without a name the
   * last one issued (the report clock runs for that one alone: a second is refused while one is open).
   */
  readonly supervisorOf: (caseId: string, supervisionId?: string) => string | undefined;
}

export const noticeId = (
  sourceEventId: string,
  kind: RecipientKind,
  recipientId: string,
  channel: NotificationChannel,
) => {
  const h = hash('sha256', `${sourceEventId}|${kind}|${recipientId}|${channel}`, 'hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

// Made once: building an Intl formatter costs far more than formatting with it (it was a fifth of
// notification's CPU in the e2e benchmark's profile).
const longShanghaiDate = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', dateStyle: 'long' });

/** The last day of a period ending at 24:00 Shanghai, as petitioners read it: 2026年12月7日. */
export function dueDate(due: Date | undefined): string {
  if (!due) return '';
  return longShanghaiDate.format(new Date(due.getTime() - 1));
}

const stageNames: Readonly<Record<number, string>> = {
  [ClockStage.CLOCK_STAGE_FORWARDING]: '转送交办',
  [ClockStage.CLOCK_STAGE_ACCEPTANCE_NOTICE]: '受理告知',
  [ClockStage.CLOCK_STAGE_OBJECTION]: '异议',
  [ClockStage.CLOCK_STAGE_HANDLING]: '办理',
  [ClockStage.CLOCK_STAGE_ASSIGNMENT_REPORT]: '交办报结',
  [ClockStage.CLOCK_STAGE_REVIEW]: '复查',
  [ClockStage.CLOCK_STAGE_RE_REVIEW]: '复核',
  [ClockStage.CLOCK_STAGE_SUPERVISION_REPORT]: '督办报告',
};

// What the petitioner reads of why another unit now handles the case (never the note: it is the units').
const transferReasons: Readonly<Record<number, string>> = {
  [TransferReason.TRANSFER_REASON_UNIT_MERGED]: '原办理单位合并',
  [TransferReason.TRANSFER_REASON_UNIT_SPLIT]: '原办理单位分立',
  [TransferReason.TRANSFER_REASON_UNIT_DISSOLVED]: '原办理单位撤销',
  [TransferReason.TRANSFER_REASON_OBJECTION_UPHELD]: '原接收单位提出的异议经审查成立',
  [TransferReason.TRANSFER_REASON_SUPERIOR_DESIGNATED]: '经共同上级机关指定',
  [TransferReason.TRANSFER_REASON_MANUAL]: '经信访工作机构决定',
};

const repeatOutcomes: Readonly<Record<number, string>> = {
  [RepeatBasis.REPEAT_BASIS_IN_PROGRESS]: '该事项正在办理中，不再重复受理，请凭原编号查询办理进度',
  [RepeatBasis.REPEAT_BASIS_FINAL]: '该事项已办理终结，以同一事实和理由提出的不再受理',
  [RepeatBasis.REPEAT_BASIS_DUPLICATE_SUBMISSION]: '系重复提交，按原事项办理，请凭原编号查询办理进度',
};

// Why a case ended, as the petitioner is told it. A closure the same step already told them of — the
// re-review opinion (final), non-acceptance, guidance to a legal channel — is not told twice, and an
// anonymous accusation has nobody to tell: those reasons are absent, and absent reasons tell nothing.
const closureReasons: Readonly<Record<number, string>> = {
  [ClosureReason.CLOSURE_REASON_REVIEW_WINDOW_EXPIRED]: '自收到处理意见之日起 30 日内未请求复查',
  [ClosureReason.CLOSURE_REASON_RE_REVIEW_WINDOW_EXPIRED]: '自收到复查意见之日起 30 日内未请求复核',
  [ClosureReason.CLOSURE_REASON_EVALUATION_WINDOW_EXPIRED]: '评价期限已届满',
  [ClosureReason.CLOSURE_REASON_PETITIONER_SATISFIED]: '您对处理意见评价满意',
  [ClosureReason.CLOSURE_REASON_COMPLETION_REPORTED]: '办理结果已报送交办机关',
  [ClosureReason.CLOSURE_REASON_NO_REVIEW_AVAILABLE]: '该类事项的处理意见不适用复查',
};

const supervisionGrounds: Readonly<Record<number, string>> = {
  [SupervisionGround.SUPERVISION_GROUND_OVERDUE]: '超期未办结',
  [SupervisionGround.SUPERVISION_GROUND_SENSITIVE]: '敏感事项',
  [SupervisionGround.SUPERVISION_GROUND_URGED]: '信访人多次催办',
  [SupervisionGround.SUPERVISION_GROUND_OTHER]: '其他',
};

interface Draft {
  kind: RecipientKind;
  recipientId: string;
  channels: readonly NotificationChannel[];
  templateId: string;
  vars: Record<string, string>;
  urgent: boolean;
}

export function noticesFor(source: { case: CaseEvent } | { deadline: DeadlineEvent }, ctx: NoticeContext): Notice[] {
  const env = 'case' in source ? source.case.envelope : source.deadline.envelope;
  if (!env?.eventId || !env.caseId) return [];
  const caseNumber = ctx.caseNumberOf(env.caseId);
  const name = (unitId: string) => ctx.directory.unit(unitId)?.name ?? unitId;
  const drafts: Draft[] = [];
  const toPetitioner = (templateId: string, vars: Record<string, string>, inApp = true) => {
    const p = ctx.petitionerOf(env.caseId);
    if (p) {
      drafts.push({
        kind: RecipientKind.RECIPIENT_KIND_PETITIONER,
        recipientId: p.personId,
        channels: inApp ? p.channels : p.channels.filter((c) => c !== NotificationChannel.NOTIFICATION_CHANNEL_IN_APP),
        templateId,
        vars: { caseNumber, ...vars },
        urgent: true,
      });
    }
  };
  const toUnit = (unitId: string, templateId: string, vars: Record<string, string>, urgent: boolean) => {
    if (!unitId) return;
    drafts.push({
      kind: RecipientKind.RECIPIENT_KIND_UNIT,
      recipientId: unitId,
      channels: ctx.unitChannels(unitId),
      templateId,
      vars: { caseNumber, ...vars },
      urgent,
    });
  };

  let holder = '';
  let type = '';
  if ('case' in source) {
    const e = source.case;
    holder = e.custodyUnitId;
    const p = e.payload;
    type = p?.$case ?? '';
    switch (p?.$case) {
      case 'petitionRegistered':
        // The query code goes only where nobody else reads it: the petitioner's phone or mailbox. The
        // service fills it in when it sends (it is sealed in the event, and never kept in a notice).
        if (p.value.petition?.queryCodeSealed) toPetitioner('query-code.zh-CN', {}, false);
        break;
      case 'caseAccepted':
        toPetitioner('case-accepted.zh-CN', {
          unitName: name(p.value.acceptingUnitId),
          dueDate: dueDate(p.value.handlingDueTime),
        });
        break;
      case 'caseNotAccepted':
        toPetitioner('case-not-accepted.zh-CN', { unitName: name(p.value.unitId), reason: p.value.reasonText });
        break;
      case 'caseGuidedToLegalChannel':
        toPetitioner('case-guided.zh-CN', {
          channel: legalChannelToJSON(p.value.legalChannel),
          detail: p.value.channelDetail,
          reason: p.value.reason,
        });
        break;
      case 'deadlineExtended':
        toPetitioner('deadline-extended.zh-CN', {
          days: String(p.value.extraDays),
          dueDate: dueDate(p.value.newDueTime),
          reason: p.value.reason,
        });
        break;
      case 'caseReplied':
        toPetitioner('case-replied.zh-CN', { unitName: name(p.value.unitId), summary: p.value.opinion?.summary ?? '' });
        break;
      case 'reviewDecided':
        toPetitioner('review-decided.zh-CN', {
          unitName: name(p.value.reviewingUnitId),
          summary: p.value.opinion?.summary ?? '',
        });
        break;
      case 'reReviewDecided':
        toPetitioner('re-review-decided.zh-CN', {
          unitName: name(p.value.reReviewingUnitId),
          summary: p.value.opinion?.summary ?? '',
        });
        break;
      case 'caseForwarded':
        toUnit(
          p.value.toUnitId,
          'case-received.zh-CN',
          { fromName: name(p.value.fromUnitId), dueDate: dueDate(p.value.legDueTime) },
          false,
        );
        // Where it went, once it reaches the unit that decides on it; the legs between bureaus are theirs.
        if (p.value.toHandlingUnit) toPetitioner('case-forwarded.zh-CN', { unitName: name(p.value.toUnitId) });
        break;
      case 'custodyTransferred':
        toUnit(p.value.toUnitId, 'case-received.zh-CN', { fromName: name(p.value.fromUnitId), dueDate: '' }, false);
        toPetitioner('custody-transferred.zh-CN', {
          unitName: name(p.value.toUnitId),
          reason: transferReasons[p.value.reason] ?? '办理需要',
        });
        break;
      case 'caseLinkedAsRepeat': {
        const outcome = repeatOutcomes[p.value.basis];
        if (outcome)
          toPetitioner('case-linked-as-repeat.zh-CN', {
            originalCaseNumber: p.value.originalCaseNumber,
            outcome,
          });
        break;
      }
      case 'caseClosedAsFinal': {
        const reason = closureReasons[p.value.reason];
        if (reason) toPetitioner('case-closed.zh-CN', { reason });
        break;
      }
      // 督办单: the holder is told at once, whatever the hour; the issuer hears back when it reports.
      case 'supervisionIssued':
        toUnit(
          p.value.supervisedUnitId || holder,
          'supervision-issued.zh-CN',
          {
            supervisorName: name(p.value.supervisingUnitId),
            ground:
              supervisionGrounds[p.value.ground] ??
              supervisionGrounds[SupervisionGround.SUPERVISION_GROUND_OTHER] ??
              '',
            instructions: p.value.instructions,
            dueDate: dueDate(p.value.reportDueTime),
          },
          true,
        );
        break;
      case 'supervisionAnswered':
        toUnit(
          ctx.supervisorOf(env.caseId, p.value.supervisionId) ?? '',
          'supervision-answered.zh-CN',
          {
            unitName: name(p.value.unitId),
            timeliness: p.value.inTime ? '按期' : '逾期',
            summary: p.value.report?.summary ?? '',
          },
          false,
        );
        break;
      // What the petitioner wrote stays in the case, where the holder reads it: a notice (a mail, perhaps)
      // says only that there is something to read.
      case 'caseSupplemented':
        toUnit(holder, 'case-supplemented.zh-CN', { attachments: String(p.value.attachments.length) }, false);
        break;
      case 'caseUrged':
        toUnit(holder, 'case-urged.zh-CN', { times: String(p.value.times) }, false);
        break;
      // Art 19: the unit holding the new case (the registering unit, or where routing sent it on) answers
      // the candidates intake found; told in its inbox, not urgently: nothing runs out meanwhile.
      case 'repeatCandidatesFlagged': {
        const [best] = p.value.candidates;
        if (best)
          toUnit(
            holder,
            'repeat-candidates-flagged.zh-CN',
            { count: String(p.value.candidates.length), best: best.caseNumber, score: best.score.toFixed(2) },
            false,
          );
        break;
      }
      // A handoff another node refused: the unit that handed it over holds it again, and is told why.
      case 'handoffRefused':
        toUnit(
          source.case.custodyUnitId,
          'handoff-refused.zh-CN',
          { nodeId: p.value.toNodeId, reason: `${p.value.reasonCode} ${p.value.detail}`.trim() },
          true,
        );
        break;
      case 'caseAssigned':
        toUnit(
          p.value.assigneeUnitId,
          'case-assigned.zh-CN',
          { fromName: name(p.value.assigningUnitId), dueDate: dueDate(p.value.reportDueTime) },
          false,
        );
        break;
      default:
    }
  } else {
    const d = source.deadline;
    holder = d.responsibleUnitId;
    const p = d.payload;
    type = p?.$case ?? '';
    const stage = stageNames[d.stage] ?? '';
    switch (p?.$case) {
      case 'deadlineWarned':
        toUnit(d.responsibleUnitId, 'deadline-warned.zh-CN', { stage, dueDate: dueDate(p.value.dueTime) }, false);
        break;
      case 'deadlineBreached':
        toUnit(d.responsibleUnitId, 'deadline-breached.zh-CN', { stage, dueDate: dueDate(p.value.dueTime) }, true);
        // The report a 督办单 asked for is late: its issuer is told too (the watchdog's supervision is the
        // petition bureau's, which need not be the unit that issued the notice).
        // (Not when the case has since come to the issuer itself: one notice to a unit per event.)
        if (d.stage === ClockStage.CLOCK_STAGE_SUPERVISION_REPORT) {
          const supervisor = ctx.supervisorOf(env.caseId);
          if (supervisor !== d.responsibleUnitId)
            toUnit(
              supervisor ?? '',
              'supervision-report-overdue.zh-CN',
              { supervisedName: name(d.responsibleUnitId), dueDate: dueDate(p.value.dueTime) },
              true,
            );
        }
        break;
      case 'supervisionOpened':
        for (const unitId of [p.value.supervisingUnitId, p.value.supervisedUnitId]) {
          toUnit(
            unitId,
            'supervision-opened.zh-CN',
            { supervisedName: name(p.value.supervisedUnitId), supervisorName: name(p.value.supervisingUnitId) },
            true,
          );
        }
        break;
      case 'supervisionEscalated':
        toUnit(
          p.value.toSupervisingUnitId,
          'supervision-escalated.zh-CN',
          { supervisedName: name(p.value.supervisedUnitId), supervisorName: name(p.value.toSupervisingUnitId) },
          true,
        );
        break;
      default:
    }
  }
  for (const s of ctx.subscriptions) {
    if (!holder || !(s.eventTypes.includes('*') || s.eventTypes.includes(type))) continue;
    if (!ctx.directory.inSubtree(holder, s.unitId)) continue;
    drafts.push({
      kind: RecipientKind.RECIPIENT_KIND_SUBSCRIBER,
      recipientId: s.id,
      channels: [NotificationChannel.NOTIFICATION_CHANNEL_WEBHOOK],
      templateId: 'cloudevent',
      vars: {},
      urgent: true,
    });
  }
  // Art 30, whoever the notice was drafted for: never a unit the accusation is kept from, nor an integrator
  // subscribed on behalf of one. The registration says it itself, before anything is remembered of the case.
  const payload = 'case' in source ? source.case.payload : undefined;
  const matter = payload?.$case === 'petitionRegistered' ? payload.value.petition : ctx.matterOf(env.caseId);
  const keptFrom = (d: Draft) => {
    if (!matter || d.kind === RecipientKind.RECIPIENT_KIND_PETITIONER) return false;
    const unitId =
      d.kind === RecipientKind.RECIPIENT_KIND_SUBSCRIBER
        ? ctx.subscriptions.find((s) => s.id === d.recipientId)?.unitId
        : d.recipientId;
    return unitId === undefined || concealedFrom(ctx.directory, unitId, matter);
  };
  return drafts
    .filter((d) => !keptFrom(d))
    .flatMap((d) =>
      d.channels.map((channel) => ({
        id: noticeId(env.eventId, d.kind, d.recipientId, channel),
        caseId: env.caseId,
        sourceEventId: env.eventId,
        recipientKind: d.kind,
        recipientId: d.recipientId,
        channel,
        templateId: d.templateId,
        vars: d.vars,
        urgent: d.urgent,
      })),
    );
}
