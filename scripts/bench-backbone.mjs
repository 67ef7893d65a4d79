// Backbone benchmark in the browser (prints numbers; not a test): EfficientNet-Lite0 (224 px)
// loaded by URL in Debian's Chromium through the demo page — first load (download + Cache API)
// and second load (from the cache), f32 and f16 — then embedding time per photo on each device
// at batch 1 and 32, the head alone on stored embeddings, and fitting the local head on 100 and
// 1,000 labeled embeddings (SVMs, the default on photos; softmax regression's 100 steps and a
// 20-step warm refit) — in the bundle's classes: give
// a project's bundle (`kindling train --backbone … --out DIR`), not the 1000-class ImageNet one,
// whose local head is ~170× the work of a 6-class head.
// Usage: node scripts/bench-backbone.mjs [bundle dir] [embeddings.emb]
//   BENCH_DEVICES=cpu skips SwiftShader. The optional .emb file (written by `kindling bench
//   photos --cache DIR`: n u64, dim u64, n·dim f32, n u32 labels) gives the local-head timing
//   real embeddings and labels; without it, embeddings of random pixels are used.   (after scripts/build-www.sh and
//        `kindling backbone import … --out artifacts/models/efficientnet_lite0-imagenet`)
import fs from 'node:fs';
import path from 'node:path';
import { serve } from './serve-static.mjs';
import { launchChromium } from '../tests/e2e/browser.mjs';

const bundle = path.resolve(process.argv[2] ?? 'artifacts/models/efficientnet_lite0-imagenet');
const embFile = process.argv[3];
const target = path.resolve('www/dist/models/bench-backbone');
fs.rmSync(target, { recursive: true, force: true });
fs.cpSync(bundle, target, { recursive: true });
if (embFile) fs.copyFileSync(embFile, path.join(target, 'real.emb'));
const server = await serve('www/dist');
const browser = await launchChromium(['--enable-unsafe-webgpu']);
const url = `http://127.0.0.1:${server.address().port}`;
const page = await browser.newPage();
await page.goto(`${url}/demo.html`);
await page.waitForSelector('#status[data-state="ready"]', { timeout: 120_000 });
const loads = await page.evaluate(async () => {
  const { Session } = await window.kindlingModule('cpu');
  const out = [];
  for (const dtype of ['f32', 'f16']) {
    for (const when of ['first', 'cached']) {
      const t = performance.now();
      const s = await Session.load('models/bench-backbone/', { device: 'cpu', dtype });
      out.push({ dtype, when, ms: performance.now() - t });
      s.dispose();
    }
  }
  return out;
});
const localFits = await page.evaluate(async (real) => {
  const { Session } = await window.kindlingModule('cpu');
  const s = await Session.load('models/bench-backbone/', { device: 'cpu', dtype: 'f16' });
  let data = null;
  if (real) {
    const buf = await (await fetch('models/bench-backbone/real.emb')).arrayBuffer();
    const v = new DataView(buf);
    const count = Number(v.getBigUint64(0, true));
    const dim = Number(v.getBigUint64(8, true));
    data = { count, x: new Float32Array(buf, 16, count * dim), y: new Uint32Array(buf.slice(16 + count * dim * 4)) };
  }
  const out = [];
  for (const n of [100, 1000]) {
    let x;
    let y;
    if (data && data.count >= n) {
      // Spread over the file (it is in class order).
      x = new Float32Array(n * 1280);
      y = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        const j = Math.floor((i * data.count) / n);
        x.set(data.x.subarray(j * 1280, (j + 1) * 1280), i * 1280);
        y[i] = data.y[j];
      }
    } else {
      const emb = await s.embed(new Float32Array(8 * s.inputLength).map(() => Math.random()), 8);
      x = new Float32Array(n * 1280);
      for (let i = 0; i < n; i++) x.set(emb.subarray((i % 8) * 1280, (i % 8 + 1) * 1280), i * 1280);
      for (let i = 0; i < x.length; i++) x[i] += Math.random() * 0.1;
      y = Uint32Array.from({ length: n }, (_, i) => i % 6);
    }
    // The photo backbone's default learner (SVMs, fitted to convergence), then softmax
    // regression: 100 steps cold, a 20-step warm refit.
    s.clearLocalHead();
    let t = performance.now();
    await s.trainLocalHead(x, y);
    const svm = performance.now() - t;
    s.clearLocalHead();
    t = performance.now();
    await s.trainLocalHead(x, y, { learner: 'softmax', steps: 100 });
    const cold = performance.now() - t;
    t = performance.now();
    await s.trainLocalHead(x, y, { learner: 'softmax', steps: 20 });
    out.push({ n, svm, cold, warm: performance.now() - t, real: !!data });
  }
  s.dispose();
  return out;
}, !!embFile);
const rows = [];
for (const device of (process.env.BENCH_DEVICES ?? 'cpu,webgpu').split(',')) {
  const r = await page.evaluate(async (device) => {
    const { Session } = await window.kindlingModule(device);
    const s = await Session.load('models/bench-backbone/', { device, dtype: 'f16' });
    const time = async (fn, runs) => {
      await fn(); // warm-up (shader compilation on WebGPU)
      const ms = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        await fn();
        ms.push(performance.now() - t);
      }
      ms.sort((a, b) => a - b);
      return ms[Math.floor(ms.length / 2)];
    };
    const photo = (n) => new Float32Array(n * s.inputLength).map(() => Math.random());
    const one = photo(1);
    const many = photo(32);
    const b1 = await time(() => s.embed(one, 1), device === 'cpu' ? 10 : 3);
    const b32 = await time(() => s.embed(many, 32), device === 'cpu' ? 3 : 1);
    const emb = await s.embed(many, 32);
    const head = await time(() => s.predictEmbeddings(emb, 32), 10);
    const device_ = s.device;
    s.dispose();
    return { device: device_, b1, b32, head };
  }, device);
  rows.push(`| ${r.device} | ${r.b1.toFixed(1)} ms | ${r.b32.toFixed(0)} ms (${(r.b32 / 32).toFixed(1)} ms/photo) | ${r.head.toFixed(2)} ms |`);
}
console.log('| backbone file | load | time |\n|---|---|---|');
for (const l of loads) console.log(`| ${l.dtype} | ${l.when} | ${l.ms.toFixed(0)} ms |`);
console.log('\n| labels | local head fit: SVMs (default) | softmax, 100 steps | softmax warm refit, 20 steps |\n|---|---|---|---|');
for (const f of localFits) console.log(`| ${f.n}${f.real ? '' : ' (random pixels)'} | ${f.svm.toFixed(0)} ms | ${f.cold.toFixed(0)} ms | ${f.warm.toFixed(0)} ms |`);
console.log('\n| device | embed, batch 1 (median) | embed, batch 32 (median) | head on 32 embeddings |\n|---|---|---|---|');
console.log(rows.join('\n'));
await browser.close();
server.close();
fs.rmSync(target, { recursive: true, force: true });
