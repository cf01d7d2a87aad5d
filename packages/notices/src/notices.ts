import { hash } from 'node:crypto';
import {
  type CaseEvent,
  ClockStage,
  type DeadlineEvent,
  legalChannelToJSON,
  NotificationChannel,
  RecipientKind,
} from '@petition/contract';
import type { Directory } from '@petition/directory';
import { type Confidential, concealedFrom } from '@petition/jurisdiction';

// Which notices an event calls for (DESIGN "Notification"; arts 23, 33–36 for what the petitioner is
// told; ch. V for supervision). Pure: the service knows the case numbers, the petitioner's channels, the
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
        break;
      case 'custodyTransferred':
        toUnit(p.value.toUnitId, 'case-received.zh-CN', { fromName: name(p.value.fromUnitId), dueDate: '' }, false);
        break;
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
