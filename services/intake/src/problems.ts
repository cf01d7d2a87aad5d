import { type FieldProblem, problem } from '@petition/runtime';

// Errors as RFC 9457 problem details. Every bad field is named; a client's mistake is never a 5xx. The
// problem shape, its type URIs, ProblemError (thrown by the core; the HTTP and gRPC layers render it their
// way) and schema findings as fields (JSON pointers into a body, the same for HTTP and gRPC) are every
// service's, from packages/runtime; routing's refusal codes and an `article` ride on it.
export {
  type FieldProblem,
  type Problem,
  ProblemError,
  problem,
  problemType,
  type SchemaFinding,
  schemaFindings,
} from '@petition/runtime';

export const invalidRequest = (errors: readonly FieldProblem[]) =>
  problem(422, 'INVALID_REQUEST', 'The request has invalid fields', {
    detail: errors.map((e) => `${e.field}: ${e.message}`).join('; '),
    errors,
  });
