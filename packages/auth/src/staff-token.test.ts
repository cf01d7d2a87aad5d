import { createHmac, createPrivateKey, sign } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  AuthError,
  createStaffTokenVerifier,
  generateNodeKey,
  isRevokedBy,
  type JWK,
  jwksFrom,
  publicJwks,
  type StaffTokenVerifierOptions,
  signStaffToken,
  staffRoles,
} from './index.ts';

const node = generateNodeKey('node-a-1');
const otherNode = generateNodeKey('node-b-1');
const signer = { privateJwk: node.privateJwk, issuer: 'node-a' };
const issuedAt = new Date('2026-03-02T01:00:00Z');
const iat = issuedAt.getTime() / 1000;
const later = (seconds: number) => new Date(issuedAt.getTime() + seconds * 1000);
const handler = { staffId: 'wang.li', unitId: '330106-rsj', roles: ['handler'] as const };

function verifier(options: Partial<StaffTokenVerifierOptions> = {}) {
  return createStaffTokenVerifier({
    issuers: ['node-a'],
    audience: 'petition',
    jwks: publicJwks(node),
    maxLifetimeSeconds: 12 * 3600,
    now: () => later(60),
    ...options,
  });
}

const segment = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

/** A token built by hand (payload given as JSON text when it must hold what JSON.stringify cannot write). */
function handMade(header: object, payload: object | string, privateJwk: JWK = node.privateJwk): string {
  const input = `${segment(header).toString('base64url')}.${segment(payload).toString('base64url')}`;
  const signature = sign(null, Buffer.from(input), createPrivateKey({ key: privateJwk, format: 'jwk' }));
  return `${input}.${signature.toString('base64url')}`;
}

const header = { alg: 'EdDSA', typ: 'JWT', kid: 'node-a-1' };
const payload = {
  iss: 'node-a',
  sub: 'wang.li',
  aud: 'petition',
  unit: '330106-rsj',
  roles: ['handler'],
  iat,
  nbf: iat,
  exp: iat + 3600,
  jti: 'token-1',
};

async function refusal(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AuthError);
  return (error as AuthError).code;
}

