// The similarity thresholds, as data. Each is a score in [0,1] as computed by `repeatScore`.
//
// Measured on data/pairs.jsonl — 44 pairs of petitions by one person, written by the project: 24 about the
// same matter (4 with trivial edits: punctuation, digits for numerals, a line added; 20 reworded by hand)
// and 20 about another matter, several sharing the person's place, employer or family — by
// pairs.test.ts, which prints the separation. With character bigrams and 128 slots:
//   other matter:    scores 0.00–0.17 (the highest: a second wage claim against another employer)
//   reworded:        0.36–0.73
//   trivial edits:   0.86–1.00
// `candidate` sits in the gap, about 2.5 MinHash standard errors (≈0.04 there) from either side; `exact`
// above every reworded pair, so that only a resubmission is linked without a person looking at it — a
// reworded repeat is shown to staff, which is also what art 19 asks of them.

export interface RepeatThresholds {
  /** At or above: the same matter resubmitted; linked automatically (art 19). */
  exact: number;
  /** At or above (and below `exact`): shown to the registering unit as a candidate to confirm or dismiss. */
  candidate: number;
}

export const defaultRepeatThresholds: RepeatThresholds = { exact: 0.8, candidate: 0.27 };

/**
 * Near-identical petitions from different people (a group matter forming, the CLUSTER hotspot): people
 * copying one text, with their own names and details changed, score above this Jaccard estimate (0.5 is
 * well above the 0.09 of the most similar different-matter pair by one person, and below the 0.76 of a
 * text with its numbers rewritten), so a template passed round a village is caught and a common topic is
 * not.
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
