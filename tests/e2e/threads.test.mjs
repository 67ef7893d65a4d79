// Wasm threads in Chromium: the threaded module (kindling/threads) in a Web Worker of a
// cross-origin isolated page runs the MNIST model on a pool of navigator.hardwareConcurrency
// threads with the single-threaded module's probabilities; elsewhere sessions run on one thread
// and say why.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { serve } from '../../scripts/serve-static.mjs';
import { installHelpers } from '../../scripts/peers.mjs';
import { launchChromium, watch } from './browser.mjs';

const DIST = path.resolve('www/dist');
const BATCH = 8;
let browser;
const servers = [];

before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, 'models', 'mnist', 'manifest.json')), 'www/dist carries the MNIST model');
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  for (const s of servers) s.close();
});

/** Opens the demo (CPU) served with or without COOP/COEP. */
async function openDemo(isolated) {
  const server = await serve(DIST, 0, { isolated });
  servers.push(server);
  const page = await browser.newPage();
  const problems = [];
  watch(page, problems);
  await page.goto(`http://127.0.0.1:${server.address().port}/demo.html?device=cpu`);
  await page.waitForSelector('#status[data-state="ready"]', { timeout: 60_000 });
  await installHelpers(page);
  return { page, problems };
}

/** Runs the MNIST model on seeded inputs in a fresh worker of `page`. */
function inWorker(page, threads) {
  return page.evaluate(async ({ batch, threads }) => {
    const input = window.peers.input(batch * 784, 11);
    return window.kindlingInWorker({ url: 'models/mnist/', device: 'cpu', threads, batch, input, runs: 0 });
  }, { batch: BATCH, threads });
}

/** The same on the page's main thread with the single-threaded module. */
function onMainThread(page) {
  return page.evaluate(async (batch) => {
    const { Session } = await window.kindlingModule('cpu');
    const s = await Session.load('models/mnist/', { device: 'cpu' });
    const out = await s.predict(window.peers.input(batch * 784, 11), batch);
    return { threads: s.threads, threadsFallbackReason: s.threadsFallbackReason ?? null, probs: Array.from(out.probs), isolated: crossOriginIsolated, cores: navigator.hardwareConcurrency };
  }, BATCH);
}

const maxDiff = (a, b) => Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i])));

test('isolated page: a worker runs the threaded module on hardwareConcurrency threads with the one-thread probabilities', async () => {
  const { page, problems } = await openDemo(true);
  const main = await onMainThread(page);
  assert.equal(main.isolated, true);
  // The main thread may not block: one thread, and the session says why.
  assert.equal(main.threads, 1);
  assert.match(main.threadsFallbackReason, /Web Worker/);
  const threaded = await inWorker(page, undefined);
  assert.equal(threaded.error, undefined, `${threaded.code}: ${threaded.error}`);
  assert.equal(threaded.threads, main.cores, 'the pool defaults to navigator.hardwareConcurrency');
  assert.equal(threaded.threadsFallbackReason, null);
  assert.equal(threaded.device, 'cpu-simd');
  assert.ok(maxDiff(threaded.probs, main.probs) <= 1e-4, `max |Δp| ${maxDiff(threaded.probs, main.probs)}`);
  const one = await inWorker(page, 1);
  assert.equal(one.threads, 1, 'threads: 1 uses the single-threaded module');
  assert.equal(one.threadsFallbackReason, null);
  assert.ok(maxDiff(one.probs, main.probs) <= 1e-6);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a page that is not cross-origin isolated runs one thread and says why', async () => {
  const { page, problems } = await openDemo(false);
  const out = await inWorker(page, undefined);
  assert.equal(out.error, undefined, `${out.code}: ${out.error}`);
  assert.equal(out.threads, 1);
  assert.match(out.threadsFallbackReason, /not cross-origin isolated/);
  assert.deepEqual(problems, []);
  await page.close();
});
