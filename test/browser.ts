import AxeBuilder from '@axe-core/playwright';
import { type Browser, chromium, type Page } from 'playwright-core';

// The browser the page tests drive: Debian's Chromium (CHROMIUM_PATH to use another), headless, as root in
// a sandbox on a closed network — no sandbox, no GPU, nothing that calls home.
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The two sizes every page is tried at: a phone's and a desktop's. */
export const phone = { width: 390, height: 844 };
export const desktop = { width: 1366, height: 900 };

/** Signs a staff page in with a token through its form, and waits for the form to go. */
export async function signIn(page: Page, staffToken: string): Promise<void> {
  await page.fill('#token', staffToken);
  await page.click('#login-form button');
  await page.waitForSelector('#login', { state: 'hidden' });
}

/**
 * axe-core on the page as it stands, at a phone's width and at a desktop's: its serious and critical
 * findings, each named by `name`, the width, the rule and where. The page is left at the size it had.
 */
export async function accessibilityFindings(page: Page, name: string): Promise<string[]> {
  const size = page.viewportSize() ?? desktop;
  const found: string[] = [];
  for (const viewport of [phone, desktop]) {
    await page.setViewportSize(viewport);
    const { violations } = await new AxeBuilder({ page }).analyze();
    for (const v of violations)
      if (v.impact === 'serious' || v.impact === 'critical')
        found.push(
          `${name} @${viewport.width}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
        );
  }
  await page.setViewportSize(size);
  return found;
}

/** Nothing wider than the screen (no sideways scrolling on a phone). */
export const fitsWidth = (page: Page) => page.evaluate('document.documentElement.scrollWidth <= window.innerWidth');
