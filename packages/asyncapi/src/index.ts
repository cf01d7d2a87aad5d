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

/**
 * The event types (`event-type` header values, e.g. `petition.v1.CaseForwarded`) the kept document lists for a
 * topic of the catalogue (its name, e.g. `petition.case-events.v1`): what a subscription's filter may name.
 */
export function eventTypesOf(topicName: string): string[] {
  const document = JSON.parse(readAsyncApiDocument()) as {
    channels: Record<string, { address?: string; messages?: Record<string, { $ref: string }> }>;
    components: { messages: Record<string, { name?: string }> };
  };
  const channel = Object.values(document.channels).find((c) => c.address === topicName);
  if (!channel) throw new Error(`the AsyncAPI document has no channel for ${topicName}`);
  return Object.values(channel.messages ?? {}).map((m) => {
    const name = document.components.messages[m.$ref.split('/').pop() ?? '']?.name;
    if (!name) throw new Error(`the AsyncAPI document's ${m.$ref} has no name`);
    return name;
  });
}
