// The npm package as a user gets it: `npm pack` of pkg/, installed from the tarball into a fresh
// copy of each example (examples/plain-html: no bundler, `kindling/web`; webpack: `kindling` on
// the main thread; vite: `kindling/worker`, the model in a worker Vite bundles; their build tools
// from their lockfiles), built, served, and opened in Chromium, which must name the digit.
// Then the package's model cache, through the plain-HTML install: byte progress, a reload that
// makes no model request, a corrupted cache entry refused and downloaded again, a new version,
// offline loading, `cache: false` and request headers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serve } from '../../scripts/serve-static.mjs';
import { launchChromium, watch } from './browser.mjs';

const ROOT = path.resolve('.');
const MODEL = path.resolve('artifacts/models/mnist');
/** EfficientNet-Lite0 with its ImageNet head: a bundle with a backbone (scripts/models.sh). */
const BACKBONE_MODEL = path.resolve('artifacts/models/efficientnet_lite0-imagenet');
const WORK = fs.mkdtempSync(path.join(os.tmpdir(), 'kindling-examples-'));

let browser;
let tarball;
const servers = [];

function run(cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 300_000 });
}

before(() => {
  assert.ok(fs.existsSync(path.join(ROOT, 'pkg/package.json')), 'pkg/ is built (scripts/build-pkg.sh)');
  assert.ok(fs.existsSync(path.join(MODEL, 'manifest.json')), 'the MNIST model is trained (artifacts/models/mnist)');
  const [packed] = JSON.parse(run('npm', ['pack', path.join(ROOT, 'pkg'), '--pack-destination', WORK, '--json'], ROOT));
  tarball = path.join(WORK, packed.filename);
  const files = packed.files.map((f) => f.path);
  for (const f of ['README.md', 'kindling.js', 'kindling_bg.wasm', 'kindling_relaxed_bg.wasm', 'threads/kindling_relaxed_bg.wasm', 'web/kindling.js', 'worker/client.js', 'worker/client.d.ts', 'worker/entry.js', 'webgpu/kindling_bg.wasm', 'webgpu/web/kindling.js', 'threads/kindling.js']) {
    assert.ok(files.includes(f), `the tarball holds ${f}`);
  }
  // The `web` bindings load the bundler folders' wasm (the same bytes): one copy each.
  for (const f of ['web/kindling_bg.wasm', 'webgpu/web/kindling_bg.wasm']) assert.ok(!files.includes(f), `no second copy: ${f}`);
  return launchChromium().then((b) => { browser = b; });
});

after(async () => {
  await browser?.close();
  for (const s of servers) s.close();
  fs.rmSync(WORK, { recursive: true, force: true });
});

/** A fresh copy of an example with its lockfile's packages and the packed `kindling` installed. */
function install(name) {
  const dir = path.join(WORK, name);
  fs.cpSync(path.join(ROOT, 'examples', name), dir, {
    recursive: true,
    filter: (src) => !/[/\\](node_modules|dist|model)$/.test(src),
  });
  run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], dir);
  run('npm', ['install', '--no-save', '--prefer-offline', '--no-audit', '--no-fund', tarball], dir);
  return dir;
}

/** Serves `dir` with the MNIST bundle at `model/`; resolves to its base URL. */
async function serveWithModel(dir) {
  fs.cpSync(MODEL, path.join(dir, 'model'), { recursive: true });
  const server = await serve(dir);
  servers.push(server);
  return `http://127.0.0.1:${server.address().port}/`;
}

/** Opens `url` and resolves to the prediction the page shows. */
async function prediction(url) {
  const page = await browser.newPage();
  const problems = [];
  watch(page, problems);
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById('out')?.textContent !== 'loading…', null, { timeout: 60_000 });
  const shown = await page.textContent('#out');
  assert.deepEqual(problems, []);
  await page.close();
  return shown;
}

const EXAMPLES = [
  { name: 'plain-html', served: (dir) => dir },
  { name: 'webpack', served: (dir) => dir, build: true },
  { name: 'vite', served: (dir) => path.join(dir, 'dist'), build: true },
];

let plainBase;
let cacheContext;

