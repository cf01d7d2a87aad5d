import { type Browser, chromium } from 'playwright-core';

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
