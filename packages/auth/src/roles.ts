import { AuthError } from './errors.ts';

// What a member of staff may do is named by roles carried in their token, not by the unit alone: a unit's
// registrar is not thereby its reviewer. Which unit's cases they may touch is a separate question (custody,
// the unit's subtree) answered where the case is known.

export const staffRoles = [
  /** 登记: registers petitions for its unit, and may backdate letters and visits entered after the fact. */
  'registrar',
  /** 办理: acts on the cases its unit holds (accept, reply, transfer…). */
  'handler',
  /** 复查 / 复核: decides reviews and re-reviews. */
  'reviewer',
  /** 督查督办: reads its subtree's inboxes, boards and KPIs, and supervises overdue cases. */
  'supervisor',
  /** 领导包案: a leader who takes personal charge of cases; also sees what a supervisor sees. */
  'leader',
  /** Reads the access audit (who opened whose personal data, when, why) — and nothing else by this role. */
  'auditor',
] as const;

export type StaffRole = (typeof staffRoles)[number];

export type StaffPermission = 'register' | 'backdate' | 'handle' | 'review' | 'supervise' | 'lead' | 'audit';

// One table, so that a permission's holders are read in one place rather than spread over route handlers.
const holders: Readonly<Record<StaffPermission, readonly StaffRole[]>> = {
  register: ['registrar'],
  backdate: ['registrar'],
  handle: ['handler'],
  review: ['reviewer'],
  supervise: ['supervisor', 'leader'],
  lead: ['leader'],
  audit: ['auditor'],
};

export function permits(roles: readonly StaffRole[], permission: StaffPermission): boolean {
  return holders[permission].some((role) => roles.includes(role));
}

export function isStaffRole(value: unknown): value is StaffRole {
  return typeof value === 'string' && (staffRoles as readonly string[]).includes(value);
}

/** `handler,reviewer` → the roles, each once; an unknown or empty list is refused (BAD_ROLES). */
export function parseRoles(list: string): StaffRole[] {
  const roles = new Set<StaffRole>();
  for (const name of list
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean)) {
    if (!isStaffRole(name)) {
      throw new AuthError('BAD_ROLES', `unknown role "${name}": the roles are ${staffRoles.join(', ')}`);
    }
    roles.add(name);
  }
  if (roles.size === 0) throw new AuthError('BAD_ROLES', `no role given: the roles are ${staffRoles.join(', ')}`);
  return [...roles];
}
