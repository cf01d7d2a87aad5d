import { normalizeText } from '@petition/repeats';

// Multinomial naive Bayes over character n-grams, with add-alpha smoothing: the classic text classifier
// for small labelled sets, and for Chinese, where words are not separated, character unigrams and bigrams
// stand in for words (most Chinese words are one or two characters). Trains in a few milliseconds on the
// shipped examples, so the model is built at load time from data/labelled.jsonl rather than kept as a
// generated file that could fall behind it.

export interface Features {
  /** Each feature with how often it occurs. */
  counts: Map<string, number>;
  total: number;
}

/** Character unigrams and bigrams of the normalised text; the title counted twice, as it names the matter. */
export function featuresOf(title: string, content: string, weight = 1): Features {
  const counts = new Map<string, number>();
  let total = 0;
  const addText = (text: string, weight: number) => {
    const chars = Array.from(normalizeText(text));
    for (let index = 0; index < chars.length; index++) {
      const unigram = chars[index] as string;
      counts.set(unigram, (counts.get(unigram) ?? 0) + weight);
      total += weight;
      if (index + 1 < chars.length) {
        const bigram = `${unigram}${chars[index + 1]}`;
        counts.set(bigram, (counts.get(bigram) ?? 0) + weight);
        total += weight;
      }
    }
  };
  addText(title, 2 * weight);
  addText(content, weight);
  return { counts, total };
}

export interface NaiveBayesOptions {
  /** Add-alpha smoothing of feature counts. */
  smoothing?: number;
  /**
   * Log-likelihoods are divided by this before the softmax that gives the confidence. Naive Bayes treats
   * overlapping n-grams as independent evidence and so is far too sure of itself; dividing flattens the
   * posterior so that its top value tracks the share of right answers (see the held-out test).
   */
  temperature?: number;
}

export interface ClassScore<Label> {
  label: Label;
  /** Calibrated posterior in [0,1]; all labels' scores sum to 1. */
  probability: number;
}

export interface NaiveBayes<Label> {
  readonly labels: readonly Label[];
  /** Every label with its probability, most likely first. */
  classify(features: Features): ClassScore<Label>[];
}

export interface TrainingExample<Label> {
  label: Label;
  features: Features;
  /**
   * False for evidence that is not a document — a dictionary's keywords — which adds to its label's feature
   * counts but not to the label's prior (the share of documents with that label).
   */
  isDocument?: boolean;
}

export function trainNaiveBayes<Label>(
  examples: readonly TrainingExample<Label>[],
  options: NaiveBayesOptions = {},
): NaiveBayes<Label> {
  const smoothing = options.smoothing ?? 0.1;
  const temperature = options.temperature ?? 1;
  const documentCount = examples.filter((example) => example.isDocument !== false).length;
  if (documentCount === 0) throw new RangeError('naive Bayes needs at least one example');
  const labels = [...new Set(examples.map((example) => example.label))];
  const vocabulary = new Set<string>();
  const perLabel = new Map<Label, { documents: number; total: number; counts: Map<string, number> }>();
  for (const label of labels) perLabel.set(label, { documents: 0, total: 0, counts: new Map() });
  for (const { label, features, isDocument } of examples) {
    const stats = perLabel.get(label);
    if (!stats) continue;
    if (isDocument !== false) stats.documents++;
    stats.total += features.total;
    for (const [feature, count] of features.counts) {
      vocabulary.add(feature);
      stats.counts.set(feature, (stats.counts.get(feature) ?? 0) + count);
    }
  }
  const vocabularySize = vocabulary.size;
  return {
    labels,
    classify: (features) => {
      const logScores = labels.map((label) => {
        const stats = perLabel.get(label) as { documents: number; total: number; counts: Map<string, number> };
        // A label known only from the dictionary still gets a small prior rather than minus infinity.
        let score = Math.log(Math.max(stats.documents, 0.5) / documentCount);
        const denominator = Math.log(stats.total + smoothing * vocabularySize);
        for (const [feature, count] of features.counts) {
          // Features never seen in training say nothing about any label; skipping them keeps a long text
          // of unknown words from drowning the ones that matter.
          if (!vocabulary.has(feature)) continue;
          score += count * (Math.log((stats.counts.get(feature) ?? 0) + smoothing) - denominator);
        }
        return score / temperature;
      });
      const highest = Math.max(...logScores);
      const weights = logScores.map((score) => Math.exp(score - highest));
      const sum = weights.reduce((total, weight) => total + weight, 0);
      return labels
        .map((label, index) => ({ label, probability: (weights[index] as number) / sum }))
        .sort((a, b) => b.probability - a.probability);
    },
  };
}
