// The similarity thresholds, as data. Each is a score in [0,1] as computed by `repeatScore`.
//
// Measured on data/pairs.jsonl (same-person pairs labelled same matter / different matter, written by the
// project) by repeats.test.ts, which prints the separation: see the README for the figures. The
// thresholds sit in the gap between the lowest same-matter score and the highest different-matter score,
// with `exact` high enough that only a resubmission with trivial edits (punctuation, a date, a few
// characters) is linked without a person looking at it.

export interface RepeatThresholds {
  /** At or above: the same matter resubmitted; linked automatically (art 19). */
  exact: number;
  /** At or above (and below `exact`): shown to the registering unit as a candidate to confirm or dismiss. */
  candidate: number;
}

export const defaultRepeatThresholds: RepeatThresholds = { exact: 0.8, candidate: 0.3 };

/**
 * Near-identical petitions from different people (a group matter forming, the CLUSTER hotspot): people
 * copying one text, with their own names and details changed, score above this Jaccard estimate.
 */
export const defaultClusterThreshold = 0.5;

export function validateThresholds(thresholds: RepeatThresholds): RepeatThresholds {
  const { exact, candidate } = thresholds;
  for (const [name, value] of [
    ['exact', exact],
    ['candidate', candidate],
  ] as const) {
    if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
      throw new RangeError(`repeat threshold ${name} must be a number in (0,1], got ${String(value)}`);
    }
  }
  if (candidate > exact) {
    throw new RangeError(`repeat threshold candidate (${candidate}) must not be above exact (${exact})`);
  }
  return thresholds;
}
