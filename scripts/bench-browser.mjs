// Browser inference benchmark (prints numbers; not a test): loads the built demo in Debian's
// Chromium on each device and reports
//  - cold start: from navigation to the first prediction done (page, wasm module fetch +
//    compile, model load), on a first visit and on later ones (wasm and scripts from the HTTP
//    cache, the model from the package's Cache API);
//  - session.predict medians for batches of 1 and 32.
// Usage: node scripts/bench-browser.mjs   (after scripts/build-pkg.sh and scripts/build-www.sh)
import { serve } from './serve-static.mjs';
import { launchChromium } from '../tests/e2e/browser.mjs';

const server = await serve('www/dist');
const browser = await launchChromium(['--enable-unsafe-webgpu']);
const url = (device) => `http://127.0.0.1:${server.address().port}/demo.html?device=${device}`;

/** Opens the demo on `device`; resolves to the ms from navigation to its first prediction. */
async function coldStart(context, device) {
  const page = await context.newPage();
  await page.goto(url(device));
  await page.waitForSelector('#status[data-state="ready"]', { timeout: 120_000 });
  const ms = await page.evaluate(async () => {
    const ready = performance.getEntriesByName('kindling-ready')[0].startTime;
    const s = window.kindlingSession;
    const t = performance.now();
    await s.predict(new Float32Array(s.inputLength), 1);
    return { ready, total: ready + performance.now() - t };
  });
  await page.close();
  return ms;
}

const rows = [];
const starts = [];
for (const device of ['cpu', 'webgpu']) {
  const context = await browser.newContext();
  const first = await coldStart(context, device);
  // Later visits vary by ±25% here: the median of several, with the range.
  const visits = [];
  for (let i = 0; i < 7; i++) visits.push(await coldStart(context, device));
  visits.sort((a, b) => a.total - b.total);
  const warm = visits[visits.length >> 1];
  const range = `${visits[0].total.toFixed(0)}–${visits.at(-1).total.toFixed(0)}`;
  starts.push(`| ${device} | ${first.ready.toFixed(0)} / ${first.total.toFixed(0)} ms | ${warm.ready.toFixed(0)} / ${warm.total.toFixed(0)} ms (${range}) |`);
  const page = await context.newPage();
  await page.goto(url(device));
  await page.waitForSelector('#status[data-state="ready"]', { timeout: 120_000 });
  const result = await page.evaluate(async () => {
    const s = window.kindlingSession;
    const time = async (batch, runs) => {
      const input = new Float32Array(batch * s.inputLength).map(() => Math.random());
      await s.predict(input, batch); // warm-up (shader compilation on WebGPU)
      const ms = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        await s.predict(input, batch);
        ms.push(performance.now() - t);
      }
      ms.sort((a, b) => a - b);
      return ms[Math.floor(ms.length / 2)];
    };
    return { device: s.device, b1: await time(1, 30), b32: await time(32, 10) };
  });
  rows.push(`| ${result.device} | ${result.b1.toFixed(2)} ms | ${result.b32.toFixed(1)} ms |`);
  await context.close();
}
console.log('Cold start of the demo model (navigation → session ready / → first prediction done):');
console.log('| device | first visit | later visits, median of 7 (range of the totals) |\n|---|---|---|\n' + starts.join('\n'));
console.log('\n| device | batch 1 (median) | batch 32 (median) |\n|---|---|---|\n' + rows.join('\n'));
await browser.close();
server.close();
