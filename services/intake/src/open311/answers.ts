import { type FieldProblem, type Problem, ProblemError, problemCatalogue } from '@petition/runtime';
import type { FastifyReply } from 'fastify';

// How the façade answers, in the format the path's extension asks for: JSON arrays, or XML whose root and
// element names are the spec's (<services><service>…, <service_requests><request>…, <errors><error>…).
// Errors are GeoReport's [{code, description}] with the HTTP status as code; the stable code of intake's
// catalogue leads the description, so that clients can branch on it.

export type Format = 'json' | 'xml';

export const open311Problems = problemCatalogue({
  API_KEY_REQUIRED: { status: 403, title: 'An api_key is required' },
  API_KEY_INVALID: { status: 403, title: 'The api_key is not valid' },
  SERVICE_CODE_REQUIRED: { status: 400, title: 'service_code is required' },
  SERVICE_NOT_FOUND: { status: 404, title: 'No such service_code' },
  REQUEST_NOT_FOUND: { status: 404, title: 'No such service request' },
  FORMAT_NOT_FOUND: { status: 404, title: 'Unknown format: use .json or .xml' },
  INVALID_PARAMETERS: { status: 400, title: 'The request has invalid parameters' },
  NOT_FOUND: { status: 404, title: 'No such resource' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'The resource does not take this method' },
});

export type Open311ProblemCode = keyof typeof open311Problems.specs;

/** Invalid Open311 parameters, each named by its Open311 name (`description`, `attribute[kind]`). */
export const invalidParameters = (errors: readonly FieldProblem[]) =>
  open311Problems.error('INVALID_PARAMETERS', {
    detail: errors.map((e) => `${e.field}: ${e.message}`).join('; '),
    errors,
  });

/** Element names of the items of each list (the spec's singulars). */
const itemNames: Record<string, string> = {
  services: 'service',
  service_requests: 'request',
  errors: 'error',
  attributes: 'attribute',
  values: 'value',
};

// Characters XML 1.0 cannot carry at all (even escaped: most controls, lone surrogates, U+FFFE/U+FFFF) are
// dropped; the five special ones escaped.
const allowedInXml = (cp: number) =>
  cp === 0x9 ||
  cp === 0xa ||
  cp === 0xd ||
  (cp >= 0x20 && cp <= 0xd7ff) ||
  (cp >= 0xe000 && cp <= 0xfffd) ||
  (cp >= 0x10000 && cp <= 0x10ffff);
const specials: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export const escapeXml = (text: string) =>
  Array.from(text)
    .filter((c) => allowedInXml(c.codePointAt(0) ?? 0))
    .join('')
    .replace(/[&<>"']/g, (c) => specials[c] ?? c);

const safeName = (name: string) => (/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(name) ? name : 'item');

function element(name: string, value: unknown): string {
  const tag = safeName(name);
  if (value === undefined) return '';
  if (value === null || value === '') return `<${tag}/>`;
  if (Array.isArray(value)) {
    const item = itemNames[name] ?? 'item';
    return `<${tag}>${value.map((v) => element(item, v)).join('')}</${tag}>`;
  }
  if (typeof value === 'object') {
    const inner = Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => element(k, v))
      .join('');
    return `<${tag}>${inner}</${tag}>`;
  }
  return `<${tag}>${escapeXml(String(value))}</${tag}>`;
}

/** `value` as an XML document whose root element is `root`. */
export const toXml = (root: string, value: unknown) => `<?xml version="1.0" encoding="utf-8"?>${element(root, value)}`;

/** Sends `value` as JSON, or as XML under `root`. */
export function answer(reply: FastifyReply, format: Format, status: number, root: string, value: unknown) {
  reply.code(status);
  if (format === 'xml') return reply.type('application/xml; charset=utf-8').send(toXml(root, value));
  return reply.type('application/json; charset=utf-8').send(JSON.stringify(value));
}

/** A problem as GeoReport's errors, in `format`. */
export function answerProblem(reply: FastifyReply, format: Format, p: Problem) {
  if (typeof p.retryAfterSeconds === 'number') reply.header('retry-after', String(p.retryAfterSeconds));
  const description = `${p.code}: ${p.detail ?? p.title}`;
  return answer(reply, format, p.status, 'errors', [{ code: p.status, description }]);
}

/** The format asked for by a path's last segment (`requests.xml`), or undefined for none we speak. */
export function splitFormat(segment: string): { name: string; format: Format } | undefined {
  const m = /^(.*)\.(json|xml)$/.exec(segment);
  return m ? { name: m[1] as string, format: m[2] as Format } : undefined;
}

export const isProblemError = (e: unknown): e is ProblemError => e instanceof ProblemError;
