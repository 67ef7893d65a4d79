// End-to-end tests of the labeling app in Debian's Chromium (playwright-core) against a real
// `kindling serve` on SQLite: keyboard labeling, offline labeling across a reload, two tabs on
// one item, a server killed mid-push, and text that must never become HTML. Every test fails
// on a console error or a page error. Screenshots go to artifacts/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import * as helpers from './app-helpers.mjs';
import { labelOne, pending, readyOffline, waitSuggestion } from './app-helpers.mjs';
import { closeAll, launchChromium, watch } from './browser.mjs';
import { distWasm } from './dist-wasm.mjs';
import { FaultProxy } from './fault-proxy.mjs';
import { KindlingServer } from './kindling-server.mjs';

const ARTIFACTS = path.resolve('artifacts/screenshots');
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const MODEL = path.resolve('artifacts/models/mnist');
const XSS = '<img src=x onerror=alert(1)>';
/** Chromium's own log line for a request cut by `context.setOffline(true)`. */
const CUT = /^Failed to load resource: net::ERR_INTERNET_DISCONNECTED$/;

let server;
let browser;
let token;
const latencies = [];

before(async () => {
  assert.ok(fs.existsSync(path.resolve('www/dist/index.html')), 'www/dist is built (scripts/build-www.sh)');
  assert.ok(fs.existsSync(path.join(MODEL, 'manifest.json')), 'the MNIST model is trained (scripts/models.sh)');
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  server = await KindlingServer.create();
  token = server.user('alice');
  server.cli('admin', 'project-create', '--id', 'digits', '--name', 'Digits <b>bold?</b>', '--labels', '0,1,2,3,4,5,6,7,8,9', '--owner', 'alice');
  server.cli('admin', 'import', '--project', 'digits', '--data', 'mnist', '--limit', '1000');
  server.cli('admin', 'publish', '--project', 'digits', '--bundle', MODEL, '--current');
  server.cli('admin', 'project-create', '--id', 'notes', '--name', 'Notes', '--task', 'text', '--labels', 'spam,ham', '--owner', 'alice');
  await server.start();
  for (const [id, text] of [['n1-xss', XSS], ['n2', 'Plain words & <b>not bold</b>'], ['n3', 'third note']]) {
    await server.api(token, 'PUT', `/projects/notes/items/${id}`, text, 'text/plain');
  }
  browser = await launchChromium();
});

after(async () => {
  await closeAll(browser, server);
  if (latencies.length) {
    const sorted = [...latencies].sort((a, b) => a - b);
    const q = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))].toFixed(1);
    console.log(`key press → next item on screen: p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${sorted.at(-1).toFixed(1)} ms (${sorted.length} labels)`);
  }
});

/** A fresh browser profile, signed in, on the labeling view of `project`. */
function openApp(problems, project = 'digits', options = {}) {
  return helpers.openApp(browser, server.base, token, problems, project, options);
}

/** Each labeled item is on the server once, as labeled (see app-helpers.mjs). */
function assertOnServer(done, since, project = 'digits') {
  return helpers.assertOnServer(server, token, done, since, project);
}

async function collectLatencies(page) {
  latencies.push(...await page.evaluate(() => window.kindlingApp.latencies));
}

test('label 20 items by keyboard: each on the server once, with suggestion, accepted flag and model version', async () => {
  const problems = [];
  const since = Date.now();
  const { context, page } = await openApp(problems);
  const done = [];
  for (let i = 0; i < 20; i++) done.push(await labelOne(page, i));
  await page.waitForSelector('#pending[data-count="0"]', { timeout: 20_000 });
  await page.screenshot({ path: path.join(ARTIFACTS, 'app-labeling.png') });
  await collectLatencies(page);
  // The help dialog opens with ? and closes with Escape.
  await page.keyboard.press('?');
  assert.ok(await page.locator('#help').isVisible());
  await page.keyboard.press('Escape');
  await assertOnServer(done, since);
  // Undo removes the last label (a tombstone on the server) and shows the item again.
  await page.keyboard.press('Backspace');
  await page.waitForFunction((id) => window.kindlingApp.current() === id, done.at(-1).item);
  await page.waitForSelector('#pending[data-count="0"]', { timeout: 20_000 });
  const after = await server.labels(token, 'digits');
  assert.ok(!after.some((r) => r.item_id === done.at(-1).item), 'the undone label left the server');
  assert.deepEqual(problems, []);
  await context.close();
});

/** The www/dist path of each CPU build (`{ simd128, relaxed }`). */
function cpuBuildFiles() {
  const [simd128, relaxed] = distWasm('kindling_bg.wasm', 'kindling_relaxed_bg.wasm');
  return { simd128: `/${simd128}`, relaxed: `/${relaxed}` };
}

