import { createHash } from 'node:crypto';
import type { Parsed, Reader } from '@petition/config';
import { channelNames } from '../vocabulary.ts';

// The Open311 api_keys a node's operators hand out: each names the client system (a 12345 hotline, an app,
// a city's portal), the channel its petitions come in by and, when it files for a registering unit, that
// unit. A key sees the requests it filed, or all of them when configured so (the node's own desk).
//
// OPEN311_API_KEYS = `name:secret:CHANNEL[:unit=<unit id>][:sees-all]`, comma-separated.

export interface Open311Key {
  /** Stable, public name of the client system; recorded with each request it files (never the secret). */
  readonly name: string;
  /** The channel its petitions come in by (a key of the vocabulary's channels: WEB, APP, PHONE, …). */
  readonly channel: string;
  /** The registering unit it files for; absent: it files as a public channel (rate-limited as one client). */
  readonly unitId?: string;
  /** Sees every request filed through the façade, not only its own. */
  readonly seesAll: boolean;
  /** SHA-256 of the secret: what a presented api_key is looked up by. */
  readonly digest: string;
}

const namePattern = /^[a-z0-9][a-z0-9-]{0,31}$/;
const secretPattern = /^[A-Za-z0-9_-]{24,128}$/;
const unitPattern = /^[A-Za-z0-9-]{1,64}$/;

const digestOf = (secret: string) => createHash('sha256').update(secret, 'utf8').digest('hex');

/** The keys in `raw`, or why not (the message never holds a secret). */
export function parseOpen311Keys(raw: string): { keys: Open311Key[] } | { error: string } {
  const keys: Open311Key[] = [];
  const items = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const [i, item] of items.entries()) {
    const [name = '', secret = '', channel = '', ...flags] = item.split(':');
    const at = `item ${i + 1}${namePattern.test(name) ? ` (${name})` : ''}`;
    if (!namePattern.test(name)) return { error: `${at}: the name must be 1–32 of a-z, 0-9 and -` };
    if (!secretPattern.test(secret)) return { error: `${at}: the secret must be 24–128 of A-Z, a-z, 0-9, _ and -` };
    if (!(channel in channelNames)) return { error: `${at}: the channel must be one of ${Object.keys(channelNames)}` };
    let unitId: string | undefined;
    let seesAll = false;
    for (const flag of flags) {
      if (flag === 'sees-all' && !seesAll) seesAll = true;
      else if (flag.startsWith('unit=') && unitId === undefined && unitPattern.test(flag.slice(5)))
        unitId = flag.slice(5);
      else return { error: `${at}: unknown or repeated option (unit=<unit id>, sees-all)` };
    }
    const key: Open311Key = { name, channel, seesAll, digest: digestOf(secret), ...(unitId ? { unitId } : {}) };
    if (keys.some((k) => k.name === name)) return { error: `${at}: the name is used twice` };
    if (keys.some((k) => k.digest === key.digest)) return { error: `${at}: the secret is used twice` };
    keys.push(key);
  }
  return { keys };
}

/** OPEN311_API_KEYS as a config reader (secret: its value never appears in a message). */
export function open311KeysReader(variable: string, doc: string): Reader<readonly Open311Key[]> {
  const expected = 'comma-separated `name:secret:CHANNEL[:unit=<unit id>][:sees-all]`';
  return {
    variable,
    type: 'Open311 keys',
    expected,
    doc,
    secret: true,
    required: false,
    hasDefault: true,
    default: [],
    parse(raw: string): Parsed<readonly Open311Key[]> {
      const parsed = parseOpen311Keys(raw);
      return 'keys' in parsed ? { ok: true, value: parsed.keys } : { ok: false };
    },
    // Secrets are kept as digests only: the loaded keys cannot be written back.
    format: (keys) => (keys.length === 0 ? '' : '(secret)'),
  };
}

/** The key a request presents, if it is one of the configured ones. */
export function keyLookup(keys: readonly Open311Key[]) {
  const byDigest = new Map(keys.map((k) => [k.digest, k]));
  return (apiKey: unknown): Open311Key | undefined =>
    typeof apiKey === 'string' && apiKey.length <= 128 ? byDigest.get(digestOf(apiKey)) : undefined;
}
