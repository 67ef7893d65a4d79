// Real photos through the whole loop, in Debian's Chromium against a real `kindling serve` on
// SQLite: a folder of photos (crops of the scikit-image sample photos, in JPEG, PNG and WebP,
// plus a corrupt, an empty and an absurdly large file) is imported — the bad files are skipped
// with their reasons —, the project gets the pretrained EfficientNet-Lite0 backbone, photos are
// labeled with the keyboard, the server trains a head on the backbone's embeddings and publishes
// it, and the open page switches to the new version downloading only its head: the backbone is
// fetched once (asserted on the network log). Fails on console errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { closeAll, launchChromium, signIn, watch } from './browser.mjs';
import { labelTruly as labelTrulyAs, truth as truthOf } from './truth.mjs';
import { KindlingServer, KINDLING_BIN } from './kindling-server.mjs';

const ARTIFACTS = path.resolve('artifacts/screenshots');
const BACKBONE = path.resolve('artifacts/models/efficientnet_lite0-imagenet');
const SAMPLES = process.env.KINDLING_SAMPLE_PHOTOS;
const CLASSES = ['cat', 'coffee', 'rocket'];
/** Chromium's own log line for a request cut by `context.setOffline(true)`. */
const CUT = /^Failed to load resource: net::ERR_INTERNET_DISCONNECTED$/;

let server;
let browser;
let token;
let photos;