/**
 * Opens the labeling view in a fresh context and returns the `.wasm` paths the page and its
 * dedicated workers requested (the service worker's precache aside) by its first suggestion.
 */
async function wasmRequestsUntilSuggestion(problems, initScript) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  if (initScript) await context.addInitScript(initScript);
  const wasm = [];
  context.on('request', (r) => {
    if (r.url().endsWith('.wasm') && !r.serviceWorker()) wasm.push(new URL(r.url()).pathname);
  });
  const { page } = await openApp(problems, 'digits', { context });
  await page.waitForFunction(() => window.kindlingApp?.modelVersion(), null, { timeout: 60_000 });
  await waitSuggestion(page);
  await context.close();
  return wasm;
}

test('the page and the package\'s worker share one compiled CPU module: its relaxed-SIMD build, downloaded once', async () => {
  const problems = [];
  const cpu = cpuBuildFiles();
  assert.ok(cpu.simd128 && cpu.relaxed && cpu.simd128 !== cpu.relaxed, `both CPU builds ship: ${JSON.stringify(cpu)}`);
  const wasm = await wasmRequestsUntilSuggestion(problems);
  console.log(`wasm requests: ${JSON.stringify(wasm)} (CPU builds ${JSON.stringify(cpu)})`);
  assert.deepEqual(wasm.filter((p) => p === cpu.relaxed), [cpu.relaxed], 'the relaxed-SIMD module once: the worker instantiates the page\'s compiled module');
  assert.deepEqual(wasm.filter((p) => p === cpu.simd128), [], 'Chromium validates relaxed SIMD: the SIMD128 build is not fetched');
  assert.deepEqual(problems, []);
});

test('a browser without relaxed SIMD gets the SIMD128 build of the CPU module, and suggestions', async () => {
  const problems = [];
  const cpu = cpuBuildFiles();
  // What an engine without relaxed SIMD answers: a module with a relaxed-SIMD opcode (0xfd
  // prefix, 0x100–0x113) does not validate. Chromium has no switch to turn relaxed SIMD off.
  const withoutRelaxedSimd = () => {
    const validate = WebAssembly.validate;
    WebAssembly.validate = (bytes) => {
      const b = new Uint8Array(bytes.buffer ?? bytes, bytes.byteOffset ?? 0, bytes.byteLength);
      for (let i = 0; i + 2 < b.length; i++) if (b[i] === 0xfd && (b[i + 1] & 0x80) && b[i + 2] === 0x02) return false;
      return validate(bytes);
    };
  };
  const wasm = await wasmRequestsUntilSuggestion(problems, withoutRelaxedSimd);
  console.log(`wasm requests: ${JSON.stringify(wasm)}`);
  assert.deepEqual(wasm.filter((p) => p === cpu.simd128), [cpu.simd128], 'the SIMD128 module, once');
  assert.deepEqual(wasm.filter((p) => p === cpu.relaxed), [], 'the relaxed-SIMD module is never fetched');
  assert.deepEqual(problems, []);
});

test('offline: label 30, reload offline, label 10 more, back online: all 40 on the server once', async () => {
  const problems = [];
  const since = Date.now();
  // A request in flight when the network is cut is logged by Chromium itself; nothing else may.
  const { context, page } = await openApp(problems, 'digits', { allowed: [CUT] });
  // The offline reserve: at least 500 items (images included) held before the network goes.
  await readyOffline(page, 500);
  await context.setOffline(true);
  await page.waitForSelector('#net[data-state="offline"]');
  const done = [];
  for (let i = 0; i < 30; i++) done.push(await labelOne(page, i));
  assert.equal(await pending(page), 30);
  await collectLatencies(page);
  // Reload with no network: the service worker serves the app, IndexedDB still has the 30.
  await page.reload();
  await page.waitForSelector('#label:not([hidden])', { timeout: 30_000 });
  await page.waitForFunction(() => Number(document.querySelector('#pending')?.dataset.count) === 30, null, { timeout: 30_000 });
  await page.waitForFunction(() => window.kindlingApp?.queued() >= 500, null, { timeout: 30_000 });
  for (let i = 0; i < 10; i++) done.push(await labelOne(page, i));
  assert.equal(await pending(page), 40);
  await page.screenshot({ path: path.join(ARTIFACTS, 'app-offline.png') });
  await collectLatencies(page);
  assert.equal(new Set(done.map((d) => d.item)).size, 40, 'forty different items');
  const online = Date.now();
  await context.setOffline(false);
  await page.waitForSelector('#pending[data-count="0"]', { timeout: 10_000 });
  console.log(`offline labels synced ${Date.now() - online} ms after going online`);
  await assertOnServer(done, since);
  assert.deepEqual(problems, []);
  await context.close();
});

