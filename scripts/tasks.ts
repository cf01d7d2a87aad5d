// The npm scripts, run by scripts/toolchain.mjs under the pinned Node once dependencies and the
// generated contract are in place. Each task is a list of commands run in order; the first failure stops.
import { spawnSync } from 'node:child_process';

type Step = { title: string; cmd: string; args: string[] };

const step = (title: string, cmd: string, ...args: string[]): Step => ({ title, cmd, args });
const node = (title: string, script: string, ...args: string[]) => step(title, 'node', script, ...args);

const lint: Step[] = [
  step('biome (lint + format)', 'biome', 'ci', '.'),
  step('tsc (types)', 'tsc', '-p', 'tsconfig.json'),
  step('buf lint', 'buf', 'lint'),
  node('buf breaking', 'scripts/buf-breaking.ts'),
];

const [task = '', ...args] = process.argv.slice(2);
const tasks: Record<string, Step[]> = {
  lint,
  test: [...lint, step('vitest', 'vitest', 'run', ...args)],
  format: [step('biome (write)', 'biome', 'check', '--write', '.')],
  gen: [node('asyncapi', 'scripts/asyncapi.ts')],
  'infra:up': [node('infra up', 'packages/infra/src/cli.ts', 'up')],
  'infra:down': [node('infra down', 'packages/infra/src/cli.ts', 'down')],
  start: [node('start', 'scripts/start.ts', ...args)],
  bench: [node('bench', 'bench/run.ts', ...args)],
  directory: [node('directory', 'scripts/directory.ts', ...args)],
  token: [node('token', 'scripts/token.ts', ...args)],
  petition: [node('petition', 'packages/cli/src/main.ts', ...args)],
  integrator: [node('integrator', 'scripts/integrator.ts', ...args)],
  notify: [node('notify', 'scripts/notify.ts', ...args)],
  simulate: [node('simulate', 'packages/simulator/src/cli.ts', ...args)],
  fault: [node('fault', 'scripts/fault.ts', ...args)],
};

const steps = tasks[task];
if (!steps) {
  process.stderr.write(`unknown task "${task}"; one of: ${Object.keys(tasks).join(', ')}\n`);
  process.exit(2);
}
for (const s of steps) {
  if (steps.length > 1) process.stderr.write(`\n▶ ${s.title}\n`);
  const started = Date.now();
  const r = spawnSync(s.cmd, s.args, { stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`✗ ${s.title} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})\n`);
    process.exit(r.status ?? 1);
  }
  if (steps.length > 1) process.stderr.write(`✓ ${s.title} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}
