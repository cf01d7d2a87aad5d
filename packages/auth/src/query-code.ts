import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

// The petitioner's query code: 10 characters of Crockford's base32 (50 bits), shown once. Events carry only
// its hash, bound to the case number, so nobody reading the topics learns it.

const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newQueryCode(): string {
  let code = '';
  for (let i = 0; i < 10; i++) code += alphabet[randomInt(alphabet.length)];
  return code;
}

/** Uppercase, and the look-alikes petitioners type (O→0, I/L→1) mapped as Crockford does. */
export const normalizeQueryCode = (code: string) =>
  code.trim().toUpperCase().replace(/O/g, '0').replace(/[IL]/g, '1').replace(/[-\s]/g, '');

export const queryCodeHash = (caseNumber: string, code: string) =>
  createHash('sha256')
    .update(`${caseNumber}:${normalizeQueryCode(code)}`)
    .digest('hex');

export function queryCodeMatches(caseNumber: string, code: string, hash: string): boolean {
  const given = Buffer.from(queryCodeHash(caseNumber, code), 'hex');
  const stored = Buffer.from(hash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
