export {
  createMinHasher,
  DEFAULT_HASH_COUNT,
  DEFAULT_SHINGLE_SIZE,
  decodeSignature,
  EMPTY_SLOT,
  encodeSignature,
  estimatedContainment,
  estimatedJaccard,
  fnv1a32,
  type MinHasher,
  type MinHasherOptions,
  mix32,
  type Signature,
  signPetition,
} from './minhash.ts';
export { normalizeText, shingles } from './normalize.ts';
export {
  createRepeatIndex,
  type IndexedPetition,
  type RepeatIndex,
  type RepeatIndexOptions,
  type RepeatMatch,
  type RepeatVerdict,
  repeatScore,
} from './repeat-index.ts';
export {
  defaultClusterThreshold,
  defaultRepeatThresholds,
  type RepeatThresholds,
  validateThresholds,
} from './repeat-thresholds.ts';
export {
  createLshIndex,
  type LshIndex,
  type LshOptions,
  type SignedItem,
  type SimilarPair,
  similarGroups,
  similarPetitions,
} from './similar.ts';
