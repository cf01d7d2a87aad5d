#!/usr/bin/env node
// Entry point of every npm script. It runs on whatever Node the machine has (Node 20 here), so it is
// plain JavaScript with no dependencies. It fetches what a fresh clone lacks — the Node and pnpm
// versions the repo pins, the workspace dependencies, the generated contract code — reusing what an
// earlier run fetched, then hands the task to scripts/tasks.ts under the pinned Node.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const toolchain = join(root, '.toolchain');
const log = (msg) => process.stderr.write(`[toolchain] ${msg}\n`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    log(`failed: ${cmd} ${args.join(' ')} (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

function npmInstall(dir, spec) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
  run('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error', spec]);
}

function ensureNode() {
  const version = readFileSync(join(root, '.nvmrc'), 'utf8').trim();
  if (process.version === `v${version}`) return dirname(process.execPath);
  const pkg = `node-${process.platform}-${process.arch}`;
  const dir = join(toolchain, `node-${version}`);
  const bin = join(dir, 'node_modules', pkg, 'bin');
  if (!existsSync(join(bin, 'node'))) {
    log(`fetching Node ${version} (${pkg}) from the npm registry`);
    npmInstall(dir, `${pkg}@${version}`);
  }
  return bin;
}

function ensurePnpm() {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const [name, version] = manifest.packageManager.split('@');
  const dir = join(toolchain, `${name}-${version}`);
  const entry = join(dir, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs');
  if (!existsSync(entry)) {
    log(`fetching pnpm ${version} from the npm registry`);
    npmInstall(dir, `pnpm@${version}`);
  }
  return entry;
}

/** Shims so that every child process — pnpm scripts, vitest workers, tools — runs on the pinned Node. */
function writeShims(nodeBin, pnpmEntry) {
  const bin = join(toolchain, 'bin');
  mkdirSync(bin, { recursive: true });
  const nodeLink = join(bin, 'node');
  rmSync(nodeLink, { force: true });
  symlinkSync(join(nodeBin, 'node'), nodeLink);
  const pnpm = join(bin, 'pnpm');
  writeFileSync(pnpm, `#!/bin/sh\nexec "${join(nodeBin, 'node')}" "${pnpmEntry}" "$@"\n`);
  chmodSync(pnpm, 0o755);
  return bin;
}

function digest(files) {
  const h = createHash('sha256');
  for (const f of files) if (existsSync(f)) h.update(f).update(readFileSync(f));
  return h.digest('hex');
}

function workspaceManifests() {
  const out = [join(root, 'package.json'), join(root, 'pnpm-lock.yaml'), join(root, 'pnpm-workspace.yaml')];
  for (const group of ['packages', 'services']) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) out.push(join(dir, name, 'package.json'));
  }
  out.push(join(root, 'test', 'package.json'));
  return out;
}

function protoInputs() {
  const out = [join(root, 'buf.yaml'), join(root, 'buf.gen.yaml')];
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.proto')) out.push(p);
    }
  };
  walk(join(root, 'proto'));
  return out;
}

/** Runs `step` only when the digest of its inputs changed since the last successful run. */
function onChange(name, inputs, isPresent, step) {
  const stampFile = join(toolchain, `${name}.stamp`);
  const stamp = digest(inputs);
  if (isPresent() && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return;
  step();
  writeFileSync(stampFile, stamp);
}

const [task = 'test', ...args] = process.argv.slice(2);
const nodeBin = ensureNode();
const pnpmEntry = ensurePnpm();
const shimBin = writeShims(nodeBin, pnpmEntry);
const env = {
  ...process.env,
  PATH: [shimBin, join(root, 'node_modules', '.bin'), process.env.PATH].join(':'),
  KAFKAJS_NO_PARTITIONER_WARNING: '1',
};
const ci = !!process.env.CI || !process.stdin.isTTY;

onChange(
  'install',
  workspaceManifests(),
  () => existsSync(join(root, 'node_modules', '.modules.yaml')),
  () => {
    log('installing workspace dependencies');
    const frozen = existsSync(join(root, 'pnpm-lock.yaml')) && ci ? ['--frozen-lockfile'] : [];
    run(join(shimBin, 'pnpm'), ['install', '--reporter=append-only', ...frozen], { env });
  },
);
onChange(
  'gen',
  protoInputs(),
  () => existsSync(join(root, 'packages', 'contract', 'src', 'gen')),
  () => {
    log('generating the contract code (buf generate)');
    rmSync(join(root, 'packages', 'contract', 'src', 'gen'), { recursive: true, force: true });
    run(join(root, 'node_modules', '.bin', 'buf'), ['generate'], { env });
  },
);
/**
 * What test/deploy.test.ts checks deploy/ with: docker-compose (Debian's 1.29 validates a compose file without
 * an engine) and kubectl (its kustomize renders the overlays offline; kept when any kubectl is on the PATH).
 */
const deployTools = [
  'docker-compose',
  ...(spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0 ? [] : ['kubectl']),
];
/**
 * The browser the web-page tests drive: Debian's Chromium, and a font with Chinese glyphs so screenshots
 * show text, installed from Debian's packages when missing (CHROMIUM_PATH names another browser); and
 * redis-server, which the tests of Redis with a password start on a port of their own.
 */
function ensureBrowser() {
  const browser = process.env.CHROMIUM_PATH ? [] : ['chromium', 'fonts-wqy-microhei'];
  const packages = [...browser, 'redis-server', ...deployTools];
  const missing = packages.filter((p) => spawnSync('dpkg', ['-s', p], { stdio: 'ignore' }).status !== 0);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    log(`the tests need Debian packages ${missing.join(', ')}: install them (CHROMIUM_PATH names another browser)`);
    process.exit(1);
  }
  log(`installing ${missing.join(', ')} from Debian's packages (browser and Redis tests)`);
  const apt = { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, stdio: ['ignore', 'ignore', 'inherit'] };
  run('apt-get', ['update', '-q'], apt);
  run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], apt);
}
if (task === 'test') ensureBrowser();
if (task === 'setup') process.exit(0);

const child = spawn(join(shimBin, 'node'), [join(root, 'scripts', 'tasks.ts'), task, ...args], {
  stdio: 'inherit',
  cwd: root,
  env,
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
