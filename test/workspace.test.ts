import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { StaffRole } from '@petition/auth';
import { isolatedPrefix } from '@petition/bus';
import { loadWatchdogConfig, startWatchdog, type Watchdog } from '@petition/deadline-watchdog';
import { type Intake, loadIntakeConfig, startIntake } from '@petition/intake';
import { createLogger } from '@petition/logging';
import { loadNotificationConfig, type Notification, startNotification } from '@petition/notification';
import { loadRoutingConfig, type Routing, startRouting } from '@petition/routing';
import { testToken } from '@petition/testing';
import { loadTrackingConfig, startTracking, type Tracking } from '@petition/tracking';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { anyPorts, oneClientLoadEnv, servicesEnv } from '../scripts/network.ts';
import { accessibilityFindings, desktop, fitsWidth, launchChromium, phone, signIn } from './browser.ts';

// The unit's workspace in a real headless Chromium over the real services (routing, watchdog, intake,
// notification, tracking): one case worked from the workbench's inbox to the handler's reply and the
// petitioner's rating, a 督办单 issued, answered and closed, and the petitioner's personal data opened with a
// reason and then found in the access audit. Every page runs under tracking's Content-Security-Policy (a
// violation fails the test) and is checked by axe-core on a phone and on a desktop screen (a serious or
// critical finding fails it). Screenshots go to test-results/web/.

const logger = createLogger({ service: 'workspace-test', level: process.env.LOG_LEVEL ?? 'warn' });
const shots = join(import.meta.dirname, '..', 'test-results', 'web');
const prefix = isolatedPrefix('workspace');
const env = {
  ...servicesEnv(process.env, { brokers: (process.env.KAFKA_BROKERS ?? '').split(','), prefix, ports: anyPorts }),
  INTAKE_OUTCOME_WAIT: '5s',
  // Units are told at once, whatever the hour the test runs at.
  NOTIFY_QUIET_HOURS: '0-0',
  NOTIFY_TICK: '100ms',
  ...oneClientLoadEnv,
};

const handler = testToken('330106-rsj', { roles: ['handler'], staffId: 'rsj-handler-01' });
const supervisor = testToken('330106-xfj', { roles: ['supervisor'], staffId: 'xfj-supervisor-01' });
const auditor = testToken('330100-xfj', { roles: ['auditor'], staffId: 'hz-auditor-01' });
const token = (unitId: string, roles: StaffRole[]) => testToken(unitId, { roles });

let routing: Routing;
let watchdog: Watchdog;
let intake: Intake;
let notification: Notification;
let tracking: Tracking;
let browser: Browser;
let submitted: { caseId: string; caseNumber: string; queryCode: string };

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  routing = await startRouting(loadRoutingConfig(env), logger);
  watchdog = await startWatchdog(loadWatchdogConfig(env), logger);
  intake = await startIntake(loadIntakeConfig(env), logger);
  notification = await startNotification(loadNotificationConfig(env), logger);
  tracking = await startTracking(loadTrackingConfig({ ...env, TRACKING_INTAKE_URL: intake.httpUrl }), logger);
  browser = await launchChromium();
  const r = await fetch(`${intake.httpUrl}/v1/petitions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      channel: 'WEB',
      petitioner: { name: '王五', idNumber: '11010519491231002X', phone: '13900000000', address: '杭州市西湖区文三路' },
      regionCode: '330106',
      category: '劳动社保',
      kind: '申诉求决',
      title: '建筑工地拖欠农民工工资',
      content: '某建筑公司拖欠我和工友三个月工资共计四万元，多次讨要未果，请求责令支付。',
    }),
  });
  expect(r.status).toBe(201);
  submitted = (await r.json()) as typeof submitted;
  // More of the same bureau's cases: the inbox runs to a second page.
  const others = ['工伤认定', '社保补缴', '劳动合同解除', '加班费', '养老金待遇', '失业保险金', '欠缴公积金'];
  for (let batch = 0; batch < 3; batch++) {
    await Promise.all(
      others.map(async (matter, i) => {
        const answer = await fetch(`${intake.httpUrl}/v1/petitions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            channel: i % 2 ? 'APP' : 'WEB',
            petitioner: { name: `信访人${batch}${i}`, phone: `1370000${batch}${i}00` },
            regionCode: '330106',
            category: '劳动社保',
            kind: '申诉求决',
            title: `${matter}问题反映（${batch + 1}）`,
            content: `关于${matter}的诉求。`,
          }),
        });
        expect(answer.status).toBe(201);
      }),
    );
  }
});

