import { describe, expect, it } from 'vitest';
import type { Reader } from './reader.ts';
import { addresses, bool, durationMs, int, list, oneOf, port, str, url } from './readers.ts';

function parse<T>(reader: Reader<T>, raw: string): T | 'invalid' {
  const parsed = reader.parse(raw);
  return parsed.ok ? parsed.value : 'invalid';
}

describe('str', () => {
  it('takes any text', () => {
    expect(parse(str('X'), 'hello, world')).toBe('hello, world');
  });

  it('is required unless it has a default or is optional', () => {
    expect(str('X').required).toBe(true);
    expect(str('X', { default: '' }).required).toBe(false);
    expect(str('X', { optional: true }).required).toBe(false);
  });

  it('carries its metadata', () => {
    const reader = str('TOKEN_KEYS', { secret: true, doc: 'Signing keys' });
    expect(reader).toMatchObject({ variable: 'TOKEN_KEYS', type: 'string', secret: true, doc: 'Signing keys' });
  });
});

describe('int', () => {
  it('reads decimal integers', () => {
    const reader = int('X');
    expect(parse(reader, '42')).toBe(42);
    expect(parse(reader, '-7')).toBe(-7);
    expect(parse(reader, '+7')).toBe(7);
  });

  it.each(['1.5', '12.0', '0x10', '1e3', '1_000', 'ten', '9007199254740993'])('rejects %j', (raw) => {
    expect(parse(int('X'), raw)).toBe('invalid');
  });

  it('enforces min and max', () => {
    const reader = int('X', { min: 0, max: 10 });
    expect(parse(reader, '0')).toBe(0);
    expect(parse(reader, '10')).toBe(10);
    expect(parse(reader, '-1')).toBe('invalid');
    expect(parse(reader, '11')).toBe('invalid');
    expect(reader.type).toBe('integer 0–10');
    expect(int('X', { min: 256 }).expected).toBe('an integer ≥ 256');
    expect(int('X', { max: 5 }).type).toBe('integer ≤ 5');
  });

  it('rejects a default outside its own range where the schema is written', () => {
    expect(() => int('X', { default: -1, min: 0 })).toThrow(/X: default "-1" is not an integer ≥ 0/);
  });
});

describe('port', () => {
  it('accepts 1–65535 only', () => {
    const reader = port('P');
    expect(parse(reader, '1')).toBe(1);
    expect(parse(reader, '65535')).toBe(65_535);
    expect(parse(reader, '0')).toBe('invalid');
    expect(parse(reader, '65536')).toBe('invalid');
    expect(parse(reader, 'http')).toBe('invalid');
    expect(() => port('P', { default: 70_000 })).toThrow(TypeError);
  });
});

describe('bool', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['Yes', true],
    ['false', false],
    ['0', false],
    ['no', false],
    ['NO', false],
  ])('reads %j as %s', (raw, value) => {
    expect(parse(bool('B'), raw)).toBe(value);
  });

  it.each(['y', 'on', '2', 'enabled'])('rejects %j', (raw) => {
    expect(parse(bool('B'), raw)).toBe('invalid');
  });

  it('formats false defaults as written', () => {
    const reader = bool('B', { default: false });
    expect(reader.hasDefault).toBe(true);
    expect(reader.format(false)).toBe('false');
  });
});

describe('list', () => {
  it('splits on commas and trims items', () => {
    expect(parse(list('L'), 'a:9092, b:9092 ,c:9092')).toEqual(['a:9092', 'b:9092', 'c:9092']);
    expect(parse(list('L'), 'single')).toEqual(['single']);
  });

  it.each(['a,,b', 'a,', ',a', 'a, ,b'])('rejects empty items in %j', (raw) => {
    expect(parse(list('L'), raw)).toBe('invalid');
  });

  it('formats as it would be written', () => {
    expect(list('L').format(['a', 'b'])).toBe('a,b');
  });
});

describe('addresses', () => {
  it('takes IPv4 and IPv6 addresses, ranges and the named ranges', () => {
    expect(parse(addresses('A'), '10.0.0.0/8, 192.0.2.7,::1,fd00::/8,loopback')).toEqual([
      '10.0.0.0/8',
      '192.0.2.7',
      '::1',
      'fd00::/8',
      'loopback',
    ]);
  });

  it.each(['tracking.local', '10.0.0.0/33', '::1/129', '10.0.0/8', '10.0.0.0/8/1', '10.0.0.0/', 'a,,b', 'localhost'])(
    'rejects %j',
    (raw) => {
      expect(parse(addresses('A'), raw)).toBe('invalid');
    },
  );
});

describe('url', () => {
  it('keeps the URL as given', () => {
    expect(parse(url('U'), 'redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(parse(url('U'), 'https://example.org')).toBe('https://example.org');
  });

  it('rejects what is not an absolute URL', () => {
    expect(parse(url('U'), 'localhost:6379')).toBe('invalid');
    expect(parse(url('U'), 'redis:/cache')).toBe('invalid');
    expect(parse(url('U'), '/relative/path')).toBe('invalid');
    expect(parse(url('U'), 'not a url')).toBe('invalid');
  });

  it('restricts protocols, written with or without the colon', () => {
    const reader = url('U', { protocols: ['redis', 'rediss:'] });
    expect(parse(reader, 'rediss://cache:6380')).toBe('rediss://cache:6380');
    expect(parse(reader, 'REDIS://cache')).toBe('REDIS://cache');
    expect(parse(reader, 'http://cache')).toBe('invalid');
    expect(reader.expected).toBe('a URL with protocol redis: or rediss:');
    expect(() => url('U', { protocols: ['https'], default: 'http://x' })).toThrow(TypeError);
  });
});

describe('durationMs', () => {
  it('reads plain milliseconds and units', () => {
    const reader = durationMs('D');
    expect(parse(reader, '1500')).toBe(1500);
    expect(parse(reader, '2s')).toBe(2000);
    expect(parse(reader, '5m')).toBe(300_000);
    expect(parse(reader, '1h')).toBe(3_600_000);
    expect(parse(reader, 'soon')).toBe('invalid');
  });

  it('enforces bounds in milliseconds', () => {
    const reader = durationMs('D', { min: 100, max: 60_000 });
    expect(parse(reader, '100ms')).toBe(100);
    expect(parse(reader, '1m')).toBe(60_000);
    expect(parse(reader, '99')).toBe('invalid');
    expect(parse(reader, '2m')).toBe('invalid');
    expect(reader.type).toBe('duration (100–60000 ms)');
  });

  it('formats defaults with the largest exact unit', () => {
    expect(durationMs('D', { default: 2000 }).format(2000)).toBe('2s');
  });
});

describe('oneOf', () => {
  const levels = ['debug', 'info', 'warn', 'error'] as const;

  it('accepts exactly one of the choices', () => {
    const reader = oneOf('LOG_LEVEL', levels);
    expect(parse(reader, 'warn')).toBe('warn');
    expect(parse(reader, 'INFO')).toBe('invalid');
    expect(parse(reader, 'trace')).toBe('invalid');
    expect(reader.expected).toBe('one of debug, info, warn, error');
  });

  it('rejects a default that is not a choice', () => {
    // @ts-expect-error the type system already refuses it; the run-time check is for untyped callers.
    expect(() => oneOf('LOG_LEVEL', levels, { default: 'verbose' })).toThrow(TypeError);
  });
});
