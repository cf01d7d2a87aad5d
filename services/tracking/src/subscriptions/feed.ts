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
// each with the token of the position just after it. Two ways to read them:
// - the hub: ONE consumer per tracking process follows the end of case-events, decodes each event and finds its
//   case once, keeps the last events of each partition, and hands each to every stream that is at the end —
//   a hundred streams cost one read of the topic, not a hundred;
// - a reader of its own, for a stream whose position lies before what the hub still keeps (a resume after a
//   gap): a consumer of a group of its own whose offsets were set to the position first (the bus's
//   setCommittedOffsets), which gives the stream over to the hub as soon as the hub keeps its position, and
//   deletes its group. A stream too slow for the hub's pace goes back to a reader of its own likewise.
// Webhook deliveries read in a durable group of their own (webhooks.ts), committed as they are delivered.
// Every way goes through one queue per stream, in order: nothing is handed over twice or skipped.

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
   * it commits what was delivered and stays when the feed closes. Such a feed always reads on its own.
   */
  readonly durableGroup?: string;
  /** Called, in order with the deliveries, when the position moved past events the filter did not select. */
  readonly moved?: (resumeToken: string) => void;
  /**
   * Called once when a hand-over failed (the client gone, the access audit not taking its record, a webhook
   * stopped before its endpoint took the event): the stream ends, and what it had not handed over is not
   * counted as done — a client reconnects from its last token, a durable reader from its committed offsets.
   */
  readonly failed?: (err: unknown) => void;
}

export interface Feed {
  /** The token of the position reached so far (handed over or passed by). */
  readonly resumeToken: () => string;
  close(): Promise<void>;
}

/** A case event read once, with what every stream's selection needs. */
interface Prepared {
  readonly partition: number;
  readonly offset: bigint;
  readonly caseId: string;
  readonly type: string;
  readonly event: CaseEvent;
  /** Undefined only when the feed closed while waiting for tracking to read the case. */
  readonly facts: CaseFacts | undefined;
}

export const feedLimits = {
  /** Events of each partition the hub keeps for streams joining it (a resume within them needs no reader). */
  keptPerPartition: 2_000,
  /** Events a stream may have waiting before the hub gives it a reader of its own to catch up at its pace. */
  pendingPerStream: 5_000,
  /** Cases whose registration facts are kept in memory (they never change). */
  cachedCases: 100_000,
} as const;

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

/** How long a read waits between looks for a case tracking has not read yet (after a flush, while it rebuilds). */
const factsPollMs = 200;
const emptyFilter = { unitIds: [], regionCodes: [], eventTypes: [], kinds: [], categories: [] };

/** Reads records into Prepared events: the case's facts from the registration itself, a cache, or tracking. */
function createPreparer(deps: FeedDeps) {
  const cache = new Map<string, CaseFacts>();
  const remember = (caseId: string, facts: CaseFacts) => {
    cache.delete(caseId);
    cache.set(caseId, facts);
    if (cache.size > feedLimits.cachedCases) cache.delete(cache.keys().next().value as string);
  };
  return async function prepare(record: ConsumedRecord<CaseEvent>, closed: () => boolean): Promise<Prepared> {
    const event = record.value;
    const caseId = event.envelope?.caseId ?? record.key;
    let facts: CaseFacts | undefined;
    if (event.payload?.$case === 'petitionRegistered') facts = factsOfRegistration(event.payload.value.petition);
    else facts = cache.get(caseId);
    for (let waitedMs = 0; !facts && !closed(); waitedMs += factsPollMs) {
      facts = await deps.caseFacts(caseId);
      if (facts) break;
      if (waitedMs % 30_000 === 0 && waitedMs > 0)
        deps.logger.warn({ caseId, waitedMs }, 'waiting for tracking to read the case before delivering its event');
      await new Promise((resolve) => setTimeout(resolve, factsPollMs));
    }
    if (facts) remember(caseId, facts);
    return {
      partition: record.partition,
      offset: BigInt(record.offset),
      caseId,
      type: record.headers[Header.eventType] ?? '',
      event,
      facts,
    };
  };
}

