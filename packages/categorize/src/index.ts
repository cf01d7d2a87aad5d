export {
  type Categorizer,
  type CategorizerOptions,
  type CategoryAlternative,
  defaultKeywordWeight,
  defaultTemperatures,
  type Suggestion,
  shippedCategorizer,
  suggestCategory,
  trainCategorizer,
  trainingSplitCategorizer,
} from './categorizer.ts';
export {
  isHeldOut,
  type LabelledExample,
  LabelledExampleError,
  labelledExamplesUrl,
  loadLabelledExamples,
  parseLabelledExamples,
  splitExamples,
} from './examples.ts';
export {
  type CategoryKeywords,
  categoryKeywordsUrl,
  loadCategoryKeywords,
  parseCategoryKeywords,
} from './keywords.ts';
export { categoryByLabel, categoryLabel, kindByLabel, kindLabel } from './labels.ts';
export { type Features, featuresOf, type NaiveBayes, type NaiveBayesOptions, trainNaiveBayes } from './naive-bayes.ts';
