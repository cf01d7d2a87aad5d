import { randomUUID } from 'node:crypto';
import { type Bus, type ConsumedRecord, caseEvents, Header, on } from '@petition/bus';
import {
  AccessAuditEvent,
  type CaseEvent,
  PersonalDataField,
  type Petition,
  PetitionKind,
  type Subscription,
} from '@petition/contract';
import type { Directory } from '@petition/directory';
import type { Logger } from '@petition/logging';
import { type Keyring, openPerson } from '@petition/seal';
import type { Integrator } from './integrators.ts';
import { advance, encodePosition, type Position } from './position.ts';
import {
  type CaseFacts,
  deliveredJson,
  type OpenedPeople,
  opensPersonalData,
  selects,
  shownPerson,
} from './selection.ts';

// A subscription's feed: the case events after a position, as its filter selects them and its scopes allow,
// each with the token of the position just after it. It reads case-events as a consumer of a group of its own
// whose offsets were set to the position first (the bus's setCommittedOffsets), commits nothing, and deletes
// the group when it ends: a resume token is the only memory of where an integrator stands.

export interface Delivery {
  readonly eventId: string;
  readonly eventType: string;
  readonly caseId: string;
  readonly caseNumber: string;
  readonly occurTime: Date | undefined;
  /** Resume here to go on after this event. */
  readonly resumeToken: string;
  readonly json: Record<string, unknown>;
}

export interface FeedDeps {
  readonly bus: Bus;
  readonly directory: Directory;
  readonly logger: Logger;
  readonly keyring: Keyring;
  /** The case's registration as tracking keeps it; undefined while tracking has not read it yet. */
  readonly caseFacts: (caseId: string) => Promise<CaseFacts | undefined>;
  /** Puts the record on the access-audit topic; resolves once the broker has it (acks=all). */
  readonly publishAudit: (event: AccessAuditEvent) => Promise<unknown>;
  readonly now: () => Date;
}

export interface FeedOptions {
  readonly subscription: Subscription;
  readonly integrator: Integrator;
  readonly from: Position;
  /** How the events leave ("sse", "grpc", "webhook") and to whom, for the access audit. */
  readonly channel: string;
  readonly recipient: string;
  /** Hands one event over; the next waits for it (the client's pace is the feed's). */
  readonly deliver: (delivery: Delivery) => Promise<void>;
  /**
   * A consumer group kept across restarts (webhooks.ts): its offsets were set when the subscription was made,
   * it commits what was delivered and stays when the feed closes. Without one the feed's group is its own.
   */
  readonly durableGroup?: string;
  /** Called when the position moved past events the filter did not select (heartbeats carry it). */
  readonly moved?: (resumeToken: string) => void;
}

export interface Feed {
  /** The token of the position reached so far. */
  readonly resumeToken: () => string;
  close(): Promise<void>;
}

const factsOfRegistration = (p: Petition | undefined): CaseFacts => ({
  caseNumber: p?.caseNumber ?? '',
  kind: p?.kind ?? PetitionKind.PETITION_KIND_UNSPECIFIED,
  category: p?.category ?? 0,
  regionCode: p?.regionCode ?? '',
  accusedUnitId: p?.accusedUnitId ?? '',
});

const openedFields = [
  PersonalDataField.PERSONAL_DATA_FIELD_NAME,
  PersonalDataField.PERSONAL_DATA_FIELD_ID_NUMBER,
  PersonalDataField.PERSONAL_DATA_FIELD_PHONE,
  PersonalDataField.PERSONAL_DATA_FIELD_ADDRESS,
  PersonalDataField.PERSONAL_DATA_FIELD_EMAIL,
];

/** How long a feed waits between looks for a case tracking has not read yet (after a flush, while it rebuilds). */
const factsPollMs = 200;

