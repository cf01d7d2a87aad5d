import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type AuthError, loadRevocationList, watchRevocationList } from './index.ts';

const dirs: string[] = [];
function listFile(content?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'revocation-'));
  dirs.push(dir);
  const path = join(dir, 'revoked.json');
  if (content !== undefined) writeFileSync(path, content);
  return path;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function until(check: () => boolean) {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('the watched list did not change in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('revocation list', () => {
  it('reads token ids and staff ids; a missing file revokes nothing; a bad one is refused', () => {
    const list = loadRevocationList(listFile('{"tokenIds":["t1"],"staffIds":["s1"]}'));
    expect([...list.tokenIds, ...list.staffIds]).toEqual(['t1', 's1']);
    expect(loadRevocationList(listFile()).tokenIds.size).toBe(0);
    expect(() => loadRevocationList(listFile('{"tokenIds":'))).toThrow(/BAD_REVOCATION_LIST: .* is not JSON/);
    expect(() => loadRevocationList(listFile('{"staffIds":[1]}'))).toThrow(/"staffIds" must be a list of strings/);
    expect(() => loadRevocationList(listFile('[]'))).toThrow(/BAD_REVOCATION_LIST/);
  });

  it('applies changes to the watched file, keeping the last good list while the file is unparsable', async () => {
    const path = listFile();
    const errors: AuthError[] = [];
    const watch = watchRevocationList(path, (e) => errors.push(e), { intervalMs: 20 });
    try {
      expect(watch.isRevoked('t1', 's1')).toBe(false);
      writeFileSync(path, '{"tokenIds":["t1"]}');
      await until(() => watch.isRevoked('t1', 'anyone'));
      expect(watch.isRevoked('t2', 's1')).toBe(false);

      writeFileSync(path, '{"tokenIds":["t1"],"staffIds":["s1"]}');
      await until(() => watch.isRevoked('t2', 's1'));

      writeFileSync(path, '{"tokenIds": ["t1"');
      await until(() => errors.length > 0);
      expect(errors[0]?.code).toBe('BAD_REVOCATION_LIST');
      expect(watch.isRevoked('t2', 's1')).toBe(true);

      writeFileSync(path, '{"tokenIds":[],"staffIds":[]}');
      await until(() => !watch.isRevoked('t1', 's1'));
    } finally {
      watch.close();
    }
  });

  it('fails the start on a list that is bad from the outset', () => {
    expect(() => watchRevocationList(listFile('nonsense'), () => {})).toThrow(/BAD_REVOCATION_LIST/);
  });
});
