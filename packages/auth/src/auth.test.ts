import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  caseNumberSource,
  checkQueryCodeSecret,
  isCaseNumber,
  newQueryCode,
  parseTokenKeys,
  queryCodeMatches,
  queryCodeVerifier,
  signUnitToken,
  verifyUnitToken,
} from './index.ts';

const secret = (c: string) => c.repeat(40);

describe('unit tokens', () => {
  const keys = parseTokenKeys(`k2:${secret('b')},k1:${secret('a')}`);

  it('signs with the first key and verifies with any key still accepted (rotation)', () => {
    const token = signUnitToken(keys, { unitId: '330106-rsj', staffId: 'wang' });
    expect(token.startsWith('k2.')).toBe(true);
    expect(verifyUnitToken(keys, token)).toMatchObject({ unitId: '330106-rsj', staffId: 'wang' });
    const old = signUnitToken(parseTokenKeys(`k1:${secret('a')}`), { unitId: '330106-xfj' });
    expect(verifyUnitToken(keys, old).unitId).toBe('330106-xfj');
    expect(() => verifyUnitToken(parseTokenKeys(`k3:${secret('c')}`), old)).toThrow(/TOKEN_UNKNOWN_KEY/);
  });

  it('refuses forged, altered, expired and malformed tokens, naming why', () => {
    const token = signUnitToken(
      keys,
      { unitId: '330106-rsj' },
      { now: new Date('2026-11-22T00:00:00Z'), ttlSeconds: 60 },
    );
    const [kid, , sig] = token.split('.');
    const forged = `${kid}.${Buffer.from(JSON.stringify({ unitId: '000000-xfj', expiresAt: 9e9 })).toString('base64url')}.${sig}`;
    expect(() => verifyUnitToken(keys, forged, new Date('2026-11-22T00:00:10Z'))).toThrow(/TOKEN_BAD_SIGNATURE/);
    expect(() => verifyUnitToken(keys, token, new Date('2026-11-22T00:01:00Z'))).toThrow(/TOKEN_EXPIRED/);
    expect(verifyUnitToken(keys, token, new Date('2026-11-22T00:00:59Z')).unitId).toBe('330106-rsj');
    expect(() => verifyUnitToken(keys, 'abc')).toThrow(/TOKEN_MALFORMED/);
    expect(() => verifyUnitToken(keys, undefined)).toThrow(/TOKEN_MISSING/);
    expect(() => parseTokenKeys('k1:short')).toThrow(/at least 32/);
  });
});

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
