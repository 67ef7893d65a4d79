// Side-by-side CPU inference benchmark (prints a table; not a test): the same bundles run by
// Kindling (cpu-simd on the page's main thread — the browser's build, relaxed SIMD where
// Chromium has it, and the SIMD128 build beside it; its threaded module in a Web Worker with 2
// threads; WebGPU on SwiftShader) and by onnxruntime-web 1.30 (wasm, 1 and 2 threads, from the
// ONNX export of the bundle) in one Chromium run, on the same seeded inputs;
// every peer's probabilities are checked against Kindling's (max |Δ| printed, must be ≤ 1e-4).
// Usage: node scripts/bench-peers.mjs [name=bundle-dir ...]   (after scripts/build-pkg.sh and
//   scripts/build-www.sh). Default: the MNIST cnn, a 784-512-512-10 mlp (trained here for one
//   epoch on 6,000 digits if missing) and EfficientNet-Lite0 with its ImageNet head.
//   BENCH_DEVICES=cpu skips WebGPU (SwiftShader takes minutes on EfficientNet).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { serve } from './serve-static.mjs';
import { launchChromium } from '../tests/e2e/browser.mjs';
import { stagePeers, runKindling, runKindlingWorker, runOrt } from './peers.mjs';

const target = process.env.CARGO_TARGET_DIR ?? path.join(process.env.HOME, '.cache/kindling/target');
const bin = path.join(target, process.env.KINDLING_PROFILE ?? 'fast', 'kindling');
const devices = (process.env.BENCH_DEVICES ?? 'cpu,webgpu').split(',');

function defaultModels() {
  const mlp = 'artifacts/models/bench-mlp';
  if (!fs.existsSync(path.join(mlp, 'manifest.json'))) {
    const config = path.resolve('artifacts/bench-mlp.json');
    fs.writeFileSync(config, JSON.stringify({ arch: 'mlp', input_size: 784, hidden_sizes: [512, 512], classes: 10 }));
    execFileSync(bin, ['train', '--data', 'mnist', '--config', config, '--epochs', '1', '--limit', '6000',
      '--quiet', '--name', 'bench-mlp', '--out', mlp], { stdio: 'inherit' });
  }
  return [
    { name: 'cnn', dir: 'artifacts/models/mnist', batches: [1, 32] },
    { name: 'mlp', dir: mlp, batches: [1, 32] },
    { name: 'efficientnet', dir: 'artifacts/models/efficientnet_lite0-imagenet', batches: [1, 2, 4, 8] },
  ];
}

const models = process.argv.length > 2
  ? process.argv.slice(2).map((a) => { const [name, dir] = a.split('='); return { name, dir, batches: [1, 32] }; })
  : defaultModels();
const info = stagePeers(bin, models);
const server = await serve('www/dist', 0, { isolated: true });
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await launchChromium(['--enable-unsafe-webgpu']);

async function kindlingPage() {
  const page = await browser.newPage();
  await page.goto(`${base}/demo.html`);
  await page.waitForSelector('#status[data-state="ready"]', { timeout: 120_000 });
  return page;
}

const rows = [];
/** The CPU build the `cpu` column ran (`relaxed` where Chromium validates relaxed SIMD). */
let cpuBuild;
for (const m of models) {
  for (const batch of m.batches) {
    const runs = m.name === 'efficientnet' ? 10 : batch === 1 ? 50 : 20;
    const seed = 1000 + batch;
    const row = { model: m.name, batch, mflop: info[m.name].flops / 1e6 };
    for (const device of devices) {
      const page = await kindlingPage();
      const r = await runKindling(page, { name: m.name, device, batch, runs: device === 'cpu' ? runs : Math.min(runs, 5), seed });
      row[`kindling-${device}`] = r.ms;
      if (device === 'cpu') [row.expected, row.inputLength] = [r.probs, r.inputLength];
      await page.close();
    }
    {
      // The SIMD128 build beside the browser's (relaxed SIMD where Chromium has it).
      const page = await kindlingPage();
      cpuBuild ??= await page.evaluate(() => window.kindlingCpuBuild);
      const r = await runKindling(page, { name: m.name, device: 'cpu', batch, runs, seed, cpuBuild: 'simd128' });
      row['kindling-simd128'] = r.ms;
      row['diff-simd128'] = Math.max(...r.probs.map((p, i) => Math.abs(p - row.expected[i])));
      await page.close();
    }
    {
      const page = await kindlingPage();
      const r = await runKindlingWorker(page, { name: m.name, batch, runs, seed, threads: 2, inputLength: row.inputLength });
      if (r.threads !== 2) throw new Error(`the worker ran ${r.threads} thread(s): ${r.threadsFallbackReason}`);
      row['kindling-2'] = r.ms;
      row['diff-k2'] = Math.max(...Array.from(r.probs, (p, i) => Math.abs(p - row.expected[i])));
      await page.close();
    }
    for (const threads of [1, 2]) {
      const page = await browser.newPage();
      await page.goto(`${base}/peers/index.html`);
      const r = await runOrt(page, { name: m.name, inputLength: row.inputLength, batch, runs, seed, threads, expected: row.expected });
      if (threads > 1 && !r.isolated) throw new Error('the page is not cross-origin isolated: no threads');
      row[`ort-${threads}`] = r.ms;
      row[`diff-${threads}`] = r.maxDiff;
      await page.close();
    }
    rows.push(row);
    console.error(`${m.name} batch ${batch}: done`);
  }
}
await browser.close();
server.close();

const f = (ms) => (ms == null ? '–' : ms < 10 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(1)} ms`);
const gflops = (row, ms) => (row.mflop * row.batch) / ms; // MFLOP per ms = GFLOP/s
const lines = [
  `| model | batch | MFLOP/item | Kindling cpu-simd (${cpuBuild}) | GFLOP/s | Kindling SIMD128 build | Kindling 2 threads | ort-web wasm 1 thread | ort-web 2 threads | Kindling ÷ best 1-thread peer | Kindling 2T ÷ ort 2T | Kindling 1T ÷ 2T | max abs Δ probs (K SIMD128 / K 2T / ort 1T / 2T) |` + (devices.includes('webgpu') ? ' Kindling WebGPU (SwiftShader) |' : ''),
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|' + (devices.includes('webgpu') ? '---|' : ''),
];
for (const r of rows) {
  const k = r['kindling-cpu'];
  const k2 = r['kindling-2'];
  lines.push(`| ${r.model} | ${r.batch} | ${r.mflop.toFixed(1)} | ${f(k)} | ${gflops(r, k).toFixed(1)} | ${f(r['kindling-simd128'])} | ${f(k2)} | ${f(r['ort-1'])} | ${f(r['ort-2'])} | ${(k / r['ort-1']).toFixed(2)}× | ${(k2 / r['ort-2']).toFixed(2)}× | ${(k / k2).toFixed(2)}× | ${['diff-simd128', 'diff-k2', 'diff-1', 'diff-2'].map((d) => r[d].toExponential(1)).join(' / ')} |`
    + (devices.includes('webgpu') ? ` ${f(r['kindling-webgpu'])} |` : ''));
}
console.log(lines.join('\n'));
const worst = Math.max(...rows.flatMap((r) => [r['diff-simd128'], r['diff-k2'], r['diff-1'], r['diff-2']]));
if (!(worst <= 1e-4)) {
  console.error(`outputs differ by ${worst} (> 1e-4): the export or a runtime is wrong`);
  process.exitCode = 1;
}
