// End-to-end test of the demo page in Debian's Chromium (playwright-core): it loads, reports
// the device, predicts for a drawn digit, and nothing logs an error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { serve } from '../../scripts/serve-static.mjs';
import { launchChromium, watch } from './browser.mjs';
import { distWasm } from './dist-wasm.mjs';

const DIST = path.resolve('www/dist');
const ARTIFACTS = path.resolve('artifacts/screenshots');

let server;
let browser;
let base;

before(async () => {
  assert.ok(fs.existsSync(path.join(DIST, 'demo.html')), 'www/dist is built (scripts/build-www.sh)');
  server = await serve(DIST);
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await launchChromium(['--enable-unsafe-webgpu']);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.close();
});

/**
 * Opens the demo and collects every console error, page error and dialog, and the names of
 * the wasm files it requests.
 */
async function openDemo(query = '') {
  const page = await browser.newPage();
  const problems = [];
  const wasm = [];
  watch(page, problems);
  page.on('request', (r) => { if (r.url().endsWith('.wasm')) wasm.push(path.basename(new URL(r.url()).pathname)); });
  await page.goto(base + 'demo.html' + query);
  return { page, problems, wasm };
}

/**
 * The wasm files a demo page may fetch: the CPU module's build Chromium runs (relaxed SIMD:
 * `kindling/web` with `cpuWasmUrl()`) and the WebGPU module (`kindling/webgpu`, the bundler
 * build: `<hash>.module.wasm`).
 */
function wasmModules() {
  const [cpu, webgpu] = distWasm('kindling_relaxed_bg.wasm', 'webgpu/kindling_bg.wasm');
  return { cpu, webgpu };
}

/** Draws a "7" on the pad with the mouse. */
async function drawSeven(page) {
  const box = await page.locator('#pad').boundingBox();
  const at = (x, y) => [box.x + (x / 280) * box.width, box.y + (y / 280) * box.height];
  await page.mouse.move(...at(60, 60));
  await page.mouse.down();
  for (const [x, y] of [[140, 60], [220, 60], [180, 150], [140, 240]]) {
    await page.mouse.move(...at(x, y), { steps: 8 });
  }
  await page.mouse.up();
}

for (const device of ['cpu', 'auto']) {
  const fetches = device === 'cpu' ? 'only the CPU module' : 'the WebGPU module';
  test(`demo predicts a drawn digit (device=${device}) and fetches ${fetches}`, async () => {
    const { page, problems, wasm } = await openDemo(`?device=${device}`);
    await page.waitForSelector('#status[data-state="ready"]', { timeout: 60_000 });
    const expected = device === 'cpu' ? 'cpu-simd' : 'webgpu';
    const modules = wasmModules();
    // A CPU page never downloads the GPU code; `auto` with an adapter (SwiftShader) needs it.
    assert.deepEqual(wasm, [device === 'cpu' ? modules.cpu : modules.webgpu]);
    const shown = await page.textContent('#device-name');
    assert.ok(shown.startsWith(expected), `device shown: ${shown}`);
    await drawSeven(page);
    await page.waitForSelector('#results[data-predictions]', { timeout: 60_000 });
    const bars = await page.locator('#bars .bar').count();
    assert.equal(bars, 5);
    // The demo serves the trained MNIST model: a drawn 7 must come out as 7.
    assert.equal(await page.locator('#bars .bar span').first().textContent(), '7');
    const latency = await page.textContent('#latency');
    assert.match(latency, /^\d+(\.\d+)? ms$/);
    const entropy = Number((await page.textContent('#u-entropy')).split(' ')[0]);
    assert.ok(entropy >= 0 && entropy <= Math.log(10) + 1e-3, `entropy ${entropy}`);
    await page.screenshot({ path: path.join(ARTIFACTS, `demo-${device}.png`) });
    assert.deepEqual(problems, []);
    await page.close();
  });
}

test('WorkerSession runs WebGPU in its worker (kindling/webgpu/web, bundled by webpack) with the CPU probabilities', async () => {
  const { page, problems } = await openDemo('?device=cpu');
  await page.waitForSelector('#status[data-state="ready"]', { timeout: 60_000 });
  const r = await page.evaluate(async () => {
    const input = Float32Array.from({ length: 4 * 784 }, (_, i) => ((i * 7919) % 255) / 255);
    const out = {};
    for (const device of ['webgpu', 'cpu']) {
      const s = await window.kindlingWorkerSession.load('models/mnist/', { device, threads: 1 });
      out[device] = { device: s.device, probs: Array.from((await s.predict(input.slice(), 4)).probs) };
      s.dispose();
    }
    return out;
  });
  assert.equal(r.webgpu.device, 'webgpu');
  assert.equal(r.cpu.device, 'cpu-simd');
  const diff = Math.max(...r.webgpu.probs.map((p, i) => Math.abs(p - r.cpu.probs[i])));
  assert.ok(diff <= 1e-4, `max |Δp| ${diff}`);
  assert.deepEqual(problems, []);
  await page.close();
});

test('a missing model shows a coded error, not a crash', async () => {
  const { page, problems } = await openDemo('?model=models/nope/');
  await page.waitForSelector('#status[data-state="error"]', { timeout: 30_000 });
  assert.match(await page.textContent('#error'), /^FETCH_FAILED: .*HTTP 404/);
  // The failed download itself is logged by Chromium as a console error; nothing else may be.
  assert.deepEqual(problems.filter((p) => !p.includes('404')), []);
  await page.close();
});
