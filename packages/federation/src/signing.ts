import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { type JWK, nodeKeyFrom } from '@petition/auth';
import { FederationError } from './errors.ts';
import type { FederationNode } from './federation.ts';

// Each node signs what it sends on the interconnect with its node key (Ed25519 over the record's value
// bytes, exactly as they travel); the key id goes in a header. The receiver knows every member's public
// keys (the trust anchors, distributed with the directory) and so which node signed.

export const signatureHeader = 'signature';
export const signingKeyHeader = 'signing-key-id';

export interface RecordSigner {
  readonly keyId: string;
  /** The headers that sign `value`. */
  sign(value: Uint8Array): Record<string, string>;
}

export function createRecordSigner(privateJwk: JWK): RecordSigner {
  const key = nodeKeyFrom(privateJwk);
  const privateKey = createPrivateKey({ key: key.privateJwk, format: 'jwk' });
  const keyId = key.publicJwk.kid ?? '';
  return {
    keyId,
    sign: (value) => ({
      [signatureHeader]: sign(null, value, privateKey).toString('base64url'),
      [signingKeyHeader]: keyId,
    }),
  };
}

export interface RecordVerifier {
  /** The member node whose key signed `value`; throws a FederationError when none did. */
  signerOf(value: Uint8Array, headers: Readonly<Record<string, string>>): string;
}

export function createRecordVerifier(nodes: readonly FederationNode[]): RecordVerifier {
  const anchors = new Map<string, { nodeId: string; key: KeyObject }>();
  for (const node of nodes) {
    for (const jwk of node.jwks.keys) {
      if (!jwk.kid) throw new Error(`FEDERATION: a key of node ${node.id} has no kid`);
      if (anchors.has(jwk.kid)) throw new Error(`FEDERATION: two keys have the kid ${jwk.kid}`);
      anchors.set(jwk.kid, { nodeId: node.id, key: createPublicKey({ key: jwk, format: 'jwk' }) });
    }
  }
  return {
    signerOf(value, headers) {
      const signature = headers[signatureHeader];
      const keyId = headers[signingKeyHeader];
      if (!signature || !keyId) throw new FederationError('UNSIGNED');
      const anchor = anchors.get(keyId);
      if (!anchor) throw new FederationError('UNKNOWN_SIGNING_KEY', keyId);
      if (!verify(null, value, anchor.key, Buffer.from(signature, 'base64url'))) {
        throw new FederationError('BAD_SIGNATURE', `key ${keyId} of node ${anchor.nodeId}`);
      }
      return anchor.nodeId;
    },
  };
}
