import { generateNodeKey, type NodeKey, publicJwks, type StaffRole, signStaffToken, staffRoles } from '@petition/auth';

// Tests sign staff tokens as a node of their own: a key made once per test process (never a fixed key in
// the repository that could end up trusted somewhere), whose public half is handed to the services a test
// starts through testStaffEnv().

export const testStaffIssuer = 'petition-test';
export const testStaffAudience = 'petition';

let key: NodeKey | undefined;

/** This process's signing key, made on first use. */
export function testStaffKey(): NodeKey {
  key ??= generateNodeKey('petition-test-1');
  return key;
}

export interface TestTokenOptions {
  /** Default every role: most tests are about the case, not about who may touch it. */
  readonly roles?: readonly StaffRole[];
  readonly staffId?: string;
  readonly ttlSeconds?: number;
  readonly now?: Date;
}

/** A staff token of `unitId`, signed by this process's test node. */
export function testToken(unitId: string, options: TestTokenOptions = {}): string {
  return signStaffToken(
    { privateJwk: testStaffKey().privateJwk, issuer: testStaffIssuer },
    {
      staffId: options.staffId ?? `test-staff@${unitId}`,
      unitId,
      roles: options.roles ?? staffRoles,
      audience: testStaffAudience,
    },
    { now: options.now, ttlSeconds: options.ttlSeconds },
  );
}

/** What a service started by a test needs in its environment to take this process's test tokens. */
export function testStaffEnv(): Record<string, string> {
  return {
    STAFF_JWKS: JSON.stringify(publicJwks(testStaffKey())),
    STAFF_TOKEN_ISSUERS: testStaffIssuer,
    STAFF_TOKEN_AUDIENCE: testStaffAudience,
  };
}
