import type { FieldProblem } from './problems.ts';

// Times a caller sends, HTTP (RFC 3339 strings) and gRPC (Timestamps decoded to Dates), are checked here
// once: a leap second, a year past 9999 or before 1900, or a Timestamp so far out that it decodes to an
// invalid Date is the caller's bad field, never a 500 further down (the calendar, the encoder, JSON).

const earliestMs = Date.UTC(1900, 0, 1);
const latestMs = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/** What is wrong with an RFC 3339 time, or undefined when it is usable. */
export function timeTextProblem(value: string): string | undefined {
  if (!rfc3339.test(value)) return 'is not an RFC 3339 time';
  if (/[Tt ]\d{2}:\d{2}:60/.test(value)) return 'is a leap second, which this system does not represent';
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) return 'is not a valid date and time';
  return rangeProblem(ms);
}

function rangeProblem(ms: number): string | undefined {
  if (ms < earliestMs || ms > latestMs) return 'lies outside the years 1900–9999';
  return undefined;
}

/** What is wrong with a decoded Timestamp, or undefined. */
export function dateProblem(value: Date): string | undefined {
  const ms = value.getTime();
  if (!Number.isFinite(ms)) return 'is not a representable time';
  return rangeProblem(ms);
}

interface SchemaNode {
  readonly type?: string;
  readonly format?: string;
  readonly properties?: Record<string, SchemaNode>;
  readonly items?: SchemaNode;
}

/** Every `format: date-time` field of `json` (as `schema` describes it) that is not a usable time. */
export function timeFieldProblems(schema: unknown, json: unknown, at = ''): FieldProblem[] {
  const node = schema as SchemaNode;
  if (json === null || json === undefined) return [];
  if (node.format === 'date-time' && typeof json === 'string') {
    const message = timeTextProblem(json);
    return message ? [{ field: at || '/', message }] : [];
  }
  if (node.properties && typeof json === 'object' && !Array.isArray(json)) {
    return Object.entries(node.properties).flatMap(([name, child]) =>
      timeFieldProblems(child, (json as Record<string, unknown>)[name], `${at}/${name}`),
    );
  }
  if (node.items && Array.isArray(json)) return json.flatMap((v, i) => timeFieldProblems(node.items, v, `${at}/${i}`));
  return [];
}

/** Every Date inside a decoded protobuf message that is not a usable time, named by its path. */
export function decodedDateProblems(message: unknown, at = '', depth = 0): FieldProblem[] {
  if (message instanceof Date) {
    const problem = dateProblem(message);
    return problem ? [{ field: at || '/', message: problem }] : [];
  }
  if (depth > 16 || message === null || typeof message !== 'object' || ArrayBuffer.isView(message)) return [];
  if (Array.isArray(message)) return message.flatMap((v, i) => decodedDateProblems(v, `${at}/${i}`, depth + 1));
  return Object.entries(message).flatMap(([k, v]) =>
    decodedDateProblems(v, k === 'value' && '$case' in message ? at : `${at}/${k}`, depth + 1),
  );
}
