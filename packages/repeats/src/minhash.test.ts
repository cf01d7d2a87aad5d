import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createMinHasher,
  decodeSignature,
  encodeSignature,
  estimatedJaccard,
  normalizeText,
  shingles,
  signPetition,
} from './index.ts';

// Normalisation, shingles and MinHash: the estimate follows the true Jaccard of the shingle sets.

function trueJaccard(left: string, right: string, size: number): number {
  const a = new Set(shingles(normalizeText(left), size));
  const b = new Set(shingles(normalizeText(right), size));
  const both = [...a].filter((gram) => b.has(gram)).length;
  return both / (a.size + b.size - both);
}

describe('normalizeText', () => {
  it('maps full-width to half-width, lower-cases, and drops whitespace and punctuation', () => {
    expect(normalizeText('ＡＢＣ　１２３，拖欠工资！ (3个月)。')).toBe('abc123拖欠工资3个月');
    expect(normalizeText('“请求” 解决……\n\t问题？')).toBe('请求解决问题');
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        const once = normalizeText(text);
        expect(normalizeText(once)).toBe(once);
      }),
    );
  });
});

describe('shingles', () => {
  it('gives each overlapping n-gram once, and a short text as one shingle', () => {
    expect(shingles('拖欠工资', 2)).toEqual(['拖欠', '欠工', '工资']);
    expect(shingles('工资工资', 2).sort()).toEqual(['工资', '资工'].sort());
    expect(shingles('欠薪', 3)).toEqual(['欠薪']);
    expect(shingles('', 3)).toEqual([]);
    expect(() => shingles('abc', 0)).toThrow(/shingle size/);
  });
});

describe('MinHash', () => {
  it('gives the same signature for the same text however it is punctuated or spaced', () => {
    const left = signPetition('拖欠工资', '某建筑公司拖欠我们三个月工资，共计四万元。');
    const right = signPetition('拖欠工资 ', '某建筑公司拖欠我们三个月工资 共计四万元');
    expect(estimatedJaccard(left, right)).toBe(1);
  });

  it('estimates the true Jaccard within four standard errors', () => {
    const hasher = createMinHasher({ hashCount: 128, shingleSize: 3 });
    const words = '工资拖欠建筑公司项目经理农民工讨薪劳动监察大队社保医保拆迁补偿土地征收噪音扰民学校'.split('');
    const text = fc.array(fc.constantFrom(...words), { minLength: 20, maxLength: 120 }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(text, text, (left, right) => {
        const actual = trueJaccard(left, right, 3);
        const estimate = estimatedJaccard(hasher.sign(left), hasher.sign(right));
        const standardError = Math.sqrt((actual * (1 - actual)) / 128);
        expect(Math.abs(estimate - actual)).toBeLessThanOrEqual(4 * standardError + 1 / 128);
      }),
      { numRuns: 200 },
    );
  });

  it('never calls an empty text similar, not even to another empty text', () => {
    expect(estimatedJaccard(signPetition(''), signPetition('，。'))).toBe(0);
    expect(estimatedJaccard(signPetition(''), signPetition('拖欠工资'))).toBe(0);
  });

  it('refuses to compare signatures of different lengths, and bad options', () => {
    const short = createMinHasher({ hashCount: 64 }).sign('拖欠工资');
    expect(() => estimatedJaccard(short, signPetition('拖欠工资'))).toThrow(/different lengths/);
    expect(() => createMinHasher({ hashCount: 3 })).toThrow(/hashCount/);
    expect(() => createMinHasher({ shingleSize: 0 })).toThrow(/shingleSize/);
  });

  it('round-trips a signature through its text form', () => {
    const signature = signPetition('征地补偿', '村里征地补偿款至今没有发放到户。');
    const decoded = decodeSignature(encodeSignature(signature));
    expect(decoded.shingleCount).toBe(signature.shingleCount);
    expect([...decoded.slots]).toEqual([...signature.slots]);
    expect(() => decodeSignature('not a signature')).toThrow(/not an encoded signature/);
  });
});
