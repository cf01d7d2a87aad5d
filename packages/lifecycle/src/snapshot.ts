import {
  CaseState,
  type Category,
  type ClosureReason,
  type Evaluation,
  type OpinionStage,
  type PetitionKind,
  type ReviewDecision,
  type UnitLevel,
} from '@petition/contract';

// What routing knows of a case: everything here is derived from the case's own events (`evolve`), so
// replaying the log rebuilds it exactly and nothing depends on the commands that caused them.

export interface Forwarded {
  readonly fromUnitId: string;
  readonly toUnitId: string;
  readonly toHandlingUnit: boolean;
  readonly legLevel: UnitLevel;
  readonly time: Date;
  readonly legDueTime: Date;
}

export interface Assignment {
  readonly assigningUnitId: string;
  readonly assigneeUnitId: string;
  readonly time: Date;
  readonly reportDueTime: Date;
  readonly reported: boolean;
}

export interface Opinion {
  readonly unitId: string;
  readonly time: Date;
  /** When the petitioner received it: the start of the next request window. */
  readonly deliveryTime: Date;
}

export interface Appeal {
  readonly unitId: string;
  readonly requestTime: Date;
  readonly dueTime: Date;
  readonly decision?: ReviewDecision;
  readonly opinion?: Opinion;
}

export interface Hearing {
  /** Set while a hearing is open. */
  readonly openSince?: Date;
  /** Whole days of closed hearings, not counted in the re-review period (art 36). */
  readonly pausedDays: number;
  readonly held: boolean;
}

/** The open supervision notice (督办单) of a case: at most one at a time, until closed or the case ends. */
export interface Supervision {
  /** The id of the SupervisionIssued event: names the notice in the answer and the closing. */
  readonly supervisionId: string;
  readonly supervisingUnitId: string;
  readonly reportDueTime: Date;
  readonly answered: boolean;
}

/** The leader in personal charge of a case (领导包案); a later leader replaces an earlier one. */
export interface Leader {
  readonly unitId: string;
  readonly staffId: string;
}

/** A handoff to another node not yet answered (DESIGN "Nodes"): nobody writes the case meanwhile. */
export interface PendingHandoff {
  readonly handoffId: string;
  readonly toNodeId: string;
  readonly toUnitId: string;
}

export interface CaseSnapshot {
  readonly caseId: string;
  readonly caseNumber: string;
  readonly version: number;
  readonly state: CaseState;
  readonly custodyUnitId: string;
  readonly kind: PetitionKind;
  readonly category: Category;
  readonly regionCode: string;
  readonly anonymous: boolean;
  readonly accusedUnitId: string;
  /** The unit whose own decision the matter is about (分级负责), if named. */
  readonly concernedUnitId: string;
  readonly representatives: number;
  readonly registeringUnitId: string;
  readonly receivedTime: Date;
  readonly registrationDueTime: Date;
  readonly forwarded?: Forwarded;
  readonly assignment?: Assignment;
  readonly leadUnitId?: string;
  readonly coUnitIds: readonly string[];
  readonly acceptingUnitId?: string;
  readonly acceptedTime?: Date;
  readonly handlingDueTime?: Date;
  /** Extensions granted (art 34: one) and the days they added. */
  readonly extensions: number;
  readonly extensionDays: number;
  readonly reply?: Opinion;
  readonly evaluations: Readonly<Partial<Record<OpinionStage, Evaluation>>>;
  readonly evaluationWindowLapsed: boolean;
  readonly review?: Appeal;
  readonly reReview?: Appeal & { readonly hearing: Hearing };
  readonly linkedToCaseId?: string;
  /**
   * The earlier cases flagged as possible originals (art 19) that staff have not dismissed yet: case id →
   * case number, for the dismissal's check. Nothing more of them is kept here.
   */
  readonly repeatCandidates?: Readonly<Record<string, string>>;
  readonly closure?: ClosureReason;
  /** The open supervision notice; ended by its closing or by the case ending. */
  readonly supervision?: Supervision;
  readonly leader?: Leader;
  /** How often the petitioner urged the case (催办), and when last: at most once a day. */
  readonly urges: number;
  readonly lastUrgeTime?: Date;
  /** Set from a CaseHandedOff until the receiver accepts or refuses it. */
  readonly handoff?: PendingHandoff;
  /**
   * The node that took the case over by the last accepted handoff; empty while the case never crossed a
   * node boundary (then the node hosting the custody unit writes it).
   */
  readonly writerNodeId: string;
}

/** States from which no command but a late evaluation moves the case. */
export const terminalStates: ReadonlySet<CaseState> = new Set([
  CaseState.CASE_STATE_NOT_ACCEPTED,
  CaseState.CASE_STATE_GUIDED_TO_LEGAL_CHANNEL,
  CaseState.CASE_STATE_FINAL,
  CaseState.CASE_STATE_WITHDRAWN,
  CaseState.CASE_STATE_LINKED_AS_REPEAT,
  CaseState.CASE_STATE_CLOSED,
  CaseState.CASE_STATE_COMPLETION_REPORTED,
]);

export const isTerminal = (state: CaseState) => terminalStates.has(state);
