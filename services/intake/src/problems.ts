// Errors as RFC 9457 problem details. Every bad field is named; a client's mistake is never a 5xx.

export interface FieldProblem {
  /** JSON pointer into the request body, e.g. `/petitioner/idNumber`. */
  readonly field: string;
  readonly message: string;
}

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  /** A stable code callers branch on (routing's refusal codes included). */
  readonly code: string;
  readonly errors?: readonly FieldProblem[];
  readonly article?: string;
  readonly [extension: string]: unknown;
}

export const problemType = (code: string) => `urn:petition:problem:${code.toLowerCase().replaceAll('_', '-')}`;

export function problem(status: number, code: string, title: string, extra: Partial<Problem> = {}): Problem {
  return { type: problemType(code), title, status, code, ...extra };
}

/** One schema finding, as Ajv reports it (fastify passes Ajv's on). */
export interface SchemaFinding {
  readonly instancePath: string;
  readonly keyword: string;
  readonly params: Record<string, unknown>;
  readonly message?: string;
}

/** Schema findings as field problems with JSON pointers, the same for HTTP and gRPC. */
export const schemaFindings = (findings: readonly SchemaFinding[]): FieldProblem[] =>
  findings.map((v) => {
    const base = v.instancePath || '';
    if (v.keyword === 'required')
      return { field: `${base}/${String(v.params.missingProperty)}`, message: 'is required' };
    if (v.keyword === 'additionalProperties') {
      return { field: `${base}/${String(v.params.additionalProperty)}`, message: 'is not a known field' };
    }
    if (v.keyword === 'enum') {
      return { field: base || '/', message: `must be one of ${(v.params.allowedValues as unknown[]).join(', ')}` };
    }
    return { field: base || '/', message: v.message ?? 'is invalid' };
  });

export const invalidRequest = (errors: readonly FieldProblem[]) =>
  problem(422, 'INVALID_REQUEST', 'The request has invalid fields', {
    detail: errors.map((e) => `${e.field}: ${e.message}`).join('; '),
    errors,
  });

/** Thrown by the core; the HTTP and gRPC layers render it their way. */
export class ProblemError extends Error {
  readonly problem: Problem;
  constructor(p: Problem) {
    super(p.detail ?? p.title);
    this.name = 'ProblemError';
    this.problem = p;
  }
}
