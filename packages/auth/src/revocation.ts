import { readFileSync, type Stats, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { AuthError } from './errors.ts';

// A staff token lives hours; someone who leaves, or a token that leaks, must not keep working that long.
// Operators withdraw tokens by editing one file — `{"tokenIds": [...], "staffIds": [...]}` — that each
// service watches: a staff id withdraws every token of that person, a token id just the one.

export interface RevocationList {
  readonly tokenIds: ReadonlySet<string>;
  readonly staffIds: ReadonlySet<string>;
}

export const nothingRevoked: RevocationList = { tokenIds: new Set(), staffIds: new Set() };

export function isRevokedBy(list: RevocationList, tokenId: string, staffId: string): boolean {
  return list.tokenIds.has(tokenId) || list.staffIds.has(staffId);
}

function ids(value: unknown, member: string, path: string): Set<string> {
  if (value === undefined) return new Set();
  if (!Array.isArray(value) || !value.every((id) => typeof id === 'string')) {
    throw new AuthError('BAD_REVOCATION_LIST', `${path}: "${member}" must be a list of strings`);
  }
  return new Set(value);
}

function parseRevocationList(text: string, path: string): RevocationList {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new AuthError('BAD_REVOCATION_LIST', `${path} is not JSON`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AuthError('BAD_REVOCATION_LIST', `${path}: expected {"tokenIds": [...], "staffIds": [...]}`);
  }
  const { tokenIds, staffIds } = parsed as { tokenIds?: unknown; staffIds?: unknown };
  return { tokenIds: ids(tokenIds, 'tokenIds', path), staffIds: ids(staffIds, 'staffIds', path) };
}

const missing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

/** The list in the file; a missing file withdraws nothing (no list has been written yet). */
export function loadRevocationList(path: string): RevocationList {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    if (missing(cause)) return nothingRevoked;
    throw new AuthError('BAD_REVOCATION_LIST', `${path} cannot be read`, { cause });
  }
  return parseRevocationList(text, path);
}

export interface RevocationWatch {
  isRevoked(tokenId: string, staffId: string): boolean;
  close(): void;
}

// What tells one version of the file from the next. Compared with the version last loaded rather than the
// previous poll (as fs.watchFile does, from a first stat taken later, asynchronously), so that an edit made
// just after the start is not taken for the starting state and missed.
const versionOf = (stats: Stats | undefined) =>
  stats ? `${stats.ino}:${stats.size}:${stats.mtimeMs}:${stats.ctimeMs}` : 'missing';

function statOrMissing(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    if (missing(error)) return undefined;
    throw new AuthError('BAD_REVOCATION_LIST', `${path} cannot be read`, { cause: error });
  }
}

/**
 * The file's list, re-read whenever the file changes (polled every ~2 s: fs.watch misses a file replaced
 * by rename, which is how editors and config management write). A file unreadable at start fails the
 * start; one that turns bad later keeps the last good list — a half-written edit must not un-revoke
 * anyone — and is reported to `onError`.
 */
export function watchRevocationList(
  path: string,
  onError: (error: AuthError) => void,
  options: { intervalMs?: number } = {},
): RevocationWatch {
  // Stat before reading: an edit landing in between is then seen as a new version and read again.
  let loaded = versionOf(statOrMissing(path));
  let list = loadRevocationList(path);
  let polling = false;
  async function poll() {
    if (polling) return;
    polling = true;
    try {
      const version = versionOf(
        await stat(path).catch((error) => (missing(error) ? undefined : Promise.reject(error))),
      );
      if (version === loaded) return;
      loaded = version;
      list = version === 'missing' ? nothingRevoked : parseRevocationList(await readFile(path, 'utf8'), path);
    } catch (error) {
      onError(
        error instanceof AuthError
          ? error
          : new AuthError('BAD_REVOCATION_LIST', `${path} cannot be read`, { cause: error }),
      );
    } finally {
      polling = false;
    }
  }
  const timer = setInterval(poll, options.intervalMs ?? 2_000);
  // A watched file must not keep a stopping service alive.
  timer.unref();
  return {
    isRevoked: (tokenId, staffId) => isRevokedBy(list, tokenId, staffId),
    close: () => clearInterval(timer),
  };
}