afterAll(async () => {
  await browser?.close();
  await tracking?.close();
  await notification?.close();
  await intake?.close();
  await watchdog?.close();
  await routing?.close();
});

/** What the browser refused under the Content-Security-Policy, on every page opened. */
const violations: string[] = [];
afterEach(() => {
  expect(violations.splice(0)).toEqual([]);
});

function watch(page: Page, name: string) {
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(`${name}: ${m.text()}`);
  });
  page.on('pageerror', (err) => violations.push(`${name}: uncaught ${err.message}`));
}

/** A browser context of its own (its own storage and tabs), phone-sized when asked. */
async function newContext(small = false): Promise<BrowserContext> {
  const context = await browser.newContext({
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    acceptDownloads: true,
    ...(small ? { viewport: phone, isMobile: true, hasTouch: true } : { viewport: desktop }),
  });
  context.on('page', (page) => watch(page, page.url()));
  return context;
}

/** Opens a page of tracking's in a new context; a staff page signed in with `as` when given. */
async function open(path: string, o: { phone?: boolean; as?: string } = {}): Promise<Page> {
  const context = await newContext(o.phone);
  const page = await context.newPage();
  const answer = await page.goto(`${tracking.httpUrl}${path}`);
  expect(answer?.headers()['content-security-policy']).toMatch(/^default-src 'self';/);
  if (o.as) await signIn(page, o.as);
  return page;
}

/** A screenshot of the whole page, or of what the screen shows (`full` false: the README's). */
const shot = (page: Page, name: string, full = true) =>
  page.screenshot({ path: join(shots, `${name}.png`), fullPage: full });

/** axe-core at a phone's width and a desktop's (browser.ts): no serious or critical finding. */
async function accessible(page: Page, name: string) {
  expect(await accessibilityFindings(page, name)).toEqual([]);
}

