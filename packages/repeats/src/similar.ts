import { EMPTY_SLOT, estimatedJaccard, fnv1a32, type Signature } from './minhash.ts';
import { defaultClusterThreshold } from './repeat-thresholds.ts';

// Near-identical petitions across persons: the CLUSTER hotspot (a group matter forming in one place
// within a short window). `similarPetitions` compares every pair, fine for the few hundred petitions of
// one region's window; `createLshIndex` finds candidates by LSH banding for larger sets: the slots are cut
// into b bands of r rows, and two signatures are candidates when any band agrees entirely, which happens
// with probability 1-(1-J^r)^b — at 32 bands × 4 rows that is 0.98 at J = 0.5 and 0.05 at J = 0.2.

export interface SignedItem {
  id: string;
  signature: Signature;
}

export interface SimilarPair {
  left: string;
  right: string;
  score: number;
}

/** Every pair whose estimated Jaccard is at least `threshold`, best first. O(n²) comparisons. */
export function similarPetitions(items: readonly SignedItem[], threshold = defaultClusterThreshold): SimilarPair[] {
  const pairs: SimilarPair[] = [];
  for (let first = 0; first < items.length; first++) {
    const left = items[first] as SignedItem;
    for (let second = first + 1; second < items.length; second++) {
      const right = items[second] as SignedItem;
      const score = estimatedJaccard(left.signature, right.signature);
      if (score >= threshold) pairs.push({ left: left.id, right: right.id, score });
    }
  }
  return pairs.sort((a, b) => b.score - a.score);
}

/**
 * Groups of items connected by similar pairs (single linkage, union-find), largest first; items in no
 * pair are left out. A group of size ≥ N within a window is what the CLUSTER hotspot looks for.
 */
export function similarGroups(items: readonly SignedItem[], threshold = defaultClusterThreshold): string[][] {
  const parent = new Map<string, string>();
  const root = (id: string): string => {
    let current = id;
    while (parent.get(current) !== current) current = parent.get(current) as string;
    parent.set(id, current);
    return current;
  };
  for (const pair of similarPetitions(items, threshold)) {
    if (!parent.has(pair.left)) parent.set(pair.left, pair.left);
    if (!parent.has(pair.right)) parent.set(pair.right, pair.right);
    parent.set(root(pair.left), root(pair.right));
  }
  const groups = new Map<string, string[]>();
  for (const item of items) {
    if (!parent.has(item.id)) continue;
    const key = root(item.id);
    const group = groups.get(key) ?? [];
    if (!group.includes(item.id)) group.push(item.id);
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => b.length - a.length);
}

export interface LshOptions {
  bands?: number;
  rowsPerBand?: number;
}

export interface LshIndex {
  /** Ids of indexed items sharing at least one band with the signature (candidates; verify the score). */
  candidates(signature: Signature): Set<string>;
  add(item: SignedItem): void;
  remove(id: string): void;
  readonly size: number;
}

export function createLshIndex(options: LshOptions = {}): LshIndex {
  const bands = options.bands ?? 32;
  const rows = options.rowsPerBand ?? 4;
  if (!Number.isInteger(bands) || !Number.isInteger(rows) || bands < 1 || rows < 1) {
    throw new RangeError(`bands and rowsPerBand must be positive integers, got ${bands} and ${rows}`);
  }
  const buckets = new Map<string, Set<string>>();
  const keysOf = new Map<string, string[]>();
  const bandKeys = (signature: Signature): string[] => {
    if (signature.slots.length < bands * rows) {
      throw new RangeError(`a signature of ${signature.slots.length} slots cannot fill ${bands} bands of ${rows} rows`);
    }
    const keys: string[] = [];
    if (signature.shingleCount === 0) return keys;
    for (let band = 0; band < bands; band++) {
      let text = '';
      for (let row = 0; row < rows; row++) {
        const value = signature.slots[band * rows + row] as number;
        text += value === EMPTY_SLOT ? '-' : value.toString(36);
        text += ',';
      }
      keys.push(`${band}:${fnv1a32(text).toString(36)}:${text.length}`);
    }
    return keys;
  };
  const remove = (id: string): void => {
    for (const key of keysOf.get(id) ?? []) {
      const bucket = buckets.get(key);
      bucket?.delete(id);
      if (bucket?.size === 0) buckets.delete(key);
    }
    keysOf.delete(id);
  };
  return {
    candidates: (signature) => {
      const found = new Set<string>();
      for (const key of bandKeys(signature)) for (const id of buckets.get(key) ?? []) found.add(id);
      return found;
    },
    add: (item) => {
      remove(item.id);
      const keys = bandKeys(item.signature);
      for (const key of keys) {
        const bucket = buckets.get(key) ?? new Set<string>();
        bucket.add(item.id);
        buckets.set(key, bucket);
      }
      keysOf.set(item.id, keys);
    },
    remove,
    get size() {
      return keysOf.size;
    },
  };
}
