import type { StaffPermission } from '@petition/auth';
import {
  AcceptCase,
  AnswerSupervision,
  AssignCase,
  type CaseCommand,
  CloseSupervision,
  CoUnitBasis,
  DecideReReview,
  DecideReview,
  DesignateCoUnits,
  DismissRepeatCandidate,
  EndHearing,
  EvaluateCase,
  Evaluation,
  ExtendDeadline,
  ForwardCase,
  GuideToLegalChannel,
  IssueSupervision,
  LegalChannel,
  LinkAsRepeat,
  NotAcceptCase,
  NotAcceptedReason,
  ObjectToForward,
  OpinionStage,
  RepeatBasis,
  ReplyCase,
  ReplyDisposition,
  ReportCompletion,
  RequestReReview,
  RequestReview,
  ReviewDecision,
  StartHearing,
  SupervisionGround,
  SupplementCase,
  TakeCharge,
  TransferCase,
  UrgeCase,
  WithdrawCase,
} from '@petition/contract';
import { invalidRequest, ProblemError } from './problems.ts';
import { timeFieldProblems } from './times.ts';

// Every action a unit or a petitioner can take, once: its path segment, the command it becomes, who may
// issue it, and its JSON body (proto3 JSON names, enums by their proto names) — served in the OpenAPI
// document and validated before anything is published.

// Not actions: a registration has its own route; routing derives expireWindow itself; and intake alone flags
// repeat candidates, as the system, when it registers a petition (repeats.ts).
export type CommandCase = Exclude<
  NonNullable<CaseCommand['command']>['$case'],
  'registerPetition' | 'expireWindow' | 'flagRepeatCandidates'
>;
type Schema = Record<string, unknown>;

const enumOf = (values: Record<string, number>, description?: string): Schema => ({
  type: 'string',
  enum: Object.keys(values).filter((k) => !k.endsWith('_UNSPECIFIED') && k !== 'UNRECOGNIZED'),
  ...(description ? { description } : {}),
});
const text = (max = 2_000, min = 0): Schema => ({ type: 'string', maxLength: max, ...(min ? { minLength: min } : {}) });
const unitId: Schema = { type: 'string', minLength: 1, maxLength: 64 };
const time: Schema = { type: 'string', format: 'date-time' };
/** The id a supervision notice got from routing (its SupervisionIssued event's). */
const supervisionId: Schema = { type: 'string', minLength: 1, maxLength: 64 };
const opinion: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['summary'],
  properties: { summary: text(20_000, 1), documentUri: text(1024) },
};
/** A file handed in with a petitioner's supplement, in proto3 JSON (sha256 as base64 of its 32 bytes). */
const attachment: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'mediaType'],
  properties: {
    name: text(256, 1),
    mediaType: { type: 'string', pattern: '^[\\w.+-]+/[\\w.+-]+$' },
    sizeBytes: { type: 'integer', minimum: 0, maximum: 1_073_741_824 },
    sha256: { type: 'string', pattern: '^[A-Za-z0-9+/]{43}=$' },
    storageUri: text(1024),
  },
};
const body = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties,
});

interface Codec {
  fromJSON(object: unknown): unknown;
  toJSON(message: never): unknown;
}

export interface ActionSpec {
  readonly path: string;
  readonly command: CommandCase;
  readonly who: 'unit' | 'petitioner';
  /** What a unit's staff member must be permitted (by the roles in their token) to issue it. */
  readonly permission: StaffPermission;
  readonly summary: string;
  readonly schema: Schema;
  readonly codec: Codec;
}

const unit = (
  path: string,
  command: CommandCase,
  codec: Codec,
  summary: string,
  schema: Schema,
  permission: StaffPermission = 'handle',
): ActionSpec => ({ path, command, who: 'unit', permission, summary, schema, codec });
const petitioner = (path: string, command: CommandCase, codec: Codec, summary: string, schema: Schema): ActionSpec => ({
  path,
  command,
  who: 'petitioner',
  // Petitioners carry no staff token; the permission is never asked of them.
  permission: 'handle',
  summary,
  schema,
  codec,
});