test('two tabs label one item: the later write wins on the server and in both tabs, the other is in the history', async () => {
  const problems = [];
  const { context, page: tab1 } = await openApp(problems, 'digits', { allowed: [CUT] });
  await readyOffline(tab1, 50);
  await waitSuggestion(tab1);
  const item = await tab1.evaluate(() => window.kindlingApp.current());
  const tab2 = await context.newPage();
  watch(tab2, problems, [CUT]);
  await tab2.goto(`${server.base}/?device=cpu#/p/digits/label/${item}`);
  await tab2.waitForFunction((id) => window.kindlingApp?.current() === id, item, { timeout: 60_000 });
  // Both tabs label it with no network, tab 1 first: tab 2's clock is later.
  await context.setOffline(true);
  await tab1.waitForSelector('#net[data-state="offline"]');
  await tab1.keyboard.press('4'); // class "3"
  await tab1.waitForFunction((id) => window.kindlingApp.visible(id)?.class === '3', item);
  await tab2.waitForTimeout(5);
  await tab2.keyboard.press('6'); // class "5"
  await tab2.waitForFunction((id) => window.kindlingApp.visible(id)?.class === '5', item);
  await context.setOffline(false);
  for (const tab of [tab1, tab2]) {
    await tab.waitForFunction((id) => window.kindlingApp.visible(id)?.class === '5'
      && Number(document.querySelector('#pending')?.dataset.count) === 0, item, { timeout: 20_000 });
  }
  const row = (await server.labels(token, 'digits')).find((r) => r.item_id === item);
  assert.equal(row?.label, '5', 'the later write is on the server');
  const events = await server.history(token, 'digits', item);
  const loser = events.find((e) => e.value?.class === '3');
  assert.ok(loser, `the earlier write is in the history: ${JSON.stringify(events)}`);
  assert.ok(['applied', 'superseded'].includes(loser.outcome));
  assert.notEqual(loser.client_id, events.find((e) => e.value?.class === '5').client_id, 'two clients (tabs)');
  assert.deepEqual(problems, []);
  await context.close();
});

