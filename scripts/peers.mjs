// The same bundle run by Kindling and by onnxruntime-web in one Chromium page set: stages the
// bundles and their ONNX exports (`kindling bundle export-onnx`) under www/dist/peers/, and
// runs either runtime on seeded inputs. Used by scripts/bench-peers.mjs (timings) and by
// tests/e2e/onnx-export.test.mjs (outputs equal).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const ORT_FILES = ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];

/**
 * Copies each `{ name, dir }` bundle to www/dist/peers/NAME/, exports it to
 * www/dist/peers/NAME.onnx with `kindlingBin`, and copies onnxruntime-web's wasm build to
 * www/dist/peers/ort/. Returns `{ name: { flops, onnxBytes } }` (FLOPs per item, as the CLI counts).
 */
export function stagePeers(kindlingBin, bundles, root = 'www/dist') {
  const target = path.resolve(root, 'peers');
  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(path.join(target, 'ort'), { recursive: true });
  for (const f of ORT_FILES) fs.copyFileSync(path.resolve('node_modules/onnxruntime-web/dist', f), path.join(target, 'ort', f));
  // A blank page of this origin for the onnxruntime-web runs.
  fs.writeFileSync(path.join(target, 'index.html'), '<!doctype html><link rel="icon" href="data:,"><title>peers</title>');
  const info = {};
  for (const { name, dir } of bundles) {
    fs.cpSync(dir, path.join(target, name), { recursive: true });
    const onnx = path.join(target, `${name}.onnx`);
    const out = execFileSync(kindlingBin, ['bundle', 'export-onnx', dir, '--out', onnx], { encoding: 'utf8' });
    const mflop = Number(/([\d.]+) MFLOP per item/.exec(out)?.[1]);
    info[name] = { flops: mflop * 1e6, onnxBytes: fs.statSync(onnx).size };
  }
  return info;
}

/**
 * Defines `window.peers` in `page`: `input(length, seed)` (mulberry32: the same inputs in every
 * page) and `median(run, runs)` (warm-ups for ≥ 0.5 s, then the median of `runs` timed calls; null when
 * `runs` is 0).
 */
export function installHelpers(page) {
  return page.evaluate(() => {
    window.peers = {
      input(length, seed) {
        let s = seed >>> 0;
        const out = new Float32Array(length);
        for (let i = 0; i < length; i++) {
          s = (s + 0x6d2b79f5) >>> 0;
          let t = s;
          t = Math.imul(t ^ (t >>> 15), t | 1);
          t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
          out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
        }
        return out;
      },
      async median(run, runs) {
        if (runs === 0) return null;
        // Warm-up: at least 2 calls and 0.5 s, so V8 has tiered the hot code up before timing
        // (with two calls only, a model of ~2 ms per call was timed half in baseline code).
        const warm = performance.now() + 500;
        for (let i = 0; i < 2 || performance.now() < warm; i++) await run();
        const ms = [];
        for (let i = 0; i < runs; i++) {
          const t = performance.now();
          await run();
          ms.push(performance.now() - t);
        }
        ms.sort((a, b) => a - b);
        return ms[Math.floor(ms.length / 2)];
      },
    };
  });
}

/**
 * In a page of the built demo (which exposes the `Session` class): loads peers/NAME/ on
 * `device` (on the CPU: the `cpuBuild` given, `'relaxed'` or `'simd128'`, else the browser's), predicts `batch` seeded inputs, and returns `{ device, inputLength, probs, ms }` — `ms` the
 * median of `runs` timed predictions (null when `runs` is 0).
 */
export async function runKindling(page, { name, device, batch, runs, seed, cpuBuild }) {
  await installHelpers(page);
  return page.evaluate(async ({ name, device, batch, runs, seed, cpuBuild }) => {
    const { Session } = await window.kindlingModule(device, { cpuBuild });
    const session = await Session.load(`peers/${name}/`, { device });
    const input = window.peers.input(batch * session.inputLength, seed);
    const first = await session.predict(input, batch);
    const ms = await window.peers.median(() => session.predict(input, batch), runs);
    const out = { device: session.device, inputLength: session.inputLength, probs: Array.from(first.probs), ms };
    session.dispose();
    return out;
  }, { name, device, batch, runs, seed, cpuBuild });
}

/**
 * In a page of the built demo: the same as `runKindling` on the CPU, in a fresh Web Worker
 * (www/demo/session-worker.ts), where the threaded module runs when the page is cross-origin
 * isolated. Returns `{ device, threads, threadsFallbackReason, probs, ms }`.
 */
export async function runKindlingWorker(page, { name, batch, runs, seed, threads, inputLength }) {
  await installHelpers(page);
  const r = await page.evaluate(({ name, batch, runs, seed, threads, inputLength }) => window.kindlingInWorker({
    url: `peers/${name}/`, device: 'cpu', threads, batch, runs, input: window.peers.input(batch * inputLength, seed),
  }), { name, batch, runs, seed, threads, inputLength });
  if (r.error) throw new Error(`${r.code}: ${r.error}`);
  return r;
}

/**
 * In a cross-origin isolated page: runs peers/NAME.onnx with onnxruntime-web's wasm backend on
 * `threads` threads (set once per page: open a new page for another count) on the same seeded
 * inputs; returns `{ probs, ms, maxDiff }`, `maxDiff` against `expected` probabilities.
 */
export async function runOrt(page, { name, inputLength, batch, runs, seed, threads, expected }) {
  await installHelpers(page);
  return page.evaluate(async ({ name, inputLength, batch, runs, seed, threads, expected }) => {
    const ort = await import('/peers/ort/ort.wasm.min.mjs');
    ort.env.wasm.wasmPaths = '/peers/ort/';
    ort.env.wasm.numThreads = threads;
    const session = await ort.InferenceSession.create(`/peers/${name}.onnx`, {
      executionProviders: ['wasm'], graphOptimizationLevel: 'all',
    });
    const input = window.peers.input(batch * inputLength, seed);
    const run = () => session.run({ input: new ort.Tensor('float32', input, [batch, inputLength]) });
    const probs = Array.from((await run()).probabilities.data);
    const ms = await window.peers.median(run, runs);
    let maxDiff = 0;
    if (expected) for (let i = 0; i < probs.length; i++) maxDiff = Math.max(maxDiff, Math.abs(probs[i] - expected[i]));
    await session.release();
    return { probs, ms, maxDiff, isolated: crossOriginIsolated };
  }, { name, inputLength, batch, runs, seed, threads, expected });
}
