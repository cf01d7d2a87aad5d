import { createHash, timingSafeEqual } from 'node:crypto';

// Integrators: the systems that subscribe to a node's case events (a 12345 hotline, a discipline-inspection
// system, a statistics office). Their credentials and scopes are the node operators' configuration
// (TRACKING_INTEGRATORS), never the integrator's own choice: a client id, the SHA-256 of its secret, the
// unit whose subtree it may see, and its scopes.

/** What an integrator's deliveries may carry. */
export const integratorScopes = {
  /** Case events of the integrator's unit's subtree, without anyone's personal data. */
  events: 'events',
  /** Also the petitioner's and representatives' data opened, and an accusation's free text; audited. */
  personalData: 'personal-data',
} as const;
export type IntegratorScope = (typeof integratorScopes)[keyof typeof integratorScopes];

export interface Integrator {
  readonly clientId: string;
  readonly name: string;
  /** The unit on whose behalf it reads: only cases this unit may see reach it (and never an accusation against it). */
  readonly unitId: string;
  readonly scopes: ReadonlySet<IntegratorScope>;
  /** Webhook targets on loopback or private addresses are refused unless the operators allow them. */
  readonly allowPrivateTargets: boolean;
  readonly secretSha256: Buffer;
}

const clientIdPattern = /^[a-z0-9][a-z0-9._-]{2,63}$/;
const sha256Pattern = /^[0-9a-f]{64}$/;
const knownScopes = new Set<string>(Object.values(integratorScopes));

export const secretDigest = (secret: string) => createHash('sha256').update(secret, 'utf8').digest();

/**
 * Reads TRACKING_INTEGRATORS: a JSON array of `{clientId, name, unitId, scopes, secretSha256, allowPrivateTargets?}`
 * (`secretSha256`: the hex SHA-256 of the secret; `secret` in clear is taken for development only). Throws
 * naming the entry and what is wrong with it.
 */
export function parseIntegrators(text: string | undefined): ReadonlyMap<string, Integrator> {
  const integrators = new Map<string, Integrator>();
  if (!text?.trim()) return integrators;
  let entries: unknown;
  try {
    entries = JSON.parse(text);
  } catch (err) {
    throw new Error(`TRACKING_INTEGRATORS is not JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(entries)) throw new Error('TRACKING_INTEGRATORS must be a JSON array of integrators');
  entries.forEach((entry: Record<string, unknown>, index) => {
    const where = `TRACKING_INTEGRATORS[${index}]`;
    if (typeof entry !== 'object' || entry === null) throw new Error(`${where} is not an object`);
    const { clientId, name, unitId, scopes, secretSha256, secret, allowPrivateTargets } = entry;
    if (typeof clientId !== 'string' || !clientIdPattern.test(clientId))
      throw new Error(`${where}.clientId must be 3–64 of a-z 0-9 . _ - (starting with a letter or digit)`);
    if (integrators.has(clientId)) throw new Error(`${where}.clientId ${clientId} is given twice`);
    if (typeof unitId !== 'string' || !unitId) throw new Error(`${where}.unitId must name the unit it reads for`);
    if (!Array.isArray(scopes) || scopes.length === 0 || !scopes.every((s) => knownScopes.has(s)))
      throw new Error(`${where}.scopes must list some of ${[...knownScopes].join(', ')}`);
    let digest: Buffer;
    if (typeof secretSha256 === 'string' && sha256Pattern.test(secretSha256)) digest = Buffer.from(secretSha256, 'hex');
    else if (typeof secret === 'string' && secret.length >= 16) digest = secretDigest(secret);
    else throw new Error(`${where} needs secretSha256 (64 hex digits) or a secret of 16 characters or more`);
    if (allowPrivateTargets !== undefined && typeof allowPrivateTargets !== 'boolean')
      throw new Error(`${where}.allowPrivateTargets must be true or false`);
    integrators.set(clientId, {
      clientId,
      name: typeof name === 'string' && name ? name : clientId,
      unitId,
      scopes: new Set(scopes as IntegratorScope[]),
      allowPrivateTargets: allowPrivateTargets === true,
      secretSha256: digest,
    });
  });
  return integrators;
}

/**
 * The integrator an `Authorization: Basic base64(clientId:secret)` value names, when its secret matches
 * (compared in constant time); undefined for anything else.
 */
export function authenticateIntegrator(
  integrators: ReadonlyMap<string, Integrator>,
  authorization: string | undefined,
): Integrator | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]{1,1024})$/.exec(authorization?.trim() ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  const integrator = integrators.get(decoded.slice(0, colon));
  const digest = secretDigest(decoded.slice(colon + 1));
  return integrator && timingSafeEqual(digest, integrator.secretSha256) ? integrator : undefined;
}
