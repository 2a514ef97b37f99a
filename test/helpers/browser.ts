/**
 * The real browser of the UI tests: Debian's chromium through playwright-core, kept off the
 * network it would otherwise call home to, a page that collects its errors, and where
 * screenshots are written.
 *
 * Each run's screenshots go to test/screenshots/latest/ (ignored by git), so a test run never
 * rewrites tracked files. The committed set in test/screenshots/ is what a reviewer looks at; it
 * changes only on purpose: `npm run screenshots` (GLUST_UPDATE_SCREENSHOTS=1) writes there.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { ROOT } from './server.js';

const SHOTS = path.join(ROOT, 'test', 'screenshots', process.env.GLUST_UPDATE_SCREENSHOTS === '1' ? '' : 'latest');

/** Every screenshot goes through here, so where they are written is decided in one place. */
export async function screenshot(p: Page, name: string, fullPage = false): Promise<void> {
  fs.mkdirSync(SHOTS, { recursive: true });
  await p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage });
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.GLUST_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu', '--disable-quic'],
  });
}

/** A page whose script errors and console errors are pushed to `errors`. */
export async function pageWithErrors(browser: Browser, opts: Parameters<Browser['newPage']>[0], errors: string[]): Promise<Page> {
  const page = await browser.newPage(opts);
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  return page;
}
