import type { FastifyInstance, FastifyReply } from 'fastify';

// The browser-facing security headers of every HTTP surface (API, pages, operators' server), written once.
// Written by hand rather than with @fastify/helmet: the same headers, with nothing to configure away, and
// they also go on the answers fastify and Node write before any hook runs (frameworkErrors, clientError).

/** Pages and APIs: everything from this origin only, no inline script or style, never framed. */
export const pagePolicy =
  "default-src 'self'; base-uri 'none'; object-src 'none'; form-action 'self'; frame-ancestors 'none'";

/** The operators' server: Swagger UI sets inline styles and draws icons from data: URIs (never inline script). */
export const docsPolicy =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; base-uri 'none'; object-src 'none'; form-action 'self'; frame-ancestors 'none'";

/** The headers, for `policy` as Content-Security-Policy. */
export function securityHeaders(policy: string = pagePolicy): Readonly<Record<string, string>> {
  return {
    'content-security-policy': policy,
    'x-content-type-options': 'nosniff',
    // Case numbers sit in page URLs: no other site learns them from a Referer.
    'referrer-policy': 'no-referrer',
    // frame-ancestors for browsers that predate it.
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'origin-agent-cluster': '?1',
    'x-dns-prefetch-control': 'off',
    'x-permitted-cross-domain-policies': 'none',
    // Ignored over plain HTTP; kept by browsers once a TLS front end serves the same answers.
    'strict-transport-security': 'max-age=31536000',
  };
}

const defaults = securityHeaders();

/** Sets the headers on one reply (for answers written outside the request hooks). */
export function applySecurityHeaders(reply: FastifyReply, headers: Readonly<Record<string, string>> = defaults) {
  reply.headers(headers);
  reply.removeHeader('x-powered-by');
}

/**
 * Every answer of `app` carries the security headers. Call it right after creating the instance: hooks
 * reach the plugins registered after them only.
 */
export function secureHeaders(app: FastifyInstance, o: { policy?: string } = {}) {
  const headers = o.policy ? securityHeaders(o.policy) : defaults;
  app.addHook('onRequest', (_request, reply, done) => {
    applySecurityHeaders(reply, headers);
    done();
  });
}
