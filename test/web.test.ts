import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { isolatedPrefix } from '@petition/bus';
import { loadWatchdogConfig, startWatchdog, type Watchdog } from '@petition/deadline-watchdog';
import { type Intake, loadIntakeConfig, startIntake } from '@petition/intake';
import { createLogger } from '@petition/logging';
import { loadRoutingConfig, type Routing, startRouting } from '@petition/routing';
import { loadSituationConfig, loadThresholds, type SituationService, startSituation } from '@petition/situation';
import { testToken, waitFor } from '@petition/testing';
import { loadTrackingConfig, startTracking, type Tracking } from '@petition/tracking';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { anyPorts, oneClientLoadEnv, servicesEnv } from '../scripts/network.ts';
import { launchChromium } from './browser.ts';

// The web pages in a real headless Chromium (Debian's, driven by playwright-core) over the real services:
// a petition is submitted to intake, the unit accepts and replies in the workbench, the petitioner follows
// each step on a phone-sized page, rates the opinion and asks for review, and the supervisor sees the KPIs change.
// Screenshots of each step are kept in test-results/web/. Every page runs under tracking's
// Content-Security-Policy, and any violation it reports fails the test.

const logger = createLogger({ service: 'web-test', level: process.env.LOG_LEVEL ?? 'warn' });
const shots = join(import.meta.dirname, '..', 'test-results', 'web');
const prefix = isolatedPrefix('web');
const env = {
  ...servicesEnv(process.env, { brokers: (process.env.KAFKA_BROKERS ?? '').split(','), prefix, ports: anyPorts }),
  INTAKE_OUTCOME_WAIT: '5s',
  ...oneClientLoadEnv,
};
const token = (unitId: string) => testToken(unitId);

