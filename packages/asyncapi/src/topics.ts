// The topics the document describes: the catalogue's, and the link family once, its nodes as parameters.
import { allTopics, linkTopic, type TopicSpec } from '@petition/bus';
import { signatureHeader, signingKeyHeader } from '@petition/federation';
import type { DocumentedTopic } from './document.ts';

export const linkFamily: DocumentedTopic = {
  spec: linkTopic('{fromNode}', '{toNode}') as unknown as TopicSpec<never>,
  channelId: 'link',
  parameters: {
    fromNode: { description: 'The id of the sending node.' },
    toNode: { description: 'The id of the receiving node.' },
  },
  extraHeaders: {
    [signatureHeader]: {
      type: 'string',
      description: 'Ed25519 signature of the value by the sending node, base64url: check it before decoding.',
    },
    [signingKeyHeader]: { type: 'string', description: 'The id of the sending node’s key that signed it.' },
  },
  extraRequiredHeaders: [signatureHeader, signingKeyHeader],
};

export const documentedTopics: readonly DocumentedTopic[] = [...allTopics.map((spec) => ({ spec })), linkFamily];
