export type { ClusterInfo, TopicOptions } from './admin.ts';
export { type BatchLimits, batchingPublisher, RecordTooLargeError } from './batcher.ts';
export { type Bus, createBus } from './bus.ts';
export {
  type BusOptions,
  type BusSasl,
  type BusTls,
  defaultKafkaClient,
  type KafkaClientName,
  type KafkaSaslMechanism,
  type KafkaSecurityProtocol,
  kafkaClients,
  kafkaSaslMechanisms,
  kafkaSecurityProtocols,
  resolveKafkaClient,
  UnknownKafkaClientError,
} from './clients.ts';
export {
  type BatchHandler,
  type BatchSubscribeOptions,
  type BusConsumer,
  type ConsumedRecord,
  type ConsumerOptions,
  type ConsumerStats,
  consumerDefaults,
  type Handler,
  on,
  onBatch,
  type SubscribeOptions,
  type Subscription,
} from './consumer.ts';
export { Header, protobufContentType, readHeaders } from './headers.ts';
export { type PartitionLag, partitionLags } from './lag.ts';
export { createLedger, type Ledger, type LedgerOptions } from './ledger.ts';
export { type OutgoingRecord, type PublishedRecord, type Publisher, type RawRecord, toMessage } from './publisher.ts';
export { backoffDelayMs, defaultRetryPolicy, isRetryable, PoisonRecordError, type RetryPolicy } from './retry.ts';
export { BusSecurityError, type BusSecurityErrorCode, busSecurityErrorCodes, securityRefusal } from './security.ts';
export {
  defineTopic,
  dlqSuffix,
  isolatedPrefix,
  type MessageCodec,
  type PayloadCase,
  type TopicSpec,
  topicName,
} from './topic.ts';
export {
  accessAudit,
  allTopics,
  caseCommands,
  caseEvents,
  checkpointKey,
  deadlineEvents,
  inAppNotices,
  linkTopic,
  noticeReads,
  notificationEvents,
  routingSnapshots,
  type SignedRecord,
  situationEvents,
  subscriptions,
  units,
} from './topics.ts';
