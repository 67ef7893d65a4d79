// Browser inference benchmark (prints numbers; not a test): loads the built demo in Debian's
// Chromium and times session.predict for batches of 1 and 32 on each device.
// Usage: node scripts/bench-browser.mjs   (after scripts/build-pkg.sh and scripts/build-www.sh)
import { serve } from './serve-static.mjs';
import { launchChromium } from '../tests/e2e/browser.mjs';

const server = await serve('www/dist');
const browser = await launchChromium(['--enable-unsafe-webgpu']);
const rows = [];
for (const device of ['cpu', 'webgpu']) {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/demo.html`);
  await page.waitForSelector('#status[data-state="ready"]', { timeout: 120_000 });
  await page.selectOption('#device', device);
  await page.waitForFunction((d) => document.querySelector('#status')?.dataset.state === 'ready'
    && window.kindlingSession?.device.startsWith(d === 'cpu' ? 'cpu' : 'webgpu'), device, { timeout: 120_000 });
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
  await page.close();
}
console.log('| device | batch 1 (median) | batch 32 (median) |\n|---|---|---|\n' + rows.join('\n'));
await browser.close();
server.close();
