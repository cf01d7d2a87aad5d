import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateNodeKey, type JWK, nodeKeyFrom, publicJwks } from '@petition/auth';
import { localDir } from './paths.ts';

// The local network is one node: its staff tokens (`npm run token`) are signed with a key made on first use
// and kept in .local/keys (git-ignored), and its services are pointed at the public half. A real node
// keeps its private key in its own secret store; nothing here is meant for that.

export interface NodeKeys {
  readonly privateJwk: JWK;
  readonly jwks: { keys: JWK[] };
  /** `iss` of this node's tokens: NODE_ID, or `local-node`. */
  readonly issuer: string;
  /** The public key set's file, for STAFF_JWKS. */
  readonly jwksPath: string;
}

const privateFile = 'node-signing-key.json';
const publicFile = 'node-jwks.json';

/** Writes `text` to `path` only if nothing is there yet, all at once: never a half-written key to read. */
function createOnce(path: string, text: string, mode: number) {
  const draft = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(draft, text, { mode, flag: 'wx' });
  try {
    // link() fails when the name exists: of two processes starting at once, one key wins and both use it.
    linkSync(draft, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(draft, { force: true });
  }
}

/**
 * The local node's key pair, made on first use: `.local/keys` for the single-node network, or
 * `.local/keys/<node id>` for a node of a local federation (`npm start -- --nodes`), whose tokens name it.
 */
export function ensureNodeKeys(dir: string = localDir('keys'), nodeId?: string): NodeKeys {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const privatePath = join(dir, privateFile);
  if (!existsSync(privatePath))
    createOnce(privatePath, `${JSON.stringify(generateNodeKey().privateJwk, null, 2)}\n`, 0o600);
  // A key copied in by hand may have come with looser rights than a signing key should have.
  chmodSync(privatePath, 0o600);
  const key = nodeKeyFrom(JSON.parse(readFileSync(privatePath, 'utf8')) as JWK);
  // The public set is derived from the private key every time, so that it can never drift from it.
  const jwks = publicJwks(key);
  const jwksPath = join(dir, publicFile);
  const draft = `${jwksPath}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(draft, `${JSON.stringify(jwks, null, 2)}\n`);
  renameSync(draft, jwksPath);
  return { privateJwk: key.privateJwk, jwks, issuer: nodeId ?? (process.env.NODE_ID || 'local-node'), jwksPath };
}
