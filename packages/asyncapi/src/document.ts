// The AsyncAPI 3.0.0 document of the bus: one channel per topic of the catalogue (its address the topic
// name, its writer, its key, its headers), one message per `event-type` it carries, the payloads as
// JSON Schema of the contract's messages. Pure: the descriptors and the catalogue in, the document out.
import type { DescMessage, FileRegistry } from '@bufbuild/protobuf';
import { dlqSuffix, Header, protobufContentType, type TopicSpec } from '@petition/bus';
import { addMessageSchema, type JsonSchema, type SchemaComponents, schemaRef } from './schema.ts';

/** A topic of the catalogue as the document describes it; the link family is one, its address a pattern. */
export interface DocumentedTopic {
  readonly spec: TopicSpec<never>;
  /** The channel's id when not derived from the name, e.g. `link` for the family. */
  readonly channelId?: string;
  /** The `{parameter}`s of a family's name, e.g. the link topics' nodes. */
  readonly parameters?: Record<string, { readonly description: string }>;
  /** Headers the writer adds to the bus's own, e.g. the interconnect's signature. */
  readonly extraHeaders?: Record<string, JsonSchema>;
  readonly extraRequiredHeaders?: readonly string[];
}

const kafkaBinding = '0.5.0';
const asyncApiId = (topicName: string) => topicName.replace(/^petition\./, '').replace(/\.v\d+$/, '');
const channelIdOf = (topic: DocumentedTopic) => topic.channelId ?? asyncApiId(topic.spec.name);
const messageIdOf = (eventType: string) => eventType.replace(/^petition\.v1\./, '');

/** The payload message of a topic: `typeOf` names the wrapper itself when the message has no payload case. */
function wrapperOf(spec: TopicSpec<never>, registry: FileRegistry): DescMessage {
  const typeName = spec.typeOf({} as never);
  const message = registry.getMessage(typeName);
  if (!message) throw new Error(`${spec.name}: no message ${typeName} in the contract`);
  return message;
}

/** Each `event-type` the topic carries and the payload field that carries it (none: the whole message). */
function eventsOf(spec: TopicSpec<never>, wrapper: DescMessage) {
  if (!spec.eventTypeOfCase) return [{ eventType: spec.typeOf({} as never), field: undefined }];
  const [payload, ...more] = wrapper.oneofs;
  if (!payload || more.length > 0) throw new Error(`${wrapper.typeName}: expected exactly one payload oneof`);
  const written = spec.writtenCases as readonly string[] | undefined;
  if (written?.some((c) => !payload.fields.some((f) => f.localName === c))) {
    throw new Error(`${spec.name}: writtenCases names a case ${wrapper.typeName} does not have`);
  }
  return payload.fields
    .filter((field) => !written || written.includes(field.localName))
    .map((field) => ({ eventType: spec.eventTypeOfCase?.(field.localName) ?? '', field }));
}

function headersOf(topic: DocumentedTopic, eventType: string): JsonSchema {
  const { spec } = topic;
  const properties: Record<string, JsonSchema> = {
    [Header.eventType]: {
      type: 'string',
      const: eventType,
      description: 'The protobuf name of the payload case: filter on it without decoding.',
    },
    [Header.schemaVersion]: { type: 'string', const: String(spec.schemaVersion) },
    [Header.contentType]: { type: 'string', const: protobufContentType },
  };
  if (spec.traceOf) {
    properties[Header.traceparent] = {
      type: 'string',
      pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
      description: 'W3C trace context of the request that led to the record, when it had one.',
    };
    properties[Header.tracestate] = { type: 'string', description: 'W3C trace state, beside `traceparent`.' };
  }
  Object.assign(properties, topic.extraHeaders);
  return {
    type: 'object',
    required: [Header.eventType, Header.schemaVersion, Header.contentType, ...(topic.extraRequiredHeaders ?? [])],
    properties,
  };
}

/** The dead-letter siblings (`<topic>.dlq`): the record as it came, its headers, and why it was parked. */
function deadLetterHeaders(): JsonSchema {
  const text = (description: string) => ({ type: 'string', description });
  return {
    type: 'object',
    description: 'The parked record keeps its key, value and headers; these say why it was parked.',
    required: [Header.dlqReason, Header.dlqSourceTopic, Header.dlqSourcePartition, Header.dlqSourceOffset],
    properties: {
      [Header.dlqReason]: text('The error message of the last attempt.'),
      [Header.dlqErrorCode]: text('The error code (or error name) of the last attempt.'),
      [Header.dlqSourceTopic]: text('The topic the record was read from.'),
      [Header.dlqSourcePartition]: text('Its partition.'),
      [Header.dlqSourceOffset]: text('Its offset.'),
      [Header.dlqAttempts]: text('How many times the consumer tried it.'),
      [Header.dlqGroup]: text('The consumer group that parked it.'),
      [Header.dlqTime]: { type: 'string', format: 'date-time', description: 'When it was parked.' },
    },
  };
}