let routing: Routing;
let watchdog: Watchdog;
let intake: Intake;
let tracking: Tracking;
let situation: SituationService;
let browser: Browser;
let submitted: { caseId: string; caseNumber: string; queryCode: string };

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  routing = await startRouting(loadRoutingConfig(env), logger);
  watchdog = await startWatchdog(loadWatchdogConfig(env), logger);
  intake = await startIntake(loadIntakeConfig(env), logger);
  // Situation judges from this run's log alone: no warm-up, or a burst in its first hours would not count.
  const thresholds = join(mkdtempSync(join(tmpdir(), 'web-situation-')), 'thresholds.json');
  const shipped = loadThresholds();
  writeFileSync(
    thresholds,
    JSON.stringify({ ...shipped, surge: { ...shipped.surge, hour: { ...shipped.surge.hour, warmupBuckets: 0 } } }),
  );
  situation = await startSituation(
    loadSituationConfig({
      ...env,
      SITUATION_HTTP_PORT: '0',
      SITUATION_OPS_PORT: '0',
      SITUATION_HOST: '127.0.0.1',
      SITUATION_THRESHOLDS: thresholds,
    }),
    logger,
  );
  tracking = await startTracking(
    loadTrackingConfig({ ...env, TRACKING_INTAKE_URL: intake.httpUrl, TRACKING_SITUATION_URL: situation.httpUrl }),
    logger,
  );
  browser = await launchChromium();
  const r = await fetch(`${intake.httpUrl}/v1/petitions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      channel: 'WEB',
      petitioner: { name: '李四', idNumber: '11010519491231002X', phone: '13800000000', address: '杭州市西湖区' },
      regionCode: '330106',
      category: '劳动社保',
      kind: '申诉求决',
      title: '拖欠工资',
      content: '某公司拖欠工资三个月，请求处理。',
    }),
  });
  expect(r.status).toBe(201);
  submitted = (await r.json()) as typeof submitted;
});

afterAll(async () => {
  await browser?.close();
  await tracking?.close();
  await situation?.close();
  await intake?.close();
  await watchdog?.close();
  await routing?.close();
});

/** What the browser refused under the Content-Security-Policy, on every page opened. */
const violations: string[] = [];

/** Opens a page of tracking's in its own browser context (its own storage), phone-sized when asked. */
async function open(path: string, phone = false): Promise<Page> {
  const context = await browser.newContext({
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    ...(phone ? { viewport: { width: 390, height: 844 }, isMobile: true } : {}),
  });
  // On every page of the context: the case page opens in a tab of its own.
  context.on('page', (page) =>
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(`${path}: ${m.text()}`);
    }),
  );
  const page = await context.newPage();
  const answer = await page.goto(`${tracking.httpUrl}${path}`);
  expect(answer?.headers()['content-security-policy']).toMatch(/^default-src 'self';/);
  return page;
}
const shot = (page: Page, name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

/** Clicks `button` until `ready` holds (the read models catch up within moments, not at once). */
async function until(page: Page, button: string, ready: () => Promise<boolean>, what: string) {
  for (let i = 0; i < 60; i++) {
    if (await ready()) return;
    await page.click(button);
    await page.waitForTimeout(500);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function signIn(page: Page, unitId: string) {
  await page.fill('#token', token(unitId));
  await page.click('#login-form button');
}

const kpiCell = (page: Page, row: string, kpi: string) =>
  page.locator(`tr[data-row="${row}"] td[data-kpi="${kpi}"]`).textContent();

afterEach(() => {
  expect(violations.splice(0)).toEqual([]);
});

describe('the web pages in a real browser', () => {
  let supervisor: Page;
  let before: { accepted: string | null; satisfied: string | null };

  it('shows the supervisor of 杭州市 the KPI table, the trend and the overdue board', async () => {
    supervisor = await open('/supervision');
    await signIn(supervisor, '330100-xfj');
    await supervisor.waitForSelector('tr[data-row="total"]');
    before = {
      accepted: await kpiCell(supervisor, 'total', '及时受理率'),
      satisfied: await kpiCell(supervisor, 'total', '满意率'),
    };
    // Nothing rated yet in this run's own keyspace.
    expect(before.satisfied).toBe('—');
    expect(await supervisor.locator('tr[data-row="330106-xfj"]').count()).toBe(1);
    expect(await supervisor.locator('#trend polyline').count()).toBe(1);
    await shot(supervisor, '1-supervisor-before');
  });

  it('lets the county department accept and reply from its workbench', async () => {
    const workbench = await open('/workbench');
    await signIn(workbench, '330106-rsj');
    const row = `tr[data-case="${submitted.caseNumber}"]`;
    await until(
      workbench,
      '#refresh',
      async () => (await workbench.locator(row).count()) === 1,
      'the case in the inbox',
    );
    await shot(workbench, '2-workbench-inbox');
    // The case opens on its own page, in a tab that takes the workbench's token.
    const [casePage] = await Promise.all([workbench.context().waitForEvent('page'), workbench.click(`${row} a`)]);
    await casePage.waitForSelector('#case:not([hidden])');
    const accept = casePage.locator('details[data-action="accept"]');
    await accept.locator('summary').click();
    await accept.locator('button[type="submit"]').click();
    await accept.locator('.message.ok', { hasText: '已受理' }).waitFor();
    await casePage.locator('#timeline li[data-step="caseAccepted"]').waitFor();
    const reply = casePage.locator('details[data-action="reply"]');
    await reply.locator('summary').click();
    await reply.locator('[name="opinion.summary"]').fill('经调查，责令该公司于十五日内补发拖欠工资。');
    await reply.locator('button[type="submit"]').click();
    await reply.locator('.message.ok', { hasText: '已出具处理意见' }).waitFor();
    await shot(casePage, '3-workbench-replied');
  });

  it('shows the petitioner each step on a phone and takes the rating', async () => {
    const page = await open('/', true);
    await page.fill('#caseNumber', submitted.caseNumber);
    await page.fill('#queryCode', submitted.queryCode);
    const steps = () => page.locator('#timeline li strong').allTextContents();
    await until(
      page,
      '#lookup button',
      async () => (await steps()).includes('出具处理意见'),
      'the reply on the timeline',
    );
    expect(await steps()).toEqual(['登记', '转送', '受理', '出具处理意见']);
    expect(await page.textContent('#case-holder')).toBe('杭州市西湖区人力资源和社会保障局');
    // The acceptance notice went out in time: its step carries the deadline, marked met.
    expect(await page.locator('#timeline li[data-step="caseAccepted"] .badge').textContent()).toBe('按期');
    // Usable on a phone: nothing wider than the screen.
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    await shot(page, '4-petitioner-replied');
    await page.selectOption('#evaluation', 'EVALUATION_SATISFIED');
    await page.click('#evaluate-form button');
    await page.waitForSelector('#timeline li[data-step="caseEvaluated"]', { timeout: 15_000 });
    expect(await page.textContent('#action-message')).toContain('评价已提交');
    await shot(page, '5-petitioner-rated');
    // Rated, yet not content: the petitioner asks the superior to review the opinion (art 35).
    expect(await page.isVisible('#evaluate')).toBe(false);
    expect(await page.textContent('#review-title')).toBe('请求复查');
    await page.fill('#review-reason', '补发金额计算有误');
    await page.click('#review-form button');
    await page.waitForSelector('#timeline li[data-step="reviewRequested"]', { timeout: 15_000 });
    expect(await page.textContent('#case-state')).toBe('复查中');
    await shot(page, '6-petitioner-review-requested');
  });

  it('keeps the unit token in the page’s memory only: a reload asks for it again', async () => {
    for (const [path, unitId, shown] of [
      ['/workbench', '330106-rsj', '#inbox'],
      ['/supervision', '330100-xfj', '#kpis'],
    ] as const) {
      const page = await open(path);
      await signIn(page, unitId);
      await page.waitForSelector(shown);
      expect(await page.evaluate('localStorage.length + sessionStorage.length')).toBe(0);
      await page.reload();
      await page.waitForSelector('#login-form');
      expect([await page.isVisible('#login'), await page.isVisible(shown)]).toEqual([true, false]);
      await page.context().close();
    }
  });

  it('runs no inline script, not even one added to the page', async () => {
    const page = await open('/');
    await page.evaluate(
      "(() => { const s = document.createElement('script'); s.textContent = 'window.inlineRan = true'; document.head.append(s); })()",
    );
    expect(await page.evaluate('window.inlineRan')).toBeUndefined();
    // The browser reported the refusal, which is what this test expects.
    await expect.poll(() => violations.length).toBeGreaterThan(0);
    violations.splice(0);
    await page.context().close();
  });

  it('shows the API’s OpenAPI docs on tracking’s operators’ port, under its policy', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(`docs: ${m.text()}`);
    });
    await page.goto(`${tracking.opsUrl}/docs`);
    await page.waitForSelector('.swagger-ui .info .title');
    expect(await page.textContent('.swagger-ui .info .title')).toContain('Petition tracking');
    expect(await page.locator('.opblock-summary-path').count()).toBeGreaterThan(5);
    await context.close();
  });

  it('shows the supervisor the KPIs changed', async () => {
    await until(
      supervisor,
      '#period-form button',
      async () => (await kpiCell(supervisor, 'total', '满意率')) === '100.0%',
      'the satisfaction rate',
    );
    expect(await kpiCell(supervisor, 'total', '及时受理率')).toBe('100.0%');
    expect(await kpiCell(supervisor, '330106-xfj', '满意率')).toBe('100.0%');
    expect(before.accepted).not.toBe('100.0%');
    await shot(supervisor, '7-supervisor-after');
  });

  it('shows the provincial bureau a forming hotspot in its province: the grid, the table, the sample cases', async () => {
    // With the first registration's, six wage-arrears petitions from 西湖区 within minutes: a surge at the fifth.
    for (let i = 0; i < 5; i++) {
      const r = await fetch(`${intake.httpUrl}/v1/petitions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          channel: 'PHONE',
          petitioner: {
            name: `王${i}`,
            idNumber: '11010519491231002X',
            phone: `1380000000${i}`,
            address: '杭州市西湖区',
          },
          regionCode: '330106',
          category: '劳动社保',
          kind: '申诉求决',
          title: `工资拖欠第${i}件`,
          content: `工地第${i}班组的工钱拖欠至今，请求处理。`,
        }),
      });
      expect(r.status).toBe(201);
    }
    const province = await open('/supervision');
    await signIn(province, '330000-xfj');
    await province.waitForSelector('#hotspot-grid li');
    await until(
      province,
      '#hotspots-refresh',
      async () => (await province.locator('#hotspot-rows tr[data-region="330106"]').count()) > 0,
      'the surge at 西湖区 on the page',
    );
    const row = province.locator('#hotspot-rows tr[data-region="330106"]').first();
    expect(await row.locator('td[data-label="类型"]').textContent()).toBe('激增');
    expect(await row.locator('td[data-label="地区"]').textContent()).toBe('杭州市西湖区');
    expect(await row.locator('td[data-label="类别"]').textContent()).toBe('劳动社保');
    expect(await row.locator('td[data-label="样例事项"] a').count()).toBeGreaterThan(0);
    // 杭州市's tile is coloured, 宁波市's is not.
    expect(await province.getAttribute('#hotspot-grid button[data-region="330100"]', 'class')).toMatch(/heat-[34]/);
    expect(await province.getAttribute('#hotspot-grid button[data-region="330200"]', 'class')).toBe('heat-0');
    // A cluster has no category to follow: no trend for it.
    const cluster = province.locator('#hotspot-rows tr[data-hotspot^="cluster:"]');
    for (const r of await cluster.all()) expect(await r.locator('td[data-label="趋势"] button').count()).toBe(0);
    // The category's trend in 西湖区 day by day: today's count stands out.
    await row.locator('td[data-label="趋势"] button').click();
    await province.waitForSelector('#hotspot-trend polyline');
    expect(await province.textContent('#hotspot-trend-title')).toBe('杭州市西湖区 · 劳动社保 · 逐日信访量');
    await shot(province, '8-province-hotspots');
    await province.locator('#hotspots').screenshot({ path: join(shots, '8-hotspots-panel.png') });
    // Drilling down to 杭州市 keeps its own hotspots and their cases.
    await province.click('#hotspot-grid button[data-region="330100"]');
    await province.waitForSelector('#hotspot-grid button[data-region="330100"][aria-pressed="true"]');
    expect(await province.textContent('#hotspots-region')).toBe('杭州市');
  });

  it('shows the holder a repeat candidate with its score and the suggested category, and takes the dismissal', async () => {
    // One person (by name and phone) files the same matter twice, reworded (pairs.jsonl same-02).
    const file = async (title: string, content: string) => {
      const res = await fetch(`${intake.httpUrl}/v1/petitions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          channel: 'WEB',
          petitioner: { name: '赵六', phone: '13700000006', address: '杭州市西湖区' },
          regionCode: '330106',
          category: '城乡建设',
          kind: '申诉求决',
          title,
          content,
        }),
      });
      expect(res.status).toBe(201);
      return (await res.json()) as { caseId: string; caseNumber: string; repeatCandidates: { caseId: string }[] };
    };
    const first = await file(
      '征地补偿款未发放',
      '我们村二〇二一年被征收土地一百二十亩用于工业园建设，至今每户的土地补偿款和青苗补偿款都没有足额发放，请求调查。',
    );
    let holder = '';
    const staffView = async (caseId: string) => {
      const res = await fetch(`${tracking.httpUrl}/v1/cases/${caseId}`, {
        headers: { authorization: `Bearer ${token('330106-xfj')}` },
      });
      return res.status === 200
        ? ((await res.json()) as { holder: { unitId: string }; repeats: { candidates: unknown[] } })
        : undefined;
    };
    await waitFor('the first case in tracking', async () => (await staffView(first.caseId)) !== undefined);
    const again = await file(
      '征地补偿款仍未发放到位',
      '我们村在二〇二一年被征收了一百二十亩土地建工业园，到现在每户的土地补偿款和青苗补偿款还是没有足额发放，去年已经反映过，请求上级调查。',
    );
    expect(again.repeatCandidates.map((c) => c.caseId)).toEqual([first.caseId]);
    await waitFor('the candidate in tracking', async () => {
      const v = await staffView(again.caseId);
      holder = v?.holder.unitId ?? '';
      return (v?.repeats.candidates.length ?? 0) > 0;
    });
    const page = await open(`/case?id=${encodeURIComponent(again.caseId)}`, true);
    await signIn(page, holder);
    const candidate = page.locator(`#repeat-candidates li[data-candidate="${first.caseId}"]`);
    await candidate.waitFor();
    expect(await candidate.textContent()).toContain(first.caseNumber);
    expect(await candidate.textContent()).toMatch(/相似度 0\.\d\d/);
    expect(await candidate.getAttribute('data-answer')).toBe('open');
    await page.locator('#suggestion:not([hidden])').waitFor();
    expect(await page.textContent('#suggestion')).toMatch(/系统建议分类：.+（置信度 \d+%）/);
    await shot(page, '9-repeat-candidate');
    // The candidates and their two answers are as accessible as the rest of the page (axe: nothing serious).
    const { violations: issues } = await new AxeBuilder({ page }).analyze();
    expect(
      issues.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`),
    ).toEqual([]);
    const dismiss = candidate.locator('details[data-action="dismiss-repeat-candidate"]');
    await dismiss.locator('summary').click();
    await dismiss.locator('[name="reason"]').fill('前案为另一村的征地');
    await dismiss.locator('button[type="submit"]').click();
    await page.locator(`#repeat-candidates li[data-candidate="${first.caseId}"][data-answer="dismissed"]`).waitFor();
    await page.locator('#timeline li[data-step="repeatCandidateDismissed"]').waitFor();
  });
});
