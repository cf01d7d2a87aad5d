import { buildNationalDirectory } from '@petition/directory';
import { describe, expect, it } from 'vitest';
import { countiesOf, nextMove, petitionBody, residentId, seeded } from './plan.ts';

describe('the simulated country', () => {
  it('writes resident ID numbers with the GB 11643 check character', () => {
    // The standard's own example: 11010519491231002X.
    expect(residentId('110105', new Date('1949-12-31T00:00:00Z'), 2)).toBe('11010519491231002X');
    expect(residentId('330106', new Date('1980-01-01T00:00:00Z'), 17)).toMatch(/^33010619800101017[\dX]$/);
  });

  it('files from counties all over the country, through every channel', () => {
    const rand = seeded(7);
    const counties = countiesOf(buildNationalDirectory());
    expect(counties.length).toBeGreaterThan(2_500);
    const bodies = Array.from({ length: 2_000 }, () => petitionBody(rand, counties));
    const provinces = new Set(bodies.map((b) => String(b.regionCode).slice(0, 2)));
    expect(provinces.size).toBeGreaterThan(25);
    expect(new Set(bodies.map((b) => b.channel)).size).toBe(8);
    expect(new Set(bodies.map((b) => b.category)).size).toBeGreaterThan(8);
    for (const b of bodies.slice(0, 50)) expect(counties).toContain(b.regionCode);
  });

  it('moves a case as it stands: mostly on, sometimes late, never past its end', () => {
    const rand = seeded(11);
    const moves = Array.from({ length: 1_000 }, () => nextMove('CASE_STATE_AWAITING_ACCEPTANCE', rand));
    const accepted = moves.filter((m) => typeof m === 'object' && m.path === 'accept').length;
    expect(accepted).toBeGreaterThan(700);
    expect(moves.filter((m) => m === undefined).length).toBeGreaterThan(50); // left to run late
    expect(nextMove('CASE_STATE_UNDER_REVIEW', rand)).toMatchObject({ who: 'unit', path: 'decide-review' });
    expect(nextMove('CASE_STATE_FINAL', rand)).toBe('done');
    const petitioner = Array.from({ length: 200 }, () => nextMove('CASE_STATE_REPLIED', rand));
    expect(petitioner.some((m) => typeof m === 'object' && m.path === 'request-review')).toBe(true);
    expect(petitioner.every((m) => m === undefined || (typeof m === 'object' && m.who === 'petitioner'))).toBe(true);
  });
});
