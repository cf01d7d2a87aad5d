// Shared by the broker benches: the raw kafkajs reference (a plain consumer group that only counts the
// records of some topics) and the wait until a count reaches what is expected, with progress lines.
import { type Logger, progress } from '@petition/logging';
import type { Kafka } from 'kafkajs';

/** A consumer group reading `topics` from their beginning and doing nothing but count the records. */
export async function countRecords(kafka: Kafka, topics: string[], groupId: string) {
  let seen = 0;
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      seen += batch.messages.length;
    },
  });
  return { seen: () => seen, close: () => consumer.disconnect() };
}

/** Polls `count` every 5 ms until it reaches `expected` (300 s at most); whether it did. */
export async function waitForCount(count: () => number, expected: number, o: { logger: Logger; label: string }) {
  const p = progress(o.logger, { label: o.label, total: expected, everyMs: 2_000 });
  const deadline = Date.now() + 300_000;
  let reported = 0;
  while (count() < expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5));
    const now = count();
    p.add(now - reported);
    reported = now;
  }
  p.finish();
  return count() >= expected;
}
