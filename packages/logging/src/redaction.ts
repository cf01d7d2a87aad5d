/** What a redacted value is replaced with; the key stays, so a reader sees that the field was there. */
export const redactedValue = '[Redacted]';

/**
 * Keys whose values are personal information (PIPL) or credentials, matched case-insensitively at any
 * depth: `idNumber`, `IDNumber` and `headers.Authorization` alike.
 */
const sensitiveKeys = new Set(
  ['idNumber', 'phone', 'address', 'password', 'token', 'authorization', 'cookie'].map((key) => key.toLowerCase()),
);

/** `name` is everyday vocabulary (topics, services, groups); only a petitioner's name is personal. */
const nameHolders = new Set(['petitioner', 'petitioners']);

/** Deep enough for any log line, shallow enough that a cycle costs little. */
const maxDepth = 10;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function scrub(value: unknown, holdsName: boolean, depth: number): unknown {
  if (depth > maxDepth) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const next = scrub(item, holdsName, depth + 1);
      if (next !== item) {
        copy ??= value.slice();
        copy[i] = next;
      }
    }
    return copy ?? value;
  }
  // Class instances (Date, Buffer, Map, errors before their serialiser) are left to their own JSON form.
  if (!isPlainObject(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const item = value[key];
    const redact = sensitiveKeys.has(key.toLowerCase()) || (holdsName && key === 'name');
    const next = redact ? redactedValue : scrub(item, nameHolders.has(key), depth + 1);
    if (next !== item) {
      copy ??= { ...value };
      copy[key] = next;
    }
  }
  return copy ?? value;
}

/**
 * `value` with personal data and credentials replaced by `[Redacted]`, at any depth. The input is never
 * changed; objects without anything to redact come back as they are, so the common case allocates nothing.
 */
export function redactPersonalData<T>(value: T): T {
  return scrub(value, false, 0) as T;
}
