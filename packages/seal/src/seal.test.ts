import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openPerson, openText, parseKeyring, SealError, sealPerson, sealText } from './index.ts';

const key = () => randomBytes(32).toString('base64');
const person = {
  name: '张三',
  idNumber: '330106199001011234',
  idType: 'resident',
  phone: '13800000000',
  address: '杭州',
  email: '',
};

describe('sealed personal data', () => {
  it('opens with the key it was sealed under, and only for its own case', () => {
    const ring = parseKeyring(`k1:${key()}`);
    const sealed = sealPerson(ring, person, 'case-1', 'petitioner');
    expect(sealed.keyId).toBe('k1');
    expect(Buffer.from(sealed.ciphertext).toString('utf8')).not.toContain('张三');
    expect(openPerson(ring, sealed, 'case-1')).toEqual(person);
    expect(() => openPerson(ring, sealed, 'case-2')).toThrow(/TAMPERED/);
  });

  it('never uses a nonce twice, across draws of the nonce pool, and each seal owns its nonce', () => {
    const ring = parseKeyring(`k1:${key()}`);
    const sealed = Array.from({ length: 3_000 }, (_, i) => sealText(ring, `code-${i}`, 'case-1', 'query-code'));
    const nonces = sealed.map((s) => Buffer.from(s.nonce).toString('hex'));
    expect(new Set(nonces).size).toBe(3_000);
    expect(sealed.every((s) => s.nonce.length === 12)).toBe(true);
    const first = Buffer.from(sealed[0]?.nonce ?? []);
    sealed[1]?.nonce.fill(0); // a view of a shared pool would change its neighbour
    expect(Buffer.from(sealed[0]?.nonce ?? [])).toEqual(first);
    const last = sealed.at(-1);
    expect(last && openText(ring, last, 'case-1')).toBe('code-2999');
  });

  it('seals a short text (the query code) the same way, for its case only', () => {
    const ring = parseKeyring(`k1:${key()}`);
    const sealed = sealText(ring, 'K7QZ-93MX', 'case-1', 'query-code');
    expect(Buffer.from(sealed.ciphertext).toString('utf8')).not.toContain('K7QZ');
    expect(openText(ring, sealed, 'case-1')).toBe('K7QZ-93MX');
    expect(() => openText(ring, sealed, 'case-2')).toThrow(/TAMPERED/);
  });

  it('keeps opening old data after rotation; a destroyed key erases it (crypto-shredding)', () => {
    const k1 = key();
    const old = sealPerson(parseKeyring(`k1:${k1}`), person, 'case-1', 'petitioner');
    const rotated = parseKeyring(`k2:${key()},k1:${k1}`);
    expect(openPerson(rotated, old, 'case-1').name).toBe('张三');
    expect(sealPerson(rotated, person, 'case-1', 'petitioner').keyId).toBe('k2');
    const shredded = parseKeyring(`k2:${key()}`);
    expect(() => openPerson(shredded, old, 'case-1')).toThrow(SealError);
    expect(() => openPerson(shredded, old, 'case-1')).toThrow(/KEY_DESTROYED/);
  });

  it('detects tampering', () => {
    const ring = parseKeyring(`k1:${key()}`);
    const sealed = sealPerson(ring, person, 'case-1', 'petitioner');
    const flipped = Buffer.from(sealed.ciphertext);
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(() => openPerson(ring, { ...sealed, ciphertext: flipped }, 'case-1')).toThrow(/TAMPERED/);
  });

  it('refuses a keyring that is not one, naming the entry', () => {
    expect(() => parseKeyring('')).toThrow(/no key/);
    expect(() => parseKeyring('k1:c2hvcnQ=')).toThrow(/k1: must be 32 bytes/);
    expect(() => parseKeyring(`:${key()}`)).toThrow(/key id/);
    const k = key();
    expect(() => parseKeyring(`a:${k},a:${k}`)).toThrow(/twice/);
  });
});
