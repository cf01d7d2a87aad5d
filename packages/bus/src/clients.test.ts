import { describe, expect, it } from 'vitest';
import { defaultKafkaClient, kafkaClients, resolveKafkaClient, UnknownKafkaClientError } from './clients.ts';

describe('resolveKafkaClient', () => {
  it('takes the option first, then KAFKA_CLIENT, then the default', () => {
    expect(resolveKafkaClient('platformatic', { KAFKA_CLIENT: 'kafkajs' })).toBe('platformatic');
    expect(resolveKafkaClient(undefined, { KAFKA_CLIENT: 'platformatic' })).toBe('platformatic');
    expect(resolveKafkaClient(undefined, {})).toBe(defaultKafkaClient);
    expect(resolveKafkaClient(undefined, { KAFKA_CLIENT: '' })).toBe(defaultKafkaClient);
    expect(kafkaClients).toContain(defaultKafkaClient);
  });

  it('refuses a client it does not know, naming it and the ones it knows', () => {
    expect(() => resolveKafkaClient(undefined, { KAFKA_CLIENT: 'rdkafka' })).toThrow(UnknownKafkaClientError);
    expect(() => resolveKafkaClient('rdkafka', {})).toThrow(/'rdkafka'.*kafkajs, platformatic/);
  });
});
