import { normalizeText, shingles } from './normalize.ts';

// MinHash (Broder 1997): for each of k hash functions, the smallest hash over a text's shingles. Two
// texts agree on a slot with probability equal to the Jaccard similarity of their shingle sets, so the
// fraction of agreeing slots estimates it with standard error sqrt(J(1-J)/k) — at k = 128 about ±0.044
// at J = 0.5 and ±0.035 at J = 0.2, fine enough to separate a reworded repeat (Jaccard 0.22–0.57 on the
// labelled pairs) from another matter by the same person (at most 0.09; see repeat-thresholds.ts).
//
// Each shingle is hashed once (FNV-1a over its UTF-16 code units), and the k functions are that hash
// XORed with a fixed per-slot seed and passed through murmur3's 32-bit finaliser, a bijection on 32
// bits with full avalanche: cheap (two Math.imul per slot), and the same signature on every node and
// after every restart, since the seeds are fixed.

/**
 * Character bigrams. Most Chinese words are two characters, so bigrams are the words and their seams;
 * trigrams are more specific but an edit destroys three of them, and on the labelled pairs (pairs.test.ts)
 * they separated worse: reworded repeats down to Jaccard 0.11 against 0.06 for another matter, where
 * bigrams give 0.22 against 0.09 (repeatScore: 0.36 against 0.17 with bigrams, 0.20 against 0.12 with
 * trigrams).
 */
export const DEFAULT_SHINGLE_SIZE = 2;
export const DEFAULT_HASH_COUNT = 128;
/** The value of a slot when the text had no shingle at all; such a slot never counts as agreeing. */
export const EMPTY_SLOT = 0xffffffff;

/** FNV-1a, 32 bits, over UTF-16 code units. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** murmur3's fmix32: a bijection on 32-bit integers in which every input bit affects every output bit. */
export function mix32(value: number): number {
  let hash = value >>> 0;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** Fixed seeds for the k slots, drawn from a splitmix-like sequence so that they are unrelated. */
function slotSeeds(count: number): Uint32Array {
  const seeds = new Uint32Array(count);
  let state = 0x9e3779b9;
  for (let slot = 0; slot < count; slot++) {
    state = (state + 0x9e3779b9) >>> 0;
    seeds[slot] = mix32(state ^ 0x5bd1e995);
  }
  return seeds;
}

/** What a petition's text is compared by: its MinHash slots and how many distinct shingles it had. */
export interface Signature {
  readonly slots: Uint32Array;
  /** Distinct shingles of the normalised text; lets containment be derived from the Jaccard estimate. */
  readonly shingleCount: number;
}

export interface MinHasherOptions {
  /** Slots per signature (k); 64–256. */
  hashCount?: number;
  /** Characters per shingle; 2 or 3 for Chinese. */
  shingleSize?: number;
}

export interface MinHasher {
  readonly hashCount: number;
  readonly shingleSize: number;
  /** The signature of an already normalised text. */
  signNormalized(normalized: string): Signature;
  /** The signature of a petition: its title and content normalised together. */
  sign(title: string, content?: string): Signature;
}

export function createMinHasher(options: MinHasherOptions = {}): MinHasher {
  const hashCount = options.hashCount ?? DEFAULT_HASH_COUNT;
  const shingleSize = options.shingleSize ?? DEFAULT_SHINGLE_SIZE;
  if (!Number.isInteger(hashCount) || hashCount < 16 || hashCount > 1024) {
    throw new RangeError(`hashCount must be an integer in 16..1024, got ${hashCount}`);
  }
  if (!Number.isInteger(shingleSize) || shingleSize < 1 || shingleSize > 8) {
    throw new RangeError(`shingleSize must be an integer in 1..8, got ${shingleSize}`);
  }
  const seeds = slotSeeds(hashCount);
  const signNormalized = (normalized: string): Signature => {
    const slots = new Uint32Array(hashCount).fill(EMPTY_SLOT);
    const grams = shingles(normalized, shingleSize);
    for (const gram of grams) {
      const base = fnv1a32(gram);
      for (let slot = 0; slot < hashCount; slot++) {
        const hashed = mix32(base ^ (seeds[slot] as number));
        if (hashed < (slots[slot] as number)) slots[slot] = hashed;
      }
    }
    return { slots, shingleCount: grams.length };
  };
  return {
    hashCount,
    shingleSize,
    signNormalized,
    // The title is joined to the content without a separator: normalisation removes punctuation anyway,
    // and a title repeated as the content's first line then shares its shingles rather than adding a seam.
    sign: (title, content = '') => signNormalized(normalizeText(`${title}${content}`)),
  };
}

const defaultHasher = createMinHasher();

/** The signature of a petition's title and content with the default hasher (bigrams, 128 slots). */
export function signPetition(title: string, content = ''): Signature {
  return defaultHasher.sign(title, content);
}

/** Estimated Jaccard similarity of two signatures made by the same hasher: the share of agreeing slots. */
export function estimatedJaccard(left: Signature, right: Signature): number {
  const count = left.slots.length;
  if (count !== right.slots.length) {
    throw new RangeError(`signatures of different lengths (${count} and ${right.slots.length}) cannot be compared`);
  }
  if (left.shingleCount === 0 || right.shingleCount === 0) return 0;
  let agreeing = 0;
  for (let slot = 0; slot < count; slot++) if (left.slots[slot] === right.slots[slot]) agreeing++;
  return agreeing / count;
}

/**
 * How much of the shorter text the longer one covers, |A∩B| / min(|A|,|B|), derived from the Jaccard
 * estimate and both shingle counts (|A∩B| = J(|A|+|B|)/(1+J)). A repeat often restates the matter and
 * adds a line ("已多次反映，至今未解决"), which lowers Jaccard but keeps containment high.
 */
export function estimatedContainment(left: Signature, right: Signature): number {
  const jaccard = estimatedJaccard(left, right);
  if (jaccard === 0) return 0;
  const intersection = (jaccard * (left.shingleCount + right.shingleCount)) / (1 + jaccard);
  return Math.min(1, intersection / Math.min(left.shingleCount, right.shingleCount));
}

/** A signature as text (base64 of the slots, then the shingle count), e.g. for a Redis value or an event. */
export function encodeSignature(signature: Signature): string {
  const bytes = Buffer.from(signature.slots.buffer, signature.slots.byteOffset, signature.slots.byteLength);
  return `${bytes.toString('base64')}.${signature.shingleCount}`;
}

export function decodeSignature(text: string): Signature {
  const [slotsText, countText] = text.split('.');
  const shingleCount = Number(countText);
  const bytes = Buffer.from(slotsText ?? '', 'base64');
  if (!slotsText || bytes.byteLength % 4 !== 0 || bytes.byteLength === 0 || !Number.isInteger(shingleCount)) {
    throw new RangeError('not an encoded signature: expected "<base64 of 32-bit slots>.<shingle count>"');
  }
  const slots = new Uint32Array(bytes.byteLength / 4);
  Buffer.from(slots.buffer).set(bytes);
  return { slots, shingleCount };
}
