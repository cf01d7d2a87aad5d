import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  caseNumberSource,
  checkQueryCodeSecret,
  federatedQueryCodeLength,
  isCaseNumber,
  newQueryCode,
  publicQueryCodeVerifier,
  queryCodeMatches,
  queryCodeVerifier,
} from './index.ts';

describe('query codes', () => {
  const secret = 'q'.repeat(40);
  it('match their verifier only for their case and node secret, forgiving case and look-alike letters', () => {
    const code = newQueryCode();
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{10}$/);
    const verifier = queryCodeVerifier(secret, '330106-20261122-000000000-0', code);
    expect(verifier).toMatch(/^q1:[A-Za-z0-9_-]{43}$/);
    expect(queryCodeMatches(secret, '330106-20261122-000000000-0', code.toLowerCase(), verifier)).toBe(true);
    expect(queryCodeMatches(secret, '330106-20261122-000000001-0', code, verifier)).toBe(false);
    expect(queryCodeMatches(secret, '330106-20261122-000000000-0', newQueryCode(), verifier)).toBe(false);
    expect(queryCodeVerifier(secret, 'X', '0O1IL')).toBe(queryCodeVerifier(secret, 'X', '00111'));
  });

  it('cannot be checked without the node secret: an unkeyed SHA-256 of the code does not match it', () => {
    const caseNumber = '330106-20261122-000000000-0';
    const code = newQueryCode();
    const verifier = queryCodeVerifier(secret, caseNumber, code);
    const unkeyed = createHash('sha256').update(`${caseNumber}:${code}`).digest('base64url');
    expect(verifier).not.toContain(unkeyed);
    expect(queryCodeMatches('another-node-secret-of-forty-characters!!', caseNumber, code, verifier)).toBe(false);
    expect(queryCodeMatches(secret, caseNumber, code, unkeyed)).toBe(false);
    expect(() => checkQueryCodeSecret('short')).toThrow(/at least 32/);
  });

  it('in a federation: 16 characters whose q2 verifier any node checks without a secret, and only the right code', () => {
    const caseNumber = '330106-20261122-000000000-0';
    const code = newQueryCode(federatedQueryCodeLength);
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{16}$/);
    const verifier = publicQueryCodeVerifier(caseNumber, code);
    expect(verifier).toMatch(/^q2:[A-Za-z0-9_-]{43}$/);
    // Another node, with another secret, checks it all the same.
    expect(
      queryCodeMatches('another-node-secret-of-forty-characters!!', caseNumber, code.toLowerCase(), verifier),
    ).toBe(true);
    expect(queryCodeMatches(secret, caseNumber, newQueryCode(federatedQueryCodeLength), verifier)).toBe(false);
    expect(queryCodeMatches(secret, '330106-20261122-000000001-0', code, verifier)).toBe(false);
    // A short code is never checked without a secret, whatever verifier is presented.
    const short = newQueryCode();
    const forged = `q2:${createHash('sha256').update(`${caseNumber}:${short}`).digest('base64url')}`;
    expect(queryCodeMatches(secret, caseNumber, short, forged)).toBe(false);
    expect(() => publicQueryCodeVerifier(caseNumber, short)).toThrow(/16 characters/);
  });
});

describe('case numbers', () => {
  it('carry the region and the Shanghai date and a valid check character', () => {
    const source = caseNumberSource(7);
    const n = source.next('330106', new Date('2026-11-22T16:30:00Z'));
    expect(n).toMatch(/^330106-20261123-[0-9A-Z]{9}-[0-9A-Z]$/);
    expect(isCaseNumber(n)).toBe(true);
    const wrong = `${n.slice(0, 17)}${n[17] === '0' ? '1' : '0'}${n.slice(18)}`;
    expect(isCaseNumber(wrong)).toBe(false);
  });

  it('never repeat, from one source under a burst or across sources at the same instant', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3000 }), fc.nat(1022), (burst, sourceId) => {
        const fixed = () => 1_790_000_000_000;
        const a = caseNumberSource(sourceId, fixed);
        const b = caseNumberSource(sourceId + 1, fixed);
        const seen = new Set<string>();
        for (let i = 0; i < burst; i++) {
          seen.add(a.next('110101'));
          seen.add(b.next('110101'));
        }
        expect(seen.size).toBe(burst * 2);
      }),
      { numRuns: 20 },
    );
    expect(() => caseNumberSource(1024)).toThrow(/0–1023/);
  });
});
