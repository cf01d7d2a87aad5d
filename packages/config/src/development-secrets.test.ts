import { describe, expect, it } from 'vitest';
import { refuseDevelopmentSecrets } from './index.ts';

describe('development secrets', () => {
  it('are refused, each named, unless the environment allows them', () => {
    const inUse = { SEAL_KEYS: true, PERSON_ID_SECRET: false, QUERY_CODE_SECRET: true };
    expect(() => refuseDevelopmentSecrets(inUse, {})).toThrow(/SEAL_KEYS[\s\S]*QUERY_CODE_SECRET/);
    expect(() => refuseDevelopmentSecrets(inUse, {})).not.toThrow(/PERSON_ID_SECRET/);
    expect(() => refuseDevelopmentSecrets(inUse, { ALLOW_DEVELOPMENT_SECRETS: 'yes' })).toThrow(/SEAL_KEYS/);
    expect(refuseDevelopmentSecrets(inUse, { ALLOW_DEVELOPMENT_SECRETS: 'true' })).toEqual([
      'SEAL_KEYS',
      'QUERY_CODE_SECRET',
    ]);
    expect(refuseDevelopmentSecrets({ SEAL_KEYS: false }, {})).toEqual([]);
  });
});
