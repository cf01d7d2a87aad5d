/** What a reader makes of one raw value: the value, or what was expected instead. */
export type Parsed<T> = { ok: true; value: T } | { ok: false };

/**
 * One environment variable: how to parse it, what it defaults to, how to describe it. `T` is the
 * type the loaded config holds, so it includes `undefined` for optional variables without a default.
 */
export interface Reader<T> {
  readonly variable: string;
  /** Short type for reference tables, e.g. `integer ≥ 0`. */
  readonly type: string;
  /** The same as a phrase for error messages, e.g. `an integer ≥ 0`. */
  readonly expected: string;
  readonly doc: string | undefined;
  /** A secret's value never appears in an error message, a reference table or `redactConfig`. */
  readonly secret: boolean;
  /** Neither a default nor optional: a missing value is a problem. */
  readonly required: boolean;
  readonly hasDefault: boolean;
  readonly default: T | undefined;
  parse(raw: string): Parsed<T>;
  /** The inverse of `parse`, for printing defaults the way they would be written in the environment. */
  format(value: T): string;
}

/** Options every reader accepts. */
export interface CommonOptions<T> {
  /** Used when the variable is unset or empty. */
  default?: T;
  /** Unset is fine and yields `undefined` (a default, if also given, wins). */
  optional?: boolean;
  secret?: boolean;
  /** One line for the configuration reference. */
  doc?: string;
}

/** The loaded type of a reader built with options `O`: `T`, or `T | undefined` when optional without a default. */
export type ValueOf<T, O> = O extends { default: T } ? T : O extends { optional: true } ? T | undefined : T;

interface ReaderSpec<T> {
  type: string;
  expected: string;
  parse(raw: string): Parsed<T>;
  format?: (value: T) => string;
}

/**
 * Builds a reader and checks its default against its own rules, so a default that the environment
 * could not have supplied (a port of 70000, a level not in the list) fails where it is written.
 */
export function makeReader<T, O extends CommonOptions<T>>(
  variable: string,
  options: O | undefined,
  spec: ReaderSpec<T>,
): Reader<ValueOf<T, O>> {
  const format = spec.format ?? String;
  const hasDefault = options?.default !== undefined;
  if (options?.default !== undefined && !spec.parse(format(options.default)).ok) {
    const shown = options.secret ? 'its default' : `default ${JSON.stringify(format(options.default))}`;
    throw new TypeError(`${variable}: ${shown} is not ${spec.expected}`);
  }
  const reader: Reader<T> = {
    variable,
    type: spec.type,
    expected: spec.expected,
    doc: options?.doc,
    secret: options?.secret ?? false,
    required: !hasDefault && !options?.optional,
    hasDefault,
    default: options?.default,
    parse: spec.parse,
    format,
  };
  // Only the static type narrows or widens `T`; at run time the reader is the same object either way.
  return reader as Reader<ValueOf<T, O>>;
}

export function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

export const invalid: Parsed<never> = { ok: false };

/** `a`/`an` for generated phrases such as `an integer ≥ 0`. */
export function withArticle(noun: string): string {
  return /^[aeiou]/i.test(noun) ? `an ${noun}` : `a ${noun}`;
}

/** `≥ 0`, `≤ 10`, `1–10`, or nothing: shared by the numeric readers. */
export function rangeText(min: number | undefined, max: number | undefined, unit = ''): string {
  if (min !== undefined && max !== undefined) return ` ${min}–${max}${unit}`;
  if (min !== undefined) return ` ≥ ${min}${unit}`;
  if (max !== undefined) return ` ≤ ${max}${unit}`;
  return '';
}

export function inRange(value: number, min: number | undefined, max: number | undefined): boolean {
  return (min === undefined || value >= min) && (max === undefined || value <= max);
}
