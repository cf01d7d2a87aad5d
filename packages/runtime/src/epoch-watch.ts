import type { Logger } from '@petition/logging';
import type { Redis } from 'ioredis';
import { epochHolds } from './epoch.ts';

// A flush of a service's Redis keys is noticed by the epoch key going away. What the service does then is
// its own (exit to be restarted and rebuild, or rebuild in place under a new epoch); noticing it is this.

export interface EpochWatch {
  stop(): void;
}

/**
 * Checks every `everyMs` that the epoch `epoch()` names still holds under `prefix`; when it no longer does,
 * calls `onLost` with it (once per epoch: a rebuild that installs a new epoch is watched in turn). An `onLost`
 * that fails — a rebuild whose consumer could not join, the broker just restarted — is called again at the
 * next check, never given up on: a rebuild left undone would leave the keys unwritten for good. A check
 * Redis cannot answer counts as holding: a connection that comes back finds the keys where they were.
 */
export function watchEpoch(o: {
  redis: Redis;
  prefix: string;
  epoch: () => string;
  everyMs: number;
  onLost: (epoch: string) => Promise<void> | void;
  logger: Pick<Logger, 'error'>;
}): EpochWatch {
  let lost: string | undefined;
  let checking = false;
  const timer = setInterval(() => {
    const epoch = o.epoch();
    if (checking || lost === epoch) return;
    checking = true;
    void (async () => {
      if (await epochHolds(o.redis, o.prefix, epoch).catch(() => true)) return;
      lost = epoch;
      await o.onLost(epoch);
    })()
      .catch((err) => {
        o.logger.error({ err, epoch }, 'handling a lost epoch failed; trying again at the next check');
        lost = undefined;
      })
      .finally(() => {
        checking = false;
      });
  }, o.everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
