import { describe, expect, expectTypeOf, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config.ts';
import { bool, durationMs, int, list, oneOf, port, str, url } from './readers.ts';

const schema = {
  httpPort: port('INTAKE_HTTP_PORT', { default: 8080 }),
  brokers: list('KAFKA_BROKERS', { default: ['localhost:9092'] }),
  redisUrl: url('REDIS_URL', { default: 'redis://127.0.0.1:6379', protocols: ['redis', 'rediss'] }),
  waitMs: int('OUTCOME_WAIT_MS', { default: 2000, min: 0 }),
  timeoutMs: durationMs('REQUEST_TIMEOUT', { default: 5_000 }),
  level: oneOf('LOG_LEVEL', ['debug', 'info', 'warn', 'error'], { default: 'info' }),
  enabled: bool('FEATURE_ENABLED', { default: false }),
  tokenKeys: str('TOKEN_KEYS', { secret: true }),
  region: str('REGION', { optional: true }),
  peers: list('PEERS', { optional: true }),
};

function caught(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('uses defaults for what is unset', () => {
    expect(loadConfig(schema, { TOKEN_KEYS: 'k1' })).toEqual({
      httpPort: 8080,
      brokers: ['localhost:9092'],
      redisUrl: 'redis://127.0.0.1:6379',
      waitMs: 2000,
      timeoutMs: 5000,
      level: 'info',
      enabled: false,
      tokenKeys: 'k1',
      region: undefined,
      peers: undefined,
    });
  });

  it('reads what is set', () => {
    const config = loadConfig(schema, {
      INTAKE_HTTP_PORT: '9000',
      KAFKA_BROKERS: 'k1:9092,k2:9092',
      REDIS_URL: 'rediss://cache:6380',
      OUTCOME_WAIT_MS: '0',
      REQUEST_TIMEOUT: '30s',
      LOG_LEVEL: 'debug',
      FEATURE_ENABLED: 'yes',
      TOKEN_KEYS: 'k1,k2',
      REGION: 'cn-north',
      PEERS: 'a',
    });
    expect(config).toEqual({
      httpPort: 9000,
      brokers: ['k1:9092', 'k2:9092'],
      redisUrl: 'rediss://cache:6380',
      waitMs: 0,
      timeoutMs: 30_000,
      level: 'debug',
      enabled: true,
      tokenKeys: 'k1,k2',
      region: 'cn-north',
      peers: ['a'],
    });
  });

  it('trims values and treats empty ones as unset', () => {
    const config = loadConfig(schema, { TOKEN_KEYS: ' key\n', INTAKE_HTTP_PORT: '', REGION: '   ' });
    expect(config.tokenKeys).toBe('key');
    expect(config.httpPort).toBe(8080);
    expect(config.region).toBeUndefined();
  });

  it('reads process.env when no environment is given', () => {
    const config = loadConfig({ path: str('PATH') });
    expect(config.path).toBe(process.env.PATH?.trim());
  });

  it('hands out a frozen object whose default lists are copies', () => {
    const first = loadConfig(schema, { TOKEN_KEYS: 'k' });
    expect(Object.isFrozen(first)).toBe(true);
    first.brokers.push('mutated:9092');
    expect(loadConfig(schema, { TOKEN_KEYS: 'k' }).brokers).toEqual(['localhost:9092']);
  });

  it('reports every problem at once, naming each variable and what it expected', () => {
    const error = caught(() =>
      loadConfig(schema, {
        INTAKE_HTTP_PORT: '80800',
        KAFKA_BROKERS: 'a,,b',
        REDIS_URL: 'http://cache',
        OUTCOME_WAIT_MS: '-5',
        REQUEST_TIMEOUT: 'soon',
        LOG_LEVEL: 'verbose',
        FEATURE_ENABLED: 'maybe',
      }),
    );
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.retryable).toBe(false);
    expect(error.name).toBe('ConfigError');
    expect(error).toBeInstanceOf(Error);
    expect(error.problems).toEqual([
      { variable: 'INTAKE_HTTP_PORT', message: 'expected a port (1–65535), got "80800"' },
      { variable: 'KAFKA_BROKERS', message: 'expected a comma-separated list without empty items, got "a,,b"' },
      { variable: 'REDIS_URL', message: 'expected a URL with protocol redis: or rediss:, got "http://cache"' },
      { variable: 'OUTCOME_WAIT_MS', message: 'expected an integer ≥ 0, got "-5"' },
      { variable: 'REQUEST_TIMEOUT', message: 'expected a duration such as 1500, 250ms, 2s, 5m or 1h, got "soon"' },
      { variable: 'LOG_LEVEL', message: 'expected one of debug, info, warn, error, got "verbose"' },
      { variable: 'FEATURE_ENABLED', message: 'expected a boolean (true/false, 1/0, yes/no), got "maybe"' },
      { variable: 'TOKEN_KEYS', message: 'not set; expected a string' },
    ]);
    expect(error.message.split('\n')).toEqual([
      'Invalid configuration (8 problems):',
      ...error.problems.map((p) => `  - ${p.variable}: ${p.message}`),
    ]);
  });

  it('says "1 problem" for one', () => {
    expect(() => loadConfig(schema, {})).toThrow(/^Invalid configuration \(1 problem\):\n {2}- TOKEN_KEYS: not set/);
  });

  it('never echoes the value of a secret', () => {
    const secrets = {
      apiKey: int('API_KEY', { secret: true }),
      dsn: url('DSN', { secret: true, protocols: ['postgres'] }),
    };
    const error = caught(() => loadConfig(secrets, { API_KEY: 'sk-live-abc123', DSN: 'mysql://u:hunter2@db' }));
    const everything = JSON.stringify({ message: error.message, problems: error.problems, stack: error.stack });
    expect(everything).not.toContain('sk-live-abc123');
    expect(everything).not.toContain('hunter2');
    expect(error.problems).toEqual([
      { variable: 'API_KEY', message: 'expected an integer, got a value that is not shown (secret)' },
      { variable: 'DSN', message: 'expected a URL with protocol postgres:, got a value that is not shown (secret)' },
    ]);
  });

  it('shortens long values in messages', () => {
    const error = caught(() => loadConfig({ n: int('N') }, { N: 'x'.repeat(500) }));
    expect(error.message).toContain(`"${'x'.repeat(80)}…"`);
    expect(error.message).not.toContain('x'.repeat(81));
  });

  it('infers the configuration type from the schema', () => {
    const config = loadConfig(schema, { TOKEN_KEYS: 'k' });
    expectTypeOf(config).toEqualTypeOf<{
      readonly httpPort: number;
      readonly brokers: string[];
      readonly redisUrl: string;
      readonly waitMs: number;
      readonly timeoutMs: number;
      readonly level: 'debug' | 'info' | 'warn' | 'error';
      readonly enabled: boolean;
      readonly tokenKeys: string;
      readonly region: string | undefined;
      readonly peers: string[] | undefined;
    }>();
  });

  it('infers types without options, and with optional and a default together', () => {
    const config = loadConfig(
      {
        a: str('A'),
        b: int('B', { optional: true, default: 1 }),
        c: oneOf('C', ['x', 'y']),
        d: oneOf('D', ['x', 'y'], { optional: true }),
        e: durationMs('E', { optional: true, doc: 'why' }),
        f: bool('F', { secret: true }),
      },
      { A: 'a', C: 'x', F: '1' },
    );
    expectTypeOf(config.a).toEqualTypeOf<string>();
    expectTypeOf(config.b).toEqualTypeOf<number>();
    expectTypeOf(config.c).toEqualTypeOf<'x' | 'y'>();
    expectTypeOf(config.d).toEqualTypeOf<'x' | 'y' | undefined>();
    expectTypeOf(config.e).toEqualTypeOf<number | undefined>();
    expectTypeOf(config.f).toEqualTypeOf<boolean>();
    expect(config).toEqual({ a: 'a', b: 1, c: 'x', d: undefined, e: undefined, f: true });
  });

  it('refuses defaults of the wrong type at compile time', () => {
    // Never called: only the type checker needs to see these.
    const wrongDefaults = () => [
      // @ts-expect-error a port's default is a number
      port('P', { default: '8080' }),
      // @ts-expect-error a list's default is an array
      list('L', { default: 'a,b' }),
      // @ts-expect-error not one of the choices
      oneOf('O', ['a', 'b'], { default: 'c' }),
    ];
    expectTypeOf(wrongDefaults).toBeFunction();
  });
});
