import { Category, PetitionKind } from '@petition/contract';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  categoryByLabel,
  kindByLabel,
  LabelledExampleError,
  loadLabelledExamples,
  parseCategoryKeywords,
  parseLabelledExamples,
  splitExamples,
  suggestCategory,
  trainCategorizer,
} from './index.ts';

// Category and kind suggestion: accuracy on the held-out examples, measured and printed on every run.

const examples = loadLabelledExamples();
const { train, heldOut } = splitExamples(examples);

function mostCommon(labels: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
}

describe('the labelled examples', () => {
  it('cover all 18 categories with at least 25 each, and all three kinds', () => {
    for (const label of categoryByLabel.keys()) {
      expect(examples.filter((example) => example.category === label).length, label).toBeGreaterThanOrEqual(25);
    }
    for (const label of kindByLabel.keys()) expect(examples.some((example) => example.kind === label)).toBe(true);
  });

  it('are split about 80/20, the same way every time, with every category in training', () => {
    expect(heldOut.length / examples.length).toBeGreaterThan(0.12);
    expect(heldOut.length / examples.length).toBeLessThan(0.28);
    expect(splitExamples(examples).heldOut.map((example) => example.id)).toEqual(heldOut.map((example) => example.id));
    for (const label of categoryByLabel.keys()) expect(train.some((example) => example.category === label)).toBe(true);
  });

  it('refuses a bad line naming its line number and field', () => {
    const good = JSON.stringify({ id: 'a', category: '教育', kind: '申诉求决', title: 't', content: 'c' });
    expect(() => parseLabelledExamples(`${good}\n{"id":"b"}`)).toThrow(/line 2: category must be a non-empty string/);
    expect(() => parseLabelledExamples(good.replace('教育', '体育'))).toThrow(/"体育" is not one of the 18/);
    expect(() => parseLabelledExamples(`${good}\n${good}`)).toThrow(/id "a" is used twice/);
    expect(() => parseLabelledExamples('not json')).toThrow(LabelledExampleError);
    expect(() => parseCategoryKeywords('{"体育":["足球"]}')).toThrow(/not one of the 18 categories/);
  });
});

describe('accuracy on the held-out examples', () => {
  it('is printed, and well above the majority-class baseline', () => {
    const started = performance.now();
    const categorizer = trainCategorizer(train);
    const trainingMs = performance.now() - started;
    let top1 = 0;
    let top3 = 0;
    let kindRight = 0;
    const confidenceWhenRight: number[] = [];
    const confidenceWhenWrong: number[] = [];
    for (const example of heldOut) {
      const suggestion = categorizer.suggest(example.title, example.content);
      const expected = categoryByLabel.get(example.category);
      const right = suggestion.category === expected;
      if (right) top1++;
      if (right || suggestion.alternatives.some((alternative) => alternative.category === expected)) top3++;
      if (suggestion.kind === kindByLabel.get(example.kind)) kindRight++;
      (right ? confidenceWhenRight : confidenceWhenWrong).push(suggestion.confidence);
    }
    const share = (count: number) => count / heldOut.length;
    const majorityCategory = mostCommon(train.map((example) => example.category));
    const majorityKind = mostCommon(train.map((example) => example.kind));
    const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
    const figures = {
      heldOut: heldOut.length,
      trainedOn: train.length,
      trainingMs: Math.round(trainingMs),
      categoryTop1: share(top1),
      categoryTop3: share(top3),
      kind: share(kindRight),
      categoryBaseline: share(heldOut.filter((example) => example.category === majorityCategory).length),
      kindBaseline: share(heldOut.filter((example) => example.kind === majorityKind).length),
      meanConfidenceRight: mean(confidenceWhenRight),
      meanConfidenceWrong: mean(confidenceWhenWrong),
    };
    console.log(`categorize held-out ${JSON.stringify(figures)}`);
    // Floors: 18 categories make the majority baseline a few percent (3.5% on this set), so 0.6 top-1 is many times
    // it; the measured value (0.79 when written) sits about four standard errors (sqrt(p(1-p)/86) ≈ 0.044)
    // above the floor, so new examples move it without failing the run unless the model really got worse.
    // Kinds are lopsided (申诉求决 about two thirds), so the kind floor is set above that baseline by a
    // margin rather than as a multiple.
    expect(figures.categoryTop1).toBeGreaterThanOrEqual(0.6);
    expect(figures.categoryTop1).toBeGreaterThan(4 * figures.categoryBaseline);
    expect(figures.categoryTop3).toBeGreaterThanOrEqual(0.8);
    expect(figures.kind).toBeGreaterThanOrEqual(0.8);
    expect(figures.kind).toBeGreaterThan(figures.kindBaseline + 0.1);
    // The confidence means something: it is higher, on average, when the suggestion is right.
    expect(figures.meanConfidenceRight).toBeGreaterThan(figures.meanConfidenceWrong);
  });
});

describe('suggestCategory', () => {
  it('suggests 劳动社保 and 申诉求决 for wage arrears, and 纪检监察 and 检举控告 for embezzlement', () => {
    const wages = suggestCategory('讨要工资', '我在工地干了半年活，老板一直拖着不发工资，请求帮助讨薪。');
    expect(wages).toMatchObject({
      category: Category.CATEGORY_LABOR_SOCIAL_SECURITY,
      categoryLabel: '劳动社保',
      kind: PetitionKind.PETITION_KIND_COMPLAINT,
      kindLabel: '申诉求决',
    });
    const graft = suggestCategory('举报村主任', '村主任贪污村里的修路款，还收受承包商的红包，请求纪委查处。');
    expect(graft).toMatchObject({
      category: Category.CATEGORY_DISCIPLINE_SUPERVISION,
      kind: PetitionKind.PETITION_KIND_ACCUSATION,
    });
  });

  it('always answers one of the 18 categories and 3 kinds, with confidences in [0,1], alternatives distinct', () => {
    const categories = new Set(categoryByLabel.values());
    const kinds = new Set(kindByLabel.values());
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.string({ maxLength: 400 }), (title, content) => {
        const suggestion = suggestCategory(title, content);
        expect(categories.has(suggestion.category)).toBe(true);
        expect(kinds.has(suggestion.kind)).toBe(true);
        for (const confidence of [suggestion.confidence, suggestion.kindConfidence]) {
          expect(confidence).toBeGreaterThanOrEqual(0);
          expect(confidence).toBeLessThanOrEqual(1);
        }
        const offered = [suggestion.category, ...suggestion.alternatives.map((alternative) => alternative.category)];
        expect(new Set(offered).size).toBe(3);
        expect(suggestion.alternatives.every((alternative) => alternative.confidence <= suggestion.confidence)).toBe(
          true,
        );
      }),
      { numRuns: 100 },
    );
  });
});
