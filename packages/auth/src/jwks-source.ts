import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { JWK } from 'jose';
import { AuthError } from './errors.ts';
import { privateJwkMembers } from './node-key.ts';

// Where a service finds the public keys of the nodes whose staff it trusts: one setting (STAFF_JWKS) that
// holds the key set itself, names a file, or names the URL a node publishes it at.

export type PublicKeySet = { readonly keys: JWK[] };

const bad = (message: string, cause?: unknown) => new AuthError('BAD_KEYS', message, { cause });

/**
 * A key set fit to verify with: a non-empty list of public keys, each importable, no two with one kid.
 * A private member anywhere is refused — a service holding a node's signing key could mint its tokens.
 */
export function publicKeySetOf(value: unknown, source: string): PublicKeySet {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (typeof value !== 'object' || value === null || !Array.isArray(keys) || keys.length === 0) {
    throw bad(`${source}: a key set is {"keys": [...]} with at least one key`);
  }
  const kids = new Set<string>();
  keys.forEach((key: unknown, index) => {
    const name = `${source}: key ${index}${(key as JWK | null)?.kid ? ` (${(key as JWK).kid})` : ''}`;
    if (typeof key !== 'object' || key === null || typeof (key as JWK).kty !== 'string') {
      throw bad(`${name} is not a JWK (no kty)`);
    }
    const jwk = key as JWK;
    const secret = privateJwkMembers.find((member) => member in jwk);
    if (secret) throw bad(`${name} holds the private member "${secret}": services are given public keys only`);
    if (jwk.kid !== undefined) {
      if (kids.has(jwk.kid)) throw bad(`${name}: two keys have the kid ${jwk.kid}`);
      kids.add(jwk.kid);
    }
    try {
      createPublicKey({ key: jwk, format: 'jwk' });
    } catch (cause) {
      throw bad(`${name} does not import as a public key`, cause);
    }
  });
  return { keys: keys as JWK[] };
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw bad(`${source} is not JSON`, cause);
  }
}

/**
 * `{"keys":[...]}` inline, a path to a file holding that, or an http(s) URL serving it (which then goes to
 * jose's remote key set, fetched and cached as tokens with new kids arrive).
 */
export function jwksFrom(spec: string): PublicKeySet | URL {
  const given = spec.trim();
  if (!given) throw bad('no key set given: inline JSON {"keys":[...]}, a file path or an http(s) URL');
  if (given.startsWith('{')) return publicKeySetOf(parseJson(given, 'the inline key set'), 'the inline key set');
  if (/^https?:\/\//i.test(given)) {
    try {
      return new URL(given);
    } catch (cause) {
      throw bad(`"${given}" is not a URL`, cause);
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(given)) {
    throw bad(`"${given}": a key set URL is http: or https:, anything else a file path`);
  }
  let text: string;
  try {
    text = readFileSync(given, 'utf8');
  } catch (cause) {
    throw bad(`key set file ${given} cannot be read (${(cause as NodeJS.ErrnoException).code ?? cause})`, cause);
  }
  return publicKeySetOf(parseJson(text, `key set file ${given}`), `key set file ${given}`);
}