/** One stream's position and queue: offers are taken in order, each at most once, and handed over in turn. */
function createStream(deps: FeedDeps, options: FeedOptions) {
  const { subscription, integrator } = options;
  const subscriptionId = subscription.subscriptionId;
  const logger = deps.logger.child({ subscriptionId, channel: options.channel });
  let position: Position = options.from;
  let queue: Promise<void> = Promise.resolve();
  let pending = 0;
  let closed = false;
  /** Why a hand-over failed; the stream takes nothing more once it has. */
  let failure: unknown;

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

  async function handOver(p: Prepared, facts: CaseFacts, token: string) {
    if (closed) return;
    const opened = await openPeople(p.event, facts);
    if (closed) return;
    await options.deliver({
      eventId: p.event.envelope?.eventId ?? '',
      eventType: p.type,
      caseId: p.caseId,
      caseNumber: facts.caseNumber,
      occurTime: p.event.envelope?.occurTime,
      resumeToken: token,
      json: deliveredJson(p.event, facts, opened),
    });
  }

  return {
    logger,
    subscriptionId,
    get position() {
      return position;
    },
    get pending() {
      return pending;
    },
    get closed() {
      return closed;
    },
    /** Set once a hand-over failed: whatever was offered after it was not handed over. */
    get failure() {
      return failure;
    },
    /**
     * Takes an event in turn (synchronously: the order of offers is the order of hand-overs). One before the
     * stream's position was handed over already and is passed by. Resolves once it is handed over.
     */
    offer(p: Prepared): Promise<void> {
      if (closed || p.offset < (position.get(p.partition) ?? 0n)) return Promise.resolve();
      position = advance(position, p.partition, p.offset);
      const token = encodePosition(subscriptionId, position);
      const facts = p.facts;
      const selected =
        !!facts &&
        selects(
          subscription.filter ?? emptyFilter,
          integrator,
          deps.directory,
          { type: p.type, holder: p.event.custodyUnitId },
          facts,
        );
      pending++;
      queue = queue
        .then(() => (selected && facts ? handOver(p, facts, token) : options.moved?.(token)))
        .catch((err) => {
          if (closed) return;
          logger.warn({ err: (err as Error).message }, 'hand-over failed; the stream ends');
          failure = err;
          closed = true;
          try {
            options.failed?.(err);
          } catch (thrown) {
            logger.error({ err: thrown }, 'ending the failed stream failed');
          }
        })
        .finally(() => {
          pending--;
        });
      return queue;
    },
    close() {
      closed = true;
    },
  };
}
type Stream = ReturnType<typeof createStream>;

/** A record a stream did not hand over; retried (never parked) until the reader stops without committing it. */
class NotHandedOver extends Error {
  readonly retryable = true;
  constructor(cause: unknown) {
    super('the stream ended before this event was handed over', { cause });
    this.name = 'NotHandedOver';
  }
}

/** A stream's reader of its own, from its position; `handOff` is asked after each event whether to stop. */
async function startReader(
  deps: FeedDeps,
  stream: Stream,
  prepare: ReturnType<typeof createPreparer>,
  o: { durableGroup?: string; handOff?: () => boolean },
) {
  const groupId = o.durableGroup ?? `tracking-feed-${stream.subscriptionId}-${randomUUID().slice(0, 8)}`;
  let retired = false;
  if (!o.durableGroup) await deps.bus.setCommittedOffsets(groupId, caseEvents, stream.position);
  const consumer = deps.bus.consumer({
    groupId,
    commitOffsets: !!o.durableGroup,
    fromBeginning: true,
    // A feed waits on its client, not on the broker: no retries that would park a case event.
    retry: { maxAttempts: Number.MAX_SAFE_INTEGER, initialDelayMs: 500, maxDelayMs: 5_000 },
    subscriptions: [
      on(caseEvents, async (record) => {
        // A record not handed over is not done: a durable group must not commit it (a webhook paused or failed
        // mid-delivery takes it again from its committed offset). Thrown as retryable: never parked.
        if (stream.failure !== undefined || (o.durableGroup && stream.closed)) throw new NotHandedOver(stream.failure);
        if (retired || stream.closed) return;
        await stream.offer(await prepare(record, () => retired || stream.closed));
        if (stream.failure !== undefined || (o.durableGroup && stream.closed)) throw new NotHandedOver(stream.failure);
        if (!retired && o.handOff?.()) retired = true;
      }),
    ],
  });
  await consumer.start();
  let stopped: Promise<void> | undefined;
  const stop = () => {
    retired = true;
    stopped ??= (async () => {
      await consumer.stop().catch((err) => stream.logger.warn({ err }, 'feed reader did not stop cleanly'));
      if (!o.durableGroup)
        await deps.bus.deleteGroups([groupId]).catch((err) => stream.logger.warn({ err }, 'feed group not deleted'));
    })();
    return stopped;
  };
  return {
    stop,
    get retired() {
      return retired;
    },
  };
}

/**
 * The feeds of one tracking process: the hub (started with the first stream) and the readers of streams behind
 * it. `open` gives a stream its events from its position on, whichever way is cheaper.
 */
