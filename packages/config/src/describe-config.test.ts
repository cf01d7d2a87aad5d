import { describe, expect, it } from 'vitest';
import { describeConfig, formatConfigReference, redactConfig } from './describe-config.ts';
import { loadConfig } from './load-config.ts';
import { bool, durationMs, list, oneOf, port, str } from './readers.ts';

const schema = {
  httpPort: port('INTAKE_HTTP_PORT', { default: 8080, doc: 'HTTP port of the intake API' }),
  brokers: list('KAFKA_BROKERS', { default: ['k1:9092', 'k2:9092'] }),
  waitMs: durationMs('OUTCOME_WAIT_MS', { default: 2000, min: 0 }),
  level: oneOf('LOG_LEVEL', ['debug', 'info'], { default: 'info' }),
  enabled: bool('FEATURE_ENABLED', { default: false }),
  tokenKeys: str('TOKEN_KEYS', { secret: true, doc: 'Signing keys, newest first | comma-separated' }),
  devToken: str('DEV_TOKEN', { secret: true, default: 'dev-only-token' }),
  region: str('REGION', { optional: true }),
};

describe('describeConfig', () => {
  it('lists every variable in schema order', () => {
    expect(describeConfig(schema)).toEqual([
      {
        key: 'httpPort',
        variable: 'INTAKE_HTTP_PORT',
        type: 'port (1–65535)',
        default: '8080',
        required: false,
        secret: false,
        description: 'HTTP port of the intake API',
      },
      {
        key: 'brokers',
        variable: 'KAFKA_BROKERS',
        type: 'comma-separated list',
        default: 'k1:9092,k2:9092',
        required: false,
        secret: false,
        description: undefined,
      },
      {
        key: 'waitMs',
        variable: 'OUTCOME_WAIT_MS',
        type: 'duration (≥ 0 ms)',
        default: '2s',
        required: false,
        secret: false,
        description: undefined,
      },
      {
        key: 'level',
        variable: 'LOG_LEVEL',
        type: 'one of debug, info',
        default: 'info',
        required: false,
        secret: false,
        description: undefined,
      },
      {
        key: 'enabled',
        variable: 'FEATURE_ENABLED',
        type: 'boolean',
        default: 'false',
        required: false,
        secret: false,
        description: undefined,
      },
      {
        key: 'tokenKeys',
        variable: 'TOKEN_KEYS',
        type: 'string',
        default: undefined,
        required: true,
        secret: true,
        description: 'Signing keys, newest first | comma-separated',
      },
      {
        key: 'devToken',
        variable: 'DEV_TOKEN',
        type: 'string',
        default: '[secret]',
        required: false,
        secret: true,
        description: undefined,
      },
      {
        key: 'region',
        variable: 'REGION',
        type: 'string',
        default: undefined,
        required: false,
        secret: false,
        description: undefined,
      },
    ]);
  });

  it('never shows a secret default', () => {
    expect(JSON.stringify(describeConfig(schema))).not.toContain('dev-only-token');
    expect(formatConfigReference(schema)).not.toContain('dev-only-token');
  });
});

describe('formatConfigReference', () => {
  it('renders a Markdown table', () => {
    const lines = formatConfigReference(schema).split('\n');
    expect(lines[0]).toBe('| Variable | Type | Default | Description |');
    expect(lines[1]).toBe('| --- | --- | --- | --- |');
    expect(lines[2]).toBe('| `INTAKE_HTTP_PORT` | port (1–65535) | `8080` | HTTP port of the intake API |');
    expect(lines[7]).toBe('| `TOKEN_KEYS` | string | required | Signing keys, newest first \\| comma-separated |');
    expect(lines[9]).toBe('| `REGION` | string |  |  |');
    expect(lines).toHaveLength(2 + Object.keys(schema).length);
  });
});

describe('redactConfig', () => {
  it('hides secrets that are set and keeps everything else', () => {
    const config = loadConfig(schema, { TOKEN_KEYS: 'k-123', DEV_TOKEN: '' });
    const safe = redactConfig(schema, config);
    expect(safe).toMatchObject({ httpPort: 8080, tokenKeys: '[secret]', devToken: '[secret]', region: undefined });
    expect(JSON.stringify(safe)).not.toMatch(/k-123|dev-only-token/);
  });

  it('leaves an unset optional secret undefined', () => {
    const optionalSecret = { key: str('KEY', { secret: true, optional: true }) };
    expect(redactConfig(optionalSecret, loadConfig(optionalSecret, {}))).toEqual({ key: undefined });
  });
});