export function asyncApiDocument(registry: FileRegistry, topics: readonly DocumentedTopic[]) {
  const schemas: SchemaComponents = {};
  const messages: Record<string, unknown> = {};
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};

  for (const topic of topics) {
    const { spec } = topic;
    if (!spec.writer || !spec.description || !spec.keyDescription) {
      throw new Error(`${spec.name}: the catalogue must name its writer, description and key`);
    }
    const channelId = channelIdOf(topic);
    const wrapper = wrapperOf(spec, registry);
    addMessageSchema(wrapper, schemas);
    const channelMessages: Record<string, unknown> = {};
    for (const { eventType, field } of eventsOf(spec, wrapper)) {
      const messageId = `${channelId}.${messageIdOf(eventType)}`;
      messages[messageId] = {
        name: eventType,
        title: messageIdOf(eventType),
        summary: field
          ? `${wrapper.typeName} with \`${field.jsonName}\` set, header \`event-type: ${eventType}\`.`
          : `${wrapper.typeName}, header \`event-type: ${eventType}\`.`,
        contentType: protobufContentType,
        headers: headersOf(topic, eventType),
        payload: field
          ? { allOf: [schemaRef(wrapper.typeName)], required: [field.jsonName] }
          : schemaRef(wrapper.typeName),
        bindings: {
          kafka: {
            key: { type: 'string', description: `The record key: ${spec.keyDescription}.` },
            bindingVersion: kafkaBinding,
          },
        },
      };
      channelMessages[messageIdOf(eventType)] = { $ref: `#/components/messages/${messageId}` };
    }
    channels[channelId] = {
      address: spec.name,
      title: spec.name,
      description: `${spec.description} Written by ${spec.writer}, keyed by ${spec.keyDescription}.`,
      messages: channelMessages,
      ...(topic.parameters ? { parameters: topic.parameters } : {}),
      'x-writer': spec.writer,
      bindings: {
        kafka: {
          ...(topic.parameters ? {} : { topic: spec.name }),
          topicConfiguration: { 'cleanup.policy': [spec.compacted ? 'compact' : 'delete'] },
          bindingVersion: kafkaBinding,
        },
      },
    };
    operations[`${spec.writer}-sends-${channelId}`] = {
      action: 'send',
      title: `${spec.writer} writes ${spec.name}`,
      channel: { $ref: `#/channels/${channelId}` },
      messages: Object.keys(channelMessages).map((m) => ({ $ref: `#/channels/${channelId}/messages/${m}` })),
      tags: [{ name: spec.writer }],
      'x-writer': spec.writer,
    };
  }

  channels['dead-letters'] = {
    address: `{topic}${dlqSuffix}`,
    title: `<topic>${dlqSuffix}`,
    description:
      'Beside every topic above: a record its consumer could not apply after bounded retries, parked as it came (same key, value and headers) with the reason in `dlq-*` headers. Written by the consumer that parked it.',
    parameters: { topic: { description: 'The name of the topic the record was read from.' } },
    messages: { parked: { $ref: '#/components/messages/parked' } },
  };
  messages.parked = {
    name: 'parked',
    title: 'A parked record',
    summary: 'The original record (any message of its topic) with the dead-letter headers added.',
    contentType: protobufContentType,
    headers: deadLetterHeaders(),
    payload: { type: 'string', contentEncoding: 'binary', description: 'The original value, unchanged.' },
  };

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Petition interconnect topics',
      version: '1',
      description:
        'The Kafka topics of the petition interconnect, for integrators who consume them directly. Every topic has one writing service (`x-writer`, the operation that sends it). Values are protobuf binary (proto/petition/v1); the schemas here are the proto3 JSON mapping of the same messages. The `event-type` header names the payload case, so a consumer can skip records without decoding them. A deployment may prefix every topic name (e.g. a node id and a dot). Generated from the contract and the topic catalogue (packages/asyncapi) — never edited by hand.',
    },
    defaultContentType: protobufContentType,
    channels,
    operations,
    components: {
      messages,
      schemas: Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b))),
    },
  };
}
