import { type Context, context } from '@opentelemetry/api';
import { tracingEnabled } from '@petition/telemetry';
import type { Publisher } from './publisher.ts';
import type { TopicSpec } from './topic.ts';

/**
 * Coalesces single publishes into batches: while one produce request is in flight, the next ones queue
 * and leave together as one request when it returns. Each caller still learns when its own record is
 * acknowledged (acks=all), and records leave in the order they were given, so per-key order holds.
 * Under load this turns a request round trip per record into one per batch.
 */
export interface BatchLimits {
  /** Most records in one request. */
  readonly maxBatch?: number;
  /**
   * Most encoded bytes in one request (the broker refuses a batch over its `message.max.bytes` whole, and
   * every caller in it would fail). A record larger than this is refused to its caller alone
   * (`RecordTooLargeError`) and never sent.
   */
  readonly maxBatchBytes?: number;
}

/** A record over the batch byte limit: refused before it is sent, so that it fails no one else. */
export class RecordTooLargeError extends Error {
  readonly bytes: number;
  readonly maxBytes: number;
  constructor(bytes: number, maxBytes: number) {
    super(`the record is ${bytes} bytes; at most ${maxBytes} are sent`);
    this.name = 'RecordTooLargeError';
    this.bytes = bytes;
    this.maxBytes = maxBytes;
  }
}

export function batchingPublisher<T>(
  publisher: () => Promise<Publisher>,
  topic: TopicSpec<T>,
  limits: BatchLimits = {},
) {
  const maxBatch = limits.maxBatch ?? 500;
  const maxBatchBytes = limits.maxBatchBytes ?? Number.POSITIVE_INFINITY;
  const queue: { message: T; bytes: number; at?: Context; resolve: () => void; reject: (e: unknown) => void }[] = [];
  let flushing = false;

  /** The longest run from the queue's head within both limits (at least one record). */
  function nextBatch() {
    let count = 0;
    let bytes = 0;
    for (const entry of queue) {
      if (count >= maxBatch || (count > 0 && bytes + entry.bytes > maxBatchBytes)) break;
      count++;
      bytes += entry.bytes;
    }
    return queue.splice(0, count);
  }

  async function flush() {
    if (flushing) return;
    flushing = true;
    try {
      while (queue.length > 0) {
        const batch = nextBatch();
        try {
          // Each record's trace is its publisher's, not that of whoever's call happens to send the batch.
          await (await publisher()).publish(
            topic,
            batch.map((b) => b.message),
            batch.map((b) => b.at),
          );
          for (const b of batch) b.resolve();
        } catch (error) {
          for (const b of batch) b.reject(error);
        }
      }
    } finally {
      flushing = false;
    }
  }

  return {
    publish(message: T): Promise<void> {
      const bytes = Number.isFinite(maxBatchBytes) ? topic.codec.encode(message).finish().byteLength : 0;
      if (bytes > maxBatchBytes) return Promise.reject(new RecordTooLargeError(bytes, maxBatchBytes));
      return new Promise<void>((resolve, reject) => {
        queue.push({ message, bytes, at: tracingEnabled() ? context.active() : undefined, resolve, reject });
        void flush();
      });
    },
    get queued() {
      return queue.length;
    },
  };
}
