import {
  AccessAuditEvent,
  CaseCommand,
  CaseEvent,
  DeadlineEvent,
  InAppNoticeEvent,
  NotificationEvent,
  RoutingSnapshot,
  SituationEvent,
  SubscriptionEvent,
  UnitEvent,
} from '@petition/contract';
import { defineTopic, type TopicSpec } from './topic.ts';

// The topics of the system (DESIGN: "Topics"). Each has one writing service and one message type;
// case topics are keyed by case id, the compacted directory by unit id. The `event-type` header is the
// protobuf name of the payload message, e.g. `petition.v1.CaseAccepted`.

const pkg = 'petition.v1.';
const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);
/** The header of each payload case of a wrapper message; the wrapper's own name when it has none. */
const payloadType =
  (wrapper: string, prefix = '') =>
  ($case: string | undefined) =>
    pkg + ($case ? prefix + pascal($case) : wrapper);

const caseCommandType = payloadType('CaseCommand');
const caseEventType = payloadType('CaseEvent');
const deadlineEventType = payloadType('DeadlineEvent');
const notificationEventType = payloadType('NotificationEvent');
const unitEventType = payloadType('UnitEvent', 'Unit');
const accessAuditEventType = payloadType('AccessAuditEvent');
const inAppNoticeEventType = payloadType('InAppNoticeEvent', 'InAppNotice');
const subscriptionEventType = payloadType('SubscriptionEvent');
const situationEventType = payloadType('SituationEvent');
const routingSnapshotType = payloadType('RoutingSnapshot');

export const caseCommands = defineTopic<CaseCommand>({
  name: 'petition.case-commands.v1',
  writer: 'intake',
  description: 'The commands of units, petitioners and services on a case, for routing to decide.',
  keyDescription: 'the case id',
  codec: CaseCommand,
  schemaVersion: 1,
  keyOf: (m) => m.meta?.caseId ?? '',
  typeOf: (m) => caseCommandType(m.command?.$case),
  eventTypeOfCase: caseCommandType,
  traceOf: (m) => m.meta?.trace,
});

export const caseEvents = defineTopic<CaseEvent>({
  name: 'petition.case-events.v1',
  writer: 'routing',
  description: "The events of a case's lifecycle, in case-version order: routing is the single writer of a case.",
  keyDescription: 'the case id',
  codec: CaseEvent,
  schemaVersion: 1,
  keyOf: (m) => m.envelope?.caseId ?? '',
  typeOf: (m) => caseEventType(m.payload?.$case),
  eventTypeOfCase: caseEventType,
  traceOf: (m) => m.envelope?.trace,
});

export const deadlineEvents = defineTopic<DeadlineEvent>({
  name: 'petition.deadline-events.v1',
  writer: 'deadline-watchdog',
  description: 'The clocks of a case: started, recomputed, warned, expired, stopped.',
  keyDescription: 'the case id',
  codec: DeadlineEvent,
  schemaVersion: 1,
  keyOf: (m) => m.envelope?.caseId ?? '',
  typeOf: (m) => deadlineEventType(m.payload?.$case),
  eventTypeOfCase: deadlineEventType,
  traceOf: (m) => m.envelope?.trace,
});

export const notificationEvents = defineTopic<NotificationEvent>({
  name: 'petition.notification-events.v1',
  writer: 'notification',
  description: 'The notices sent to petitioners and units, and how their delivery went.',
  keyDescription: 'the case id',
  codec: NotificationEvent,
  schemaVersion: 1,
  keyOf: (m) => m.envelope?.caseId ?? '',
  typeOf: (m) => notificationEventType(m.payload?.$case),
  eventTypeOfCase: notificationEventType,
  traceOf: (m) => m.envelope?.trace,
});

/** Who opened whose personal data (written by tracking before it answers), keyed by case id. */
export const accessAudit = defineTopic<AccessAuditEvent>({
  name: 'petition.access-audit.v1',
  writer: 'tracking',
  description: 'Who opened whose personal data, written before the data is answered.',
  keyDescription: 'the case id',
  codec: AccessAuditEvent,
  schemaVersion: 1,
  keyOf: (m) => m.envelope?.caseId ?? '',
  typeOf: (m) => accessAuditEventType(m.payload?.$case),
  eventTypeOfCase: accessAuditEventType,
  traceOf: (m) => m.envelope?.trace,
});

/** A recipient's key on the in-app topics (`<kind>:<id>`), so that its notices and marks are read in order. */
const recipientKeyOf = (m: InAppNoticeEvent) => {
  const p = m.payload;
  return p ? `${p.value.recipientKind}:${p.value.recipientId}` : '';
};

/** The in-app inbox: the notices notification delivered in-app (`posted`), keyed by recipient. */
export const inAppNotices = defineTopic<InAppNoticeEvent>({
  name: 'petition.in-app-notices.v1',
  writer: 'notification',
  description: "The notices delivered to a unit's or petitioner's in-app inbox.",
  keyDescription: 'the recipient, `<kind>:<id>`',
  codec: InAppNoticeEvent,
  schemaVersion: 1,
  writtenCases: ['posted'],
  keyOf: recipientKeyOf,
  typeOf: (m) => inAppNoticeEventType(m.payload?.$case),
  eventTypeOfCase: inAppNoticeEventType,
});

/**
 * The read marks tracking's readers set on their in-app notices (`read`), keyed by recipient: a topic of
 * its own, because every topic has one writer and the notices are notification's.
 */