/** Clicks `button` until `ready` holds (the read models catch up within moments, not at once). */
async function until(page: Page, button: string, ready: () => Promise<boolean>, what: string) {
  for (let i = 0; i < 60; i++) {
    if (await ready()) return;
    await page.click(button);
    await page.waitForTimeout(500);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Opens the action's panel on the case page, fills its fields, submits, and answers the words shown. */
async function act(page: Page, action: string, fields: Record<string, string> = {}) {
  const panel = page.locator(`details[data-action="${action}"]`);
  // Actions not of the case's step wait under 其他操作.
  if (!(await panel.isVisible())) await page.click('details.more > summary');
  if ((await panel.getAttribute('open')) === null) await panel.locator('summary').click();
  for (const [name, value] of Object.entries(fields)) {
    const input = panel.locator(`[name="${name}"]`);
    if ((await input.evaluate((el) => el.tagName)) === 'SELECT') await input.selectOption(value);
    else await input.fill(value);
  }
  return submit(panel.locator('form'));
}

/** Submits a form and waits for routing's answer (or refusal) in its message line, or in `answerTo`. */
async function submit(form: Locator, answerTo: Locator = form.locator('.message')) {
  await form.locator('button[type="submit"]').click();
  await answerTo.filter({ hasNotText: '提交中' }).filter({ hasText: /\S/ }).waitFor({ timeout: 20_000 });
  return (await answerTo.textContent()) ?? '';
}

const steps = (page: Page) => page.locator('#timeline li strong').allTextContents();

describe('the unit’s workspace in a real browser', () => {
  let workbench: Page;
  let casePage: Page;
  let board: Page;

  it('shows the handler the new case in the workbench inbox: paged, found by words of its title, filtered', async () => {
    workbench = await open('/workbench', { as: handler });
    const row = `tr[data-case="${submitted.caseNumber}"]`;
    // Every case in and dated: a case's clock comes a moment after the case, and moves it from the end of the
    // inbox (undated) to its due date — paging across that move would skip it.
    const allDated = async () => {
      const r = await fetch(`${tracking.httpUrl}/v1/units/330106-rsj/inbox?limit=50`, {
        headers: { authorization: `Bearer ${handler}` },
      });
      const { cases } = (await r.json()) as { cases: { dueTime: string | null }[] };
      return cases.length === 22 && cases.every((c) => c.dueTime !== null);
    };
    await until(
      workbench,
      '#refresh',
      async () => (await workbench.textContent('#inbox-total')) === '共 22 件' && (await allDated()),
      'the cases, each with its due date',
    );
    // 20 to a page: the first is full, the second has the other two.
    const rows = () => workbench.locator('#inbox-rows tr').count();
    expect([
      await rows(),
      await workbench.isDisabled('#inbox-prev'),
      await workbench.isDisabled('#inbox-next'),
    ]).toEqual([20, true, false]);
    await workbench.click('#inbox-next');
    await expect.poll(rows).toBe(2);
    expect(await workbench.textContent('#inbox-page')).toBe('第 2 页');
    expect(await workbench.isDisabled('#inbox-next')).toBe(true);
    await workbench.click('#inbox-prev');
    await expect.poll(rows).toBe(20);
    await shot(workbench, 'workspace-1-workbench', false);
    // Words of the title find it; words it lacks do not.
    const total = () => workbench.textContent('#inbox-total');
    await workbench.fill('#q', '拖欠 工资');
    await workbench.click('#filters button');
    await expect.poll(total).toBe('共 1 件');
    expect(await workbench.textContent(`${row} td[data-label="标题"]`)).toBe('建筑工地拖欠农民工工资');
    expect(await workbench.textContent(`${row} td[data-label="类别"]`)).toBe('劳动社保');
    await workbench.fill('#q', '噪声扰民');
    await workbench.click('#filters button');
    await workbench.locator('#inbox-empty').waitFor();
    // Filters by category, state and overdue (each applied as it is chosen).
    await workbench.fill('#q', '');
    await workbench.selectOption('#filter-category', 'CATEGORY_EDUCATION');
    await expect.poll(total).toBe('共 0 件');
    await workbench.selectOption('#filter-category', 'CATEGORY_LABOR_SOCIAL_SECURITY');
    await expect.poll(total).toBe('共 22 件');
    await workbench.selectOption('#filter-state', 'CASE_STATE_ACCEPTED');
    await expect.poll(total).toBe('共 0 件');
    await workbench.selectOption('#filter-state', '');
    await workbench.check('#filter-overdue');
    await expect.poll(total).toBe('共 0 件');
    await workbench.uncheck('#filter-overdue');
    // A case number finds exactly its case.
    await workbench.fill('#q', submitted.caseNumber);
    await workbench.click('#filters button');
    await expect.poll(total).toBe('共 1 件');
    await workbench.locator(row).waitFor();
    await accessible(workbench, 'workbench');
  });

  it('opens the case on its own page from the inbox, in a tab that takes the workbench’s token', async () => {
    const [page] = await Promise.all([
      workbench.context().waitForEvent('page'),
      workbench.click(`tr[data-case="${submitted.caseNumber}"] a`),
    ]);
    casePage = page;
    await casePage.waitForSelector('#case:not([hidden])');
    expect(await casePage.isVisible('#login')).toBe(false);
    expect(await casePage.textContent('#case-number')).toBe(submitted.caseNumber);
    expect(await casePage.textContent('#case-heading')).toBe('建筑工地拖欠农民工工资');
    expect(await casePage.textContent('#case-content')).toContain('拖欠我和工友三个月工资');
    // No personal data in the page until asked for, with a reason.
    expect(await casePage.content()).not.toContain('王五');
    expect(await casePage.locator('#actions-next details[data-action="accept"]').count()).toBe(1);
    expect(await casePage.evaluate('localStorage.length + sessionStorage.length')).toBe(0);
    await accessible(casePage, 'case page');
  });

  it('takes the handler’s acceptance and shows routing’s answer, and its refusal, in words', async () => {
    expect(await act(casePage, 'accept')).toContain('已受理');
    await casePage.locator('#timeline li[data-step="caseAccepted"]').waitFor();
    expect(await casePage.textContent('#case-state')).toBe('已受理，办理中');
    // A second acceptance is refused, with routing's reason.
    const again = await act(casePage, 'accept');
    expect(again).toMatch(/^未办理：/);
  });

  it('opens the petitioner’s personal data for the handler with a reason, and says it was recorded', async () => {
    await casePage.fill('#personal-reason', '电话联系信访人核实欠薪金额');
    await casePage.click('#personal-form button');
    await casePage.waitForSelector('#personal-data:not([hidden])');
    const shown = await casePage.textContent('#personal-facts');
    expect(shown).toContain('王五');
    expect(shown).toContain('13900000000');
    expect(await casePage.textContent('#personal-audit')).toMatch(/已记入访问审计/);
    await casePage.click('#personal-hide');
    expect(await casePage.content()).not.toContain('13900000000');
  });

  it('lets the county bureau’s supervisor issue a 督办单 on the case', async () => {
    board = await open('/supervision', { as: supervisor });
    await board.waitForSelector('#issue:not([hidden])');
    await board.fill('#issue-case', submitted.caseId);
    const form = board.locator('#issue-form form');
    await form.locator('[name="ground"]').selectOption('SUPERVISION_GROUND_SENSITIVE');
    await form.locator('[name="instructions"]').fill('涉及农民工欠薪，请于报告期限前核实并报告办理情况。');
    expect(await submit(form)).toContain('督办单已下发');
    const row = board.locator(`#supervision-rows tr[data-case="${submitted.caseNumber}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-state')).toBe('open');
    await accessible(board, 'supervision');
  });

  it('shows the supervisor the case read-only: no action, no personal data', async () => {
    const [page] = await Promise.all([
      board.context().waitForEvent('page'),
      board.click(`#supervision-rows tr[data-case="${submitted.caseNumber}"] a`),
    ]);
    await page.waitForSelector('#case:not([hidden])');
    expect(await page.isVisible('#read-only')).toBe(true);
    expect(await page.isVisible('#actions')).toBe(false);
    expect(await page.isVisible('#personal-form')).toBe(false);
    expect(await page.locator('li.supervision[data-state="open"]').count()).toBe(1);
    // Opening the data anyway, from the supervisor's page, is refused.
    const status = await page.evaluate(
      async ([id, t]) =>
        (
          await fetch(`/v1/cases/${id}/personal-data`, {
            method: 'POST',
            headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
            body: JSON.stringify({ reason: '督办需要核实信访人身份' }),
          })
        ).status,
      [submitted.caseId, supervisor] as const,
    );
    expect(status).toBe(403);
    await accessible(page, 'case page (supervisor)');
    await page.close();
  });

  it('lets the holder answer the 督办单 from the case page', async () => {
    await until(
      casePage,
      '#case-refresh',
      async () => (await casePage.locator('li.supervision[data-state="open"] form').count()) === 1,
      'the 督办单 on the case page',
    );
    const form = casePage.locator('li.supervision form[data-action="answer-supervision"]');
    await form.locator('textarea').fill('已约谈建筑公司，承诺十日内支付全部欠薪。');
    expect(await casePage.locator('#supervisions').textContent()).toContain('重点敏感');
    // The 督办单 is drawn again with the case: routing's answer stays in the section.
    expect(await submit(form, casePage.locator('#supervision-message'))).toContain('督办情况已回复');
    await casePage.locator('li.supervision[data-state="answered"]').waitFor();
  });

  it('lets the supervisor read the report and close the 督办单', async () => {
    const row = board.locator(`#supervision-rows tr[data-case="${submitted.caseNumber}"]`);
    await until(
      board,
      '#board-filters button',
      async () => (await row.getAttribute('data-state')) === 'answered',
      'the answered 督办单',
    );
    expect(await row.textContent()).toContain('承诺十日内支付全部欠薪');
    await board.evaluate('window.scrollTo(0, 0)');
    await shot(board, 'workspace-4-supervision', false);
    await row.locator('button').click();
    const form = board.locator('#close-form form');
    await form.locator('textarea').fill('报告属实，督办办结。');
    expect(await submit(form)).toContain('督办单已办结');
    await until(
      board,
      '#board-filters button',
      async () => (await row.getAttribute('data-state')) === 'closed',
      'the closed 督办单',
    );
    // Filtered by category and level, and by state.
    await board.selectOption('#supervision-state', 'open');
    await board.locator('#supervisions-empty').waitFor();
    await board.selectOption('#supervision-state', '');
    await row.waitFor();
    await shot(board, 'workspace-4-supervision-closed');
  });

  it('exports the KPI table as CSV', async () => {
    const [download] = await Promise.all([board.waitForEvent('download'), board.click('#kpi-csv')]);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    const path = await download.path();
    const { readFile } = await import('node:fs/promises');
    const csv = await readFile(path, 'utf8');
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    expect(csv).toContain('330106');
  });

  it('takes the handler’s reply, and shows the whole case on a phone', async () => {
    await casePage.click('#case-refresh');
    expect(
      await act(casePage, 'reply', {
        'opinion.summary': '经调查，责令该建筑公司于十日内支付拖欠的全部工资。',
        disposition: 'REPLY_DISPOSITION_SUPPORTED',
      }),
    ).toContain('已出具处理意见');
    await casePage.locator('#timeline li[data-step="caseReplied"]').waitFor();
    expect(await steps(casePage)).toEqual(expect.arrayContaining(['登记', '受理', '督办', '督办回复', '督办办结']));
    // The actions put away, the case drawn again: nothing left to do at this step.
    await casePage.evaluate("for (const d of document.querySelectorAll('details[open]')) d.open = false");
    await casePage.click('#case-refresh');
    await casePage.locator('#actions-next', { hasText: '当前环节没有待办操作' }).waitFor();
    await casePage.evaluate('window.scrollTo(0, 0)');
    await shot(casePage, 'workspace-2-case', false);

    const small = await open(`/case?id=${encodeURIComponent(submitted.caseId)}`, { phone: true, as: handler });
    await small.waitForSelector('#case:not([hidden])');
    // Replied, the case waits for the petitioner's rating.
    expect(await small.textContent('#case-state')).toBe('待评价');
    expect(await fitsWidth(small)).toBe(true);
    await accessible(small, 'case page (phone)');
    await shot(small, 'workspace-3-case-phone', false);
    await small.context().close();
  });

  it('shows the petitioner the notices, takes more material and an urging, and the rating', async () => {
    const page = await open('/', { phone: true });
    await page.fill('#caseNumber', submitted.caseNumber);
    await page.fill('#queryCode', submitted.queryCode);
    await until(page, '#lookup button', async () => (await steps(page)).includes('出具处理意见'), 'the reply');
    await until(
      page,
      '#lookup button',
      async () => (await page.locator('#notice-list li.unread').count()) >= 2,
      'the notices of acceptance and reply',
    );
    const notices = (await page.locator('#notice-list').textContent()) ?? '';
    expect(notices).toContain('受理');
    // Read marks: one notice read, the count goes down.
    const unread = await page.locator('#notice-list li.unread').count();
    await page.locator('#notice-list li.unread button').first().click();
    await expect.poll(() => page.locator('#notice-list li.unread').count()).toBe(unread - 1);

    await page.fill('#supplement-material', '补充：工友名单及考勤记录已整理，可随时提供。');
    await page.click('#supplement-form button');
    await page.waitForSelector('#timeline li[data-step="caseSupplemented"]', { timeout: 15_000 });
    await page.fill('#urge-note', '请尽快督促支付');
    await page.click('#urge-form button');
    await page.waitForSelector('#timeline li[data-step="caseUrged"]', { timeout: 15_000 });
    expect(await fitsWidth(page)).toBe(true);
    await accessible(page, 'petitioner');
    await page.locator('#notices').scrollIntoViewIfNeeded();
    await page.evaluate("document.getElementById('notices').scrollIntoView()");
    await shot(page, 'workspace-5-petitioner', false);

    await page.selectOption('#evaluation', 'EVALUATION_SATISFIED');
    await page.click('#evaluate-form button');
    await page.waitForSelector('#timeline li[data-step="caseEvaluated"]', { timeout: 15_000 });
    expect(await page.textContent('#action-message')).toContain('评价已提交');
    await page.context().close();
  });

  it('tells the holder in the workbench of the 督办单, the material and the urging', async () => {
    const told = async () => (await workbench.locator('#notice-list').textContent()) ?? '';
    await until(
      workbench,
      '#refresh',
      async () => {
        const text = await told();
        return ['督办单（', '信访人补充材料', '信访人催办'].every((subject) => text.includes(subject));
      },
      'the unit’s notices',
    );
    // The 督办单 is urgent.
    const supervised = workbench.locator('#notice-list li', { hasText: '督办单（' });
    expect(await supervised.locator('.badge.late').textContent()).toBe('紧急');
    await workbench.click('#notices-read-all');
    await expect.poll(() => workbench.locator('#notice-list li.unread').count()).toBe(0);
    expect(await workbench.textContent('#notices-unread')).toBe('');
  });

  it('lists the opening of the personal data for the prefecture’s auditor, who may not open the case', async () => {
    const page = await open('/audit', { as: auditor });
    const row = page.locator(`#audit-rows tr[data-case="${submitted.caseNumber}"]`);
    await until(page, '#audit-filters button', async () => (await row.count()) === 1, 'the audit entry');
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('电话联系信访人核实欠薪金额');
    expect(text).toContain('rsj-handler-01');
    expect(text).toContain('杭州市西湖区人力资源和社会保障局');
    expect(text).not.toContain('王五');
    await accessible(page, 'audit');
    await shot(page, 'workspace-6-audit', false);
    // The auditor's token opens no case.
    const c = await page.evaluate(
      async ([id, t]) => (await fetch(`/v1/cases/${id}`, { headers: { authorization: `Bearer ${t}` } })).status,
      [submitted.caseId, auditor] as const,
    );
    expect(c).toBe(404);
    await page.context().close();
  });

  it('keeps a handler of another unit out of the case page, and a handler out of the audit', async () => {
    const page = await open(`/case?id=${encodeURIComponent(submitted.caseId)}`, {});
    await page.fill('#token', token('330105-rsj', ['handler']));
    await page.click('#login-form button');
    await page.locator('#login-message', { hasText: '无权查阅' }).waitFor();
    expect(await page.isVisible('#case')).toBe(false);
    await page.context().close();
    const audit = await open('/audit', { as: handler });
    await audit.locator('#audit-message', { hasText: '无权查阅访问审计' }).waitFor();
    await audit.context().close();
  });

  it('checks the remaining pages with axe-core', async () => {
    for (const path of ['/', '/workbench', '/supervision', '/audit', '/case']) {
      const page = await open(path);
      await accessible(page, `${path} (signed out)`);
      await page.context().close();
    }
    await accessible(workbench, 'workbench with notices read');
  });
});
