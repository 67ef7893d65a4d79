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
 * www/dist/peers/ort/. Returns `{ name: { flops, onnxBytes, inputLength, classes } }`.
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
 * In a page of the built demo (which exposes the `Session` class): loads peers/NAME/ on
 * `device`, predicts `batch` seeded inputs, and returns `{ device, inputLength, probs, ms }` — `ms` the
 * median of `runs` timed predictions after two warm-ups (no timing when `runs` is 0).
 */
export function runKindling(page, { name, device, batch, runs, seed }) {
  return page.evaluate(async ({ name, device, batch, runs, seed }) => {
    const Session = window.kindlingSession.constructor;
    const session = await Session.load(`peers/${name}/`, { device });
    let s = seed >>> 0; // mulberry32: the same inputs in every page
    const rand = () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
    const input = new Float32Array(batch * session.inputLength);
    for (let i = 0; i < input.length; i++) input[i] = rand();
    const first = await session.predict(input, batch);
    const ms = [];
    if (runs > 0) {
      await session.predict(input, batch);
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        await session.predict(input, batch);
        ms.push(performance.now() - t);
      }
      ms.sort((a, b) => a - b);
    }
    const out = {
      device: session.device, inputLength: session.inputLength, probs: Array.from(first.probs),
      ms: ms[Math.floor(ms.length / 2)] ?? null,
    };
    session.dispose();
    return out;
  }, { name, device, batch, runs, seed });
}

/**
 * In a cross-origin isolated page: runs peers/NAME.onnx with onnxruntime-web's wasm backend on
 * `threads` threads (set once per page: open a new page for another count) on the same seeded
 * inputs; returns `{ probs, ms, maxDiff }`, `maxDiff` against `expected` probabilities.
 */
export function runOrt(page, { name, inputLength, batch, runs, seed, threads, expected }) {
  return page.evaluate(async ({ name, inputLength, batch, runs, seed, threads, expected }) => {
    const ort = await import('/peers/ort/ort.wasm.min.mjs');
    ort.env.wasm.wasmPaths = '/peers/ort/';
    ort.env.wasm.numThreads = threads;
    const session = await ort.InferenceSession.create(`/peers/${name}.onnx`, {
      executionProviders: ['wasm'], graphOptimizationLevel: 'all',
    });
    let s = seed >>> 0;
    const rand = () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
    const input = new Float32Array(batch * inputLength);
    for (let i = 0; i < input.length; i++) input[i] = rand();
    const run = () => session.run({ input: new ort.Tensor('float32', input, [batch, inputLength]) });
    const first = await run();
    const probs = Array.from(first.probabilities.data);
    const ms = [];
    if (runs > 0) {
      await run();
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        await run();
        ms.push(performance.now() - t);
      }
      ms.sort((a, b) => a - b);
    }
    let maxDiff = 0;
    if (expected) for (let i = 0; i < probs.length; i++) maxDiff = Math.max(maxDiff, Math.abs(probs[i] - expected[i]));
    await session.release();
    return { probs, ms: ms[Math.floor(ms.length / 2)] ?? null, maxDiff, isolated: crossOriginIsolated };
  }, { name, inputLength, batch, runs, seed, threads, expected });
}
