// `buf breaking` against main: the contract on this checkout may only add to what main published.
// On a branch the base is its merge base with main (or origin/main); on main itself it is the
// previous commit on main, so every landing is checked against what was there before it.
// BUF_AGAINST=<git ref> chooses another base.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const git = (...args: string[]) =>
  execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
const tryGit = (...args: string[]) => {
  try {
    return git(...args);
  } catch {
    return undefined;
  }
};

function base(): string | undefined {
  if (process.env.BUF_AGAINST) return git('rev-parse', process.env.BUF_AGAINST);
  const head = tryGit('rev-parse', 'HEAD');
  for (const ref of ['origin/main', 'main']) {
    const tip = tryGit('rev-parse', '--verify', '-q', ref);
    if (!tip) continue;
    if (tip !== head) return tryGit('merge-base', 'HEAD', ref);
    return tryGit('rev-parse', '--verify', '-q', 'HEAD~1');
  }
  return undefined;
}

const against = base();
const hasProto = against && tryGit('ls-tree', '-d', against, 'proto/petition/v1');
if (!against || !hasProto) {
  console.log(`buf breaking: no earlier contract to compare with (base ${against ?? 'none'}); nothing to check`);
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'buf-against-'));
try {
  execFileSync('sh', ['-c', `git archive ${against} proto buf.yaml | tar -x -C ${dir}`]);
  const r = spawnSync('buf', ['breaking', '--against', dir], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
  console.log(`buf breaking: compatible with ${against.slice(0, 12)}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
