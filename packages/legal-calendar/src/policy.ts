import { CalendarError } from './errors.ts';

// The deadline policy as data: each stage's limit with its article, the warning points, the supervision
// escalation period. Defaults follow the design's lifecycle table; localities override by region prefix.

export const clockStageNames = [
  'forwarding',
  'acceptanceNotice',
  'objection',
  'handling',
  'assignmentReport',
  'evaluationWindow',
  'reviewRequestWindow',
  'review',
  'reReviewRequestWindow',
  'reReview',
  'supervisionReport',
] as const;
export type ClockStageName = (typeof clockStageNames)[number];

export interface StageRule {
  /**
   * The statutory period. For a stage whose due time an event fixes (a forwarding leg's share, an
   * assignment's or a supervision notice's report date) it is the default only, or for
   * `supervisionReport` the longest report period a notice may set.
   */
  readonly days: number;
  readonly workingDays: boolean;
  readonly article: string;
  /** Warnings go out this long before the clock runs out (milliseconds, largest first). */
  readonly warningsBeforeDueMs: readonly number[];
}

export type LevelName = 'national' | 'provincial' | 'prefecture' | 'county';

export interface DeadlinePolicy {
  readonly stages: Readonly<Record<ClockStageName, StageRule>>;
  /** Each level's share of the 15 forwarding days along a chain (国信发〔2014〕16号). */
  readonly forwardingLegDays: Readonly<Record<LevelName, number>>;
  /** Art 34: one extension of at most 30 days. */
  readonly maxExtensionDays: number;
  readonly maxExtensions: number;
  /** Art 20: at most five representatives. */
  readonly maxRepresentatives: number;
  /** Supervision climbs one more level when still unresolved after this many days. */
  readonly supervisionEscalationDays: number;
  /** Whether a satisfied evaluation closes the case at once, or the review window still runs. */
  readonly closeOnSatisfied: boolean;
}

const DAY_MS = 86_400_000;
const stage = (days: number, article: string, warnDays: number[], workingDays = false): StageRule => ({
  days,
  workingDays,
  article,
  warningsBeforeDueMs: warnDays.map((d) => d * DAY_MS),
});

export const defaultPolicy: DeadlinePolicy = {
  stages: {
    forwarding: stage(15, 'art 22', [3, 1]),
    acceptanceNotice: stage(15, 'art 23', [3, 1]),
    objection: stage(5, 'art 23', [1], true),
    handling: stage(60, 'art 34', [10, 3]),
    assignmentReport: stage(15, 'art 22', [3, 1]),
    evaluationWindow: stage(30, 'local rule', []),
    reviewRequestWindow: stage(30, 'art 35', []),
    review: stage(30, 'art 35', [5, 1]),
    reReviewRequestWindow: stage(30, 'art 36', []),
    reReview: stage(30, 'art 36', [5, 1]),
    // 督办单: the notice fixes its report date, at most 60 days ahead; one warning the day before.
    supervisionReport: stage(60, 'arts 39–41', [1]),
  },
  forwardingLegDays: { national: 5, provincial: 3, prefecture: 3, county: 4 },
  maxExtensionDays: 30,
  maxExtensions: 1,
  maxRepresentatives: 5,
  supervisionEscalationDays: 15,
  closeOnSatisfied: false,
};

/** A locality's differences from the national policy. */
export interface PolicyOverride {
  readonly regionPrefix: string;
  readonly stages?: Partial<Record<ClockStageName, Partial<StageRule>>>;
  readonly forwardingLegDays?: Partial<Record<LevelName, number>>;
  readonly supervisionEscalationDays?: number;
  readonly closeOnSatisfied?: boolean;
  readonly note?: string;
}

const positiveInt = (n: number) => Number.isInteger(n) && n > 0;

export function checkPolicy(policy: DeadlinePolicy): DeadlinePolicy {
  for (const name of clockStageNames) {
    const rule = policy.stages[name];
    if (!rule || !positiveInt(rule.days))
      throw new CalendarError('INVALID_POLICY', `stage ${name}: days must be a positive integer`);
    if (rule.warningsBeforeDueMs.some((ms) => !(ms > 0))) {
      throw new CalendarError('INVALID_POLICY', `stage ${name}: warnings must be positive durations`);
    }
  }
  for (const [level, days] of Object.entries(policy.forwardingLegDays)) {
    if (!positiveInt(days))
      throw new CalendarError('INVALID_POLICY', `forwardingLegDays.${level} must be a positive integer`);
  }
  if (!positiveInt(policy.supervisionEscalationDays)) {
    throw new CalendarError('INVALID_POLICY', 'supervisionEscalationDays must be a positive integer');
  }
  return policy;
}

/** The policy of a region: the base with every matching override applied, least specific first. */
export function policyFor(
  regionCode: string,
  overrides: readonly PolicyOverride[] = [],
  base: DeadlinePolicy = defaultPolicy,
): DeadlinePolicy {
  const matching = overrides
    .filter((o) => regionCode.startsWith(o.regionPrefix))
    .sort((a, b) => a.regionPrefix.length - b.regionPrefix.length);
  if (matching.length === 0) return base;
  const stages = { ...base.stages };
  let policy: DeadlinePolicy = base;
  for (const o of matching) {
    for (const [name, rule] of Object.entries(o.stages ?? {}) as [ClockStageName, Partial<StageRule>][]) {
      if (!clockStageNames.includes(name)) throw new CalendarError('INVALID_POLICY', `unknown stage ${name}`);
      stages[name] = { ...stages[name], ...rule };
    }
    policy = {
      ...policy,
      stages,
      forwardingLegDays: { ...policy.forwardingLegDays, ...o.forwardingLegDays },
      supervisionEscalationDays: o.supervisionEscalationDays ?? policy.supervisionEscalationDays,
      closeOnSatisfied: o.closeOnSatisfied ?? policy.closeOnSatisfied,
    };
  }
  return checkPolicy(policy);
}