export async function openFeed(deps: FeedDeps, options: FeedOptions): Promise<Feed> {
  const { subscription, integrator } = options;
  const subscriptionId = subscription.subscriptionId;
  const groupId = options.durableGroup ?? `tracking-feed-${subscriptionId}-${randomUUID().slice(0, 8)}`;
  const logger = deps.logger.child({ subscriptionId, channel: options.channel });
  let position: Position = options.from;
  let closed = false;

  async function factsOf(caseId: string, event: CaseEvent): Promise<CaseFacts | undefined> {
    if (event.payload?.$case === 'petitionRegistered') return factsOfRegistration(event.payload.value.petition);
    let waitedMs = 0;
    for (;;) {
      const facts = await deps.caseFacts(caseId);
      if (facts || closed) return facts;
      if (waitedMs % 30_000 === 0 && waitedMs > 0)
        logger.warn({ caseId, waitedMs }, 'waiting for tracking to read the case before delivering its event');
      await new Promise((resolve) => setTimeout(resolve, factsPollMs));
      waitedMs += factsPollMs;
    }
  }

  /** Opens the registration's people and records the delivery in the access audit before it leaves. */
  async function openPeople(event: CaseEvent, facts: CaseFacts): Promise<OpenedPeople | undefined> {
    if (!opensPersonalData(integrator)) return undefined;
    const opened = new Map<string, ReturnType<typeof shownPerson>>();
    if (event.payload?.$case !== 'petitionRegistered') return opened;
    const petition = event.payload.value.petition;
    const caseId = event.envelope?.caseId ?? '';
    const people = [
      ['petitioner', petition?.petitioner] as const,
      ...(petition?.representatives ?? []).map((r, i) => [`representative:${i + 1}`, r] as const),
    ];
    for (const [subject, ref] of people) {
      if (!ref?.sealed) continue;
      try {
        opened.set(subject, shownPerson(ref.personId, openPerson(deps.keyring, ref.sealed, caseId)));
      } catch (err) {
        // A destroyed key (erasure): the person stays sealed, by their pseudonymous id only.
        logger.warn({ caseId, subject, err: (err as Error).message }, 'personal data could not be opened');
      }
    }
    if (opened.size === 0) return opened;
    await deps.publishAudit(
      AccessAuditEvent.fromPartial({
        envelope: { eventId: randomUUID(), caseId, caseVersion: 0, occurTime: deps.now(), producer: 'tracking' },
        payload: {
          $case: 'personalDataDelivered',
          value: {
            caseNumber: facts.caseNumber,
            integratorId: integrator.clientId,
            subscriptionId,
            deliveredEventId: event.envelope?.eventId ?? '',
            subjects: [...opened.keys()],
            fields: openedFields,
            channel: options.channel,
            recipient: options.recipient,
            unitId: integrator.unitId,
          },
        },
      }),
    );
    return opened;
  }

  async function handle(record: ConsumedRecord<CaseEvent>) {
    if (closed) return;
    const event = record.value;
    const caseId = event.envelope?.caseId ?? record.key;
    const type = record.headers[Header.eventType] ?? '';
    const facts = await factsOf(caseId, event);
    if (closed) return;
    const next = advance(position, record.partition, BigInt(record.offset));
    const token = encodePosition(subscriptionId, next);
    if (
      facts &&
      selects(
        subscription.filter ?? emptyFilter,
        integrator,
        deps.directory,
        { type, holder: event.custodyUnitId },
        facts,
      )
    ) {
      const opened = await openPeople(event, facts);
      if (closed) return;
      await options.deliver({
        eventId: event.envelope?.eventId ?? '',
        eventType: type,
        caseId,
        caseNumber: facts.caseNumber,
        occurTime: event.envelope?.occurTime,
        resumeToken: token,
        json: deliveredJson(event, facts, opened),
      });
    } else {
      options.moved?.(token);
    }
    position = next;
  }

  if (!options.durableGroup) await deps.bus.setCommittedOffsets(groupId, caseEvents, position);
  const consumer = deps.bus.consumer({
    groupId,
    commitOffsets: !!options.durableGroup,
    fromBeginning: true,
    // A feed waits on its client, not on the broker: no retries that would park a case event.
    retry: { maxAttempts: Number.MAX_SAFE_INTEGER, initialDelayMs: 500, maxDelayMs: 5_000 },
    subscriptions: [on(caseEvents, handle)],
  });
  await consumer.start();
  logger.info({ from: encodePosition(subscriptionId, position) }, 'feed opened');
  return {
    resumeToken: () => encodePosition(subscriptionId, position),
    async close() {
      if (closed) return;
      closed = true;
      await consumer.stop().catch((err) => logger.warn({ err }, 'feed consumer did not stop cleanly'));
      if (!options.durableGroup)
        await deps.bus.deleteGroups([groupId]).catch((err) => logger.warn({ err }, 'feed group not deleted'));
      logger.info({ at: encodePosition(subscriptionId, position) }, 'feed closed');
    },
  };
}

const emptyFilter = { unitIds: [], regionCodes: [], eventTypes: [], kinds: [], categories: [] };
