import type { Logger } from '@petition/logging';
import type { Kafka, Producer } from 'kafkajs';
import { type OutgoingRecord, type PublishedRecord, type Publisher, publisherOver } from '../publisher.ts';

/** True for kafkajs's idempotent-producer failure after a retried batch (anywhere in the cause chain). */
export function isSequenceReset(error: unknown): boolean {
  for (let e = error as { type?: string; cause?: unknown; originalError?: unknown } | undefined; e; ) {
    if (e.type === 'OUT_OF_ORDER_SEQUENCE_NUMBER' || e.type === 'UNKNOWN_PRODUCER_ID') return true;
    e = (e.originalError ?? e.cause) as typeof e;
  }
  return false;
}

const maxProducerResets = 5;

export async function createKafkajsPublisher(kafka: Kafka, prefix: string, logger: Logger): Promise<Publisher> {
  // Idempotent with one request in flight: the broker drops retried duplicates by sequence number
  // and nothing can overtake a retried batch, so per-key order survives broker failover. kafkajs keeps
  // idempotence only with unbounded retries (it warns otherwise): a send waits out a broker outage.
  const open = async () => {
    const p: Producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 5_000 },
    });
    await p.connect();
    return p;
  };
  let producer = await open();

  // After a leader change kafkajs may resend a batch with its sequence reset, which the broker refuses
  // for good. A new producer (a new producer id) sends the batch again: records of it that had been
  // written appear twice, which consumers absorb (they are idempotent by event or command id).
  const send = async (topic: string, messages: OutgoingRecord[]): Promise<PublishedRecord[]> => {
    if (messages.length === 0) return [];
    for (let resets = 0; ; resets++) {
      try {
        const meta = await producer.send({ topic, messages, acks: -1 });
        return meta.map((m) => ({ topic: m.topicName, partition: m.partition, baseOffset: m.baseOffset ?? '-1' }));
      } catch (error) {
        if (!isSequenceReset(error) || resets >= maxProducerResets) throw error;
        logger.warn(
          { topic, records: messages.length, resets: resets + 1 },
          'producer sequence reset; resending with a new producer',
        );
        await producer.disconnect().catch(() => undefined);
        producer = await open();
      }
    }
  };

  return publisherOver(prefix, send, () => producer.disconnect());
}
