import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Each service's process without a broker to talk to: it says how to get one and exits 2, starting nothing.

const root = join(import.meta.dirname, '..');
const services = ['intake', 'routing', 'deadline-watchdog', 'notification', 'tracking', 'situation'];

describe('a service started without KAFKA_BROKERS', () => {
  it.each(services)('%s exits 2 and names the variable', (service) => {
    const { KAFKA_BROKERS: _unset, ...env } = process.env;
    const r = spawnSync(process.execPath, [join(root, 'services', service, 'src', 'main.ts')], {
      env,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(`${r.stdout}${r.stderr}`).toContain('KAFKA_BROKERS is not set');
  });
});

describe('a service that verifies staff tokens, started without the keys to trust', () => {
  it.each(['intake', 'tracking', 'situation'])('%s exits 2 and names STAFF_JWKS and STAFF_TOKEN_ISSUERS', (service) => {
    const { STAFF_JWKS: _keys, STAFF_TOKEN_ISSUERS: _issuers, ...env } = process.env;
    const r = spawnSync(process.execPath, [join(root, 'services', service, 'src', 'main.ts')], {
      env,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(`${r.stdout}${r.stderr}`).toMatch(
      /STAFF_JWKS[\s\S]*STAFF_TOKEN_ISSUERS|STAFF_TOKEN_ISSUERS[\s\S]*STAFF_JWKS/,
    );
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });
});

describe('a service started with a development secret published in the repository', () => {
  it.each([
    ['intake', ['SEAL_KEYS', 'PERSON_ID_SECRET', 'QUERY_CODE_SECRET']],
    ['tracking', ['QUERY_CODE_SECRET', 'SEAL_KEYS']],
    ['notification', ['SEAL_KEYS']],
  ])('%s exits 2 naming each, unless ALLOW_DEVELOPMENT_SECRETS=true', (service, variables) => {
    const {
      ALLOW_DEVELOPMENT_SECRETS: _allowed,
      SEAL_KEYS: _seal,
      PERSON_ID_SECRET: _person,
      QUERY_CODE_SECRET: _code,
      ...env
    } = process.env;
    const r = spawnSync(process.execPath, [join(root, 'services', service, 'src', 'main.ts')], {
      env: { ...env, KAFKA_BROKERS: '127.0.0.1:1' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    for (const variable of variables) expect(`${r.stdout}${r.stderr}`).toContain(variable);
    expect(`${r.stdout}${r.stderr}`).toContain('ALLOW_DEVELOPMENT_SECRETS');
  });
});