for (const example of EXAMPLES) {
  test(`examples/${example.name}: the packed package installs, builds and names the digit`, async () => {
    const dir = install(example.name);
    if (example.build) run('npm', ['run', 'build'], dir);
    const base = await serveWithModel(example.served(dir));
    if (example.name === 'plain-html') plainBase = base;
    assert.equal(await prediction(base), '7');
  });
}

/**
 * A page of the plain-HTML install that loads sessions on request and records their progress
 * events and the model requests the browser makes.
 */
async function cachePage() {
  assert.ok(plainBase, 'the plain-html example is installed and served');
  // One browser context for all of them: one Cache API, as for the tabs of one profile.
  cacheContext ??= await browser.newContext();
  const page = await cacheContext.newPage();
  const problems = [];
  watch(page, problems);
  const requests = [];
  page.on('request', (r) => {
    const p = new URL(r.url()).pathname;
    if (p.includes('/model')) requests.push({ path: p, authorization: r.headers().authorization });
  });
  await page.goto(`${plainBase}digit.png`); // same origin, nothing running
  await page.evaluate(async () => {
    const { default: init, Session } = await import('/node_modules/kindling/web/kindling.js');
    const { cpuWasmUrl } = await import('/node_modules/kindling/worker/client.js');
    // This browser's build, as WorkerSession's worker picks it (relaxed SIMD in Chromium).
    await init({ module_or_path: cpuWasmUrl() });
    window.load = async (url, options = {}) => {
      const events = [];
      try {
        const session = await Session.load(url, { ...options, onProgress: (e) => events.push(e) });
        const m = session.manifest;
        session.dispose();
        return { events, version: m.version };
      } catch (err) {
        return { events, error: `${err.code}: ${err.message}` };
      }
    };
  });
  return { page, problems, requests };
}

test('cache: first load streams byte progress per file; a reload makes no model request', async () => {
  const weightsSize = fs.statSync(path.join(MODEL, 'weights.bpk')).size;
  const first = await cachePage();
  await first.page.evaluate(() => caches.delete('kindling-bundles-v1'));
  const miss = await first.page.evaluate(() => window.load('/model/'));
  assert.equal(miss.error, undefined);
  assert.deepEqual(first.requests.map((r) => r.path), ['/model/manifest.json', '/model/weights.bpk']);
  const weights = miss.events.filter((e) => e.file === '/model/weights.bpk');
  assert.deepEqual([weights[0].status, weights.at(-1).status], ['initiate', 'done']);
  assert.ok(weights.some((e) => e.status === 'progress'), 'bytes arrive as progress events');
  for (let i = 1; i < weights.length; i++) assert.ok(weights[i].loaded >= weights[i - 1].loaded, 'loaded never goes backwards');
  assert.ok(weights.every((e) => e.total === weightsSize), `total is the manifest's size (${weightsSize})`);
  assert.equal(weights.at(-1).loaded, weightsSize);
  assert.equal(miss.events.at(-1).status, 'ready');
  await first.page.close();

  const second = await cachePage();
  const hit = await second.page.evaluate(() => window.load('/model/'));
  assert.equal(hit.error, undefined);
  assert.deepEqual(second.requests, [], 'a second page load of the model makes zero model requests');
  assert.deepEqual(hit.events.map((e) => e.status), ['cached', 'cached', 'ready']);
  assert.deepEqual(second.problems, []);
  await second.page.close();
});

