// What a prediction through `WorkerSession` (kindling/worker) costs over one on the main thread
// (prints numbers; not a test): the same bundle, device and inputs in one Chromium page, median
// of N per batch size, and the difference. The target: ≤ 0.3 ms more at batch 1.
// Usage: node scripts/bench-worker.mjs [BUNDLE_DIR]   (after scripts/build-pkg.sh; default the
// MNIST model of artifacts/models/mnist)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serve } from './serve-static.mjs';
import { launchChromium } from '../tests/e2e/browser.mjs';

const bundle = path.resolve(process.argv[2] ?? 'artifacts/models/mnist');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kindling-bench-worker-'));
fs.cpSync('pkg', path.join(root, 'kindling'), { recursive: true });
fs.cpSync(bundle, path.join(root, 'model'), { recursive: true });
fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>bench</title>');
// Cross-origin isolated: performance.now() then resolves 5 µs instead of 100 µs.
const server = await serve(root, 0, { isolated: true });
const browser = await launchChromium();
const page = await browser.newPage();
await page.goto(`http://127.0.0.1:${server.address().port}/`);
const rows = await page.evaluate(async () => {
  const { default: init, Session } = await import('/kindling/web/kindling.js');
  const { WorkerSession } = await import('/kindling/worker/client.js');
  await init();
  const main = await Session.load('/model/', { device: 'cpu', cache: false });
  const worker = await WorkerSession.load('/model/', { device: 'cpu', threads: 1, cache: false });
  const median = (ms) => ms.sort((a, b) => a - b)[Math.floor(ms.length / 2)];
  const time = async (run) => {
    const t = performance.now();
    await run();
    return performance.now() - t;
  };
  const out = [];
  for (const [batch, n] of [[1, 400], [32, 80]]) {
    const input = Float32Array.from({ length: batch * main.inputLength }, () => Math.random());
    // Each worker call transfers its input, as an application would send fresh pixels.
    const onMain = () => main.predict(input, batch);
    const inWorker = () => worker.predict(input.slice(), batch);
    // Warm-up for ≥ 0.5 s (at least 20 pairs), so both modules run tiered-up code.
    const warm = performance.now() + 500;
    for (let i = 0; i < 20 || performance.now() < warm; i++) await Promise.all([onMain(), inWorker()]);
    // Alternating, so that this shared machine's noise falls on both alike.
    const a = [];
    const b = [];
    const d = [];
    for (let i = 0; i < n; i++) {
      a.push(await time(onMain));
      b.push(await time(inWorker));
      d.push(b.at(-1) - a.at(-1));
    }
    out.push({ batch, onMain: median(a), inWorker: median(b), paired: median(d) });
  }
  worker.dispose();
  main.dispose();
  return out;
});
console.log(`WorkerSession vs Session, ${path.relative('.', bundle)} on cpu-simd (median ms per predict):`);
console.log('| batch | main thread | worker | worker − main | median of paired differences |\n|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.batch} | ${r.onMain.toFixed(3)} | ${r.inWorker.toFixed(3)} | ${(r.inWorker - r.onMain).toFixed(3)} | ${r.paired.toFixed(3)} |`);
await browser.close();
server.close();
fs.rmSync(root, { recursive: true, force: true });
