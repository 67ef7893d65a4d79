// `kindling bundle export-onnx`: the exported graph, run by onnxruntime-web (npm, wasm backend)
// in Debian's Chromium, gives the probabilities a Kindling session gives for the same bundle and
// the same inputs — the MNIST cnn, and EfficientNet-Lite0 with its 1000-class head (per-channel
// normalization, asymmetric "same" padding, depthwise convolutions, residuals, global pooling,
// a dense head); a bundle it cannot express is refused with a clear error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { serve } from '../../scripts/serve-static.mjs';
import { stagePeers, runKindling, runOrt } from '../../scripts/peers.mjs';
import { launchChromium, watch } from './browser.mjs';
import { KINDLING_BIN } from './kindling-server.mjs';

const MODELS = [
  { name: 'cnn', dir: 'artifacts/models/mnist', batch: 4 },
  { name: 'efficientnet', dir: 'artifacts/models/efficientnet_lite0-imagenet', batch: 2 },
];
let server;
let browser;
let base;
let info;

before(async () => {
  info = stagePeers(KINDLING_BIN, MODELS);
  server = await serve('www/dist', 0, { isolated: true });
  base = `http://127.0.0.1:${server.address().port}`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
});

for (const m of MODELS) {
  test(`the ONNX export of ${m.name} gives Kindling's probabilities in onnxruntime-web (1 and 2 threads)`, async () => {
    const problems = [];
    const page = await browser.newPage();
    watch(page, problems);
    await page.goto(`${base}/demo.html`);
    await page.waitForSelector('#status[data-state="ready"]', { timeout: 120_000 });
    const kindling = await runKindling(page, { name: m.name, device: 'cpu', batch: m.batch, runs: 0, seed: 7 });
    await page.close();
    assert.ok(info[m.name].flops > 0, 'the export counted the model\'s FLOPs');
    for (const threads of [1, 2]) {
      const ortPage = await browser.newPage();
      watch(ortPage, problems);
      await ortPage.goto(`${base}/peers/index.html`);
      const ort = await runOrt(ortPage, {
        name: m.name, inputLength: kindling.inputLength, batch: m.batch, runs: 0, seed: 7, threads, expected: kindling.probs,
      });
      await ortPage.close();
      assert.equal(ort.probs.length, kindling.probs.length);
      console.log(`${m.name}: max |Δp| ${ort.maxDiff.toExponential(2)} with ${threads} thread(s)`);
      assert.ok(ort.maxDiff <= 1e-4, `${m.name}: probabilities differ by ${ort.maxDiff}`);
      // Not a trivial agreement (e.g. two uniform outputs): the probabilities are spread out.
      assert.ok(Math.max(...kindling.probs) - Math.min(...kindling.probs) > 0.05, 'the outputs are not flat');
    }
    assert.deepEqual(problems, []);
  });
}

test('exporting a text model is refused with a message naming what can be exported', () => {
  const out = path.resolve('artifacts/tmp-text.onnx');
  const r = spawnSync(KINDLING_BIN, ['bundle', 'export-onnx', 'artifacts/models/all-minilm-l6-v2', '--out', out], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /text model cannot be exported to ONNX \(exportable: mlp and cnn/);
  assert.equal(fs.existsSync(out), false, 'no file is written');
});