export function createFeedHub(
  deps: FeedDeps,
  limits: { readonly keptPerPartition: number; readonly pendingPerStream: number } = feedLimits,
) {
  const prepare = createPreparer(deps);
  const live = new Set<Stream>();
  /** Per partition, the events kept (oldest first) and the offset the hub reads next. */
  const kept = new Map<number, Prepared[]>();
  const next = new Map<number, bigint>();
  let hub: Promise<{ stop: () => Promise<void> }> | undefined;
  /** How streams moved: joined the hub, started reading alone, fell behind the hub's pace. */
  const stats = { joined: 0, readAlone: 0, fellBehind: 0 };
  let closing = false;
  const groupId = `tracking-feed-hub-${randomUUID().slice(0, 8)}`;

  /** The lowest offset of a partition the hub can still hand over: what it keeps, or what it reads next. */
  const lowest = (partition: number) => kept.get(partition)?.[0]?.offset ?? next.get(partition) ?? 0n;
  /** True when the hub can take the stream: it keeps every event after its position. */
  const covers = (position: Position) =>
    next.size > 0 && [...next.keys()].every((p) => (position.get(p) ?? 0n) >= lowest(p));

  function startHub() {
    hub ??= (async () => {
      const ends = await deps.bus.endOffsets(caseEvents);
      for (const [p, end] of ends) next.set(p, end);
      await deps.bus.setCommittedOffsets(groupId, caseEvents, ends);
      const consumer = deps.bus.consumer({
        groupId,
        commitOffsets: false,
        fromBeginning: true,
        retry: { maxAttempts: Number.MAX_SAFE_INTEGER, initialDelayMs: 500, maxDelayMs: 5_000 },
        subscriptions: [
          on(caseEvents, async (record) => {
            const p = await prepare(record, () => closing);
            // From here to the end, synchronously: a stream joining sees the kept events and `next` agree.
            const partitionKept = kept.get(p.partition) ?? [];
            partitionKept.push(p);
            if (partitionKept.length > limits.keptPerPartition) partitionKept.shift();
            kept.set(p.partition, partitionKept);
            next.set(p.partition, p.offset + 1n);
            for (const stream of live) {
              void stream.offer(p);
              if (stream.pending > limits.pendingPerStream) fallBehind(stream);
            }
          }),
        ],
      });
      await consumer.start();
      deps.logger.info({ groupId, partitions: ends.size }, 'feed hub following case-events');
      return {
        stop: async () => {
          await consumer.stop();
          await deps.bus.deleteGroups([groupId]).catch(() => {});
        },
      };
    })().catch((err) => {
      // Not following (the broker away at that moment): the next stream tries again.
      hub = undefined;
      next.clear();
      throw err;
    });
    return hub;
  }

  /** Hands the stream the kept events after its position, then every event the hub reads. */
  function join(stream: Stream) {
    const replay = [...kept.values()]
      .flat()
      .filter((p) => p.offset >= (stream.position.get(p.partition) ?? 0n))
      .sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : 1));
    for (const p of replay) void stream.offer(p);
    live.add(stream);
    stats.joined++;
  }

  const readers = new Map<Stream, Awaited<ReturnType<typeof startReader>>>();
  /** A stream behind what the hub keeps (or too slow for it) reads on its own until the hub can take it. */
  async function readAlone(stream: Stream) {
    live.delete(stream);
    stats.readAlone++;
    const reader = await startReader(deps, stream, prepare, {
      handOff: () => {
        if (stream.closed || !covers(stream.position)) return false;
        join(stream);
        void readers.get(stream)?.stop();
        readers.delete(stream);
        return true;
      },
    });
    if (reader.retired || stream.closed) void reader.stop();
    else readers.set(stream, reader);
  }
  function fallBehind(stream: Stream) {
    if (!live.has(stream)) return;
    stream.logger.info({ pending: stream.pending }, 'stream slower than the hub: it reads on its own for now');
    stats.fellBehind++;
    live.delete(stream);
    // Its queue drains at the client's pace; the reader starts where the offers stopped.
    void readAlone(stream);
  }

  return {
    stats: stats as Readonly<typeof stats>,
    async open(options: FeedOptions): Promise<Feed> {
      const stream = createStream(deps, options);
      await startHub();
      if (covers(stream.position)) join(stream);
      else await readAlone(stream);
      stream.logger.info(
        { from: encodePosition(stream.subscriptionId, options.from), live: live.has(stream) },
        'feed opened',
      );
      return {
        resumeToken: () => encodePosition(stream.subscriptionId, stream.position),
        async close() {
          if (stream.closed) return;
          stream.close();
          live.delete(stream);
          await readers.get(stream)?.stop();
          readers.delete(stream);
        },
      };
    },
    /** A webhook's feed: its own durable group, at the pace of its endpoint. */
    async openDurable(options: FeedOptions & { durableGroup: string }): Promise<Feed> {
      const stream = createStream(deps, options);
      const reader = await startReader(deps, stream, prepare, { durableGroup: options.durableGroup });
      return {
        resumeToken: () => encodePosition(stream.subscriptionId, stream.position),
        async close() {
          stream.close();
          await reader.stop();
        },
      };
    },
    async close() {
      closing = true;
      for (const stream of live) stream.close();
      live.clear();
      await Promise.all([...readers.values()].map((r) => r.stop()));
      readers.clear();
      if (hub) await (await hub).stop();
    },
  };
}
export type FeedHub = ReturnType<typeof createFeedHub>;
