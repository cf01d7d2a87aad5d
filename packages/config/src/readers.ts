import { isIP } from 'node:net';
import { formatDurationMs, parseDurationMs } from './duration.ts';
import {
  type CommonOptions,
  inRange,
  invalid,
  makeReader,
  ok,
  type Reader,
  rangeText,
  type ValueOf,
  withArticle,
} from './reader.ts';

export interface StrOptions extends CommonOptions<string> {}

export interface IntOptions extends CommonOptions<number> {
  min?: number;
  max?: number;
}

export interface PortOptions extends CommonOptions<number> {}

export interface BoolOptions extends CommonOptions<boolean> {}

export interface ListOptions extends CommonOptions<string[]> {}

export interface AddressesOptions extends CommonOptions<string[]> {}

export interface UrlOptions extends CommonOptions<string> {
  /** Allowed protocols, with or without the trailing colon: `['redis', 'rediss']`. Any, when omitted. */
  protocols?: readonly string[];
}

export interface DurationOptions extends CommonOptions<number> {
  /** Bounds in milliseconds. */
  min?: number;
  max?: number;
}

export function str<O extends StrOptions = StrOptions>(variable: string, options?: O): Reader<ValueOf<string, O>> {
  return makeReader<string, O>(variable, options, { type: 'string', expected: 'a string', parse: ok });
}

export function int<O extends IntOptions = IntOptions>(variable: string, options?: O): Reader<ValueOf<number, O>> {
  const type = `integer${rangeText(options?.min, options?.max)}`;
  return makeReader<number, O>(variable, options, {
    type,
    expected: withArticle(type),
    parse: (raw) => {
      const value = parseInteger(raw);
      return value !== undefined && inRange(value, options?.min, options?.max) ? ok(value) : invalid;
    },
  });
}

export function port<O extends PortOptions = PortOptions>(variable: string, options?: O): Reader<ValueOf<number, O>> {
  return makeReader<number, O>(variable, options, {
    type: 'port (1–65535)',
    expected: 'a port (1–65535)',
    parse: (raw) => {
      const value = parseInteger(raw);
      return value !== undefined && inRange(value, 1, 65_535) ? ok(value) : invalid;
    },
  });
}

const truthy = new Set(['true', '1', 'yes']);
const falsy = new Set(['false', '0', 'no']);

export function bool<O extends BoolOptions = BoolOptions>(variable: string, options?: O): Reader<ValueOf<boolean, O>> {
  return makeReader<boolean, O>(variable, options, {
    type: 'boolean',
    expected: 'a boolean (true/false, 1/0, yes/no)',
    parse: (raw) => {
      const word = raw.toLowerCase();
      if (truthy.has(word)) return ok(true);
      if (falsy.has(word)) return ok(false);
      return invalid;
    },
  });
}

/** Comma-separated; `a,,b` or a trailing comma is a typo, not an empty item, so it is rejected. */
/** The items of a comma-separated value, trimmed. */
const itemsOf = (raw: string) => raw.split(',').map((item) => item.trim());

export function list<O extends ListOptions = ListOptions>(variable: string, options?: O): Reader<ValueOf<string[], O>> {
  return makeReader<string[], O>(variable, options, {
    type: 'comma-separated list',
    expected: 'a comma-separated list without empty items',
    parse: (raw) => {
      const items = itemsOf(raw);
      return items.every((item) => item !== '') ? ok(items) : invalid;
    },
    format: (items) => items.join(','),
  });
}

/**
 * An absolute `scheme://` URL, kept as the string given (drivers take strings, and `URL` would add a trailing
 * slash). The `://` is required because `localhost:6379`, the usual slip, is otherwise a valid URL.
 */
export function url<O extends UrlOptions = UrlOptions>(variable: string, options?: O): Reader<ValueOf<string, O>> {
  const protocols = options?.protocols?.map((p) => (p.endsWith(':') ? p : `${p}:`).toLowerCase());
  const type = protocols ? `URL (${protocols.join(', ')})` : 'URL';
  return makeReader<string, O>(variable, options, {
    type,
    expected: protocols ? `a URL with protocol ${protocols.join(' or ')}` : 'an absolute URL',
    parse: (raw) => {
      if (!raw.includes('://') || !URL.canParse(raw)) return invalid;
      return !protocols || protocols.includes(new URL(raw).protocol) ? ok(raw) : invalid;
    },
  });
}

/** Milliseconds, written as `1500`, `1500ms`, `2s`, `5m`, `1h` or `1d`. */
export function durationMs<O extends DurationOptions = DurationOptions>(
  variable: string,
  options?: O,
): Reader<ValueOf<number, O>> {
  const min = options?.min;
  const max = options?.max;
  const bounds = min === undefined && max === undefined ? '' : ` (${rangeText(min, max, ' ms').trim()})`;
  return makeReader<number, O>(variable, options, {
    type: `duration${bounds}`,
    expected: `a duration such as 1500, 250ms, 2s, 5m or 1h${bounds}`,
    parse: (raw) => {
      const value = parseDurationMs(raw);
      return value !== undefined && inRange(value, min, max) ? ok(value) : invalid;
    },
    format: formatDurationMs,
  });
}

const namedRanges = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** An IP address, an address range `addr/bits`, or a named range. */
function isAddressItem(item: string): boolean {
  if (namedRanges.has(item)) return true;
  const [addr = '', bits, ...rest] = item.split('/');
  const family = isIP(addr);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/** Network addresses, comma-separated: `10.0.0.0/8,192.0.2.7,::1`, or the ranges loopback, linklocal, uniquelocal. */
export function addresses<O extends AddressesOptions = AddressesOptions>(
  variable: string,
  options?: O,
): Reader<ValueOf<string[], O>> {
  return makeReader<string[], O>(variable, options, {
    type: 'comma-separated addresses',
    expected: 'IP addresses or ranges (10.0.0.0/8), or loopback, linklocal, uniquelocal, comma-separated',
    parse: (raw) => {
      const items = itemsOf(raw);
      return items.every(isAddressItem) ? ok(items) : invalid;
    },
    format: (items) => items.join(','),
  });
}

/** Exactly one of `choices` (case-sensitive: `INFO` is not `info`, so what is deployed is what is read). */
export function oneOf<
  const C extends readonly [string, ...string[]],
  O extends CommonOptions<C[number]> = CommonOptions<C[number]>,
>(variable: string, choices: C, options?: O): Reader<ValueOf<C[number], O>> {
  const type = `one of ${choices.join(', ')}`;
  return makeReader<C[number], O>(variable, options, {
    type,
    expected: type,
    parse: (raw) => (choices.includes(raw) ? ok(raw as C[number]) : invalid),
  });
}

/** Decimal digits with an optional sign; `Number()` would also take `0x10`, `1e3` and `12.0`. */
function parseInteger(raw: string): number | undefined {
  if (!/^[+-]?\d+$/.test(raw)) return undefined;
  const value = Number(raw);
  return Number.isSafeInteger(value) ? value : undefined;
}
