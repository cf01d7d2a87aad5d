import type { Logger } from '@petition/logging';

// A service's own clock: work run again and again (firing due clocks, delivering due notices), at once
// while it says there is more, else after a pause. Stopping lets the round in hand finish.

export interface Repeating {
  /** No new round starts after this; resolves once the round in hand (if any) has finished. */
  stop(): Promise<void>;
}

/**
 * Runs `round` now and then again: at once when it resolves true (a full batch: more is due), else after
 * `everyMs`. A round that throws is logged and tried again after `everyMs`.
 */
export function repeat(
  name: string,
  round: () => Promise<boolean>,
  o: { everyMs: number; logger: Pick<Logger, 'error'> },
): Repeating {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inHand: Promise<unknown> = Promise.resolve();
  const next = async () => {
    if (stopped) return;
    let again = false;
    const current = Promise.resolve().then(round);
    inHand = current.catch(() => undefined);
    try {
      again = await current;
    } catch (err) {
      o.logger.error({ err, loop: name }, `${name} failed; trying again`);
    }
    if (!stopped) timer = setTimeout(next, again ? 0 : o.everyMs);
  };
  timer = setTimeout(next, 0);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await inHand;
    },
  };
}
