import {
  type BaseOptions,
  compatibilityPartitioner,
  ProduceAcks,
  Producer,
  stringSerializer,
} from '@platformatic/kafka';
import { type OutgoingRecord, type PublishedRecord, type Publisher, publisherOver } from '../publisher.ts';

export function createPlatformaticPublisher(base: BaseOptions, prefix: string): Publisher {
  // Idempotent (the client then keeps one request in flight and retries without bound, so a send waits
  // out a broker outage and nothing overtakes a retried batch), acks from every replica in sync. Keys go
  // to partitions as Java and kafkajs send them (murmur2 & 0x7fffffff): the client's own default hashes
  // half of all keys elsewhere, which would split a case over two partitions when a deployment switches.
  const { retries: _retries, ...rest } = base;
  const producer = new Producer<string, Buffer, string, string>({
    ...rest,
    idempotent: true,
    acks: ProduceAcks.ALL,
    autocreateTopics: false,
    partitioner: compatibilityPartitioner,
    serializers: { key: stringSerializer, headerKey: stringSerializer, headerValue: stringSerializer },
  });

  const send = async (topic: string, records: OutgoingRecord[]): Promise<PublishedRecord[]> => {
    if (records.length === 0) return [];
    const result = await producer.send({
      messages: records.map((r) => ({
        topic,
        key: r.key ?? undefined,
        value: r.value ?? undefined,
        headers: new Map(Object.entries(r.headers)),
      })),
    });
    return (result.offsets ?? []).map((o) => ({
      topic: o.topic,
      partition: o.partition,
      baseOffset: String(o.offset),
    }));
  };

  return publisherOver(prefix, send, () => producer.close());
}
