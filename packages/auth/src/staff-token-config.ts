import { durationMs, list, str } from '@petition/config';
import type { AuthError } from './errors.ts';
import { jwksFrom } from './jwks-source.ts';
import { watchRevocationList } from './revocation.ts';
import { createStaffTokenVerifier, type StaffTokenVerifier } from './staff-token-verifier.ts';

// How a service that verifies staff tokens (intake, tracking) is told whom to trust: the issuing nodes'
// public keys and names, this deployment's audience, the longest lifetime it accepts and the revocation
// list. Written once so that both read the same variables. There is no default for the keys: a service
// without them refuses to start rather than trust a key published somewhere (`npm start` makes a node key
// of its own in .local/keys and hands its public half over).

export const staffTokenSchema = {
  staffJwks: str('STAFF_JWKS', {
    doc: 'Public keys of the nodes whose staff tokens are trusted: a JWKS as inline JSON, a file path or an https URL (never a private key)',
  }),
  staffTokenIssuers: list('STAFF_TOKEN_ISSUERS', {
    doc: 'The issuers (`iss`) trusted, e.g. this node’s id and an external identity provider’s',
  }),
  staffTokenAudience: str('STAFF_TOKEN_AUDIENCE', {
    default: 'petition',
    doc: 'This deployment’s name in a token’s `aud`; a token made for another audience is refused',
  }),
  staffTokenMaxLifetimeMs: durationMs('STAFF_TOKEN_MAX_LIFETIME', {
    default: 12 * 3_600_000,
    min: 60_000,
    max: 7 * 86_400_000,
    doc: 'The longest lifetime (exp − iat) a staff token may have, whatever its issuer wrote',
  }),
  staffRevocationFile: str('STAFF_REVOCATION_FILE', {
    default: '',
    doc: 'A JSON file `{"tokenIds": [...], "staffIds": [...]}` of revoked tokens and staff, re-read when it changes (none when empty)',
  }),
} as const;

export interface StaffTokenConfig {
  readonly staffJwks: string;
  readonly staffTokenIssuers: readonly string[];
  readonly staffTokenAudience: string;
  readonly staffTokenMaxLifetimeMs: number;
  readonly staffRevocationFile: string;
}

/** The verifier the configuration describes, and what stops its revocation watch. */
export function staffTokenVerifierFrom(
  config: StaffTokenConfig,
  o: { now?: () => Date; onRevocationError?: (error: AuthError) => void } = {},
): StaffTokenVerifier & { close(): void } {
  const revocation = config.staffRevocationFile
    ? watchRevocationList(config.staffRevocationFile, o.onRevocationError ?? (() => undefined))
    : undefined;
  const verifier = createStaffTokenVerifier({
    issuers: config.staffTokenIssuers,
    audience: config.staffTokenAudience,
    jwks: jwksFrom(config.staffJwks),
    maxLifetimeSeconds: Math.floor(config.staffTokenMaxLifetimeMs / 1000),
    revoked: revocation ? (tokenId, staffId) => revocation.isRevoked(tokenId, staffId) : undefined,
    now: o.now,
  });
  return { verify: (token) => verifier.verify(token), close: () => revocation?.close() };
}
