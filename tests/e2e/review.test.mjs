// Review in Debian's Chromium against a real `kindling serve` on SQLite: an annotator's labels of
// 48 photos (crops of the scikit-image samples, EfficientNet-Lite0 backbone) carry 5 wrong
// classes; a reviewer's likely-errors queue (out-of-fold heads on the backbone's embeddings,
// computed in the browser) puts them first; the reviewer corrects them offline by keyboard,
// reloads offline, goes online: each correction is on the server once, with the reviewer as
// provenance, and the next training job learns from the corrected classes. Fails on console
// errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { closeAll, launchChromium, signIn, watch } from './browser.mjs';
import { truth } from './truth.mjs';
import { KindlingServer, KINDLING_BIN } from './kindling-server.mjs';

const ARTIFACTS = path.resolve('artifacts/screenshots');
const BACKBONE = path.resolve('artifacts/models/efficientnet_lite0-imagenet');
const SAMPLES = process.env.KINDLING_SAMPLE_PHOTOS;
const CLASSES = ['cat', 'coffee', 'rocket'];
const PROJECT = 'review';
/** Chromium's own log line for a request cut by `context.setOffline(true)`. */
const CUT = /^Failed to load resource: net::ERR_INTERNET_DISCONNECTED$/;

let server;
let browser;
let photos;
const tokens = {};

/** Whether the server keeps `item` for evaluation (server/src/domain/jobs/dataset.rs `is_eval`). */
function isEval(item) {
  return crypto.createHash('sha256').update(PROJECT).update(Buffer.from([0])).update(item).digest()[0] < 26;
}

/** The label hash a training job reports for these (item → class) labels of its training items. */
function labelHash(labels) {
  const lines = [...labels].filter(([id]) => !isEval(id)).map(([id, cls]) => `${id}\t${cls}`).sort();
  return crypto.createHash('sha256').update(lines.join('\n')).digest('hex');
}

