// JSON Schema of the proto3 JSON mapping (protobuf.dev/programming-guides/json) of the contract's messages,
// derived from the descriptors `buf build` makes of proto/ — never written by hand, so it cannot drift.
// On the wire the payload is protobuf binary (`content-type: application/x-protobuf`); this is the shape
// every protobuf library decodes it to as JSON, the comments of the .proto files as descriptions.
import { type DescEnum, type DescField, type DescMessage, ScalarType } from '@bufbuild/protobuf';

export type JsonSchema = Record<string, unknown>;

/** `components.schemas` of the document: one schema per message and enum, by full protobuf name. */
export type SchemaComponents = Record<string, JsonSchema>;

export const schemaRef = (typeName: string) => ({ $ref: `#/components/schemas/${typeName}` });

const int64Pattern = '^-?[0-9]+$';
const uint64Pattern = '^[0-9]+$';

// proto3 JSON: 64-bit integers are written as strings and read as strings or numbers (ts-proto's toJSON
// writes numbers), bytes base64, floats numbers or the strings "NaN", "Infinity", "-Infinity".
function scalarSchema(scalar: ScalarType): JsonSchema {
  switch (scalar) {
    case ScalarType.STRING:
      return { type: 'string' };
    case ScalarType.BOOL:
      return { type: 'boolean' };
    case ScalarType.BYTES:
      return { type: 'string', contentEncoding: 'base64' };
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return { oneOf: [{ type: 'number' }, { type: 'string', enum: ['NaN', 'Infinity', '-Infinity'] }] };
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return { type: ['string', 'integer'], pattern: int64Pattern };
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return { type: ['string', 'integer'], pattern: uint64Pattern, minimum: 0 };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return { type: 'integer', minimum: 0, maximum: 4294967295 };
    default:
      return { type: 'integer', minimum: -2147483648, maximum: 2147483647 };
  }
}

/** The well-known types the contract uses have JSON forms of their own, not their fields. */
const wellKnown: Record<string, JsonSchema> = {
  'google.protobuf.Timestamp': { type: 'string', format: 'date-time', description: 'RFC 3339, UTC ("Z").' },
  'google.protobuf.Duration': {
    type: 'string',
    pattern: '^-?[0-9]+(\\.[0-9]{1,9})?s$',
    description: 'Seconds with the suffix "s", e.g. "3600s".',
  },
};

/** The leading comment of a descriptor in its .proto file, when buf kept the source info. */
function commentOf(desc: DescMessage | DescEnum | DescField): string | undefined {
  const path = pathOf(desc);
  const file = desc.kind === 'field' ? desc.parent.file : desc.file;
  const location = file.proto.sourceCodeInfo?.location.find(
    (l) => l.path.length === path.length && l.path.every((p, i) => p === path[i]),
  );
  const text = location?.leadingComments
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ');
  return text || undefined;
}

// Source locations are addressed by the descriptor path: message_type = 4, enum_type = 5 in a file;
// field = 2, nested_type = 3, enum_type = 4 in a message.
function pathOf(desc: DescMessage | DescEnum | DescField): number[] {
  if (desc.kind === 'field') return [...pathOf(desc.parent), 2, desc.parent.proto.field.indexOf(desc.proto)];
  const parent = desc.parent;
  if (desc.kind === 'message') {
    return parent
      ? [...pathOf(parent), 3, parent.proto.nestedType.indexOf(desc.proto)]
      : [4, desc.file.proto.messageType.indexOf(desc.proto)];
  }
  return parent
    ? [...pathOf(parent), 4, parent.proto.enumType.indexOf(desc.proto)]
    : [5, desc.file.proto.enumType.indexOf(desc.proto)];
}

const described = (schema: JsonSchema, description: string | undefined) =>
  description ? { ...schema, description } : schema;

/** Adds the schema of `message`, and of every message and enum it reaches, to `components`. */
export function addMessageSchema(message: DescMessage, components: SchemaComponents): void {
  if (components[message.typeName]) return;
  const known = wellKnown[message.typeName];
  if (known) {
    components[message.typeName] = known;
    return;
  }
  const properties: Record<string, JsonSchema> = {};
  components[message.typeName] = {}; // reserved first: messages may reach themselves
  for (const field of message.fields) {
    properties[field.jsonName] = described(fieldSchema(field, components), commentOf(field));
  }
  const oneofs = message.oneofs.map(
    (o) => `at most one of ${o.fields.map((f) => `\`${f.jsonName}\``).join(', ')} (oneof \`${o.name}\`)`,
  );
  const comment = [commentOf(message), oneofs.length ? `Holds ${oneofs.join('; ')}.` : undefined]
    .filter(Boolean)
    .join(' ');
  components[message.typeName] = described(
    { type: 'object', 'x-protobuf-message': message.typeName, properties },
    comment,
  );
}

function addEnumSchema(desc: DescEnum, components: SchemaComponents): void {
  if (components[desc.typeName]) return;
  components[desc.typeName] = described(
    { type: 'string', 'x-protobuf-enum': desc.typeName, enum: desc.values.map((v) => v.name) },
    commentOf(desc),
  );
}

function elementSchema(
  kind: 'scalar' | 'enum' | 'message',
  field: { scalar?: ScalarType; enum?: DescEnum; message?: DescMessage },
  components: SchemaComponents,
): JsonSchema {
  if (kind === 'enum' && field.enum) {
    addEnumSchema(field.enum, components);
    return schemaRef(field.enum.typeName);
  }
  if (kind === 'message' && field.message) {
    addMessageSchema(field.message, components);
    return schemaRef(field.message.typeName);
  }
  return scalarSchema(field.scalar ?? ScalarType.STRING);
}

function fieldSchema(field: DescField, components: SchemaComponents): JsonSchema {
  switch (field.fieldKind) {
    case 'scalar':
      return scalarSchema(field.scalar);
    case 'enum':
      return elementSchema('enum', field, components);
    case 'message':
      return elementSchema('message', field, components);
    case 'list':
      return { type: 'array', items: elementSchema(field.listKind, field, components) };
    case 'map':
      return {
        type: 'object',
        additionalProperties: elementSchema(field.mapKind, field, components),
        'x-protobuf-map-key': ScalarType[field.mapKey].toLowerCase(),
      };
  }
}
