// Services benchmarked as their own processes, as they run in production.
import { type ChildProcess, execSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import type { Logger } from '@petition/logging';

/** Starts a server process and waits until `url` answers at all. Its output is not piped here: a child
 * writing logs into a pipe that this busy process drains slowly would be measured waiting on it. */
export async function startProcess(
  args: string[],
  env: NodeJS.ProcessEnv,
  url: string,
  logger: Logger,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${args[0]} exited with ${child.exitCode} before answering`);
    if (Date.now() > deadline) throw new Error(`${args[0]} did not answer ${url} within 120 s`);
    const answered = await fetch(url).then(
      (r) => r.status,
      () => 0,
    );
    if (answered === 200 || answered === 404) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  logger.info({ script: args[0] }, 'process ready');
  return child;
}

export async function stopProcess(child: ChildProcess) {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

const ticksPerSec = Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }).trim()) || 100;

/** CPU time a process has used so far (user + system), in ms, from /proc/<pid>/stat. */
export function cpuMsOf(pid: number | undefined): number {
  if (!pid) return 0;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): state is 3rd, utime 14th, stime 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSec;
}

/** CPU time every core of the machine has spent busy so far, in ms, from /proc/stat. */
export function machineBusyMs(): number {
  const [, ...values] = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = values.map(Number);
  return ((user + nice + system + irq + softirq + steal) * 1000) / ticksPerSec;
}

/** The pids of the processes whose command line contains `needle` (the broker's JVM, redis-server). */
export function pidsOf(needle: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(needle);
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}
