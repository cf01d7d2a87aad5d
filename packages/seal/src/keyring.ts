import { SealError } from './errors.ts';

// Keys by id. New data is sealed under the current key; data sealed under an older key still opens while
// that key is kept; a key destroyed makes what it sealed unreadable everywhere (crypto-shredding).

export interface Keyring {
  readonly currentKeyId: string;
  key(keyId: string): Buffer | undefined;
  readonly keyIds: readonly string[];
}

const keyIdPattern = /^[A-Za-z0-9._-]{1,64}$/;

/** `kid:base64key,kid2:base64key` — the first is current; each key is 32 random bytes (AES-256). */
export function parseKeyring(spec: string): Keyring {
  const keys = new Map<string, Buffer>();
  for (const entry of spec
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const at = entry.indexOf(':');
    const keyId = entry.slice(0, at);
    if (at < 1 || !keyIdPattern.test(keyId))
      throw new SealError(
        'BAD_KEYRING',
        `entry ${keyId || '(empty)'}: key id must be 1–64 of [A-Za-z0-9._-] before ':'`,
      );
    const key = Buffer.from(entry.slice(at + 1), 'base64');
    if (key.length !== 32)
      throw new SealError('BAD_KEYRING', `key ${keyId}: must be 32 bytes in base64, got ${key.length}`);
    if (keys.has(keyId)) throw new SealError('BAD_KEYRING', `key ${keyId} appears twice`);
    keys.set(keyId, key);
  }
  const [currentKeyId] = keys.keys();
  if (!currentKeyId) throw new SealError('BAD_KEYRING', 'no key given');
  return { currentKeyId, key: (id) => keys.get(id), keyIds: [...keys.keys()] };
}

/** The development key that `npm start` uses when SEAL_KEYS is not set: never for real data. */
export const devSealKeys = 'dev:ZGV2ZWxvcG1lbnQtb25seS1zZWFsLWtleS0wMDAwMDA=';
