// The loop end to end: label in the browser → "Train" on the dashboard → the server trains and
// publishes → the open labeling page gets the new version without a reload and uses it.
// Against a real `kindling serve` on SQLite in Debian's Chromium; fails on console errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { closeAll, launchChromium, signIn, watch } from './browser.mjs';
import { KindlingServer } from './kindling-server.mjs';

const ARTIFACTS = path.resolve('artifacts/screenshots');

let server;
let browser;
let token;

before(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  server = await KindlingServer.create();
  token = server.user('olga');
  server.cli('admin', 'project-create', '--id', 'loop', '--name', 'Loop', '--labels', '0,1,2,3,4,5,6,7,8,9', '--owner', 'olga');
  server.cli('admin', 'import', '--project', 'loop', '--data', 'mnist', '--limit', '400');
  await server.start();
  browser = await launchChromium();
});

after(() => closeAll(browser, server));

test('label, train from the dashboard, and the new version arrives in the open page', async () => {
  const problems = [];
  const context = await browser.newContext({ viewport: { width: 1100, height: 1000 } });
  const labeler = await context.newPage();
  watch(labeler, problems);
  await signIn(labeler, server.base, token);
  await labeler.goto(`${server.base}/?device=cpu#/p/loop/label`);
  await labeler.waitForFunction(() => /No model published/.test(document.querySelector('#model-info')?.textContent ?? ''));
  await labeler.evaluate(() => { window.notReloaded = true; });
  // No model yet: label 40 items with the keys (classes 1, 2 and 3 in turn).
  for (let i = 0; i < 40; i++) {
    await labeler.waitForFunction(() => window.kindlingApp.current() !== null);
    const before = await labeler.evaluate(() => window.kindlingApp.current());
    await labeler.keyboard.press(String(2 + (i % 3)));
    await labeler.waitForFunction((id) => window.kindlingApp.current() !== id, before);
  }
  await labeler.waitForSelector('#pending[data-count="0"]', { timeout: 20_000 });
  assert.equal((await server.labels(token, 'loop')).length, 40, 'each key press labeled one item');

  const dashboard = await context.newPage();
  watch(dashboard, problems);
  await dashboard.goto(`${server.base}/#/p/loop`);
  await dashboard.waitForSelector('#train-now:not([disabled])');
  const triggered = Date.now();
  await dashboard.click('#train-now');
  await dashboard.waitForFunction(() => /succeeded/.test(document.querySelector('#jobs')?.textContent ?? ''), null, { timeout: 120_000 });
  const trained = Date.now();
  await labeler.waitForFunction(() => window.kindlingApp.modelVersion() === '1', null, { timeout: 30_000 });
  await labeler.waitForFunction(() => /%/.test(document.querySelector('#suggestion')?.textContent ?? ''), null, { timeout: 30_000 });
  const used = Date.now();
  console.log(`loop latency: train clicked → job done ${trained - triggered} ms → new version suggesting in the open page ${used - trained} ms (total ${used - triggered} ms)`);
  assert.ok(await labeler.evaluate(() => window.notReloaded), 'the labeling page was not reloaded');
  assert.match(await labeler.textContent('#model-info'), /Model 1 on cpu/);
  // The dashboard shows the version in its chart and table.
  await dashboard.waitForFunction(() => document.querySelectorAll('#chart svg circle').length === 1);
  assert.match(await dashboard.textContent('#versions'), /current/);
  assert.match(await dashboard.textContent('#overrides'), /olga/);
  await dashboard.screenshot({ path: path.join(ARTIFACTS, 'app-dashboard.png'), fullPage: true });
  // A second click while nothing runs queues another job; the button is disabled while it runs.
  assert.deepEqual(problems, []);
  await context.close();
});