describe('staff tokens', () => {
  it('round-trips: what was signed is what is verified', async () => {
    const token = signStaffToken(signer, handler, { now: issuedAt, tokenId: 'jti-1' });
    expect(await verifier().verify(token)).toEqual({
      staffId: 'wang.li',
      unitId: '330106-rsj',
      roles: ['handler'],
      issuer: 'node-a',
      audience: ['petition'],
      issuedAt: iat,
      notBefore: iat,
      expiresAt: iat + 8 * 3600,
      tokenId: 'jti-1',
    });
  });

  it('is a standard JWT that jose verifies on its own, with kid and typ in the header', async () => {
    const token = signStaffToken(signer, { ...handler, audience: ['petition', 'zj'] }, { now: issuedAt });
    const { payload: claims, protectedHeader } = await jwtVerify(token, createLocalJWKSet(publicJwks(node)), {
      currentDate: later(1),
    });
    expect(protectedHeader).toEqual({ alg: 'EdDSA', typ: 'JWT', kid: 'node-a-1' });
    expect(claims).toMatchObject({ iss: 'node-a', sub: 'wang.li', aud: ['petition', 'zj'], unit: '330106-rsj' });
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('accepts every key of the set, so that a node can rotate its key', async () => {
    const both = verifier({ jwks: publicJwks(node, otherNode), issuers: ['node-a', 'node-b'] });
    const fromB = signStaffToken({ privateJwk: otherNode.privateJwk, issuer: 'node-b' }, handler, { now: issuedAt });
    expect((await both.verify(fromB)).issuer).toBe('node-b');
  });

  it('refuses a forged payload under a genuine signature', async () => {
    const [h, , s] = signStaffToken(signer, handler, { now: issuedAt }).split('.');
    const forged = `${h}.${segment({ ...payload, roles: ['handler', 'leader'] }).toString('base64url')}.${s}`;
    expect(await refusal(verifier().verify(forged))).toBe('TOKEN_BAD_SIGNATURE');
  });

  it("refuses another node's key: unknown kid, or a known kid with the wrong signature", async () => {
    const foreign = signStaffToken({ privateJwk: otherNode.privateJwk, issuer: 'node-a' }, handler, { now: issuedAt });
    expect(await refusal(verifier().verify(foreign))).toBe('TOKEN_UNKNOWN_KEY');
    const posing = handMade(header, payload, otherNode.privateJwk);
    expect(await refusal(verifier().verify(posing))).toBe('TOKEN_BAD_SIGNATURE');
  });

  it('refuses a wrong issuer, a wrong audience, an expired and a not yet valid token', async () => {
    const token = signStaffToken(signer, handler, { now: issuedAt, ttlSeconds: 3600 });
    expect(await refusal(verifier({ issuers: ['node-x'] }).verify(token))).toBe('TOKEN_WRONG_ISSUER');
    expect(await refusal(verifier({ audience: 'elsewhere' }).verify(token))).toBe('TOKEN_WRONG_AUDIENCE');
    expect(await refusal(verifier({ now: () => later(3600 + 31) }).verify(token))).toBe('TOKEN_EXPIRED');
    // Within the clock tolerance (30 s) either side, the token is still taken.
    await expect(verifier({ now: () => later(3600 + 29) }).verify(token)).resolves.toBeDefined();
    await expect(verifier({ now: () => later(-29) }).verify(token)).resolves.toBeDefined();
    expect(await refusal(verifier({ now: () => later(-31) }).verify(token))).toBe('TOKEN_NOT_YET_VALID');
  });

  it('refuses a token dated ahead even without nbf (it would outlive the lifetime cap)', async () => {
    const { nbf: _, ...noNbf } = payload;
    const ahead = handMade(header, { ...noNbf, iat: iat + 3600, exp: iat + 7200 });
    expect(await refusal(verifier().verify(ahead))).toBe('TOKEN_NOT_YET_VALID');
  });

  it('refuses a token that lives longer than the verifier allows, whatever its issuer meant', async () => {
    const token = signStaffToken(signer, handler, { now: issuedAt, ttlSeconds: 12 * 3600 + 1 });
    expect(await refusal(verifier().verify(token))).toBe('TOKEN_TOO_LONG_LIVED');
  });

  it('refuses exp 1e999 (Infinity once parsed) and other dates that are not finite numbers', async () => {
    const forever = JSON.stringify(payload).replace(`"exp":${iat + 3600}`, '"exp":1e999');
    expect(forever).toContain('1e999');
    expect(await refusal(verifier().verify(handMade(header, forever)))).toBe('TOKEN_BAD_CLAIMS');
    const negative = JSON.stringify(payload).replace(`"nbf":${iat}`, '"nbf":-1e999');
    expect(await refusal(verifier().verify(handMade(header, negative)))).toBe('TOKEN_BAD_CLAIMS');
    expect(await refusal(verifier().verify(handMade(header, { ...payload, iat: String(iat) })))).toBe(
      'TOKEN_BAD_CLAIMS',
    );
  });

  it('refuses unknown roles, no roles, and a unit or staff id out of bounds', async () => {
    for (const bad of [
      { roles: ['handler', 'god'] },
      { roles: [] },
      { roles: 'handler' },
      { roles: undefined },
      { unit: '' },
      { unit: 'x'.repeat(65) },
      { unit: 42 },
      { sub: 'x'.repeat(129) },
      { jti: '' },
    ]) {
      expect(await refusal(verifier().verify(handMade(header, { ...payload, ...bad }))), JSON.stringify(bad)).toBe(
        'TOKEN_BAD_CLAIMS',
      );
    }
    expect(() => signStaffToken(signer, { ...handler, roles: ['god' as 'handler'] })).toThrow(/TOKEN_BAD_CLAIMS/);
    expect(() => signStaffToken(signer, { ...handler, roles: [] })).toThrow(/TOKEN_BAD_CLAIMS/);
  });

  it('refuses a revoked token, by its id or by its staff member', async () => {
    const list = { tokenIds: new Set(['jti-gone']), staffIds: new Set(['left.the.unit']) };
    const checked = verifier({ revoked: (tokenId, staffId) => isRevokedBy(list, tokenId, staffId) });
    const byId = signStaffToken(signer, handler, { now: issuedAt, tokenId: 'jti-gone' });
    const byStaff = signStaffToken(signer, { ...handler, staffId: 'left.the.unit' }, { now: issuedAt });
    expect(await refusal(checked.verify(byId))).toBe('TOKEN_REVOKED');
    expect(await refusal(checked.verify(byStaff))).toBe('TOKEN_REVOKED');
    await expect(checked.verify(signStaffToken(signer, handler, { now: issuedAt }))).resolves.toBeDefined();
    const broken = verifier({
      revoked: () => {
        throw new Error('list gone');
      },
    });
    expect(await refusal(broken.verify(byStaff))).toBe('KEYS_UNAVAILABLE');
  });

  it('refuses an oversized token before parsing it, and garbage', async () => {
    const huge = handMade(header, { ...payload, pad: 'x'.repeat(8 * 1024) });
    expect(await refusal(verifier().verify(huge))).toBe('TOKEN_MALFORMED');
    expect(await refusal(verifier().verify(undefined))).toBe('TOKEN_MISSING');
    expect(await refusal(verifier().verify(''))).toBe('TOKEN_MISSING');
    for (const garbage of ['garbage', 'a.b.c', '..', 'a.b', `${'e30'}.${'e30'}.`, 'Bearer x.y.z']) {
      expect(await refusal(verifier().verify(garbage)), garbage).toBe('TOKEN_MALFORMED');
    }
  });

  it("refuses alg none, and HS256 keyed with the node's public key (algorithm confusion)", async () => {
    const unsigned = `${segment({ alg: 'none', typ: 'JWT' }).toString('base64url')}.${segment(payload).toString('base64url')}.`;
    expect(await refusal(verifier().verify(unsigned))).toBe('TOKEN_BAD_SIGNATURE');
    const hsHeader = { alg: 'HS256', typ: 'JWT', kid: 'node-a-1' };
    const input = `${segment(hsHeader).toString('base64url')}.${segment(payload).toString('base64url')}`;
    for (const secret of [Buffer.from(node.publicJwk.x as string, 'base64url'), JSON.stringify(node.publicJwk)]) {
      const confused = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
      expect(await refusal(verifier().verify(confused))).toBe('TOKEN_BAD_SIGNATURE');
    }
  });

  it('never throws anything but an AuthError, whatever it is given', async () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64url');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.tuple(fc.json(), fc.json(), fc.string()).map(([h, p, s]) => `${b64(h)}.${b64(p)}.${b64(s)}`),
          fc.json().map((p) => handMade(header, p)),
          fc.json().map((h) => handMade(JSON.parse(h), payload)),
        ),
        async (token) => {
          await verifier()
            .verify(token)
            .then(
              () => undefined,
              (error: unknown) => expect(error).toBeInstanceOf(AuthError),
            );
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('key sets given to verifiers', () => {
  it('refuses a key set holding a private key: a service must not be able to mint', () => {
    const leaked = { keys: [node.privateJwk] };
    expect(() => verifier({ jwks: leaked })).toThrow(/BAD_KEYS.*private member "d"/);
    expect(() => jwksFrom(JSON.stringify(leaked))).toThrow(/BAD_KEYS.*private member "d"/);
    expect(() => jwksFrom(JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }))).toThrow(/private member "k"/);
  });

  it('reads a key set inline, from a file or as a URL, and names what is wrong', () => {
    const set = publicJwks(node, otherNode);
    expect(jwksFrom(JSON.stringify(set))).toEqual(set);
    const dir = mkdtempSync(join(tmpdir(), 'jwks-'));
    writeFileSync(join(dir, 'jwks.json'), JSON.stringify(set));
    expect(jwksFrom(join(dir, 'jwks.json'))).toEqual(set);
    expect(jwksFrom('https://node-a.example/.well-known/jwks.json')).toBeInstanceOf(URL);
    expect(() => jwksFrom('')).toThrow(/BAD_KEYS: no key set given/);
    expect(() => jwksFrom('{"keys":')).toThrow(/inline key set is not JSON/);
    expect(() => jwksFrom('{"keys":[]}')).toThrow(/at least one key/);
    expect(() => jwksFrom(join(dir, 'missing.json'))).toThrow(/cannot be read \(ENOENT\)/);
    expect(() => jwksFrom('ftp://x/jwks')).toThrow(/http: or https:/);
    expect(() => jwksFrom(JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'AAAA' }] }))).toThrow(
      /does not import/,
    );
    expect(() => jwksFrom(JSON.stringify({ keys: [node.publicJwk, node.publicJwk] }))).toThrow(/two keys/);
  });

  it('fetches a published key set, and says KEYS_UNAVAILABLE when it cannot be had', async () => {
    const server = createServer((_, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(publicJwks(node)));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`);
    const token = signStaffToken(signer, handler, { now: issuedAt });
    try {
      expect((await verifier({ jwks: url }).verify(token)).staffId).toBe('wang.li');
    } finally {
      server.close();
      await once(server, 'close');
    }
    expect(await refusal(verifier({ jwks: url }).verify(token))).toBe('KEYS_UNAVAILABLE');
  });

  it('generates Ed25519 node keys labelled for signing, the id defaulting to the key thumbprint', () => {
    const key = generateNodeKey();
    expect(key.publicJwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', use: 'sig', alg: 'EdDSA' });
    expect(key.publicJwk.d).toBeUndefined();
    expect(key.privateJwk.kid).toBe(key.publicJwk.kid);
    expect(key.publicJwk.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(publicJwks(key.privateJwk).keys[0]).toEqual(key.publicJwk);
    expect(staffRoles).toContain('auditor');
  });
});
