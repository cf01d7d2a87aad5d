import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The workspace root: the nearest folder above this file that holds pnpm-workspace.yaml. */
export function workspaceRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('pnpm-workspace.yaml not found above packages/infra');
    dir = up;
  }
  return dir;
}

/** Git-ignored state of the local infrastructure: jars, broker data, logs. */
export function localDir(...parts: string[]): string {
  return resolve(workspaceRoot(), '.local', ...parts);
}
