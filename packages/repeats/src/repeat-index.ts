import { estimatedContainment, estimatedJaccard, type Signature } from './minhash.ts';
import { defaultRepeatThresholds, type RepeatThresholds, validateThresholds } from './repeat-thresholds.ts';

// Repeat petitions (art 19): a new petition from the same person (the pseudonymous person id) about a
// matter similar to an earlier case of theirs. Only the same person's cases are compared — the same text
// from another person is a group matter (see `similarPetitions`), not a repeat — so the index is a map
// from person id to that person's latest cases, and a look-up costs one signature comparison per case
// of that person.
//
// Memory is bounded: at most `maxCasesPerPerson` cases per person (the oldest by registration dropped
// first), and at most `maxPersons` persons and `maxCases` cases in all (the least recently seen person
// dropped first). A dropped case is no longer found; the caller, which rebuilds the index from the log,
// chooses the bounds. Measured: about 1.2 KB per case with 128 slots (the slots, the ids, the maps), so
// the default 500,000 cases hold in about 600 MB.

export interface IndexedPetition {
  caseId: string;
  personId: string;
  signature: Signature;
  registeredAt: Date;
}

export type RepeatVerdict = 'exact' | 'candidate';

export interface RepeatMatch {
  /** The earlier case. */
  caseId: string;
  registeredAt: Date;
  /** `repeatScore` of the two signatures, in [0,1]. */
  score: number;
  /** `exact`: link automatically; `candidate`: staff confirm or dismiss. */
  verdict: RepeatVerdict;
}

export interface RepeatIndexOptions {
  thresholds?: RepeatThresholds;
  maxCasesPerPerson?: number;
  maxPersons?: number;
  maxCases?: number;
}

export interface RepeatIndex {
  /** Earlier cases of the same person scoring at least the candidate threshold, best first. Adds nothing. */
  find(petition: IndexedPetition): RepeatMatch[];
  /** Remembers the petition (replacing a case of the same id), evicting beyond the bounds. */
  add(petition: IndexedPetition): void;
  /** `find`, then `add`: the usual step when a petition is registered. */
  observe(petition: IndexedPetition): RepeatMatch[];
  /** Forgets a case, e.g. one withdrawn or itself linked as a repeat. True when it was indexed. */
  remove(caseId: string): boolean;
  /** Forgets a person's cases (their data erased). */
  forgetPerson(personId: string): void;
  readonly persons: number;
  readonly cases: number;
}

/**
 * The score of two petitions: the larger of the Jaccard estimate and the containment of the shorter in
 * the longer, discounted so that a short text contained in a long one counts only as much as the
 * overlap is large: containment × sqrt(min/max) of the shingle counts, never below the Jaccard estimate.
 * A restated matter with an added line keeps a high score; a two-line note that happens to occur inside
 * a long letter does not.
 */
export function repeatScore(left: Signature, right: Signature): number {
  const jaccard = estimatedJaccard(left, right);
  if (jaccard === 0) return 0;
  const small = Math.min(left.shingleCount, right.shingleCount);
  const large = Math.max(left.shingleCount, right.shingleCount);
  const discountedContainment = estimatedContainment(left, right) * Math.sqrt(small / large);
  return Math.max(jaccard, discountedContainment);
}

export function createRepeatIndex(options: RepeatIndexOptions = {}): RepeatIndex {
  const thresholds = validateThresholds(options.thresholds ?? defaultRepeatThresholds);
  const maxCasesPerPerson = options.maxCasesPerPerson ?? 32;
  const maxPersons = options.maxPersons ?? 200_000;
  const maxCases = options.maxCases ?? 500_000;
  for (const [name, value] of [
    ['maxCasesPerPerson', maxCasesPerPerson],
    ['maxPersons', maxPersons],
    ['maxCases', maxCases],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  if (maxCasesPerPerson > maxCases) {
    throw new RangeError(`maxCasesPerPerson (${maxCasesPerPerson}) must not be above maxCases (${maxCases})`);
  }
  // Map iteration order is insertion order: a person touched is re-inserted, so the first key is the
  // least recently seen.
  const byPerson = new Map<string, IndexedPetition[]>();
  const personOfCase = new Map<string, string>();

  const find = (petition: IndexedPetition): RepeatMatch[] => {
    const earlier = byPerson.get(petition.personId) ?? [];
    const matches: RepeatMatch[] = [];
    for (const entry of earlier) {
      if (entry.caseId === petition.caseId) continue;
      const score = repeatScore(petition.signature, entry.signature);
      if (score < thresholds.candidate) continue;
      matches.push({
        caseId: entry.caseId,
        registeredAt: entry.registeredAt,
        score,
        verdict: score >= thresholds.exact ? 'exact' : 'candidate',
      });
    }
    return matches.sort((a, b) => b.score - a.score || b.registeredAt.getTime() - a.registeredAt.getTime());
  };

  const remove = (caseId: string): boolean => {
    const personId = personOfCase.get(caseId);
    if (personId === undefined) return false;
    personOfCase.delete(caseId);
    const entries = byPerson.get(personId) ?? [];
    const kept = entries.filter((entry) => entry.caseId !== caseId);
    if (kept.length === 0) byPerson.delete(personId);
    else byPerson.set(personId, kept);
    return true;
  };

  const forgetPerson = (personId: string): void => {
    for (const entry of byPerson.get(personId) ?? []) personOfCase.delete(entry.caseId);
    byPerson.delete(personId);
  };

  const add = (petition: IndexedPetition): void => {
    if (personOfCase.has(petition.caseId)) remove(petition.caseId);
    const entries = byPerson.get(petition.personId) ?? [];
    byPerson.delete(petition.personId);
    entries.push(petition);
    entries.sort((a, b) => a.registeredAt.getTime() - b.registeredAt.getTime());
    while (entries.length > maxCasesPerPerson) {
      const dropped = entries.shift();
      if (dropped) personOfCase.delete(dropped.caseId);
    }
    byPerson.set(petition.personId, entries);
    personOfCase.set(petition.caseId, petition.personId);
    while (byPerson.size > maxPersons || personOfCase.size > maxCases) {
      const oldest = byPerson.keys().next().value;
      if (oldest === undefined) break;
      forgetPerson(oldest);
    }
  };

  return {
    find,
    add,
    observe: (petition) => {
      const matches = find(petition);
      add(petition);
      return matches;
    },
    remove,
    forgetPerson,
    get persons() {
      return byPerson.size;
    },
    get cases() {
      return personOfCase.size;
    },
  };
}
