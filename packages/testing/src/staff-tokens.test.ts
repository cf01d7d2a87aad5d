import { createStaffTokenVerifier, jwksFrom } from '@petition/auth';
import { describe, expect, it } from 'vitest';
import { testStaffEnv, testToken } from './index.ts';

describe('test staff tokens', () => {
  it('are verified by a service given testStaffEnv()', async () => {
    const env = testStaffEnv();
    const verifier = createStaffTokenVerifier({
      issuers: (env.STAFF_TOKEN_ISSUERS ?? '').split(','),
      audience: env.STAFF_TOKEN_AUDIENCE ?? '',
      jwks: jwksFrom(env.STAFF_JWKS ?? ''),
      maxLifetimeSeconds: 12 * 3600,
    });
    const claims = await verifier.verify(testToken('330106-rsj'));
    expect(claims).toMatchObject({ unitId: '330106-rsj', staffId: 'test-staff@330106-rsj', issuer: 'petition-test' });
    expect(claims.roles).toHaveLength(6);
    expect((await verifier.verify(testToken('330106-rsj', { roles: ['reviewer'] }))).roles).toEqual(['reviewer']);
  });
});
