// Work that touches the same state from several sources (two topics' batches, a timer, a rebalance) runs
// one piece at a time, in the order it was handed in: no locks, and nothing sees another piece half done.

export interface SerialQueue {
  /** Runs `work` after everything handed in before it has settled; resolves or rejects as it does. */
  readonly run: <T>(work: () => Promise<T>) => Promise<T>;
  /** Resolves once everything handed in so far has settled (failures included). */
  drained(): Promise<void>;
}

export function createSerialQueue(): SerialQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(work: () => Promise<T>): Promise<T> {
      const run = tail.then(work);
      // A failure is its caller's to handle; the next piece runs all the same.
      tail = run.catch(() => undefined);
      return run;
    },
    async drained() {
      await tail;
    },
  };
}
