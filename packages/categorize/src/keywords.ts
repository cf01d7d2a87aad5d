import { readFileSync } from 'node:fs';
import type { Category } from '@petition/contract';
import { LabelledExampleError } from './examples.ts';
import { categoryByLabel } from './labels.ts';

// The keyword dictionary (data/keywords.json): for each category by its Chinese name, words that name its
// matters. Twenty-odd examples per category cannot show every word a petitioner may use; the departments'
// remits can, and the words join the training data as evidence for their category.

export type CategoryKeywords = ReadonlyMap<Category, readonly string[]>;

export const categoryKeywordsUrl = new URL('../data/keywords.json', import.meta.url);

export function parseCategoryKeywords(text: string): CategoryKeywords {
  const value: unknown = JSON.parse(text);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new LabelledExampleError('keywords must be a JSON object of category name → list of words');
  }
  const keywords = new Map<Category, readonly string[]>();
  for (const [label, words] of Object.entries(value)) {
    if (label.startsWith('$')) continue;
    const category = categoryByLabel.get(label);
    if (category === undefined) throw new LabelledExampleError(`keywords: "${label}" is not one of the 18 categories`);
    if (!Array.isArray(words) || words.some((word) => typeof word !== 'string' || word === '')) {
      throw new LabelledExampleError(`keywords: "${label}" must be a list of non-empty strings`);
    }
    keywords.set(category, words as string[]);
  }
  return keywords;
}

export function loadCategoryKeywords(url: URL = categoryKeywordsUrl): CategoryKeywords {
  return parseCategoryKeywords(readFileSync(url, 'utf8'));
}