test('cache: a corrupted entry is refused and downloaded again; offline loads come from the cache', async () => {
  const { page, problems, requests } = await cachePage();
  assert.equal((await page.evaluate(() => window.load('/model/'))).error, undefined);
  const sha = JSON.parse(fs.readFileSync(path.join(MODEL, 'manifest.json'), 'utf8')).weights.sha256;
  const key = `https://kindling.invalid/weights/${sha}`;
  await page.evaluate(async (k) => {
    const cache = await caches.open('kindling-bundles-v1');
    if (!(await cache.match(k))) throw new Error('the weights are cached under their sha256');
    await cache.put(k, new Response(new Uint8Array(1000).fill(7)));
  }, key);
  requests.length = 0;
  const repaired = await page.evaluate(() => window.load('/model/'));
  assert.equal(repaired.error, undefined);
  assert.deepEqual(requests.map((r) => r.path), ['/model/weights.bpk'], 'only the bad file is downloaded again');
  const size = await page.evaluate(async (k) => (await (await caches.open('kindling-bundles-v1')).match(k)).arrayBuffer().then((b) => b.byteLength), key);
  assert.equal(size, fs.statSync(path.join(MODEL, 'weights.bpk')).size, 'the good copy replaced the bad one');

  // Offline: every model request fails, the cached bundle still loads.
  await page.route('**/model/**', (route) => route.abort('internetdisconnected'));
  requests.length = 0;
  const offline = await page.evaluate(() => window.load('/model/'));
  assert.equal(offline.error, undefined);
  await page.unroute('**/model/**');
  // Never cached and offline: a clear error.
  await page.route('**/model-absent/**', (route) => route.abort('internetdisconnected'));
  const absent = await page.evaluate(() => window.load('/model-absent/'));
  assert.match(absent.error, /^FETCH_FAILED: could not download \/model-absent\/manifest.json/);
  assert.deepEqual(problems.filter((p) => !p.includes('ERR_INTERNET_DISCONNECTED')), []);
  await page.close();
});

