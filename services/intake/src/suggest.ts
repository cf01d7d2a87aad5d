import { type Suggestion, shippedCategorizer } from '@petition/categorize';
import { categoryToJSON, petitionKindToJSON } from '@petition/contract';
import type { FastifyInstance } from 'fastify';
import { petitionBodySchema } from './petition-request.ts';

// POST /v1/petitions/suggest: a category and kind suggested for a title and content, for the registrar to
// keep or change before registering (issue 24). Any verified staff token may ask — the answer holds
// nothing about anyone — and nothing is stored or published. The title and content take the same bounds
// as a registration's, so whatever can be registered can be suggested for.

const { title, content } = petitionBodySchema.properties;

export const suggestBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['title', 'content'],
  properties: { title, content },
} as const;

const alternative = {
  type: 'object',
  properties: {
    category: { type: 'string' },
    categoryLabel: { type: 'string' },
    confidence: { type: 'number' },
  },
} as const;

const suggestionSchema = {
  type: 'object',
  description:
    'Enum names as in the events (CATEGORY_…, PETITION_KIND_…); the labels are the words POST /v1/petitions takes',
  properties: {
    category: { type: 'string' },
    categoryLabel: { type: 'string' },
    kind: { type: 'string' },
    kindLabel: { type: 'string' },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
    kindConfidence: { type: 'number', minimum: 0, maximum: 1 },
    alternatives: { type: 'array', items: alternative },
  },
} as const;

/** The suggestion as the API shows it: enum names beside the Chinese labels, confidences to 3 places. */
export function suggestionJson(suggestion: Suggestion) {
  const rounded = (value: number) => Math.round(value * 1000) / 1000;
  return {
    category: categoryToJSON(suggestion.category),
    categoryLabel: suggestion.categoryLabel,
    kind: petitionKindToJSON(suggestion.kind),
    kindLabel: suggestion.kindLabel,
    confidence: rounded(suggestion.confidence),
    kindConfidence: rounded(suggestion.kindConfidence),
    alternatives: suggestion.alternatives.map((entry) => ({
      category: categoryToJSON(entry.category),
      categoryLabel: entry.categoryLabel,
      confidence: rounded(entry.confidence),
    })),
  };
}

/** `authenticate` verifies the Authorization header's staff token, throwing the 401 problem when it fails. */
export function suggestRoute(
  app: FastifyInstance,
  authenticate: (authorization: string | undefined) => Promise<unknown>,
) {
  // Trained here, at start (about 50 ms), rather than on the first request.
  const categorizer = shippedCategorizer();
  app.post<{ Body: { title: string; content: string } }>(
    '/v1/petitions/suggest',
    {
      schema: {
        summary: 'A suggested category (of the 18) and kind (of the three) for a petition’s title and content',
        description:
          'Naive Bayes over character n-grams with a keyword dictionary, trained on labelled examples written by the project (packages/categorize); held-out accuracy in the README. A suggestion only: the registrar chooses.',
        tags: ['unit'],
        security: [{ unitToken: [] }],
        body: suggestBodySchema,
        response: { 200: suggestionSchema },
      },
    },
    async (request) => {
      await authenticate(request.headers.authorization);
      return suggestionJson(categorizer.suggest(request.body.title, request.body.content));
    },
  );
}
