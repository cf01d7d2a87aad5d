import type { Logger } from '@petition/logging';

// A service stops in one order, whatever it runs: it stops taking work, lets its consumers finish the
// records in hand and commit, lets the work in flight finish (it may still publish), then closes the
// producer, then the connections the steps before still used. Each phase waits for the one before.

export const shutdownPhases = [
  /** Stop taking work: HTTP and gRPC servers (requests in flight finish), timers and loops. */
  'intake',
  /** Consumers stop: the records in hand finish, processed offsets are committed, groups are left. */
  'consumers',
  /** Work in flight finishes: serial queues drain, a loop's round in hand ends, leases are let go. */
  'work',
  /** The producer flushes and disconnects. */
  'bus',
  /** Redis and other clients close. */
  'connections',
] as const;

export type ShutdownPhase = (typeof shutdownPhases)[number];

export interface Shutdown {
  /** Adds a step to `phase`; the steps of one phase run together. */
  on(phase: ShutdownPhase, name: string, step: () => Promise<unknown> | unknown): void;
  /**
   * Runs every phase in order (once: later calls get the same promise). A step that fails is logged and
   * the next phases run all the same; the promise then rejects, naming the steps that failed.
   */
  run(): Promise<void>;
  readonly started: boolean;
}

export function createShutdown(logger: Pick<Logger, 'error'>): Shutdown {
  const steps = new Map<ShutdownPhase, { name: string; step: () => Promise<unknown> | unknown }[]>(
    shutdownPhases.map((phase) => [phase, []]),
  );
  let running: Promise<void> | undefined;
  async function runAll() {
    const failed: string[] = [];
    for (const phase of shutdownPhases) {
      const phaseSteps = steps.get(phase) ?? [];
      const results = await Promise.allSettled(phaseSteps.map(async (s) => s.step()));
      results.forEach((r, i) => {
        if (r.status === 'fulfilled') return;
        const name = phaseSteps[i]?.name ?? '?';
        failed.push(name);
        logger.error({ err: r.reason, phase, step: name }, 'shutdown step failed');
      });
    }
    if (failed.length) throw new Error(`shutdown steps failed: ${failed.join(', ')}`);
  }
  return {
    on(phase, name, step) {
      if (running) throw new Error(`shutdown already started: cannot add ${name}`);
      steps.get(phase)?.push({ name, step });
    },
    run() {
      running ??= runAll();
      return running;
    },
    get started() {
      return running !== undefined;
    },
  };
}
