import { describe, expect, it } from 'vitest';
import { parseRoles, permits, type StaffPermission, type StaffRole, staffRoles } from './index.ts';

describe('staff roles', () => {
  it('grants each permission to exactly the roles of the table', () => {
    const table: Record<StaffPermission, StaffRole[]> = {
      register: ['registrar'],
      backdate: ['registrar'],
      handle: ['handler'],
      review: ['reviewer'],
      supervise: ['supervisor', 'leader'],
      lead: ['leader'],
      audit: ['auditor'],
    };
    for (const [permission, holders] of Object.entries(table) as [StaffPermission, StaffRole[]][]) {
      for (const role of staffRoles) {
        expect(permits([role], permission), `${role} ${permission}`).toBe(holders.includes(role));
      }
    }
    expect(permits([], 'handle')).toBe(false);
    expect(permits(['registrar', 'reviewer'], 'review')).toBe(true);
  });

  it('parses a comma list, each role once, refusing unknown and empty lists', () => {
    expect(parseRoles(' handler, reviewer ,handler')).toEqual(['handler', 'reviewer']);
    expect(() => parseRoles('handler,admin')).toThrow(/BAD_ROLES: unknown role "admin"/);
    expect(() => parseRoles(' , ')).toThrow(/BAD_ROLES: no role given/);
  });
});
