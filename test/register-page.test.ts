import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isolatedPrefix } from '@petition/bus';
import { type Intake, loadIntakeConfig, startIntake } from '@petition/intake';
import { createLogger } from '@petition/logging';
import { loadRoutingConfig, type Routing, startRouting } from '@petition/routing';
import { nextResidentId, testToken, waitFor } from '@petition/testing';
import { loadTrackingConfig, startTracking, type Tracking } from '@petition/tracking';
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { anyPorts, oneClientLoadEnv, servicesEnv } from '../scripts/network.ts';
import { accessibilityFindings, desktop, fitsWidth, launchChromium, phone, signIn } from './browser.ts';

// The registration page (/register, issue 24) in a real headless Chromium over the real services (routing,
// intake, tracking) and the real broker: 西湖区信访局's registrar opens it from the workbench, takes the
// classifier's suggestion with 采用建议, registers, and is given the case number, the query code and where
// the case went; the same person's reworded matter shows the earlier case as a repeat candidate, a
// resubmission the case it was linked to; a bad ID number shows intake's problem and registers nothing, and
// one click registers once; a handler without the registrar role is refused. Every page runs under tracking's
// Content-Security-Policy (a violation fails the test) and axe-core checks it at 390 and 1366 pixels. The
// screenshot goes to test-results/web/register.png (the README's docs/screenshots/register.png is a copy).

const logger = createLogger({ service: 'register-page-test', level: process.env.LOG_LEVEL ?? 'warn' });
const shots = join(import.meta.dirname, '..', 'test-results', 'web');
const prefix = isolatedPrefix('register-page');
const env = {
  ...servicesEnv(process.env, { brokers: (process.env.KAFKA_BROKERS ?? '').split(','), prefix, ports: anyPorts }),
  INTAKE_OUTCOME_WAIT: '5s',
  ...oneClientLoadEnv,
};

const bureau = '330106-xfj';
/** The bureau's registrar: registers, and nothing else. */
const registrar = testToken(bureau, { roles: ['registrar'], staffId: 'xfj-registrar-01' });
/** The same bureau's handler: no registrar role. */
const handler = testToken(bureau, { roles: ['handler'], staffId: 'xfj-handler-01' });
/** For the API checks: the bureau with every role (its supervisors read the cases it sent on). */
const bureauAll = { authorization: `Bearer ${testToken(bureau)}` };
const labourBureau = { authorization: `Bearer ${testToken('330106-rsj')}` };

// One person's petitions from the labelled pairs (packages/repeats/data/pairs.jsonl, written by the project),
// as test/repeats.test.ts files them: same-01 earlier and later (reworded), same-21 later (trivial edits).
interface Matter {
  title: string;
  content: string;
}
const pairs = new Map(
  readFileSync(join(import.meta.dirname, '..', 'packages', 'repeats', 'data', 'pairs.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as { id: string; earlier: Matter; later: Matter })
    .map((pair) => [pair.id, pair]),
);
const wageArrears = pairs.get('same-01')?.earlier as Matter;
const reworded = pairs.get('same-01')?.later as Matter;
const trivialEdit = pairs.get('same-21')?.later as Matter;
const person = { name: '王五', idNumber: nextResidentId(), phone: '13800000000', address: '杭州市西湖区文三路' };

let routing: Routing;
let intake: Intake;
let tracking: Tracking;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  routing = await startRouting(loadRoutingConfig(env), logger);
  intake = await startIntake(loadIntakeConfig(env), logger);
  tracking = await startTracking(loadTrackingConfig({ ...env, TRACKING_INTAKE_URL: intake.httpUrl }), logger);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await tracking?.close();
  await intake?.close();
  await routing?.close();
});

/** What the browser refused under the Content-Security-Policy, and uncaught errors, on every page opened. */
const violations: string[] = [];
afterEach(() => {
  expect(violations.splice(0)).toEqual([]);
});

