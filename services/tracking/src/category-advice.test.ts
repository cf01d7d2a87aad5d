import { type Categorizer, shippedCategorizer } from '@petition/categorize';
import { describe, expect, it } from 'vitest';
import { adviceConfidenceFloor, categoryAdviceFor, createCategoryAdvisor } from './category-advice.ts';

describe('category advice in the inbox', () => {
  const labour = 'CATEGORY_LABOR_SOCIAL_SECURITY';

  it('is given only where the classifier differs from the registered category and is sure enough', () => {
    const sure = { category: labour, confidence: adviceConfidenceFloor };
    expect(categoryAdviceFor(sure, 'CATEGORY_URBAN_RURAL_CONSTRUCTION')).toEqual(sure);
    expect(categoryAdviceFor(sure, labour)).toBeNull();
    expect(
      categoryAdviceFor({ category: labour, confidence: adviceConfidenceFloor - 0.01 }, 'CATEGORY_OTHER'),
    ).toBeNull();
  });

  it('asks the shipped classifier once per case, and forgets the oldest case beyond its bound', () => {
    let asked = 0;
    const counting = (): Categorizer => {
      const shipped = shippedCategorizer();
      return {
        ...shipped,
        suggest(title, content) {
          asked++;
          return shipped.suggest(title, content);
        },
      };
    };
    const advise = createCategoryAdvisor(counting, 2);
    const wages = { title: '拖欠工资', content: '某建筑公司拖欠农民工工资三个月，请求督促支付。' };
    const advice = advise('a', wages, 'CATEGORY_URBAN_RURAL_CONSTRUCTION');
    expect(advice?.category).toBe(labour);
    expect(advise('a', wages, labour)).toBeNull();
    expect(asked).toBe(1);
    advise('b', wages, labour);
    advise('c', wages, labour);
    advise('a', wages, labour);
    expect(asked).toBe(4);
  });
});