export const actions: readonly ActionSpec[] = [
  unit(
    'forward',
    'forwardCase',
    ForwardCase,
    '转送: forward one leg, to a bureau or the unit with authority (art 22)',
    body({ toUnitId: unitId, toHandlingUnit: { type: 'boolean' }, reason: text() }, ['toUnitId']),
  ),
  unit(
    'assign',
    'assignCase',
    AssignCase,
    '交办: assign with a report deadline (art 22)',
    body({ assigneeUnitId: unitId, reportDueTime: time, instructions: text() }, ['assigneeUnitId', 'reportDueTime']),
  ),
  unit(
    'object',
    'objectToForward',
    ObjectToForward,
    'Object to a wrong forward within 5 working days (art 23)',
    body({ reasons: text(2_000, 1), suggestedUnitId: unitId }, ['reasons']),
  ),
  unit(
    'accept',
    'acceptCase',
    AcceptCase,
    'Accept (受理) with the written notice (art 23)',
    body({ noticeDocumentUri: text(1024) }),
  ),
  unit(
    'not-accept',
    'notAcceptCase',
    NotAcceptCase,
    'Decline with reasons (art 23)',
    body({ reason: enumOf(NotAcceptedReason), reasonText: text(), noticeDocumentUri: text(1024) }, ['reason']),
  ),
  unit(
    'guide',
    'guideToLegalChannel',
    GuideToLegalChannel,
    'Guide to litigation, arbitration, reconsideration … (art 31)',
    body({ legalChannel: enumOf(LegalChannel), channelDetail: text(), reason: text(2_000, 1) }, [
      'legalChannel',
      'reason',
    ]),
  ),
  unit(
    'designate-co-units',
    'designateCoUnits',
    DesignateCoUnits,
    'Lead and co-units of a matter (art 24)',
    body(
      {
        leadUnitId: unitId,
        coUnitIds: { type: 'array', minItems: 1, maxItems: 20, items: unitId },
        basis: enumOf(CoUnitBasis),
      },
      ['leadUnitId', 'coUnitIds', 'basis'],
    ),
  ),
  unit(
    'extend',
    'extendDeadline',
    ExtendDeadline,
    'Extend the handling period once, ≤ 30 days, with a reason (art 34)',
    body(
      {
        extraDays: { type: 'integer', minimum: 1, maximum: 365 },
        reason: text(2_000, 1),
        approvalReference: text(256),
      },
      ['extraDays', 'reason'],
    ),
  ),
  unit(
    'reply',
    'replyCase',
    ReplyCase,
    'Issue the handling opinion (art 33)',
    body({ opinion, disposition: enumOf(ReplyDisposition), deliveryTime: time }, ['opinion', 'disposition']),
  ),
  unit(
    'report-completion',
    'reportCompletion',
    ReportCompletion,
    'Report an assigned case done (art 22)',
    body({ report: opinion }, ['report']),
  ),
  unit(
    'decide-review',
    'decideReview',
    DecideReview,
    'Issue the review opinion (art 35)',
    body({ decision: enumOf(ReviewDecision), opinion, deliveryTime: time }, ['decision', 'opinion']),
    'review',
  ),
  unit(
    'start-hearing',
    'startHearing',
    StartHearing,
    'Open a hearing; the re-review clock stops (art 36)',
    body({}),
    'review',
  ),
  unit('end-hearing', 'endHearing', EndHearing, 'Close the hearing; the clock runs again (art 36)', body({}), 'review'),
  unit(
    'decide-re-review',
    'decideReReview',
    DecideReReview,
    'Issue the re-review opinion; the case is final (art 36)',
    body({ decision: enumOf(ReviewDecision), opinion, deliveryTime: time, publicize: { type: 'boolean' } }, [
      'decision',
      'opinion',
    ]),
    'review',
  ),
  unit(
    'link-as-repeat',
    'linkAsRepeat',
    LinkAsRepeat,
    'Link to the original case instead of handling again (arts 19, 36)',
    body({ originalCaseId: unitId, basis: enumOf(RepeatBasis), reason: text() }, ['originalCaseId', 'basis']),
  ),
  unit(
    'dismiss-repeat-candidate',
    'dismissRepeatCandidate',
    DismissRepeatCandidate,
    'Answer that the case does not repeat a candidate flagged at registration (art 19); the answer is kept',
    body({ candidateCaseId: unitId, reason: text() }, ['candidateCaseId']),
  ),
  unit(
    'transfer',
    'transferCase',
    TransferCase,
    'Move custody: objection upheld, superior designated, manual (arts 23–25)',
    body(
      {
        toUnitId: unitId,
        reason: {
          type: 'string',
          enum: ['TRANSFER_REASON_OBJECTION_UPHELD', 'TRANSFER_REASON_SUPERIOR_DESIGNATED', 'TRANSFER_REASON_MANUAL'],
        },
        note: text(),
      },
      ['toUnitId', 'reason'],
    ),
  ),
  unit(
    'supervise',
    'issueSupervision',
    IssueSupervision,
    '督办: issue a supervision notice (督办单) with a report date ≤ 60 days ahead, from a unit above the holder (arts 39–41)',
    body({ ground: enumOf(SupervisionGround), instructions: text(), reportDueTime: time }, ['ground', 'reportDueTime']),
    'supervise',
  ),
  unit(
    'answer-supervision',
    'answerSupervision',
    AnswerSupervision,
    'Report back on the open supervision notice (督办回复)',
    body({ supervisionId, report: opinion }, ['supervisionId', 'report']),
  ),
  unit(
    'close-supervision',
    'closeSupervision',
    CloseSupervision,
    'Close the supervision notice this unit issued (督办办结)',
    body({ supervisionId, conclusion: text() }, ['supervisionId']),
    'supervise',
  ),
  unit(
    'take-charge',
    'takeCharge',
    TakeCharge,
    '领导包案: a leader of the holder or of a unit above it takes personal charge',
    body({ note: text() }),
    'lead',
  ),
  petitioner(
    'evaluate',
    'evaluateCase',
    EvaluateCase,
    'Rate an opinion: 满意 / 基本满意 / 不满意',
    body({ stage: enumOf(OpinionStage), evaluation: enumOf(Evaluation), comment: text() }, ['stage', 'evaluation']),
  ),
  petitioner(
    'request-review',
    'requestReview',
    RequestReview,
    'Ask the handling unit’s superior for review within 30 days (art 35)',
    body({ reason: text() }),
  ),
  petitioner(
    'request-re-review',
    'requestReReview',
    RequestReReview,
    'Ask the reviewer’s superior for re-review within 30 days (art 36)',
    body({ reason: text() }),
  ),
  petitioner('withdraw', 'withdrawCase', WithdrawCase, 'Withdraw the petition', body({ reason: text() })),
  petitioner(
    'supplement',
    'supplementCase',
    SupplementCase,
    '补充材料: hand in more material on a case still open',
    body({ material: text(5_000, 1), attachments: { type: 'array', maxItems: 20, items: attachment } }, ['material']),
  ),
  petitioner(
    'urge',
    'urgeCase',
    UrgeCase,
    '催办: urge the holder of a case still open, at most once a day',
    body({ note: text(500) }),
  ),
];

export const actionByPath: ReadonlyMap<string, ActionSpec> = new Map(actions.map((a) => [`${a.who}:${a.path}`, a]));
export const actionByCommand: ReadonlyMap<CommandCase, ActionSpec> = new Map(actions.map((a) => [a.command, a]));

/** The command body from its proto3 JSON (validated against `schema` first; its times checked here). */
export function commandOf(spec: ActionSpec, json: unknown) {
  const badTimes = timeFieldProblems(spec.schema, json);
  if (badTimes.length > 0) throw new ProblemError(invalidRequest(badTimes));
  return { $case: spec.command, value: spec.codec.fromJSON(json) } as NonNullable<CaseCommand['command']>;
}