function watch(page: Page) {
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(`${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (err) => violations.push(`${page.url()}: uncaught ${err.message}`));
}

/** Opens a page of tracking's in a context of its own (phone-sized when asked), signed in with `as`. */
async function open(path: string, o: { phone?: boolean; as?: string } = {}): Promise<Page> {
  const context = await browser.newContext({
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    ...(o.phone ? { viewport: phone, isMobile: true, hasTouch: true } : { viewport: desktop }),
  });
  context.on('page', watch);
  const page = await context.newPage();
  const answer = await page.goto(`${tracking.httpUrl}${path}`);
  expect(answer?.headers()['content-security-policy']).toMatch(/^default-src 'self';/);
  if (o.as) await signIn(page, o.as);
  return page;
}

/** axe-core at a phone's width and a desktop's (browser.ts): no serious or critical finding. */
async function accessible(page: Page, name: string) {
  expect(await accessibilityFindings(page, name)).toEqual([]);
}

/** Fills the petitioner's fields. */
async function fillPerson(page: Page, p: typeof person) {
  await page.fill('#name', p.name);
  await page.fill('#idNumber', p.idNumber);
  await page.fill('#phone', p.phone);
  await page.fill('#address', p.address);
}

interface Shown {
  caseId: string;
  caseNumber: string;
  queryCode: string;
}

/** Submits the form and answers what the result section shows once routing has the case. */
async function submitted(page: Page): Promise<Shown> {
  const before = (await page.locator('#result').getAttribute('data-case')) ?? '';
  await page.click('#submit');
  await page.locator(`#result:not([hidden]):not([data-case="${before}"])`).waitFor({ timeout: 20_000 });
  await page.locator('#result-where', { hasText: '去向：' }).waitFor({ timeout: 30_000 });
  const href = (await page.locator('#result-links a').getAttribute('href')) ?? '';
  return {
    caseId: new URL(href, tracking.httpUrl).searchParams.get('id') ?? '',
    caseNumber: (await page.textContent('#result-number')) ?? '',
    queryCode: (await page.textContent('#result-code')) ?? '',
  };
}

async function staffView(caseId: string) {
  const res = await fetch(`${tracking.httpUrl}/v1/cases/${encodeURIComponent(caseId)}`, { headers: bureauAll });
  return res.status === 200 ? ((await res.json()) as { caseNumber: string; category: string; kind: unknown }) : null;
}

/** The labour bureau's inbox total for words of a title. */
async function inboxTotal(words: string): Promise<number> {
  const q = new URLSearchParams({ q: words, limit: '50' });
  const res = await fetch(`${tracking.httpUrl}/v1/units/330106-rsj/inbox?${q}`, { headers: labourBureau });
  expect(res.status).toBe(200);
  return ((await res.json()) as { cases: unknown[] }).cases.length;
}

describe('the registration page in a real browser', () => {
  let page: Page;
  let first: Shown;

  it('takes the registrar from the workbench to the form, suggests the category, and registers the case', async () => {
    const workbench = await open('/workbench', { as: registrar });
    await workbench.locator('#inbox:not([hidden])').waitFor();
    const [opened] = await Promise.all([workbench.context().waitForEvent('page'), workbench.click('#register-link')]);
    page = opened;
    await page.waitForLoadState();
    expect(new URL(page.url()).pathname).toBe('/register');
    // The workbench hands its token over: the form shows without signing in again.
    await page.locator('#register:not([hidden])').waitFor();
    expect(await page.isVisible('#login')).toBe(false);
    expect(await page.inputValue('#regionCode')).toBe('330106');
    expect(await page.textContent('#unit-name')).toContain('信访局');

    // A pick the registrar made stays until 采用建议: the suggestion only shows beside it.
    await page.selectOption('#category', '其他');
    await page.fill('#title', wageArrears.title);
    await page.fill('#content', wageArrears.content);
    await page.click('#suggest');
    await page.locator('#adopt:not([hidden])').waitFor();
    const suggested = (await page.textContent('#suggestion-text')) ?? '';
    expect(suggested).toMatch(/类别 劳动社保（置信度 \d+%）/);
    expect(suggested).toMatch(/性质 (建议意见|检举控告|申诉求决)（置信度 \d+%）/);
    expect(await page.locator('#suggestion-alternatives [data-category]').count()).toBeGreaterThan(0);
    expect(await page.inputValue('#category')).toBe('其他');
    expect(await page.inputValue('#kind')).toBe('');
    await page.click('#adopt');
    expect(await page.inputValue('#category')).toBe('劳动社保');
    expect(suggested).toContain(`性质 ${await page.inputValue('#kind')}（`);
    await page.selectOption('#kind', '申诉求决');

    await page.selectOption('#channel', 'VISIT');
    await fillPerson(page, person);
    first = await submitted(page);
    expect(first.caseNumber).toMatch(/^330106/);
    expect(first.queryCode).toMatch(/^\S{6,}$/);
    expect(await page.isVisible('#query-code-note')).toBe(true);
    expect(await page.textContent('#result-where')).toMatch(/去向：现由 .+ 办理，状态：\S+/);
    expect(await page.isVisible('#repeats')).toBe(false);
    // The matter is cleared for the next one; the petitioner stays.
    expect([await page.inputValue('#title'), await page.inputValue('#name')]).toEqual(['', person.name]);

    let view: Awaited<ReturnType<typeof staffView>> = null;
    await waitFor('the case in tracking', async () => {
      view = await staffView(first.caseId);
      return view !== null;
    });
    expect(view).toMatchObject({ caseNumber: first.caseNumber, category: 'CATEGORY_LABOR_SOCIAL_SECURITY' });
  });

  it('tells the registrar of a repeat: the earlier case as a candidate, then the case a resubmission is linked to', async () => {
    await page.fill('#title', reworded.title);
    await page.fill('#content', reworded.content);
    await page.selectOption('#category', '劳动社保');
    await page.selectOption('#kind', '申诉求决');
    const again = await submitted(page);
    expect(again.caseNumber).not.toBe(first.caseNumber);
    await page.locator('#repeats:not([hidden])').waitFor();
    expect(await page.textContent('#repeats-text')).toContain('疑似重复信访');
    const candidate = page.locator(`#repeat-list li[data-candidate="${first.caseNumber}"]`);
    expect(await candidate.textContent()).toMatch(/相似度 0\.\d\d/);
    expect(await candidate.getAttribute('data-verdict')).toBe('candidate');
    expect(await candidate.locator('a').getAttribute('href')).toBe(`/case?id=${encodeURIComponent(first.caseId)}`);
    await accessible(page, 'register (repeat candidate)');

    await page.fill('#title', trivialEdit.title);
    await page.fill('#content', trivialEdit.content);
    await page.selectOption('#category', '劳动社保');
    await page.selectOption('#kind', '申诉求决');
    await submitted(page);
    expect(await page.textContent('#repeats-text')).toContain(`与同一信访人此前的事项 ${first.caseNumber}`);
    expect(await page.textContent('#repeats-text')).toContain('已自动作为重复信访处理');
    const linked = page.locator(`#repeat-list li[data-candidate="${first.caseNumber}"]`);
    expect(await linked.getAttribute('data-verdict')).toBe('exact');
    expect(await linked.locator('a').getAttribute('href')).toBe(`/case?id=${encodeURIComponent(first.caseId)}`);

    // The README's picture: a suggestion beside the pickers and the answer of a linked resubmission.
    await page.fill('#title', wageArrears.title);
    await page.fill('#content', wageArrears.content);
    await page.click('#suggest');
    await page.locator('#adopt:not([hidden])').waitFor();
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(shots, 'register.png'), fullPage: true });
  });

  it('shows intake’s problem for a bad ID number, registers nothing, and registers once for one submit', async () => {
    const matter = {
      title: '工伤认定申请逾期未作决定',
      content: '我去年在工地受伤，今年一月提出工伤认定申请，至今超过六十日仍未作出决定，请求督促。',
    };
    const someone = { name: '赵六', idNumber: '3301061990010112', phone: '13700000001', address: '杭州市西湖区' };
    await fillPerson(page, someone);
    await page.fill('#title', matter.title);
    await page.fill('#content', matter.content);
    await page.selectOption('#category', '劳动社保');
    await page.selectOption('#kind', '申诉求决');
    const result = await page.locator('#result').getAttribute('data-case');
    await page.click('#submit');
    const message = page.locator('#register-message', { hasText: '未登记' });
    await message.waitFor();
    expect(await message.textContent()).toContain('居民身份证号码（/petitioner/idNumber）');
    expect(await message.textContent()).toContain('GB 11643');
    expect(await page.getAttribute('#idNumber', 'aria-invalid')).toBe('true');
    // Nothing half-done: the result is the earlier one and the form keeps what was typed.
    expect(await page.locator('#result').getAttribute('data-case')).toBe(result);
    expect(await page.inputValue('#title')).toBe(matter.title);

    // Corrected and submitted, held on its way: the button is off, a second submit sends nothing more.
    let sent = 0;
    let release: () => void = () => undefined;
    const held = new Promise<void>((done) => {
      release = done;
    });
    await page.route('**/intake/v1/petitions', async (route: Route) => {
      sent += 1;
      await held;
      await route.continue();
    });
    await page.fill('#idNumber', nextResidentId());
    await page.click('#submit');
    await waitFor('the registration on its way', () => sent === 1);
    expect(await page.isDisabled('#submit')).toBe(true);
    await page.evaluate("document.getElementById('register-form').requestSubmit()");
    release();
    await page.locator('#register-message', { hasText: '已登记' }).waitFor();
    await page.unroute('**/intake/v1/petitions');
    expect(sent).toBe(1);
    expect(await page.isDisabled('#submit')).toBe(false);
    // The labour bureau has the one case of these words: the refused filing never became one.
    await waitFor('the corrected case in the labour bureau’s inbox', async () => (await inboxTotal('工伤认定')) > 0);
    expect(await inboxTotal('工伤认定')).toBe(1);
    expect(await fitsWidth(page)).toBe(true);
  });

  it('refuses a handler without the registrar role, as intake does (403)', async () => {
    const other = await open('/register', { as: handler });
    await other.locator('#register:not([hidden])').waitFor();
    await fillPerson(other, { ...person, idNumber: nextResidentId() });
    await other.fill('#title', '小区夜间施工噪音扰民');
    await other.fill('#content', '楼下工地每天夜里十一点以后还在打桩施工，噪音很大，请求查处。');
    await other.selectOption('#category', '交通能源环保');
    await other.selectOption('#kind', '申诉求决');
    await other.click('#submit');
    const refused = other.locator('#register-message', { hasText: '不能登记' });
    await refused.waitFor();
    expect(await refused.textContent()).toContain('needs the register permission');
    expect(await other.isVisible('#result')).toBe(false);
    // The refusal is intake's own: the same call from the page, by hand, is a 403.
    const answer = await other.evaluate(async (t) => {
      const r = await fetch('/intake/v1/petitions', {
        method: 'POST',
        headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          channel: 'VISIT',
          petitioner: { name: '钱七' },
          regionCode: '330106',
          category: '其他',
          kind: '建议意见',
          title: '建议',
          content: '建议增设公交站。',
        }),
      });
      return { status: r.status, body: await r.json() };
    }, handler);
    expect(answer).toMatchObject({ status: 403, body: { code: 'ROLE_REQUIRED' } });
    await other.context().close();
  });

  it('passes axe-core on a phone and a desktop, signed out and with an answer shown', async () => {
    await accessible(page, 'register (answer shown)');
    await page.setViewportSize(phone);
    expect(await fitsWidth(page)).toBe(true);
    await page.setViewportSize(desktop);
    const signedOut = await open('/register', { phone: true });
    await accessible(signedOut, 'register (signed out)');
    expect(await fitsWidth(signedOut)).toBe(true);
    await signedOut.context().close();
    // The workbench the registrar came from, in the register page's context.
    const workbench = page
      .context()
      .pages()
      .find((p) => new URL(p.url()).pathname === '/workbench');
    await workbench?.locator('#register-link').waitFor();
    if (workbench) await accessible(workbench, 'workbench with the register link');
    await page.context().close();
  });
});
