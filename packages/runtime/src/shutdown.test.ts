import { describe, expect, it } from 'vitest';
import { createShutdown, shutdownPhases } from './shutdown.ts';

// The order a service stops in: each phase waits for the one before, whatever order the steps were added.

const quiet = { error: () => undefined };
const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('createShutdown', () => {
  it('runs the phases in order, each after every step of the one before has finished', async () => {
    const shutdown = createShutdown(quiet);
    const seen: string[] = [];
    // Added in reverse, and the earlier phases' steps take longer: the order is the phases', not the adding's.
    for (const phase of [...shutdownPhases].reverse()) {
      const slow = shutdownPhases.length - shutdownPhases.indexOf(phase);
      shutdown.on(phase, `${phase} a`, async () => {
        await later(slow * 5);
        seen.push(`${phase} a`);
      });
      shutdown.on(phase, `${phase} b`, () => void seen.push(`${phase} b`));
    }
    await shutdown.run();
    expect(seen).toEqual(shutdownPhases.flatMap((phase) => [`${phase} b`, `${phase} a`]));
  });

  it('goes on past a failed step, then rejects naming it', async () => {
    const errors: unknown[] = [];
    const shutdown = createShutdown({ error: (o: unknown) => void errors.push(o) });
    const seen: string[] = [];
    shutdown.on('consumers', 'group', () => {
      throw new Error('broker gone');
    });
    shutdown.on('connections', 'redis', () => void seen.push('redis'));
    await expect(shutdown.run()).rejects.toThrow('shutdown steps failed: group');
    expect(seen).toEqual(['redis']);
    expect(errors).toHaveLength(1);
  });

  it('runs once: a second call gets the same stop, and no step can be added once it has begun', async () => {
    const shutdown = createShutdown(quiet);
    let runs = 0;
    shutdown.on('work', 'queue', () => void runs++);
    expect(shutdown.started).toBe(false);
    const first = shutdown.run();
    expect(shutdown.run()).toBe(first);
    await first;
    expect(runs).toBe(1);
    expect(shutdown.started).toBe(true);
    expect(() => shutdown.on('intake', 'late', () => undefined)).toThrow(/already started/);
  });
});
