import { createHash, createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { AuthError } from './errors.ts';

// The petitioner's query code: 10 characters of Crockford's base32 (50 bits), shown once. What events carry
// is its verifier: an HMAC under the node's query-code secret, bound to the case number. The secret is held
// by the services that check codes (intake and tracking) and nobody else, so a reader of the topics, a
// webhook or a leaked backup cannot try the 2^50 codes offline: without the secret nothing can be checked.
// (An unkeyed hash of 50 bits, as before, falls to one GPU in hours.)
//
// Nodes of a federation share no secret, yet a case registered at one node is followed at another (the
// node of its region, the national node). There the code is longer — 16 characters, 80 bits — and its
// verifier (`q2`) is an unkeyed SHA-256 that any node holding the case can check: 2^80 tries are out of
// reach offline (a GPU doing 10^10 hashes a second needs millions of years). A node checks both kinds.

const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** The verifier's version, so that a new scheme can be told apart from this one. */
const scheme = 'q1';
/** The federation's: checkable by any node, for a code long enough that it needs no secret. */
const publicScheme = 'q2';
export const queryCodeLength = 10;
export const federatedQueryCodeLength = 16;

export function newQueryCode(length: number = queryCodeLength): string {
  let code = '';
  for (let i = 0; i < length; i++) code += alphabet[randomInt(alphabet.length)];
  return code;
}

/** Uppercase, and the look-alikes petitioners type (O→0, I/L→1) mapped as Crockford does. */
export const normalizeQueryCode = (code: string) =>
  code.trim().toUpperCase().replace(/O/g, '0').replace(/[IL]/g, '1').replace(/[-\s]/g, '');

/** The secret must be long enough that it cannot itself be guessed. */
export function checkQueryCodeSecret(secret: string): string {
  if (secret.length < 32) throw new AuthError('BAD_KEYS', 'the query-code secret must have at least 32 characters');
  return secret;
}

const mac = (secret: string, caseNumber: string, code: string) =>
  createHmac('sha256', secret)
    .update(`${caseNumber}:${normalizeQueryCode(code)}`)
    .digest();

/** `q1:<base64url HMAC-SHA256(secret, caseNumber:code)>`: what a registration carries instead of the code. */
export const queryCodeVerifier = (secret: string, caseNumber: string, code: string) =>
  `${scheme}:${mac(secret, caseNumber, code).toString('base64url')}`;

const digest = (caseNumber: string, code: string) =>
  createHash('sha256')
    .update(`${caseNumber}:${normalizeQueryCode(code)}`)
    .digest();

/** `q2:<base64url SHA-256(caseNumber:code)>` for a code of at least 16 characters: any node can check it. */
export function publicQueryCodeVerifier(caseNumber: string, code: string): string {
  if (normalizeQueryCode(code).length < federatedQueryCodeLength) {
    throw new AuthError(
      'BAD_KEYS',
      `a query code checked without a secret needs ${federatedQueryCodeLength} characters`,
    );
  }
  return `${publicScheme}:${digest(caseNumber, code).toString('base64url')}`;
}

export function queryCodeMatches(secret: string, caseNumber: string, code: string, verifier: string): boolean {
  if (code.length > 64) return false;
  const [kind, stored64 = ''] = verifier.split(':', 2);
  const given =
    kind === scheme
      ? mac(secret, caseNumber, code)
      : kind === publicScheme && normalizeQueryCode(code).length >= federatedQueryCodeLength
        ? digest(caseNumber, code)
        : undefined;
  const stored = Buffer.from(stored64, 'base64url');
  return !!given && given.length === stored.length && timingSafeEqual(given, stored);
}

/** The secret `npm start` and the tests verify query codes with when QUERY_CODE_SECRET is not set: never for real use. */
export const devQueryCodeSecret = 'development-only-query-code-secret-000000';