before(async () => {
  assert.ok(fs.existsSync(path.join(BACKBONE, 'manifest.json')), 'the backbone is imported (scripts/test.sh does it)');
  assert.ok(SAMPLES && fs.existsSync(SAMPLES), 'KINDLING_SAMPLE_PHOTOS is set (scripts/weights.sh)');
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  photos = fs.mkdtempSync(path.join(os.tmpdir(), 'kindling-review-'));
  const made = spawnSync(KINDLING_BIN, ['fixture-photos', '--from', SAMPLES, '--out', photos, '--per-class', '16'], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  server = await KindlingServer.create();
  for (const name of ['olga', 'ann', 'amy', 'rev']) {
    tokens[name] = server.user(name);
  }
  server.cli('admin', 'project-create', '--id', PROJECT, '--name', 'Review <i>me</i>', '--labels', CLASSES.join(','), '--owner', 'olga');
  server.cli('admin', 'member-set', '--project', PROJECT, '--user', 'ann', '--role', 'annotator');
  server.cli('admin', 'member-set', '--project', PROJECT, '--user', 'rev', '--role', 'reviewer');
  server.cli('admin', 'member-set', '--project', PROJECT, '--user', 'amy', '--role', 'annotator');
  server.cli('admin', 'set-backbone', '--project', PROJECT, '--bundle', BACKBONE);
  // The bad files of the fixture are skipped with their reasons (photos.test.mjs checks them).
  spawnSync(KINDLING_BIN, ['admin', 'import', '--project', PROJECT, '--data', photos, '--db', server.db], { encoding: 'utf8' });
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

test('a reviewer corrects 5 wrong labels offline from the likely-errors queue; after a reload and going online they are on the server once and the next training uses them', async () => {
  // The annotator labels every photo; 5 training photos get a wrong class.
  const items = [];
  for (let cursor = 0; ;) {
    const page = await server.api(tokens.olga, 'GET', `/projects/${PROJECT}/items?cursor=${cursor}&limit=500`);
    items.push(...page.items.map((i) => i.id));
    if (!page.has_more) break;
    cursor = page.next_cursor;
  }
  assert.equal(items.length, 48, items.join(' '));
  // Five wrong labels spread over the training photos (each gets the next class).
  const train = items.filter((i) => !isEval(i));
  const wrong = new Map([3, 11, 19, 27, 35].map((i) => [train[i], CLASSES[(CLASSES.indexOf(truth(CLASSES, train[i]).name) + 1) % 3]]));
  assert.equal(wrong.size, 5, 'five training photos to mislabel');
  const given = new Map(items.map((id) => [id, wrong.get(id) ?? truth(CLASSES, id).name]));
  const ops = [...given].map(([id, cls], i) => ({
    seq: i + 1, op_id: `ann-${id}`, item_id: id, kind: 'upsert', value: { class: cls }, hlc: { wall: Date.now() - 60_000, counter: i },
  }));
  const pushed = await server.api(tokens.ann, 'POST', `/projects/${PROJECT}/sync/push`, { client_id: 'ann-script', epoch: '', ops });
  assert.ok(pushed.results.every((r) => r.outcome === 'applied'), JSON.stringify(pushed.results.filter((r) => r.outcome !== 'applied')));

  const problems = [];
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  watch(page, problems, [CUT]);
  await signIn(page, server.base, tokens.rev);
  await page.goto(`${server.base}/?device=cpu#/p/${PROJECT}/review`);
  await page.waitForSelector('#review:not([hidden])');
  // Ranked in the browser: 48 photos embedded by the backbone, 5 out-of-fold heads.
  await page.waitForFunction(() => window.kindlingReview?.ranked() && window.kindlingReview.queued() === 48, null, { timeout: 180_000 });
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });
  console.log(await page.textContent('#review-model'));
  await context.setOffline(true);
  // Work through the queue: correct the wrong labels (their true class's key), accept the rest,
  // until all five are corrected; note where each wrong label was found.
  const foundAt = [];
  const accepted = [];
  for (let step = 0; foundAt.length < 5; step++) {
    assert.ok(step < 48, `the five wrong labels were found (found ${foundAt.length})`);
    const id = await page.evaluate(() => window.kindlingReview.current());
    const reason = await page.evaluate(() => window.kindlingReview.reason());
    if (wrong.has(id)) {
      foundAt.push({ step, reason });
      await page.keyboard.press(truth(CLASSES, id).key);
    } else {
      accepted.push(id);
      await page.keyboard.press('Enter');
    }
    await page.waitForFunction((prev) => window.kindlingReview.current() !== prev, id, { timeout: 10_000 });
  }
  const decided = 5 + accepted.length;
  console.log(`likely-errors queue: the 5 wrong labels at positions ${foundAt.map((f) => `${f.step} (${f.reason})`).join(', ')} of 48`);
  // The queue is what makes review cheap: in random order the fifth comes after ~41 of 48.
  assert.ok(decided <= 12, `5 wrong labels found within the first 12 reviewed (took ${decided})`);
  assert.ok(foundAt.filter((f) => f.reason === 'likely-error').length >= 4, JSON.stringify(foundAt));
  await page.waitForFunction((n) => Number(document.querySelector('#pending')?.dataset.count) === n, decided);
  await page.screenshot({ path: path.join(ARTIFACTS, 'app-review.png') });

  // Reload with no network: the shell from the service worker, the reviews from IndexedDB.
  await page.reload();
  await page.waitForSelector('#review:not([hidden])', { timeout: 30_000 });
  await page.waitForFunction((n) => Number(document.querySelector('#pending')?.dataset.count) === n && window.kindlingReview?.queued() === 48 - n, decided, { timeout: 30_000 });

  await context.setOffline(false);
  await page.waitForSelector('#pending[data-count="0"]', { timeout: 20_000 });
  const rows = new Map((await server.labels(tokens.olga, PROJECT)).map((r) => [r.item_id, r]));
  for (const [id] of wrong) {
    const row = rows.get(id);
    assert.equal(row.label, truth(CLASSES, id).name, `${id} corrected`);
    assert.deepEqual([row.review, row.reviewer, row.original_label, row.annotator], ['correct', 'rev', wrong.get(id), 'ann']);
    const events = await server.history(tokens.olga, PROJECT, id);
    const reviews = events.filter((e) => e.outcome === 'applied' && e.client_id !== 'ann-script');
    assert.equal(reviews.length, 1, `${id}: one review on the server: ${JSON.stringify(events)}`);
  }
  for (const id of accepted) assert.equal(rows.get(id).review, 'accept', `${id} accepted`);
  assert.deepEqual(problems, []);
  await context.close();

  // The next training learns from the reviewed classes.
  const job = await server.api(tokens.olga, 'POST', `/projects/${PROJECT}/jobs`, {});
  let status;
  for (let t = 0; t < 240; t++) {
    status = await server.api(tokens.olga, 'GET', `/projects/${PROJECT}/jobs/${job.id}`);
    if (['succeeded', 'failed', 'cancelled'].includes(status.status)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.equal(status.status, 'succeeded', JSON.stringify(status));
  const corrected = new Map(items.map((id) => [id, truth(CLASSES, id).name]));
  assert.notEqual(labelHash(corrected), labelHash(given), 'the check tells the two label sets apart');
  assert.equal(status.result.label_hash, labelHash(corrected), 'trained on the corrected classes');
});

test('an owner sets the overlap on the project page and marks a gold item from the review view (g): the server leases it to another annotator', async () => {
  const problems = [];
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  watch(page, problems);
  await signIn(page, server.base, tokens.olga);
  await page.goto(`${server.base}/?device=cpu#/p/${PROJECT}`);
  await page.waitForSelector('#train-controls:not([hidden])');
  await page.fill('#overlap', '25');
  await page.click('#overlap-form button[type=submit]');
  await page.waitForFunction(() => /25% of items/.test(document.querySelector('#train-error')?.textContent ?? ''));
  assert.equal((await server.api(tokens.olga, 'GET', `/projects/${PROJECT}`)).overlap_percent, 25);
  // Back to no overlap: a labeled item then reaches a second annotator only as a gold item.
  await page.fill('#overlap', '0');
  await page.click('#overlap-form button[type=submit]');
  await page.waitForFunction(() => /no item is labeled twice/.test(document.querySelector('#train-error')?.textContent ?? ''));
  assert.ok(await page.isVisible('#start-review'), 'owners get the review link');

  await page.click('#start-review');
  await page.waitForSelector('#review:not([hidden])');
  await page.waitForFunction(() => (window.kindlingReview?.queued() ?? 0) > 0, null, { timeout: 60_000 });
  const id = await page.evaluate(() => window.kindlingReview.current());
  const before = await server.api(tokens.amy, 'POST', `/projects/${PROJECT}/leases`, { limit: 1000 });
  assert.ok(!before.items.some((i) => i.id === id), `${id} is labeled: nobody else is handed it`);
  await page.keyboard.press('g');
  await page.waitForFunction((item) => new RegExp(`Item ${item} is a gold item`).test(document.querySelector('#review-error')?.textContent ?? ''), id);
  const lease = await server.api(tokens.amy, 'POST', `/projects/${PROJECT}/leases`, { limit: 1000, exclude: before.items.map((i) => i.id) });
  assert.ok(lease.items.some((i) => i.id === id), `amy is handed the gold item ${id}`);
  const again = await server.api(tokens.ann, 'POST', `/projects/${PROJECT}/leases`, { limit: 1000 });
  assert.ok(!again.items.some((i) => i.id === id), 'not the annotator who labeled it');
  assert.deepEqual(problems, []);
  await context.close();
});
