import { readFileSync } from 'node:fs';
import { type JWK, publicKeySetOf } from '@petition/auth';
import { str } from '@petition/config';
import type { Directory } from '@petition/directory';
import { createFederation, type FederationNode, type FederationSpec, singleNode } from './federation.ts';
import { createRecordSigner, type RecordSigner } from './signing.ts';

// The settings that make a deployment one node of the federation. Without NODE_ID it is the whole nation
// in one node, as `npm start` runs by default.

/** Which node this is and who the others are: every service of a node reads these. */
export const membershipSchema = {
  nodeId: str('NODE_ID', {
    optional: true,
    doc: 'This node’s id in the federation: `national` or a province code (`33`); unset, the deployment is the whole nation in one node',
  }),
  federation: str('FEDERATION', {
    optional: true,
    doc: 'The member nodes and their public keys (the trust anchors): JSON `{"nodes":[{"id","jwks":{"keys":[…]},"trackingUrl","intakeUrl"}]}` inline or a file path; required with NODE_ID',
  }),
} as const;

/** Routing's: the membership and the key that signs what the node sends. */
export const federationSchema = {
  ...membershipSchema,
  nodeSigningKey: str('NODE_SIGNING_KEY', {
    optional: true,
    secret: true,
    doc: 'This node’s private Ed25519 key (JWK, inline or a file path) that signs what it sends on the interconnect; routing only, required with NODE_ID',
  }),
} as const;

export interface FederationConfig {
  readonly nodeId?: string;
  readonly federation?: string;
  readonly nodeSigningKey?: string;
}

const readJson = (spec: string, what: string): unknown => {
  const text = spec.trim().startsWith('{') ? spec : readFileSync(spec, 'utf8');
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new Error(`${what} is not JSON`, { cause });
  }
};

/** The federation as FEDERATION describes it; the single-node nation without NODE_ID. */
export function federationSpecFrom(config: FederationConfig): FederationSpec {
  if (!config.nodeId) return singleNode;
  if (!config.federation)
    throw new Error('FEDERATION is required with NODE_ID: the member nodes and their public keys');
  const parsed = readJson(config.federation, 'FEDERATION') as { nodes?: unknown };
  if (!Array.isArray(parsed.nodes) || parsed.nodes.length === 0) {
    throw new Error('FEDERATION: {"nodes": [...]} with at least one node');
  }
  const nodes: FederationNode[] = parsed.nodes.map((raw: unknown, index: number) => {
    const n = raw as Partial<FederationNode> | null;
    if (!n || typeof n.id !== 'string' || !/^(national|[1-9][0-9])$/.test(n.id)) {
      throw new Error(`FEDERATION: node ${index} needs an id, "national" or a two-digit province code`);
    }
    return {
      id: n.id,
      jwks: publicKeySetOf(n.jwks, `FEDERATION: node ${n.id}'s jwks`),
      trackingUrl: typeof n.trackingUrl === 'string' ? n.trackingUrl : undefined,
      intakeUrl: typeof n.intakeUrl === 'string' ? n.intakeUrl : undefined,
    };
  });
  return { self: config.nodeId, nodes };
}

export const federationFrom = (config: FederationConfig, directory: Directory) =>
  createFederation(federationSpecFrom(config), directory);

/** This node's interconnect signer; undefined for the single-node nation. */
export function recordSignerFrom(config: FederationConfig): RecordSigner | undefined {
  if (!config.nodeId) return undefined;
  if (!config.nodeSigningKey) throw new Error('NODE_SIGNING_KEY is required with NODE_ID: routing signs what it sends');
  return createRecordSigner(readJson(config.nodeSigningKey, 'NODE_SIGNING_KEY') as JWK);
}
