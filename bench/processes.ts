// Services benchmarked as their own processes, as they run in production.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
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