test('cache: a new version URL reads its own manifest and shares weights by hash; cache:false and headers reach the server', async () => {
  const v2 = path.join(WORK, 'plain-html', 'model-v2');
  fs.cpSync(MODEL, v2, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(v2, 'manifest.json'), 'utf8'));
  manifest.version = `${manifest.version}-v2`;
  fs.writeFileSync(path.join(v2, 'manifest.json'), JSON.stringify(manifest));
  const { page, problems, requests } = await cachePage();
  assert.equal((await page.evaluate(() => window.load('/model/'))).error, undefined);
  requests.length = 0;
  const next = await page.evaluate(() => window.load('/model-v2/'));
  assert.equal(next.version, manifest.version, 'the new version, not the cached one');
  assert.deepEqual(requests.map((r) => r.path), ['/model-v2/manifest.json'], 'same weights (same sha256): not downloaded again');

  requests.length = 0;
  const fresh = await page.evaluate(() => window.load('/model/', { cache: false, headers: { Authorization: 'Bearer t0k3n' } }));
  assert.equal(fresh.error, undefined);
  assert.deepEqual(requests.map((r) => r.path), ['/model/manifest.json', '/model/weights.bpk'], 'cache: false downloads');
  assert.ok(requests.every((r) => r.authorization === 'Bearer t0k3n'), 'options.headers go with every request');
  const bad = await page.evaluate(() => window.load('/model/', { headers: 'Bearer x' }));
  assert.match(bad.error, /^INVALID_ARGUMENT: headers must be an object/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('no bundler: kindling/web (relaxed-SIMD build, by cpuWasmUrl) and kindling/webgpu/web load the bundler folders\' wasm and predict alike', async () => {
  const { page, problems } = await cachePage();
  const r = await page.evaluate(async () => {
    const out = {};
    for (const [name, url] of [['web', '/node_modules/kindling/web/kindling.js'], ['webgpu', '/node_modules/kindling/webgpu/web/kindling.js']]) {
      const { default: init, Session, compiledBackends } = await import(url);
      await init();
      const session = await Session.load('/model/', { device: 'cpu' });
      const input = Float32Array.from({ length: 2 * session.inputLength }, (_, i) => ((i * 7919) % 255) / 255);
      out[name] = { backends: compiledBackends(), probs: Array.from((await session.predict(input, 2)).probs) };
      session.dispose();
    }
    const wasm = performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.endsWith('.wasm'));
    return { ...out, wasm };
  });
  assert.ok(!r.web.backends.includes('webgpu') && r.webgpu.backends.includes('webgpu'), `${r.web.backends} / ${r.webgpu.backends}`);
  assert.deepEqual(r.wasm.sort(), ['/node_modules/kindling/kindling_relaxed_bg.wasm', '/node_modules/kindling/webgpu/kindling_bg.wasm']);
  const diff = Math.max(...r.web.probs.map((p, i) => Math.abs(p - r.webgpu.probs[i])));
  assert.ok(diff <= 1e-6, `the same CPU kernels in both modules (fused multiply-adds in one): max |Δp| ${diff}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('worker: WorkerSession predicts what Session predicts, keeps error codes, cancels queued predictions, and dispose ends it', async () => {
  const { page, problems } = await cachePage();
  const r = await page.evaluate(async () => {
    const { Session } = await import('/node_modules/kindling/web/kindling.js');
    const { WorkerSession } = await import('/node_modules/kindling/worker/client.js');
    const outcome = (p) => p.then(() => 'resolved', (e) => `${e.name}:${e.code}`);
    const events = [];
    const main = await Session.load('/model/', { device: 'cpu' });
    const worker = await WorkerSession.load('/model/', { device: 'cpu', onProgress: (e) => events.push(e.status) });
    const n = main.inputLength;
    const input = Float32Array.from({ length: n * 3 }, (_, i) => ((i * 7919) % 255) / 255);
    const a = await main.predict(input, 3);
    const b = await worker.predict(input.slice(), 3);
    let maxDiff = 0;
    for (let i = 0; i < a.probs.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.probs[i] - b.probs[i]));
    const sameTop = a.items.every((item, i) => item.topK[0].label === b.items[i].topK[0].label);
    const transferred = input.slice();
    await worker.predict(transferred, 3);
    const ctl = new AbortController();
    // The prediction ahead is long (1,024 items, hundreds of ms), so the cancel, posted right
    // after, reaches the worker while the cancellable one still waits behind it — with a 3-item
    // one ahead, a busy machine let the worker start it before the cancel arrived (an abort
    // after the start is documented as too late).
    const long = Float32Array.from({ length: n * 1024 }, (_, i) => ((i * 7919) % 255) / 255);
    const queued = [worker.predict(long, 1024), worker.predict(input.slice(), 3, { signal: ctl.signal })];
    ctl.abort();
    queued.push(worker.predict(input.slice(), 3));
    const cancel = await Promise.all(queued.map(outcome));
    const wrongShape = await outcome(worker.predict(new Float32Array(5), 1));
    const missing = await outcome(WorkerSession.load('/model-missing/'));
    const pre = await worker.preprocessImage(new Uint8Array(28 * 28 * 4).fill(255), 28, 28);
    worker.dispose();
    const disposed = await outcome(worker.predict(input.slice(), 3));
    main.dispose();
    return {
      maxDiff, sameTop, events, cancel, wrongShape, missing, disposed,
      detached: transferred.length, inputLength: worker.inputLength === n,
      device: worker.device, name: worker.manifest.name, preLength: pre.length === n,
    };
  });
  assert.equal(r.maxDiff, 0, 'the same module and device: the same probabilities');
  assert.ok(r.sameTop);
  assert.deepEqual(r.events.at(-1), 'ready', 'progress events cross from the worker');
  assert.deepEqual(r.cancel, ['resolved', 'KindlingError:ABORTED', 'resolved'], 'only the aborted queued prediction is dropped');
  assert.equal(r.wrongShape, 'KindlingError:INPUT_SHAPE');
  assert.equal(r.missing, 'KindlingError:FETCH_FAILED');
  assert.equal(r.disposed, 'KindlingError:SESSION_DISPOSED');
  assert.equal(r.detached, 0, 'the input buffer was transferred, not copied');
  assert.ok(r.inputLength && r.preLength);
  assert.equal(r.device, 'cpu-simd');
  assert.deepEqual(problems.filter((p) => !p.includes('404')), []);
  await page.close();
});

test('worker: every Session method has its WorkerSession twin with the same results; sessions share a KindlingWorker', async () => {
  assert.ok(fs.existsSync(path.join(BACKBONE_MODEL, 'manifest.json')), 'the EfficientNet-Lite0 bundle is imported (scripts/models.sh)');
  fs.cpSync(BACKBONE_MODEL, path.join(WORK, 'plain-html', 'imagenet'), { recursive: true });
  const { page, problems } = await cachePage();
  const r = await page.evaluate(async () => {
    const { Session, likelyErrors: rankHere } = await import('/node_modules/kindling/web/kindling.js');
    const { KindlingWorker, WorkerSession, likelyErrors } = await import('/node_modules/kindling/worker/client.js');
    const outcome = (p) => p.then(() => 'resolved', (e) => `${e.name}:${e.code}`);
    const maxDiff = (a, b) => (a.length !== b.length ? Infinity : a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0));
    const shared = new KindlingWorker();
    const main = await Session.load('/imagenet/', { device: 'cpu', dtype: 'f16' });
    const worker = await WorkerSession.load('/imagenet/', { device: 'cpu', dtype: 'f16', threads: 1, worker: shared });
    // Six small pictures, two of each of three kinds.
    const n = 6;
    const canvas = new OffscreenCanvas(64, 48);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    const input = new Float32Array(n * main.inputLength);
    let bitmapDiff = 0;
    for (let i = 0; i < n; i++) {
      ctx.fillStyle = ['#d22', '#2a2', '#22d'][i % 3];
      ctx.fillRect(0, 0, 64, 48);
      ctx.fillStyle = '#fff';
      ctx.fillRect(4 * i, 8, 20 + 3 * i, 20);
      const { data } = ctx.getImageData(0, 0, 64, 48);
      const row = main.preprocessImage(data, 64, 48);
      input.set(row, i * main.inputLength);
      bitmapDiff = Math.max(bitmapDiff, maxDiff(row, await worker.preprocessImageBitmap(await createImageBitmap(canvas))));
    }
    const embeddings = await main.embed(input, n);
    const embedDiff = maxDiff(embeddings, await worker.embed(input.slice(), n));
    const head = await main.predictEmbeddings(embeddings, n, { topK: 3 });
    const headDiff = maxDiff(head.probs, (await worker.predictEmbeddings(embeddings.slice(), n, { topK: 3 })).probs);
    const labels = Uint32Array.from({ length: n }, (_, i) => i % 3);
    await main.trainLocalHead(embeddings, labels);
    const fitted = await worker.trainLocalHead(embeddings, labels);
    const svmProbs = (await worker.predictLocal(embeddings.slice(), n)).probs;
    const localDiff = maxDiff((await main.predictLocal(embeddings, n, {})).probs, svmProbs);
    const trainedOn = [main.localHeadTrainedOn, worker.localHeadTrainedOn, fitted.trainedOn];
    // The options reach the learner through the worker: one the SVMs do not read, an unknown
    // learner and a negative C are refused; another C and softmax regression change the head.
    const refused = [
      await outcome(worker.trainLocalHead(embeddings, labels, { steps: 50 })),
      await outcome(worker.trainLocalHead(embeddings, labels, { learner: 'tree' })),
      await outcome(worker.trainLocalHead(embeddings, labels, { c: -1 })),
    ];
    await worker.trainLocalHead(embeddings, labels, { c: 10 });
    const cDiff = maxDiff(svmProbs, (await worker.predictLocal(embeddings.slice(), n)).probs);
    const softmax = await worker.trainLocalHead(embeddings, labels, { learner: 'softmax', steps: 50 });
    const softmaxDiff = maxDiff(svmProbs, (await worker.predictLocal(embeddings.slice(), n)).probs);
    const learners = [fitted.learner, softmax.learner];
    await worker.clearLocalHead();
    const cleared = [worker.localHeadTrainedOn, await outcome(worker.predictLocal(embeddings.slice(), n))];
    const ranked = JSON.stringify(await likelyErrors(embeddings, main.embeddingSize, labels, 3, { folds: 3, worker: shared }));
    const rankedHere = JSON.stringify(await rankHere(embeddings, main.embeddingSize, labels, 3, 3));
    const plain = JSON.stringify(await likelyErrors(embeddings, main.embeddingSize, labels, 3, { folds: 3, neighbours: false, worker: shared }));
    const plainHere = JSON.stringify(await rankHere(embeddings, main.embeddingSize, labels, 3, 3, false));
    await worker.replaceHead('/imagenet/');
    const replaced = worker.manifest.version;

    const texts = ['cheap pills buy now', 'meeting moved to noon', 'win a free prize today', 'lunch with the team', 'free money click here', 'notes from the review'];
    const classes = ['spam', 'ham'];
    const textLabels = Uint32Array.from(texts, (_, i) => (i % 2 === 0 ? 0 : 1));
    const textMain = await Session.trainTextNgram(texts, textLabels, classes, {});
    const textWorker = await WorkerSession.trainTextNgram(texts, textLabels, classes, { worker: shared });
    const ids = textMain.encodeTexts(texts);
    const idsDiff = maxDiff(ids, await textWorker.encodeTexts(texts));
    const textDiff = maxDiff((await textMain.predict(ids, n, {})).probs, (await textWorker.predict(ids.slice(), n)).probs);
    // `smoothing` reaches the trainer through the worker: 0 is refused, and 5 gives another model.
    const badSmoothing = await outcome(WorkerSession.trainTextNgram(texts, textLabels, classes, { worker: shared, smoothing: 0 }));
    const smoother = await WorkerSession.trainTextNgram(texts, textLabels, classes, { worker: shared, smoothing: 5 });
    const smoothingDiff = maxDiff((await textMain.predict(ids, n, {})).probs, (await smoother.predict(ids.slice(), n)).probs);
    smoother.dispose();
    // Two sessions, one worker: disposing one leaves the other running.
    textWorker.dispose();
    const afterDispose = [await outcome(textWorker.predict(ids.slice(), n)), await outcome(worker.predictEmbeddings(embeddings.slice(), n))];
    // Not cross-origin isolated: one thread, and why.
    const defaults = await WorkerSession.load('/imagenet/', { device: 'cpu', dtype: 'f16', worker: shared });
    const threads = [worker.threads, defaults.threads, defaults.threadsFallbackReason];
    shared.terminate();
    const terminated = [await outcome(worker.predictEmbeddings(embeddings.slice(), n)), await outcome(defaults.embed(input.slice(), n))];
    main.dispose();
    textMain.dispose();
    return { bitmapDiff, embedDiff, headDiff, localDiff, trainedOn, refused, cDiff, softmaxDiff, learners, cleared, same: ranked === rankedHere, samePlain: plain === plainHere, rankedLength: JSON.parse(ranked).length, replaced, idsDiff, textDiff, badSmoothing, smoothingDiff, afterDispose, threads, terminated };
  });
  assert.equal(r.bitmapDiff, 0, 'preprocessImageBitmap reads the same pixels as preprocessImage');
  assert.equal(r.embedDiff, 0, 'embed: the same module on the same device gives the same embeddings');
  assert.equal(r.headDiff, 0, 'predictEmbeddings');
  assert.equal(r.localDiff, 0, 'trainLocalHead + predictLocal');
  assert.deepEqual(r.trainedOn, [6, 6, 6]);
  assert.deepEqual(r.learners, ['svm', 'softmax'], 'a photo backbone\'s local head is SVMs unless softmax is asked for');
  assert.deepEqual(r.refused, Array(3).fill('KindlingError:INVALID_ARGUMENT'), 'steps with SVMs, an unknown learner, C -1');
  assert.ok(r.cDiff > 1e-3, `C reaches the SVMs through the worker (probabilities moved ${r.cDiff})`);
  assert.ok(r.softmaxDiff > 1e-3, `learner: 'softmax' fits another head (probabilities moved ${r.softmaxDiff})`);
  assert.deepEqual(r.cleared, [0, 'KindlingError:NO_LOCAL_HEAD']);
  assert.ok(r.same, 'likelyErrors in the worker ranks as the module function does');
  assert.ok(r.samePlain, '… also without neighbour agreement');
  assert.equal(r.rankedLength, 6);
  assert.equal(r.replaced, 'imagenet', 'replaceHead brings the new manifest back to the page');
  assert.equal(r.idsDiff, 0, 'encodeTexts');
  assert.equal(r.textDiff, 0, 'trainTextNgram + predict');
  assert.equal(r.badSmoothing, 'KindlingError:INVALID_ARGUMENT', 'trainTextNgram refuses smoothing 0');
  assert.ok(r.smoothingDiff > 1e-3, `trainTextNgram's smoothing changes the model (max |Δp| ${r.smoothingDiff})`);
  assert.deepEqual(r.afterDispose, ['KindlingError:SESSION_DISPOSED', 'resolved']);
  assert.equal(r.threads[0], 1);
  assert.equal(r.threads[1], 1);
  assert.match(r.threads[2], /cross-origin isolated/);
  assert.deepEqual(r.terminated, ['KindlingError:SESSION_DISPOSED', 'KindlingError:SESSION_DISPOSED']);
  assert.deepEqual(problems, []);
  await page.close();
});
