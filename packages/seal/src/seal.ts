import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject, randomFillSync } from 'node:crypto';
import { Person, SealAlgorithm, type SealedData } from '@petition/contract';
import { SealError } from './errors.ts';
import type { Keyring } from './keyring.ts';

// AES-256-GCM with a fresh 96-bit nonce per seal. The additional data binds the ciphertext to where it
// belongs (the case and the purpose), so a sealed record copied into another case does not open there.

// Each key is made a KeyObject once (a raw key given to createCipheriv is imported again every time), and
// nonces are cut from a pool of random bytes drawn 12 KiB at a time (one draw for each 1,024 seals);
// each nonce is copied out, never a view of the pool.
const keyObjects = new WeakMap<Buffer, KeyObject>();
function keyObjectOf(key: Buffer): KeyObject {
  let found = keyObjects.get(key);
  if (!found) {
    found = createSecretKey(key);
    keyObjects.set(key, found);
  }
  return found;
}
let pool = Buffer.alloc(0);
let used = 0;
function freshNonce(): Buffer {
  if (used + 12 > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(12 * 1024));
    used = 0;
  }
  used += 12;
  return Buffer.from(pool.subarray(used - 12, used));
}

export function seal(keyring: Keyring, plaintext: Uint8Array, purpose: string, aad: string): SealedData {
  const key = keyObjectOf(keyring.key(keyring.currentKeyId) as Buffer);
  const nonce = freshNonce();
  const aadBytes = Buffer.from(aad, 'utf8');
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(aadBytes);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return {
    algorithm: SealAlgorithm.SEAL_ALGORITHM_AES_256_GCM,
    keyId: keyring.currentKeyId,
    nonce,
    ciphertext,
    authTag: cipher.getAuthTag(),
    purpose,
    aad: aadBytes,
  };
}

export function open(keyring: Keyring, sealed: SealedData): Uint8Array {
  if (sealed.algorithm !== SealAlgorithm.SEAL_ALGORITHM_AES_256_GCM) {
    throw new SealError('UNSUPPORTED', `algorithm ${sealed.algorithm}`);
  }
  const key = keyring.key(sealed.keyId);
  if (!key) throw new SealError('KEY_DESTROYED', `key ${sealed.keyId} is not held (destroyed or never given)`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyObjectOf(key), sealed.nonce);
    decipher.setAAD(sealed.aad);
    decipher.setAuthTag(sealed.authTag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
  } catch {
    throw new SealError('TAMPERED', 'the sealed data does not authenticate');
  }
}

/** Seals a person for a case: the event carries only the person id and the sealed bytes. */
export const sealPerson = (keyring: Keyring, person: Person, caseId: string, purpose: string): SealedData =>
  seal(keyring, Person.encode(person).finish(), purpose, `${caseId}|${purpose}`);

/** The plaintext of a value sealed for `caseId`, refused when it was sealed for another case. */
function openFor(keyring: Keyring, sealed: SealedData, caseId: string): Uint8Array {
  if (Buffer.from(sealed.aad).toString('utf8') !== `${caseId}|${sealed.purpose}`) {
    throw new SealError('TAMPERED', 'sealed for another case');
  }
  return open(keyring, sealed);
}

export const openPerson = (keyring: Keyring, sealed: SealedData, caseId: string): Person =>
  Person.decode(openFor(keyring, sealed, caseId));

/** Seals a short text for a case (e.g. the query code, for notification alone to send). */
export const sealText = (keyring: Keyring, text: string, caseId: string, purpose: string): SealedData =>
  seal(keyring, Buffer.from(text, 'utf8'), purpose, `${caseId}|${purpose}`);

export const openText = (keyring: Keyring, sealed: SealedData, caseId: string): string =>
  Buffer.from(openFor(keyring, sealed, caseId)).toString('utf8');
