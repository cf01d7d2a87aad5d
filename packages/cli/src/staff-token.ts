import { AuthError, parseRoles, type StaffRole, signStaffToken, staffRoles } from '@petition/auth';
import { formatDurationMs, parseDurationMs } from '@petition/config';
import { buildNationalDirectory } from '@petition/directory';
import { ensureNodeKeys, localDir } from '@petition/infra';

// A staff token (a JWT) for the local network, signed with the local node's key (.local/keys, made on first
// use; with a node id, that node's of a local federation in .local/keys/<id>). Without roles it carries every
// role, which is what one person trying the network wants. `npm run token` and `petition token` both call it.

export const staffTokenRequestErrorCodes = ['UNKNOWN_UNIT', 'BAD_ROLE', 'BAD_TTL', 'BAD_NODE'] as const;
export type StaffTokenRequestErrorCode = (typeof staffTokenRequestErrorCodes)[number];

/** A request the caller got wrong: a usage error for a command line. */
export class StaffTokenRequestError extends Error {
  readonly code: StaffTokenRequestErrorCode;
  readonly retryable = false;
  constructor(code: StaffTokenRequestErrorCode, message: string) {
    super(message);
    this.name = 'StaffTokenRequestError';
    this.code = code;
  }
}

export interface StaffTokenRequest {
  unitId: string;
  /** Role names; every role when omitted or empty. */
  roles?: readonly string[];
  /** 'local' when omitted. */
  staffId?: string;
  /** How long it is valid, e.g. `30m`, `8h` (the default). */
  ttl?: string;
  /** A node of a local federation: `national` or a province code such as `33`. */
  nodeId?: string;
  now?: Date;
}

export interface IssuedStaffToken {
  token: string;
  unitId: string;
  unitName: string;
  staffId: string;
  roles: StaffRole[];
  issuer: string;
  ttlMs: number;
  until: Date;
}

let directoryUnits: Map<string, string> | undefined;
const unitNames = () => {
  directoryUnits ??= new Map(buildNationalDirectory().units.map((u) => [u.unitId, u.name]));
  return directoryUnits;
};

export function issueStaffToken(request: StaffTokenRequest): IssuedStaffToken {
  let roles: StaffRole[];
  try {
    roles = request.roles && request.roles.length > 0 ? parseRoles(request.roles.join(',')) : [...staffRoles];
  } catch (error) {
    throw new StaffTokenRequestError('BAD_ROLE', error instanceof AuthError ? error.message : String(error));
  }
  const ttl = request.ttl ?? '8h';
  const ttlMs = parseDurationMs(ttl);
  if (!ttlMs || ttlMs % 1000 !== 0) {
    throw new StaffTokenRequestError('BAD_TTL', `ttl "${ttl}": a whole number of seconds or more, such as 30m or 8h`);
  }
  const unitName = unitNames().get(request.unitId);
  if (unitName === undefined) {
    throw new StaffTokenRequestError(
      'UNKNOWN_UNIT',
      `unknown unit "${request.unitId}": give a unit id such as 330106-rsj (region code - unit code)`,
    );
  }
  const { nodeId } = request;
  if (nodeId !== undefined && !/^(national|[1-9][0-9])$/.test(nodeId)) {
    throw new StaffTokenRequestError('BAD_NODE', `node "${nodeId}": national or a province code such as 33`);
  }
  const keys = nodeId ? ensureNodeKeys(localDir('keys', nodeId), nodeId) : ensureNodeKeys();
  const now = request.now ?? new Date();
  const staffId = request.staffId ?? 'local';
  const token = signStaffToken(keys, { staffId, unitId: request.unitId, roles }, { now, ttlSeconds: ttlMs / 1000 });
  return {
    token,
    unitId: request.unitId,
    unitName,
    staffId,
    roles,
    issuer: keys.issuer,
    ttlMs,
    until: new Date(now.getTime() + ttlMs),
  };
}

/** One line saying whose token it is and until when (on stderr beside the token on stdout). */
export function describeStaffToken(issued: IssuedStaffToken): string {
  return (
    `staff token of ${issued.staffId} at ${issued.unitId} ${issued.unitName} as ${issued.roles.join(', ')}, ` +
    `signed by ${issued.issuer}, valid ${formatDurationMs(issued.ttlMs)} (until ${issued.until.toISOString()})`
  );
}
