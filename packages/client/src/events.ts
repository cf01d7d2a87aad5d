// The events a subscription delivers — the same document over SSE (`data:`), gRPC (`json`) and webhooks
// (the body) — typed after the contract's `case-events` topic (docs/asyncapi.json lists each type's schema).

/** The `event-type` of every event of case-events (a test keeps this list equal to the AsyncAPI document's). */
export const caseEventTypes = [
  'petition.v1.PetitionRegistered',
  'petition.v1.CaseForwarded',
  'petition.v1.ForwardObjected',
  'petition.v1.CaseAssigned',
  'petition.v1.CompletionReported',
  'petition.v1.CaseAccepted',
  'petition.v1.CaseNotAccepted',
  'petition.v1.CaseGuidedToLegalChannel',
  'petition.v1.CoUnitsDesignated',
  'petition.v1.DeadlineExtended',
  'petition.v1.CaseReplied',
  'petition.v1.CaseEvaluated',
  'petition.v1.ReviewRequested',
  'petition.v1.ReviewDecided',
  'petition.v1.ReReviewRequested',
  'petition.v1.HearingStarted',
  'petition.v1.HearingEnded',
  'petition.v1.ReReviewDecided',
  'petition.v1.CaseWithdrawn',
  'petition.v1.CaseLinkedAsRepeat',
  'petition.v1.CaseWindowLapsed',
  'petition.v1.CaseClosedAsFinal',
  'petition.v1.CustodyTransferred',
  'petition.v1.CommandRefused',
  'petition.v1.CaseHandedOff',
  'petition.v1.HandoffAccepted',
  'petition.v1.HandoffRefused',
  'petition.v1.SupervisionIssued',
  'petition.v1.SupervisionAnswered',
  'petition.v1.SupervisionClosed',
  'petition.v1.CaseTakenInCharge',
  'petition.v1.CaseSupplemented',
  'petition.v1.CaseUrged',
  'petition.v1.RepeatCandidatesFlagged',
  'petition.v1.RepeatCandidateDismissed',
] as const;
export type CaseEventType = (typeof caseEventTypes)[number];

/** The payload field of an event type: `petition.v1.CaseForwarded` → `caseForwarded`. */
export type PayloadField<T extends CaseEventType> = T extends `petition.v1.${infer Name}` ? Uncapitalize<Name> : never;

/** A person as a delivery shows them: the pseudonymous id always; the rest only with the personal-data scope. */
export interface DeliveredPerson {
  personId: string;
  name?: string;
  idNumber?: string;
  idType?: string;
  phone?: string;
  address?: string;
  email?: string;
}

/** The case event in proto3 JSON (field names camelCase, enums by name, times RFC 3339), as the scopes allow. */
export type CaseEventDocument<T extends CaseEventType = CaseEventType> = {
  envelope: {
    eventId: string;
    caseId: string;
    caseVersion: string;
    occurTime: string;
    actingUnitId?: string;
    correlationId?: string;
    causationId?: string;
    producer?: string;
  };
  /** The case's state after the event, e.g. `CASE_STATE_ACCEPTED`. */
  state: string;
  /** The unit holding the case after the event. */
  custodyUnitId: string;
} & { [K in PayloadField<T>]: Record<string, unknown> };

/** One delivery of a subscription. */
export interface FeedEvent<T extends CaseEventType = CaseEventType> {
  /** The case event's id: a redelivery (at least once) carries the same one — dedupe on it. */
  eventId: string;
  eventType: T;
  caseId: string;
  caseNumber: string;
  occurredAt: string | undefined;
  /** Give it back (`resumeToken` of a subscribe call) to go on after this event. */
  resumeToken: string;
  event: CaseEventDocument<T>;
}

/** True when `e` is of type `type`, narrowing its payload. */
export const isEventOf = <T extends CaseEventType>(e: FeedEvent, type: T): e is FeedEvent<T> => e.eventType === type;
