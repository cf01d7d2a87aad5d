import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStaffTokenVerifier, jwksFrom, signStaffToken } from '@petition/auth';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureNodeKeys } from './node-keys.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the local node key', () => {
  it('is made once, private file 0600, and its public set verifies what it signs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'node-keys-'));
    dirs.push(dir);
    const first = ensureNodeKeys(join(dir, 'keys'));
    const again = ensureNodeKeys(join(dir, 'keys'));
    expect(again.privateJwk).toEqual(first.privateJwk);
    expect(statSync(join(dir, 'keys', 'node-signing-key.json')).mode & 0o777).toBe(0o600);
    expect(readFileSync(first.jwksPath, 'utf8')).not.toContain('"d"');

    const token = signStaffToken(first, { staffId: 'local', unitId: '330106-rsj', roles: ['handler'] });
    const verifier = createStaffTokenVerifier({
      issuers: [first.issuer],
      audience: 'petition',
      jwks: jwksFrom(first.jwksPath),
      maxLifetimeSeconds: 12 * 3600,
    });
    expect((await verifier.verify(token)).unitId).toBe('330106-rsj');
  });
});
