import { describe, expect, it } from 'vitest';
import { createSerialQueue } from './serial-queue.ts';

describe('createSerialQueue', () => {
  it('runs work one piece at a time, in the order handed in', async () => {
    const queue = createSerialQueue();
    const seen: string[] = [];
    let running = 0;
    const piece = (name: string, ms: number) =>
      queue.run(async () => {
        running++;
        expect(running).toBe(1);
        await new Promise((resolve) => setTimeout(resolve, ms));
        seen.push(name);
        running--;
        return name;
      });
    const results = await Promise.all([piece('a', 20), piece('b', 0), piece('c', 5)]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('hands a failure to its caller and runs the next piece all the same', async () => {
    const queue = createSerialQueue();
    const failed = queue.run(async () => {
      throw new Error('bad batch');
    });
    const next = queue.run(async () => 'next');
    await expect(failed).rejects.toThrow('bad batch');
    await expect(next).resolves.toBe('next');
  });

  it('is drained once everything handed in has settled', async () => {
    const queue = createSerialQueue();
    let done = false;
    void queue.run(async () => {
      await new Promise((resolve) => setTimeout(resolve, 10));
      done = true;
    });
    void queue
      .run(async () => {
        throw new Error('ignored here');
      })
      .catch(() => undefined);
    await queue.drained();
    expect(done).toBe(true);
  });
});
