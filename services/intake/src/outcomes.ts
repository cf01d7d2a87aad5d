import { caseEvents, onBatch, type Subscription } from '@petition/bus';
import { CaseEvent } from '@petition/contract';
import type { Redis } from 'ioredis';

// Routing answers each command with an event whose causation id is the command id: the command's first
// event, or its refusal. Every intake instance watches case-events, keeps each answer for a day (so any
// instance can serve `GET /v1/commands/{id}`), and wakes the callers waiting on this instance. A batch of
// events is kept in one round trip (a pipeline of SET NX).

const ttlSeconds = 86_400;
/** The most commands watched by `onAnswer` at once; beyond it the oldest is forgotten (its answer not acted on). */
const maxWatched = 50_000;

export function createOutcomes(redis: Redis, prefix: string) {
  const key = (commandId: string) => `${prefix}outcome:${commandId}`;
  const waiting = new Map<string, Set<(event: CaseEvent) => void>>();
  // Insertion order is age: the first key is the oldest watched.
  const watched = new Map<string, (event: CaseEvent) => void>();

  /** Keeps the answers among `events` (in order: a command's first event wins) and wakes their callers. */
  async function recordMany(events: readonly CaseEvent[]): Promise<void> {
    const answers = events.filter((e) => e.envelope?.causationId);
    if (answers.length === 0) return;
    const pipe = redis.pipeline();
    for (const event of answers) {
      // The first event of a command is the answer; later ones of the same command keep it.
      const encoded = Buffer.from(CaseEvent.encode(event).finish()).toString('base64');
      pipe.set(key(event.envelope?.causationId ?? ''), encoded, 'EX', ttlSeconds, 'NX');
    }
    for (const [err] of (await pipe.exec()) ?? []) if (err) throw err;
    for (const event of answers) {
      const commandId = event.envelope?.causationId ?? '';
      const onAnswer = watched.get(commandId);
      if (onAnswer) {
        watched.delete(commandId);
        // A head start that fails must not fail the answers' consumer: the index's consumer does it later.
        try {
          onAnswer(event);
        } catch {}
      }
      const callers = waiting.get(commandId);
      if (callers) {
        waiting.delete(commandId);
        for (const wake of callers) wake(event);
      }
    }
  }

  return {
    recordMany,
    record: (event: CaseEvent) => recordMany([event]),
    get,
    /** The answer if it comes within `ms`, else undefined. */
    wait(commandId: string, ms: number): Promise<CaseEvent | undefined> {
      return waitFor(commandId, ms);
    },
    /**
     * Calls `act` with the answer to a command this instance has just published, when this instance sees it
     * come (it cannot have come yet): no timer, no promise, no round trip. At most `maxWatched` commands are
     * watched; an older one's answer is then not acted on — for work that is only a head start.
     */
    onAnswer(commandId: string, act: (event: CaseEvent) => void): void {
      watched.set(commandId, act);
      if (watched.size > maxWatched) {
        const oldest = watched.keys().next().value;
        if (oldest !== undefined) watched.delete(oldest);
      }
    },
    get waitingCount() {
      return waiting.size;
    },
  };

  async function get(commandId: string): Promise<CaseEvent | undefined> {
    const stored = await redis.get(key(commandId));
    return stored ? CaseEvent.decode(Buffer.from(stored, 'base64')) : undefined;
  }

  async function waitFor(commandId: string, ms: number): Promise<CaseEvent | undefined> {
    if (ms <= 0) return get(commandId);
    let wake: (event: CaseEvent | undefined) => void = () => undefined;
    const arrived = new Promise<CaseEvent | undefined>((resolve) => {
      wake = resolve;
    });
    const callers = waiting.get(commandId) ?? new Set();
    callers.add(wake);
    waiting.set(commandId, callers);
    const timer = setTimeout(() => wake(undefined), ms);
    try {
      // It may have come before we started waiting.
      const already = await get(commandId);
      return already ?? (await arrived);
    } finally {
      clearTimeout(timer);
      callers.delete(wake);
      if (callers.size === 0) waiting.delete(commandId);
    }
  }
}

export type Outcomes = ReturnType<typeof createOutcomes>;

/** The answers' consumer: each batch of case-events kept in one round trip. */
export const outcomesSubscription = (outcomes: Outcomes): Subscription<CaseEvent> =>
  onBatch(caseEvents, (records) => outcomes.recordMany(records.map((r) => r.value)));