export const noticeReads = defineTopic<InAppNoticeEvent>({
  name: 'petition.notice-reads.v1',
  writer: 'tracking',
  description: 'The read marks readers set on their in-app notices.',
  keyDescription: 'the recipient, `<kind>:<id>`',
  codec: InAppNoticeEvent,
  schemaVersion: 1,
  writtenCases: ['read'],
  keyOf: recipientKeyOf,
  typeOf: (m) => inAppNoticeEventType(m.payload?.$case),
  eventTypeOfCase: inAppNoticeEventType,
});

export const units = defineTopic<UnitEvent>({
  name: 'petition.units.v1',
  writer: 'directory-feed',
  description: 'The national unit directory, compacted: the latest record of each unit.',
  keyDescription: 'the unit id',
  codec: UnitEvent,
  schemaVersion: 1,
  keyOf: (m) => m.unit?.unitId ?? '',
  typeOf: (m) => unitEventType(m.payload?.$case),
  eventTypeOfCase: unitEventType,
  compacted: true,
});

/**
 * Integrators' subscriptions (tracking's subscriptions API), compacted: the latest record of each, keyed by
 * subscription id; every tracking instance reads them all back at start.
 */
export const subscriptions = defineTopic<SubscriptionEvent>({
  name: 'petition.subscriptions.v1',
  writer: 'tracking',
  description: "Integrators' subscriptions to case events, compacted: the latest record of each.",
  keyDescription: 'the subscription id',
  codec: SubscriptionEvent,
  schemaVersion: 1,
  keyOf: (m) => (m.payload?.$case === 'subscription' ? m.payload.value.subscriptionId : ''),
  typeOf: (m) => subscriptionEventType(m.payload?.$case),
  eventTypeOfCase: subscriptionEventType,
  compacted: true,
});

/**
 * Hotspots and early warning (形势网上判): a hotspot detected and, later, cleared, keyed by hotspot id so that
 * both records of one hotspot stay in order. The situation service reads it back at start and never writes
 * an event id twice.
 */
export const situationEvents = defineTopic<SituationEvent>({
  name: 'petition.situation-events.v1',
  writer: 'situation',
  description: 'Hotspots of the situation analysis: detected and cleared, with their evidence.',
  keyDescription: 'the hotspot id',
  codec: SituationEvent,
  schemaVersion: 1,
  keyOf: (m) => m.hotspotId,
  typeOf: (m) => situationEventType(m.payload?.$case),
  eventTypeOfCase: situationEventType,
  traceOf: (m) => m.envelope?.trace,
});

/**
 * Routing's snapshots of case state, compacted: the latest record of each case keyed by case id, and one
 * checkpoint per partition of case-events (`checkpoint/<partition>`) saying how far the snapshots cover it.
 * A routing that starts reads them, then only case-events after each checkpoint. Private to routing.
 */
export const routingSnapshots = defineTopic<RoutingSnapshot>({
  name: 'petition.routing-snapshots.v1',
  writer: 'routing',
  description: "Routing's snapshots of case state and, per case-events partition, how far they cover it.",
  keyDescription: 'the case id, or `checkpoint/<partition>`',
  codec: RoutingSnapshot,
  schemaVersion: 1,
  keyOf: (m) =>
    m.payload?.$case === 'snapshotCheckpoint'
      ? checkpointKey(m.payload.value.partition)
      : (m.payload?.value.caseId ?? ''),
  typeOf: (m) => routingSnapshotType(m.payload?.$case),
  eventTypeOfCase: routingSnapshotType,
  compacted: true,
});

/** The key of a partition's checkpoint on the routing-snapshots topic. */
export const checkpointKey = (partition: number) => `checkpoint/${partition}`;

export const allTopics: readonly TopicSpec<never>[] = [
  caseCommands,
  caseEvents,
  deadlineEvents,
  notificationEvents,
  accessAudit,
  inAppNotices,
  noticeReads,
  routingSnapshots,
  situationEvents,
  subscriptions,
  units,
] as unknown as TopicSpec<never>[];

/**
 * A record of the interconnect between nodes, kept as the bytes that travelled: the signature in its
 * headers covers exactly these, so they are checked before anything decodes them (packages/federation).
 */
export interface SignedRecord {
  readonly bytes: Uint8Array;
}

const signedRecordCodec = {
  encode: (record: SignedRecord) => ({ finish: () => record.bytes }),
  decode: (bytes: Uint8Array): SignedRecord => ({ bytes }),
};

/**
 * The interconnect topic family (DESIGN "Nodes"): one topic per direction between two nodes,
 * `petition.link.<from>.<to>.v1`, keyed by case id, its one message an InterconnectRecord. The sending
 * node's routing writes it on its own cluster; MirrorMaker 2, run at the receiving node, copies it under
 * the same name (IdentityReplicationPolicy) to the receiving cluster, where that node's routing reads it.
 * Nothing else crosses between clusters.
 */
export function linkTopic(fromNodeId: string, toNodeId: string) {
  return defineTopic<SignedRecord>({
    name: `petition.link.${fromNodeId}.${toNodeId}.v1`,
    codec: signedRecordCodec,
    schemaVersion: 1,
    keyOf: () => '',
    typeOf: () => `${pkg}InterconnectRecord`,
    writer: 'routing',
    description: `The signed records one node sends another (${fromNodeId} to ${toNodeId}), copied across by MirrorMaker 2.`,
    keyDescription: 'the case id',
  });
}
