// A broker that refuses who we are (SASL) or that we cannot trust (TLS) will refuse again: waiting for it
// only turns a misconfiguration into a hang. Both clients bury the reason in a chain of wrapping errors
// (retries exceeded, connection failed, multiple errors); this finds it and names it once.

/** Node's codes for a certificate chain that does not verify (tls.connect's `error.code`). */
const untrustedCertificateCodes = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The broker's own error names for a failed SASL exchange, and each client's class for it. */
const authenticationFailures = new Set([
  'SASL_AUTHENTICATION_FAILED',
  'UNSUPPORTED_SASL_MECHANISM',
  'ILLEGAL_SASL_STATE',
  'KafkaJSSASLAuthenticationError',
  'PLT_KFK_AUTHENTICATION',
]);

export const busSecurityErrorCodes = ['BUS_AUTHENTICATION_FAILED', 'BUS_TLS_UNTRUSTED', 'BUS_TLS_HANDSHAKE'] as const;
export type BusSecurityErrorCode = (typeof busSecurityErrorCodes)[number];

const explanations: Record<BusSecurityErrorCode, string> = {
  BUS_AUTHENTICATION_FAILED:
    'the broker refused the SASL authentication: check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
  BUS_TLS_UNTRUSTED:
    "the broker's TLS certificate is not trusted: KAFKA_TLS_CA must name the CA that signed it (the system CAs are used when it is unset)",
  BUS_TLS_HANDSHAKE:
    'the TLS handshake with the broker failed: is KAFKA_SECURITY_PROTOCOL the one of the listener KAFKA_BROKERS names?',
};

/** The broker refused this client's identity or could not be verified; retrying cannot help. */
export class BusSecurityError extends Error {
  readonly code: BusSecurityErrorCode;
  readonly retryable = false;
  constructor(code: BusSecurityErrorCode, detail: string, cause: unknown) {
    super(`${explanations[code]} (${detail})`, { cause });
    this.name = 'BusSecurityError';
    this.code = code;
  }
}

type Chained = Error & {
  code?: unknown;
  type?: unknown;
  cause?: unknown;
  originalError?: unknown;
  errors?: unknown;
};

/** Every error in the chain under `error`: causes, kafkajs's `originalError`, aggregated `errors`. */
function* chain(error: unknown, seen = new Set<unknown>()): Generator<Chained> {
  if (!(error instanceof Error) || seen.has(error)) return;
  seen.add(error);
  const e = error as Chained;
  yield e;
  yield* chain(e.cause, seen);
  yield* chain(e.originalError, seen);
  if (Array.isArray(e.errors)) for (const inner of e.errors) yield* chain(inner, seen);
}

/** The security refusal somewhere in `error`'s chain, named; undefined when it is something else. */
export function securityRefusal(error: unknown): BusSecurityError | undefined {
  if (error instanceof BusSecurityError) return error;
  for (const e of chain(error)) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    const type = typeof e.type === 'string' ? e.type : undefined;
    if (code && untrustedCertificateCodes.has(code)) return new BusSecurityError('BUS_TLS_UNTRUSTED', code, error);
    if ([e.name, code, type].some((n) => n !== undefined && authenticationFailures.has(n))) {
      return new BusSecurityError('BUS_AUTHENTICATION_FAILED', e.message, error);
    }
    if (code === 'EPROTO' || code?.startsWith('ERR_SSL_')) {
      return new BusSecurityError('BUS_TLS_HANDSHAKE', `${code}: ${e.message}`, error);
    }
  }
  return undefined;
}
