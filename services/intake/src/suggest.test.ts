import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIntake, tokenFor, validPetition } from './test-support.ts';

// POST /v1/petitions/suggest over real HTTP: a category and kind for a title and content, for staff only,
// its input bounded like a registration's, every refusal problem+json naming the field.

let t: Awaited<ReturnType<typeof startTestIntake>>;

beforeAll(async () => {
  t = await startTestIntake('intake-suggest');
});

afterAll(async () => {
  await t?.intake.close();
  await t?.bus.deleteOwnTopics();
  await t?.bus.close();
});

const registrar = { authorization: `Bearer ${tokenFor('330106-xfj')}` };
const post = (path: string, body: unknown, headers: Record<string, string> = registrar) =>
  fetch(`${t.intake.httpUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

interface SuggestionJson {
  category: string;
  categoryLabel: string;
  kind: string;
  kindLabel: string;
  confidence: number;
  kindConfidence: number;
  alternatives: { category: string; categoryLabel: string; confidence: number }[];
}

describe('POST /v1/petitions/suggest', () => {
  it('suggests 劳动社保 / 申诉求决 for wage arrears, with a confidence and two alternatives', async () => {
    const res = await post('/v1/petitions/suggest', {
      title: '讨薪',
      content: '我在县城一个工地干了八个月，包工头一直拖欠工资不给，请求劳动监察部门帮助讨要。',
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as SuggestionJson;
    expect(body).toMatchObject({
      category: 'CATEGORY_LABOR_SOCIAL_SECURITY',
      categoryLabel: '劳动社保',
      kind: 'PETITION_KIND_COMPLAINT',
      kindLabel: '申诉求决',
    });
    expect(body.confidence).toBeGreaterThan(0);
    expect(body.confidence).toBeLessThanOrEqual(1);
    expect(body.alternatives).toHaveLength(2);
    expect(body.alternatives.map((entry) => entry.category)).not.toContain(body.category);
  });

  it('suggests 检举控告 for a report of graft, and its labels are what a registration takes', async () => {
    const res = await post('/v1/petitions/suggest', {
      title: '举报镇干部',
      content: '镇上一名干部利用职务便利收受老板的红包和购物卡，还用公款吃喝，请求纪委调查处理。',
    });
    const body = (await res.json()) as SuggestionJson;
    expect(body).toMatchObject({ categoryLabel: '纪检监察', kind: 'PETITION_KIND_ACCUSATION', kindLabel: '检举控告' });
    const registered = await post(
      '/v1/petitions',
      { ...validPetition(), category: body.categoryLabel, kind: body.kindLabel },
      {},
    );
    expect(registered.status).toBe(201);
  });

  it('answers only staff: 401 problem+json without a token or with a bad one', async () => {
    for (const headers of [{}, { authorization: 'Bearer not-a-token' }] as Record<string, string>[]) {
      const res = await post('/v1/petitions/suggest', { title: '讨薪', content: '拖欠工资' }, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('refuses missing, empty, too long or unknown fields with 422 problem+json naming each', async () => {
    const cases: [unknown, string[]][] = [
      [{ title: '讨薪' }, ['/content']],
      [{ title: '', content: '拖欠工资' }, ['/title']],
      [{ title: '讨薪', content: '欠'.repeat(20_001) }, ['/content']],
      [{ title: '讨'.repeat(201), content: '拖欠工资', colour: 'red' }, ['/colour', '/title']],
    ];
    for (const [body, fields] of cases) {
      const res = await post('/v1/petitions/suggest', body);
      expect(res.status).toBe(422);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      const problem = (await res.json()) as { code: string; errors: { field: string }[] };
      expect(problem.code).toBe('INVALID_REQUEST');
      expect(problem.errors.map((error) => error.field).sort()).toEqual(fields);
    }
  });

  it('is in the OpenAPI document on the operators’ port', async () => {
    const doc = (await (await fetch(`${t.intake.opsUrl}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/v1/petitions/suggest');
  });
});
