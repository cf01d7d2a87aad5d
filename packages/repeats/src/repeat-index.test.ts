import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRepeatIndex, type IndexedPetition, signPetition, similarPetitions } from './index.ts';

// The per-person index: the same person's earlier cases only, scored, marked exact or candidate, bounded.

const wages = {
  title: '建筑公司拖欠工资',
  content:
    '我在西湖区某小区项目做木工，承包方杭州某建筑公司从今年三月起拖欠我和十二名工友的工资共计十八万元，多次找项目经理均被推脱，请求劳动监察部门督促支付。',
};
const wagesAgain = {
  title: '再次反映建筑公司拖欠工资问题',
  content:
    '我在西湖区某小区项目做木工，承包方杭州某建筑公司从今年三月开始拖欠我和十二名工友工资共十八万元，多次找项目经理都被推脱，请求劳动监察部门督促尽快支付。',
};
const noise = {
  title: '小区夜间施工噪音扰民',
  content: '我家楼下的工地每天夜里十一点以后还在打桩施工，噪音很大，老人孩子无法休息，请求环保部门查处。',
};

function petition(caseId: string, personId: string, text: { title: string; content: string }, day: number) {
  return {
    caseId,
    personId,
    signature: signPetition(text.title, text.content),
    registeredAt: new Date(Date.UTC(2026, 10, day)),
  } satisfies IndexedPetition;
}

describe('createRepeatIndex', () => {
  it('finds a reworded repeat of the same matter by the same person, and not a different matter', () => {
    const index = createRepeatIndex();
    expect(index.observe(petition('c1', 'p1', wages, 1))).toEqual([]);
    expect(index.observe(petition('c2', 'p1', noise, 2))).toEqual([]);
    const matches = index.observe(petition('c3', 'p1', wagesAgain, 3));
    expect(matches.map((match) => match.caseId)).toEqual(['c1']);
    expect(matches[0]?.score).toBeGreaterThan(0.3);
  });

  it('links an identical resubmission as exact', () => {
    const index = createRepeatIndex();
    index.add(petition('c1', 'p1', wages, 1));
    const [match] = index.find(petition('c2', 'p1', { ...wages, content: `${wages.content}。` }, 2));
    expect(match).toMatchObject({ caseId: 'c1', verdict: 'exact', score: 1 });
  });

  it('does not call the same text by another person a repeat, but finds it similar for CLUSTER', () => {
    const index = createRepeatIndex();
    const first = petition('c1', 'p1', wages, 1);
    const second = petition('c2', 'p2', wages, 2);
    index.add(first);
    expect(index.find(second)).toEqual([]);
    expect(similarPetitions([first, second].map(({ caseId, signature }) => ({ id: caseId, signature })))).toEqual([
      { left: 'c1', right: 'c2', score: 1 },
    ]);
  });

  it('does not match a case against itself when it is seen again (a replayed event)', () => {
    const index = createRepeatIndex();
    index.observe(petition('c1', 'p1', wages, 1));
    expect(index.observe(petition('c1', 'p1', wages, 1))).toEqual([]);
    expect(index.cases).toBe(1);
  });

  it('keeps at most maxCasesPerPerson cases per person and maxPersons persons, dropping the oldest', () => {
    const index = createRepeatIndex({ maxCasesPerPerson: 2, maxPersons: 2 });
    index.add(petition('c1', 'p1', wages, 1));
    index.add(petition('c2', 'p1', noise, 2));
    index.add(petition('c3', 'p1', noise, 3));
    expect(index.find(petition('c9', 'p1', wages, 9))).toEqual([]);
    expect(index.cases).toBe(2);
    index.add(petition('c4', 'p2', wages, 4));
    index.add(petition('c5', 'p3', wages, 5));
    expect(index.persons).toBe(2);
    expect(index.find(petition('c9', 'p1', noise, 9))).toEqual([]);
    expect(index.find(petition('c9', 'p3', wages, 9))).toHaveLength(1);
  });

  it('keeps at most maxCases cases in all, dropping the least recently seen person', () => {
    const index = createRepeatIndex({ maxCasesPerPerson: 2, maxCases: 3 });
    index.add(petition('c1', 'p1', wages, 1));
    index.add(petition('c2', 'p1', noise, 2));
    index.add(petition('c3', 'p2', wages, 3));
    index.add(petition('c4', 'p2', noise, 4));
    expect(index.cases).toBe(2);
    expect(index.find(petition('c9', 'p1', wages, 9))).toEqual([]);
    expect(index.find(petition('c9', 'p2', wages, 9))).toHaveLength(1);
    expect(() => createRepeatIndex({ maxCasesPerPerson: 5, maxCases: 4 })).toThrow(/maxCasesPerPerson/);
  });

  it('forgets a removed case and an erased person', () => {
    const index = createRepeatIndex();
    index.add(petition('c1', 'p1', wages, 1));
    index.add(petition('c2', 'p2', wages, 1));
    expect(index.remove('c1')).toBe(true);
    expect(index.remove('c1')).toBe(false);
    index.forgetPerson('p2');
    expect(index.cases).toBe(0);
    expect(index.persons).toBe(0);
  });

  it('refuses thresholds out of order or out of range, naming them', () => {
    expect(() => createRepeatIndex({ thresholds: { exact: 0.5, candidate: 0.7 } })).toThrow(/candidate/);
    expect(() => createRepeatIndex({ thresholds: { exact: 1.5, candidate: 0.3 } })).toThrow(/exact/);
    expect(() => createRepeatIndex({ maxPersons: 0 })).toThrow(/maxPersons/);
  });
});

describe('createRepeatIndex under any sequence of steps', () => {
  const texts = [wages, wagesAgain, noise].map((text) => signPetition(text.title, text.content));
  const step = fc.oneof(
    fc.record({
      op: fc.constant('observe' as const),
      caseNumber: fc.nat({ max: 30 }),
      person: fc.nat({ max: 5 }),
      text: fc.nat({ max: texts.length - 1 }),
      day: fc.nat({ max: 28 }),
    }),
    fc.record({ op: fc.constant('remove' as const), caseNumber: fc.nat({ max: 30 }) }),
    fc.record({ op: fc.constant('forget' as const), person: fc.nat({ max: 5 }) }),
  );

  it('stays within its bounds and only ever offers the same person’s other cases, scored in order', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const index = createRepeatIndex({ maxCasesPerPerson: 3, maxPersons: 4, maxCases: 8 });
        const owner = new Map<string, string>();
        for (const next of steps) {
          if (next.op === 'remove') index.remove(`c${next.caseNumber}`);
          else if (next.op === 'forget') index.forgetPerson(`p${next.person}`);
          else {
            const caseId = `c${next.caseNumber}`;
            const personId = `p${next.person}`;
            const matches = index.observe({
              caseId,
              personId,
              signature: texts[next.text] as ReturnType<typeof signPetition>,
              registeredAt: new Date(Date.UTC(2026, 10, 1 + next.day)),
            });
            for (const match of matches) {
              expect(match.caseId).not.toBe(caseId);
              expect(owner.get(match.caseId)).toBe(personId);
              expect(match.score).toBeGreaterThanOrEqual(0.27);
              expect(match.verdict).toBe(match.score >= 0.8 ? 'exact' : 'candidate');
            }
            expect(matches.map((match) => match.score)).toEqual(
              [...matches.map((match) => match.score)].sort((a, b) => b - a),
            );
            owner.set(caseId, personId);
          }
          expect(index.cases).toBeLessThanOrEqual(8);
          expect(index.persons).toBeLessThanOrEqual(4);
        }
      }),
      { numRuns: 300 },
    );
  });
});
