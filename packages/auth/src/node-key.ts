import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { JWK } from 'jose';
import { AuthError } from './errors.ts';

// Each node signs its staff's tokens with its own Ed25519 key; services hold only the public halves, so a
// service that verifies can never mint. Ed25519 because its keys and signatures are small, signing needs no
// randomness that could leak the key, and node:crypto signs with it synchronously.

export interface NodeKey {
  /** Holds `d`: stays on the node that signs. */
  readonly privateJwk: JWK;
  /** What verifiers are given (in a key set): the same key without `d`. */
  readonly publicJwk: JWK;
}

/**
 * The RFC 7638 thumbprint of an Ed25519 key: a key id that the key itself determines, so that the same
 * key always gets the same id and two keys never share one by accident.
 */
function thumbprint(jwk: JWK): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x });
  return createHash('sha256').update(canonical).digest('base64url');
}

export function generateNodeKey(keyId?: string): NodeKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  return nodeKeyFrom({ ...(privateKey.export({ format: 'jwk' }) as JWK), ...(keyId ? { kid: keyId } : {}) });
}

/** The public half of a private Ed25519 JWK, both labelled with the key id, `use: sig` and `alg: EdDSA`. */
export function nodeKeyFrom(privateJwk: JWK): NodeKey {
  if (privateJwk.kty !== 'OKP' || privateJwk.crv !== 'Ed25519' || typeof privateJwk.d !== 'string') {
    throw new AuthError('BAD_KEYS', 'a node key is a private Ed25519 JWK (kty OKP, crv Ed25519, with d)');
  }
  let x: string | undefined;
  try {
    x = (createPublicKey({ key: privateJwk, format: 'jwk' }).export({ format: 'jwk' }) as JWK).x;
  } catch (cause) {
    throw new AuthError('BAD_KEYS', 'the node key does not import as an Ed25519 key', { cause });
  }
  const base = { kty: 'OKP', crv: 'Ed25519', x } as const;
  const labels = { kid: privateJwk.kid ?? thumbprint(base), use: 'sig', alg: 'EdDSA' } as const;
  return { privateJwk: { ...base, d: privateJwk.d, ...labels }, publicJwk: { ...base, ...labels } };
}

/** `{ keys: [...] }` — the key set verifiers are given; several keys while one replaces another. */
export function publicJwks(...keys: readonly (JWK | NodeKey)[]): { keys: JWK[] } {
  return { keys: keys.map((key) => ('publicJwk' in key ? key.publicJwk : publicHalf(key as JWK))) };
}

// The members that make a JWK private (RFC 7518 §6): a key set handed to verifiers must carry none of them.
export const privateJwkMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

function publicHalf(jwk: JWK): JWK {
  const copy: Record<string, unknown> = { ...jwk };
  for (const member of privateJwkMembers) delete copy[member];
  return copy as JWK;
}