test('the server is killed while a push is in flight and restarted: nothing lost, nothing duplicated', async () => {
  const problems = [];
  const since = Date.now();
  // Chromium itself logs each request the kill cut or that found no server, with a network
  // error code (seen here: CONNECTION_REFUSED, CONNECTION_RESET, EMPTY_RESPONSE,
  // SOCKET_NOT_CONNECTED). Network-level lines only: an HTTP error status or anything the app
  // logs still fails the test.
  const allowed = [/^Failed to load resource: net::ERR_[A-Z_]+$/];
  // The app talks to the server through a loopback proxy that holds pushes for a while, so a
  // push is provably in flight (sent by the app, not answered) when the server dies.
  const proxy = await FaultProxy.start(server.base);
  try {
    const { context, page } = await helpers.openApp(browser, proxy.base, token, problems, 'digits', { allowed });
    await readyOffline(page, 100);
    proxy.hold = { re: /\/sync\/push$/, ms: 1500 };
    const done = [];
    for (let i = 0; i < 8; i++) done.push(await labelOne(page, i));
    const deadline = Date.now() + 10_000;
    while (proxy.holding === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const inFlight = proxy.holding;
    await server.kill();
    assert.ok(inFlight > 0, 'a push was in flight when the server was killed');
    for (let i = 8; i < 12; i++) done.push(await labelOne(page, i));
    await page.waitForFunction(() => Number(document.querySelector('#pending')?.dataset.count) > 0);
    await server.start();
    proxy.hold = null;
    await page.waitForSelector('#pending[data-count="0"]', { timeout: 40_000 });
    await assertOnServer(done, since);
    assert.deepEqual(problems, []);
    await context.close();
  } finally {
    await proxy.close();
  }
});

test('text items are shown as text, never as HTML', async () => {
  const problems = [];
  const { context, page } = await openApp(problems, 'notes');
  await page.waitForFunction(() => window.kindlingApp?.current() === 'n1-xss', null, { timeout: 30_000 });
  assert.equal(await page.textContent('#item-text'), XSS);
  assert.equal(await page.locator('#item img').count(), 0, 'no <img> element was created');
  assert.equal(await page.textContent('#label-project'), 'Notes');
  await page.keyboard.press('1');
  await page.waitForFunction(() => window.kindlingApp.current() === 'n2');
  assert.equal(await page.textContent('#item-text'), 'Plain words & <b>not bold</b>');
  await page.waitForSelector('#pending[data-count="0"]', { timeout: 20_000 });
  const rows = await server.labels(token, 'notes');
  assert.deepEqual(rows.map((r) => [r.item_id, r.label]), [['n1-xss', 'spam']]);
  // The project page renders names as text too.
  await page.goto(`${server.base}/#/p/digits`);
  await page.waitForSelector('#project:not([hidden])');
  await page.waitForFunction(() => document.querySelector('#project-name')?.textContent !== 'Project');
  assert.equal(await page.textContent('#project-name'), 'Digits <b>bold?</b>');
  assert.equal(await page.locator('#project-name b').count(), 0);
  await page.waitForTimeout(300);
  assert.deepEqual(problems, []);
  await context.close();
});

/**
 * axe-core's WCAG 2 A/AA violations on the page as it is now. axe is evaluated through the
 * DevTools protocol: the app's CSP (rightly) refuses an injected inline script tag.
 */
async function axeViolations(page) {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(fs.readFileSync(AXE, 'utf8'));
  const result = await page.evaluate(() => window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa'] }));
  return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

test('tablet: 768 px wide with touch, tapping labels works, nothing overflows, axe finds no WCAG A/AA violations', async () => {
  const problems = [];
  const context = await browser.newContext({ viewport: { width: 768, height: 1024 }, hasTouch: true });
  const { page } = await openApp(problems, 'digits', { context });
  await waitSuggestion(page);
  const first = await page.evaluate(() => window.kindlingApp.current());
  await page.tap('.class-button[data-index="2"]');
  await page.waitForFunction((id) => window.kindlingApp.current() !== id, first);
  assert.equal(await page.evaluate((id) => window.kindlingApp.visible(id)?.class, first), '2');
  await waitSuggestion(page);
  const second = await page.evaluate(() => window.kindlingApp.current());
  const suggested = (await page.textContent('#suggestion')).split(' · ')[0];
  await page.tap('#accept');
  await page.waitForFunction((id) => window.kindlingApp.current() !== id, second);
  assert.equal(await page.evaluate((id) => window.kindlingApp.visible(id)?.class, second), suggested);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scrolling at 768 px');
  const buttons = await page.locator('#classes button').evaluateAll((bs) => bs.map((b) => b.getBoundingClientRect().height));
  assert.ok(buttons.every((h) => h >= 44), `touch targets are at least 44 px tall: ${buttons}`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'app-tablet.png') });
  assert.deepEqual(await axeViolations(page), [], 'labeling view');
  await page.keyboard.press('?');
  assert.deepEqual(await axeViolations(page), [], 'keys dialog');
  await page.keyboard.press('Escape');
  await page.goto(`${server.base}/#/p/digits`);
  await page.waitForSelector('#project:not([hidden])');
  assert.deepEqual(await axeViolations(page), [], 'project page');
  await page.goto(`${server.base}/#/signin`);
  await page.waitForSelector('#signin:not([hidden])');
  assert.deepEqual(await axeViolations(page), [], 'sign-in page');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a new current model version reaches the open page: downloaded, swapped in, queue re-ranked, no reload', async () => {
  const problems = [];
  const { context, page } = await openApp(problems);
  await page.waitForFunction(() => window.kindlingApp?.modelVersion() === '1', null, { timeout: 60_000 });
  await page.evaluate(() => { window.kindlingLoaded = true; });
  // Version 2: the same weights under a new version, published as current by the CLI.
  const dir = fs.mkdtempSync(path.join(server.dir, 'v2-'));
  for (const f of fs.readdirSync(MODEL)) fs.copyFileSync(path.join(MODEL, f), path.join(dir, f));
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  manifest.version = '2';
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  server.cli('admin', 'publish', '--project', 'digits', '--bundle', dir, '--current');
  const published = Date.now();
  await page.waitForFunction(() => window.kindlingApp.modelVersion() === '2', null, { timeout: 40_000 });
  console.log(`new model version in use ${Date.now() - published} ms after it was published`);
  assert.ok(await page.evaluate(() => window.kindlingLoaded), 'the page was not reloaded');
  assert.match(await page.textContent('#model-info'), /Model 2 on cpu/);
  await page.waitForFunction(() => window.kindlingApp.predicted() > 0, null, { timeout: 30_000 });
  // Labels now carry the new version.
  await waitSuggestion(page);
  const done = await labelOne(page, 0);
  await page.waitForSelector('#pending[data-count="0"]', { timeout: 20_000 });
  const row = (await server.labels(token, 'digits')).find((r) => r.item_id === done.item);
  assert.equal(row.model_version, '2');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a revoked token: the outbox is kept, the app asks to sign in again, then sends it', async () => {
  const problems = [];
  const since = Date.now();
  // Chromium logs the refused requests (401) and any cut by going offline; nothing else may.
  const refused = /^Failed to load resource: the server responded with a status of 401 \(Unauthorized\)$/;
  const { context, page } = await openApp(problems, 'digits', { allowed: [CUT, refused] });
  await readyOffline(page, 50);
  await context.setOffline(true);
  await page.waitForSelector('#net[data-state="offline"]');
  const done = [];
  for (let i = 0; i < 5; i++) done.push(await labelOne(page, i));
  server.cli('admin', 'token-revoke', 'alice');
  await context.setOffline(false);
  await page.waitForSelector('#signin:not([hidden])', { timeout: 20_000 });
  assert.match(await page.textContent('#signin-reason'), /kept on this device/);
  assert.equal(await pending(page), 5, 'the labels wait, none dropped');
  token = server.cli('admin', 'token-create', 'alice');
  await page.fill('#token', token);
  await page.click('#signin-form button[type=submit]');
  await page.waitForSelector('#label:not([hidden])', { timeout: 20_000 });
  await page.waitForSelector('#pending[data-count="0"]', { timeout: 20_000 });
  await assertOnServer(done, since);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a tab closed with labels pending: another open tab sends them', async () => {
  const problems = [];
  const since = Date.now();
  const { context, page: closing } = await openApp(problems, 'digits', { allowed: [CUT] });
  await readyOffline(closing, 50);
  const staying = await context.newPage();
  watch(staying, problems, [CUT]);
  await staying.goto(`${server.base}/?device=cpu#/p/digits/label`);
  await staying.waitForFunction(() => window.kindlingApp?.current() != null, null, { timeout: 60_000 });
  await context.setOffline(true);
  await closing.waitForSelector('#net[data-state="offline"]');
  const done = [];
  for (let i = 0; i < 3; i++) done.push(await labelOne(closing, i));
  assert.equal(await pending(closing), 3);
  await closing.close();
  await context.setOffline(false);
  // The staying tab owns another client; it adopts the closed tab's outbox and pushes it.
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const rows = await server.labels(token, 'digits');
    if (done.every((d) => rows.some((r) => r.item_id === d.item && r.label === d.cls))) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  await assertOnServer(done, since);
  await staying.waitForSelector('#pending[data-count="0"]', { timeout: 20_000 });
  assert.deepEqual(problems, []);
  await context.close();
});

test('sign-out refuses while labels are unsent, then removes leased items, labels and the token from the device', async () => {
  const problems = [];
  const since = Date.now();
  const { context, page } = await openApp(problems, 'digits', { allowed: [CUT] });
  await readyOffline(page, 50);
  await context.setOffline(true);
  await page.waitForSelector('#net[data-state="offline"]');
  const done = [await labelOne(page, 0), await labelOne(page, 1)];
  await page.click('#sign-out');
  await page.waitForFunction(() => /not on the server yet/.test(document.querySelector('#page-error')?.textContent ?? ''));
  assert.match(await page.textContent('#page-error'), /^2 labels are not on the server yet/);
  assert.equal(await pending(page), 2, 'nothing was deleted');
  assert.ok(await page.evaluate(() => localStorage.getItem('kindling.token')), 'still signed in');
  await context.setOffline(false);
  await page.waitForSelector('#pending[data-count="0"]', { timeout: 20_000 });
  await assertOnServer(done, since);
  const held = () => page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open('kindling');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const tx = open.result.transaction(['items', 'copies', 'outbox'], 'readonly');
      const counts = {};
      for (const name of ['items', 'copies', 'outbox']) {
        const r = tx.objectStore(name).count();
        r.onsuccess = () => { counts[name] = r.result; };
      }
      tx.oncomplete = () => { open.result.close(); resolve(counts); };
    };
  }));
  const before = await held();
  assert.ok(before.items >= 50 && before.copies >= 2, `the device held items and labels: ${JSON.stringify(before)}`);
  await page.click('#sign-out');
  await page.waitForSelector('#signin:not([hidden])', { timeout: 20_000 });
  assert.deepEqual(await held(), { items: 0, copies: 0, outbox: 0 });
  assert.equal(await page.evaluate(() => localStorage.getItem('kindling.token')), null);
  assert.deepEqual(await page.evaluate(async () => (await caches.keys()).filter((k) => k.startsWith('kindling-models'))), []);
  assert.deepEqual(problems, []);
  await context.close();
});
