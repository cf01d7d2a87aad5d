import { describe, expect, it } from 'vitest';
import { clockStageNames, defaultPolicy, policyFor } from './index.ts';

describe('deadline policy', () => {
  it('carries the design defaults with their articles', () => {
    expect(defaultPolicy.stages.handling).toMatchObject({ days: 60, article: 'art 34', workingDays: false });
    expect(defaultPolicy.stages.objection).toMatchObject({ days: 5, workingDays: true, article: 'art 23' });
    expect(defaultPolicy.forwardingLegDays).toEqual({ national: 5, provincial: 3, prefecture: 3, county: 4 });
    const legs = Object.values(defaultPolicy.forwardingLegDays).reduce((a, b) => a + b, 0);
    expect(legs).toBe(defaultPolicy.stages.forwarding.days);
    expect(Object.keys(defaultPolicy.stages).sort()).toEqual([...clockStageNames].sort());
  });

  it('bounds a supervision notice’s report date at 60 days, warning the day before; a locality may change both', () => {
    expect(defaultPolicy.stages.supervisionReport).toEqual({
      days: 60,
      workingDays: false,
      article: 'arts 39–41',
      warningsBeforeDueMs: [86_400_000],
    });
    const shorter = policyFor('330106', [{ regionPrefix: '33', stages: { supervisionReport: { days: 30 } } }]);
    expect(shorter.stages.supervisionReport).toMatchObject({ days: 30, warningsBeforeDueMs: [86_400_000] });
  });

  it('applies overrides by region prefix, the more specific last', () => {
    const overrides = [
      { regionPrefix: '3301', stages: { evaluationWindow: { days: 10 } } },
      { regionPrefix: '33', stages: { evaluationWindow: { days: 15 } }, closeOnSatisfied: true },
    ];
    expect(policyFor('330106', overrides).stages.evaluationWindow.days).toBe(10);
    expect(policyFor('330106', overrides).closeOnSatisfied).toBe(true);
    expect(policyFor('330206', overrides).stages.evaluationWindow.days).toBe(15);
    expect(policyFor('110101', overrides)).toBe(defaultPolicy);
    expect(defaultPolicy.stages.evaluationWindow.days).toBe(30);
  });

  it('refuses an override that breaks the policy', () => {
    expect(() => policyFor('330106', [{ regionPrefix: '33', stages: { handling: { days: 0 } } }])).toThrow(
      /INVALID_POLICY.*handling/,
    );
    expect(() => policyFor('330106', [{ regionPrefix: '33', stages: { nope: { days: 3 } } as never }])).toThrow(
      /unknown stage nope/,
    );
  });
});
