import { describe, expect, it } from 'vitest';
import { CauseNotYetReadError, untilCauseRead } from './causal-order.ts';

// The wait for a record's cause on another topic: over as soon as the cause is known, or once the cause's
// topic is read (here or by the group) up to where it ended when the wait began; never longer than allowed.

const topic = { name: 'petition.case-events.v1' };
const ends = new Map([
  [0, 10n],
  [1, 4n],
]);

function fakeBus(committed: () => Map<number, bigint>) {
  return {
    endOffsets: async () => ends,
    committedOffsets: async () => committed(),
  };
}

describe('untilCauseRead', () => {
  it('returns at once when the cause is known, without asking the broker', async () => {
    let asked = 0;
    const bus = {
      endOffsets: async () => {
        asked++;
        return ends;
      },
      committedOffsets: async () => new Map<number, bigint>(),
    };
    await untilCauseRead({ bus, topic, groupId: 'g' }, async () => true);
    expect(asked).toBe(0);
  });

  it('waits until the cause becomes known', async () => {
    let checks = 0;
    await untilCauseRead({ bus: fakeBus(() => new Map()), topic, groupId: 'g' }, async () => ++checks >= 3, {
      pollMs: 5,
    });
    expect(checks).toBe(3);
  });

  it('stops waiting once the group has committed the topic up to its end (the cause is not in the log)', async () => {
    let committed = new Map([[0, 10n]]);
    const waiting = untilCauseRead({ bus: fakeBus(() => committed), topic, groupId: 'g' }, async () => false, {
      pollMs: 5,
    });
    committed = new Map([
      [0, 10n],
      [1, 4n],
    ]);
    await expect(waiting).resolves.toBeUndefined();
  });

  it('stops waiting once this process has read the topic up to its end', async () => {
    const here = new Map([
      [0, 10n],
      [1, 4n],
    ]);
    await untilCauseRead(
      { bus: fakeBus(() => new Map()), topic, groupId: 'g', readHere: (p) => here.get(p) ?? 0n },
      async () => false,
      { pollMs: 5 },
    );
  });

  it('gives up after the longest wait with a retryable error naming the topic', async () => {
    const waiting = untilCauseRead(
      { bus: fakeBus(() => new Map([[0, 9n]])), topic, groupId: 'g', readHere: () => 3n },
      async () => false,
      { pollMs: 5, maxWaitMs: 30 },
    );
    await expect(waiting).rejects.toBeInstanceOf(CauseNotYetReadError);
    await expect(waiting).rejects.toMatchObject({ retryable: true, code: 'CAUSE_NOT_YET_READ' });
    await expect(waiting).rejects.toThrow(/petition\.case-events\.v1/);
  });
});