before(async () => {
  assert.ok(fs.existsSync(path.join(BACKBONE, 'manifest.json')), 'the backbone is imported (scripts/test.sh does it)');
  assert.ok(SAMPLES && fs.existsSync(SAMPLES), 'KINDLING_SAMPLE_PHOTOS is set (scripts/weights.sh)');
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  photos = fs.mkdtempSync(path.join(os.tmpdir(), 'kindling-photos-'));
  const made = spawnSync(KINDLING_BIN, ['fixture-photos', '--from', SAMPLES, '--out', photos, '--per-class', '16'], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  server = await KindlingServer.create();
  token = server.user('olga');
  server.cli('admin', 'project-create', '--id', 'photos', '--name', 'Photos', '--labels', CLASSES.join(','), '--owner', 'olga');
  server.cli('admin', 'set-backbone', '--project', 'photos', '--bundle', BACKBONE);
  // A second project of the same photos that keeps its untrained head: only the browser learns.
  server.cli('admin', 'project-create', '--id', 'offline', '--name', 'Offline photos', '--labels', CLASSES.join(','), '--owner', 'olga');
  server.cli('admin', 'set-backbone', '--project', 'offline', '--bundle', BACKBONE);
  server.cli('admin', 'import', '--project', 'offline', '--data', photos);
  await server.start();
  browser = await launchChromium();
});

after(async () => {
  try {
    await closeAll(browser, server);
  } finally {
    if (photos) fs.rmSync(photos, { recursive: true, force: true });
  }
});

test('a photo folder imports, skipping the bad files with their reasons', () => {
  const run = spawnSync(KINDLING_BIN, ['admin', 'import', '--project', 'photos', '--data', photos, '--db', server.db], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /imported 48 items/);
  assert.match(run.stderr, /zz-corrupt\.jpg: PHOTO_CORRUPT/);
  assert.match(run.stderr, /zz-empty\.png: PHOTO_EMPTY/);
  assert.match(run.stderr, /zz-huge\.png: PHOTO_TOO_LARGE/);
});

test('label photos, the server trains a head, the open page gets it without the backbone again', async () => {
  const problems = [];
  const context = await browser.newContext({ viewport: { width: 1100, height: 1000 } });
  const backboneRequests = [];
  const headRequests = [];
  context.on('request', (r) => {
    if (/\/models\/[^/]+\/backbone-[0-9a-f]{64}\.bpk$/.test(r.url())) backboneRequests.push(r.url());
    if (/\/models\/[^/]+\/weights\.bpk$/.test(r.url())) headRequests.push(r.url());
  });
  const page = await context.newPage();
  watch(page, problems);
  await signIn(page, server.base, token);
  await page.goto(`${server.base}/?device=cpu#/p/photos/label`);
  await page.waitForFunction(() => window.kindlingApp?.modelVersion() === '0', null, { timeout: 60_000 });
  assert.equal(backboneRequests.length, 1, `the backbone is downloaded once: ${backboneRequests}`);
  assert.match(backboneRequests[0], /\/models\/0\//);
  // kindling serve sends COOP/COEP: the worker runs the backbone on a pool of wasm threads.
  const { isolated, cores } = await page.evaluate(() => ({ isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency }));
  assert.equal(isolated, true);
  assert.ok((await page.textContent('#model-info')).includes(`on cpu-simd${cores > 1 ? ` × ${cores} threads` : ''}`),
    await page.textContent('#model-info'));
  // Photos are shown smoothly at their aspect ratio, not as pixel art.
  await page.waitForSelector('#item img.item-image.photo');

  // Label 24 photos with the keys of their true classes (item ids start with the class).
  for (let i = 0; i < 24; i++) {
    await page.waitForFunction(() => window.kindlingApp.current() !== null);
    const id = await page.evaluate(() => window.kindlingApp.current());
    const cls = CLASSES.findIndex((c) => id.startsWith(`${c}-`));
    assert.ok(cls >= 0, `item ${id} names its class`);
    await page.keyboard.press(String(cls + 1));
    await page.waitForFunction((prev) => window.kindlingApp.current() !== prev, id);
  }
  await page.waitForSelector('#pending[data-count="0"]', { timeout: 20_000 });

  const job = await server.api(token, 'POST', '/projects/photos/jobs', {});
  let status;
  for (let t = 0; t < 240; t++) {
    status = await server.api(token, 'GET', `/projects/photos/jobs/${job.id}`);
    if (['succeeded', 'failed', 'cancelled'].includes(status.status)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.equal(status.status, 'succeeded', JSON.stringify(status));
  assert.equal(status.result.published, true, status.result.reason);
  assert.equal(status.result.version, '1');
  const { versions } = await server.api(token, 'GET', '/projects/photos/models');
  assert.ok(versions.some((v) => v.version === '1' && v.current), JSON.stringify(versions));

  await page.waitForFunction(() => window.kindlingApp.modelVersion() === '1', null, { timeout: 60_000 });
  await page.waitForFunction(() => /%/.test(document.querySelector('#suggestion')?.textContent ?? ''), null, { timeout: 60_000 });
  assert.equal(backboneRequests.length, 1, `version 1 reused the cached backbone: ${backboneRequests}`);
  assert.ok(headRequests.some((u) => /\/models\/1\/weights\.bpk$/.test(u)), 'the new head was downloaded');
  // The new head knows the classes: the shown suggestion names the photo's true class.
  const id = await page.evaluate(() => window.kindlingApp.current());
  const suggestion = await page.textContent('#suggestion');
  const truth = CLASSES.find((c) => id.startsWith(`${c}-`));
  assert.match(suggestion, new RegExp(truth), `item ${id}: suggestion "${suggestion}"`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'app-photos.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
});

/** The true class of an item of this file's fixtures, and its key. */
const truth = (id) => truthOf(CLASSES, id);
/** Labels the item on screen with its true class; returns the suggestion it had. */
const labelTruly = (page) => labelTrulyAs(page, CLASSES);

test('offline, the local head learns from the labels made here, and is back after an offline reload', async () => {
  const problems = [];
  const context = await browser.newContext({ viewport: { width: 1100, height: 1000 } });
  const page = await context.newPage();
  watch(page, problems, [CUT]);
  await signIn(page, server.base, token);
  await page.goto(`${server.base}/?device=cpu#/p/offline/label`);
  // Version 0 (the untrained head) loaded, the 48 photos held and embedded, the app cached.
  await page.waitForFunction(() => window.kindlingApp?.modelVersion() === '0' && window.kindlingApp.queued() >= 40
    && window.kindlingApp.predicted() >= 48 && navigator.serviceWorker.controller !== null, null, { timeout: 120_000 });
  await context.setOffline(true);
  await page.waitForSelector('#net[data-state="offline"]');

  // 20 labels, offline. The untrained head suggests the same class for everything; once the
  // local head has learned (after 4 labels of 2 classes), the suggestions name the photos.
  const done = [];
  for (let i = 0; i < 20; i++) done.push(await labelTruly(page));
  await page.waitForFunction(() => window.kindlingApp.localHead() >= 20, null, { timeout: 30_000 });
  assert.equal(await page.evaluate(() => window.kindlingApp.predVersion()), 'local:0');
  assert.match(await page.textContent('#model-info'), /learning from your labels \(20/);
  const learned = [];
  for (let i = 0; i < 6; i++) learned.push(await labelTruly(page));
  const right = learned.filter((l) => l.right).length;
  assert.ok(right >= 5, `the local head names ${right} of 6 new photos: ${JSON.stringify(learned)}`);
  const fitMs = await page.evaluate(() => /fitted in (\d+) ms/.exec(document.querySelector('#model-info').textContent)?.[1]);
  console.log(`local head: ${right}/6 right after 20 offline labels; last fit (26 labels) ${fitMs} ms in the worker`);
  const labels = await page.evaluate((ids) => ids.map((i) => window.kindlingApp.visible(i)), learned.map((l) => l.id));
  assert.ok(labels.every((v) => v?.model_version === 'local:0'), `labels record the local head: ${JSON.stringify(labels)}`);

  // Reload with no network: the embeddings are in IndexedDB, the local head is fitted again.
  await page.reload();
  await page.waitForFunction(() => window.kindlingApp?.predVersion() === 'local:0' && window.kindlingApp.localHead() >= 26,
    null, { timeout: 60_000 });
  const after = [];
  for (let i = 0; i < 4; i++) after.push(await labelTruly(page));
  assert.ok(after.filter((l) => l.right).length >= 3, `after the offline reload: ${JSON.stringify(after)}`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'app-local-head.png'), fullPage: true });
  await context.setOffline(false);
  await page.waitForSelector('#pending[data-count="0"]', { timeout: 20_000 });
  assert.deepEqual(problems, []);
  await context.close();
});
