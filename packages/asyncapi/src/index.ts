// The AsyncAPI document of the topics, kept in the repo (docs/asyncapi.json) for integrators who consume
// Kafka directly and served by intake at /asyncapi.json. `npm run gen` writes it (scripts/asyncapi.ts);
// a test fails when the kept one differs from what the contract and the catalogue make.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export { asyncApiDocument, type DocumentedTopic } from './document.ts';
export { documentedTopics, linkFamily } from './topics.ts';

export const asyncApiDocumentPath = fileURLToPath(new URL('../../../docs/asyncapi.json', import.meta.url));

/** The kept document's text, as served. */
export function readAsyncApiDocument(): string {
  return readFileSync(asyncApiDocumentPath, 'utf8');
}
