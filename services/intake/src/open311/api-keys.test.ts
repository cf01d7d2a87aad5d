import { ConfigError } from '@petition/config';
import { testStaffEnv } from '@petition/testing';
import { describe, expect, it } from 'vitest';
import { loadIntakeConfig } from '../config.ts';
import { keyLookup, parseOpen311Keys } from './api-keys.ts';

// OPEN311_API_KEYS: what operators may write, and what stops intake at start (naming the variable, never
// the secret).

const secret = 'a-secret-of-24-characters';

describe('OPEN311_API_KEYS', () => {
  it('reads name, secret, channel, unit and sees-all; a key is found by its secret only', () => {
    const parsed = parseOpen311Keys(`hotline:${secret}:PHONE:unit=330106-xfj, desk:${secret}-2:WEB:sees-all`);
    expect(parsed).toEqual({
      keys: [
        { name: 'hotline', channel: 'PHONE', unitId: '330106-xfj', seesAll: false, digest: expect.any(String) },
        { name: 'desk', channel: 'WEB', seesAll: true, digest: expect.any(String) },
      ],
    });
    const lookup = keyLookup('keys' in parsed ? parsed.keys : []);
    expect(lookup(secret)?.name).toBe('hotline');
    expect(lookup('hotline')).toBeUndefined();
    expect(lookup(`${secret}x`)).toBeUndefined();
    expect(lookup(undefined)).toBeUndefined();
    expect(lookup(['a'])).toBeUndefined();
    expect(JSON.stringify(parsed)).not.toContain(secret);
  });

  it('refuses what cannot be meant', () => {
    for (const raw of [
      `Hotline:${secret}:PHONE`,
      'hotline:short:PHONE',
      `hotline:${secret}:FAX`,
      `hotline:${secret}:PHONE:unit=`,
      `hotline:${secret}:PHONE:sees-all:sees-all`,
      `hotline:${secret}:PHONE:admin`,
      `a:${secret}:WEB,a:${secret}x:WEB`,
      `a:${secret}:WEB,b:${secret}:WEB`,
    ]) {
      expect([raw, 'error' in parseOpen311Keys(raw)]).toEqual([raw, true]);
    }
  });

  it('stops intake’s config naming the variable, never the secret; none configured is none', () => {
    const env = { ...testStaffEnv(), KAFKA_BROKERS: '127.0.0.1:9092' };
    expect(loadIntakeConfig(env).open311ApiKeys).toEqual([]);
    const bad = `hotline:${secret}:FAX`;
    let error: unknown;
    try {
      loadIntakeConfig({ ...env, OPEN311_API_KEYS: bad });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toContain('OPEN311_API_KEYS');
    expect(String((error as Error).message)).not.toContain(secret);
  });
});
