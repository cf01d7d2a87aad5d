import { describe, expect, it } from 'vitest';
import { createLshIndex, signPetition, similarGroups, similarPetitions } from './index.ts';

// Near-identical petitions across persons (the CLUSTER hotspot).

const template =
  '我们是城东新村的拆迁户，二〇二四年签订的安置协议约定两年内交房，至今安置房仍未开工，过渡费也已停发半年，请求政府督促兑现安置承诺。';
const copies = ['张', '李', '王', '赵'].map((name, number) => ({
  id: `copy-${number}`,
  signature: signPetition(`关于城东新村拆迁安置的诉求（${name}）`, template.replace('半年', `${number + 5}个月`)),
}));
const other = {
  id: 'other',
  signature: signPetition(
    '学校食堂卫生问题',
    '孩子所在小学食堂饭菜经常不熟，多名学生出现腹泻，请求教育和市场监管部门检查。',
  ),
};

describe('similarPetitions', () => {
  it('pairs near-identical petitions by different people, and leaves a different matter out', () => {
    const pairs = similarPetitions([...copies, other]);
    expect(pairs).toHaveLength(6);
    expect(pairs.every((pair) => pair.left !== 'other' && pair.right !== 'other')).toBe(true);
    expect(similarGroups([...copies, other])).toEqual([copies.map((copy) => copy.id)]);
  });
});

describe('createLshIndex', () => {
  it('offers the near-identical petitions as candidates and not the different matter', () => {
    const index = createLshIndex();
    for (const item of [...copies.slice(1), other]) index.add(item);
    const found = index.candidates((copies[0] as { signature: ReturnType<typeof signPetition> }).signature);
    expect([...found].sort()).toEqual(['copy-1', 'copy-2', 'copy-3']);
    index.remove('copy-1');
    expect(index.size).toBe(3);
    expect(() => createLshIndex({ bands: 64, rowsPerBand: 4 }).add(other)).toThrow(/cannot fill/);
  });
});
