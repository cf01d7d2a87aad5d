import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { caseIdOf, caseKey } from './codec.ts';
import { uuidOf, uuidWords } from './uuid-words.ts';

describe('UUID case ids as words', () => {
  it('gives a UUID’s own bytes and turns them back into the same id', () => {
    for (let i = 0; i < 1_000; i++) {
      const id = randomUUID();
      const words = uuidWords(id);
      expect(words).toEqual([0, 8, 16, 24].map((at) => Number.parseInt(id.replace(/-/g, '').slice(at, at + 8), 16)));
      expect(uuidOf(...(words as [number, number, number, number]))).toBe(id);
      expect(caseIdOf(caseKey(id))).toBe(id);
    }
    expect(uuidWords('ffffffff-ffff-ffff-ffff-ffffffffffff')).toEqual([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]);
    expect(uuidOf(0, 0, 0, 1)).toBe('00000000-0000-0000-0000-000000000001');
  });

  it('takes no other id for a UUID', () => {
    const id = '6f1c2d3e-4b5a-4c6d-8e7f-901234567890';
    for (const other of [
      id.toUpperCase(),
      id.replace(/-/g, '_'),
      `${id}0`,
      id.slice(1),
      id.replace('6f', 'g6'),
      '6f1c2d3e4b5a-4c6d-8e7f-9012-34567890',
      'case-a-1763870000000',
      '６f1c2d3e-4b5a-4c6d-8e7f-90123456789',
    ]) {
      expect(uuidWords(other)).toBeUndefined();
      expect(caseIdOf(caseKey(other))).toBe(other);
    }
  });
});
