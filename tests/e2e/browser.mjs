// Debian's Chromium for the browser tests and benchmarks: the flags, the launch, a watcher that
// records console errors, page errors and dialogs, and the app's sign-in.
import { chromium } from 'playwright-core';

/** The flags every run passes (see the developers' brief). */
export const CHROMIUM_ARGS = ['--no-sandbox', '--headless=new', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic'];

/** Launches /usr/bin/chromium headless with `CHROMIUM_ARGS` plus `extra`. */
export function launchChromium(extra = []) {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: [...CHROMIUM_ARGS, ...extra] });
}

/**
 * Records every console error (except lines matching one of `allowed`), page error and dialog
 * (none may open) of `page` into `problems`.
 */
export function watch(page, problems, allowed = []) {
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    if (allowed.some((re) => re.test(text))) return;
    problems.push(`console: ${text}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
}

/** Opens the app at `base` and signs in with `token` (a no-op when already signed in). */
export async function signIn(page, base, token) {
  await page.goto(`${base}/?device=cpu`);
  await page.waitForSelector('#signin:not([hidden]), #projects:not([hidden])');
  if (await page.locator('#signin').isVisible()) {
    await page.fill('#token', token);
    await page.click('#signin-form button[type=submit]');
    await page.waitForSelector('#projects:not([hidden])');
  }
}

/** Closes `browser`, then destroys `server` even when closing the browser fails: no process outlives the tests. */
export async function closeAll(browser, server) {
  try {
    await browser?.close();
  } finally {
    await server?.destroy();
  }
}
