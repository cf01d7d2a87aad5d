import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';

// What starting and stopping a local process of the project (the Kafka broker, redis-server) needs alike:
// whether a pid is still that process, the pid a file names, whether a port answers, a log's last lines.

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * True while `pid` lives and is the process its command line names (`commandPart`): a recycled pid, or a
 * zombie's empty command line, must not pass for ours.
 */
export function isAliveAs(pid: number, commandPart: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const cmdline = `/proc/${pid}/cmdline`;
  return !existsSync(cmdline) || readFileSync(cmdline, 'utf8').includes(commandPart);
}

/** The pid a pid file names, when that process is alive and is `commandPart`'s. */
export function readLivePid(file: string, commandPart: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && isAliveAs(pid, commandPart) ? pid : undefined;
}

/** True when something accepts TCP connections on 127.0.0.1:`port` within a second. */
export function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: 1_000 });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

/** The last lines of a log file, for an error message. */
export function logTail(file: string, lines = 20): string {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n') : '(no log)';
}

/**
 * Starts `command` detached from this process (it outlives `npm run infra:up`), its output appended to `logFile`
 * and its pid written to `pidFile`. `exited()` says how it ended if it already has (a start-up that failed).
 */
export function spawnDetached(command: string, args: readonly string[], logFile: string, pidFile: string) {
  const out = openSync(logFile, 'a');
  const child = spawn(command, [...args], { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${command}`);
  let ended: string | undefined;
  child.once('exit', (code, signal) => {
    ended = `exit ${code ?? signal}`;
  });
  child.unref();
  writeFileSync(pidFile, String(pid));
  return { pid, exited: () => ended };
}
