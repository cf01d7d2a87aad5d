import type { Publisher } from './publisher.ts';
import type { TopicSpec } from './topic.ts';

/**
 * Coalesces single publishes into batches: while one produce request is in flight, the next ones queue
 * and leave together as one request when it returns. Each caller still learns when its own record is
 * acknowledged (acks=all), and records leave in the order they were given, so per-key order holds.
 * Under load this turns a request round trip per record into one per batch.
 */
export function batchingPublisher<T>(publisher: () => Promise<Publisher>, topic: TopicSpec<T>, maxBatch = 500) {
  const queue: { message: T; resolve: () => void; reject: (e: unknown) => void }[] = [];
  let flushing = false;

  async function flush() {
    if (flushing) return;
    flushing = true;
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, maxBatch);
        try {
          await (await publisher()).publish(
            topic,
            batch.map((b) => b.message),
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
      return new Promise<void>((resolve, reject) => {
        queue.push({ message, resolve, reject });
        void flush();
      });
    },
    get queued() {
      return queue.length;
    },
  };
}
