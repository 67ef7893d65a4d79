// Where Kindling's CPU inference spends its time in Chromium (prints a table; not a test): runs
// `session.predict` on a bundle in a loop under the DevTools CPU profiler and sums self time per
// function (wasm functions keep their Rust names: the name section is not stripped).
// Usage: node scripts/profile-browser.mjs [bundle dir] [batch] [seconds]
//   (after scripts/build-pkg.sh and scripts/build-www.sh; default: the MNIST cnn, batch 32, 5 s)
//        node scripts/profile-browser.mjs --cold [visits]
//   profiles the CPU demo's start instead: navigation → model ready, on visits after the first
//   (wasm and scripts from the HTTP cache, the model from the Cache API), self time summed over
//   the visits and shown per visit (default 5).
//        node scripts/profile-browser.mjs --threads [bundle dir] [batch] [threads] [runs]
//   profiles the threaded module in the demo's Web Worker and in each of its pool's workers
//   (a table per thread; default: the MNIST cnn, batch 32, 2 threads, 3,000 predictions).
import fs from 'node:fs';
import path from 'node:path';
import { serve } from './serve-static.mjs';
import { launchChromium } from '../tests/e2e/browser.mjs';

/** Self time per function name (ms) of a DevTools CPU profile, added into `into`. */
function addSelfTimes(profile, into) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const name = node.callFrame.functionName || `(${node.callFrame.url.split('/').pop() || 'program'})`;
    into.set(name, (into.get(name) ?? 0) + (profile.timeDeltas[i + 1] ?? 0) / 1000);
  }
}

/** Prints the 25 largest entries of `self` (ms, divided by `per`) with their shares. */
function printTable(self, per) {
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 25);
  console.log('| self ms | share | function |\n|---|---|---|');
  for (const [name, ms] of rows) {
    const short = name.length > 110 ? `${name.slice(0, 107)}...` : name;
    console.log(`| ${(ms / per).toFixed(1)} | ${(100 * ms / total).toFixed(1)}% | \`${short.replace(/\|/g, '\\|')}\` |`);
  }
}

if (process.argv[2] === '--threads') {
  const [dir = 'artifacts/models/mnist', batch = 32, threads = 2, runs = 3000] = process.argv.slice(3).map((a, i) => (i === 0 ? a : Number(a)));
  const name = path.basename(dir);
  const staged = path.resolve('www/dist/models/profile');
  fs.rmSync(staged, { recursive: true, force: true });
  fs.cpSync(dir, staged, { recursive: true });
  const server = await serve('www/dist', 0, { isolated: true });
  const browser = await launchChromium();
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/demo.html`);
  await page.waitForSelector('#status[data-state="ready"]', { timeout: 120_000 });
  // Workers (and the pool's workers inside the demo's worker) are reached through nested
  // Target.sendMessageToTarget sessions: Playwright's CDP sessions do not address workers.
  const cdp = await page.context().newCDPSession(page);
  let nextId = 1;
  const pending = new Map();
  const routes = new Map(); // session id → the chain of session ids that reaches it
  const send = (session, method, params = {}) => {
    const route = routes.get(session);
    const id = nextId++;
    let message = JSON.stringify({ id, method, params });
    for (let i = route.length - 1; i >= 1; i--) {
      message = JSON.stringify({ id: nextId++, method: 'Target.sendMessageToTarget', params: { sessionId: route[i], message } });
    }
    const answer = new Promise((resolve) => pending.set(id, resolve));
    // A worker that already ended (the run finished inside the window) answers nothing.
    cdp.send('Target.sendMessageToTarget', { sessionId: route[0], message }).catch(() => pending.get(id)?.(null));
    return answer;
  };
  const attached = async (session, parent) => {
    routes.set(session, parent ? [...routes.get(parent), session] : [session]);
    send(session, 'Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
    await send(session, 'Profiler.enable');
    await send(session, 'Profiler.setSamplingInterval', { interval: 100 });
    await send(session, 'Profiler.start');
  };
  const received = (from, text) => {
    const m = JSON.parse(text);
    if (m.id && pending.has(m.id)) {
      pending.get(m.id)(m.result);
      pending.delete(m.id);
    }
    if (m.method === 'Target.attachedToTarget') attached(m.params.sessionId, from);
    if (m.method === 'Target.receivedMessageFromTarget') received(m.params.sessionId, m.params.message);
  };
  cdp.on('Target.receivedMessageFromTarget', ({ sessionId, message }) => received(sessionId, message));
  cdp.on('Target.attachedToTarget', ({ sessionId }) => attached(sessionId, null));
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  const { input } = JSON.parse(fs.readFileSync(path.join(staged, 'manifest.json'), 'utf8'));
  const length = batch * (input.kind === 'image' ? input.channels * input.width * input.height : input.features.length);
  const done = page.evaluate(({ batch, threads, runs, length }) => window.kindlingInWorker({
    url: 'models/profile/', device: 'cpu', threads, batch, runs,
    input: new Float32Array(length).map((_, i) => (i % 97) / 97),
  }), { batch, threads, runs, length }).catch((e) => ({ error: String(e) }));
  // Profiles cover the first 4 s: choose `runs` so that the worker is still predicting then.
  await new Promise((resolve) => setTimeout(resolve, 4000));
  for (const [session, route] of routes) {
    const got = await Promise.race([send(session, 'Profiler.stop'), new Promise((resolve) => setTimeout(() => resolve(null), 3000))]);
    if (!got?.profile) continue;
    const self = new Map();
    addSelfTimes(got.profile, self);
    console.log(`\n${route.length === 1 ? "the demo's worker (calls predict)" : 'a pool worker'}, ${name} batch ${batch} on ${threads} threads:\n`);
    printTable(self, 1);
  }
  const result = await done;
  console.log(`\nmedian predict in the worker: ${result.ms?.toFixed(2)} ms${result.error ? ` (${result.error})` : ''}`);
  await browser.close();
  server.close();
  process.exit(0);
}

if (process.argv[2] === '--cold') {
  const visits = Number(process.argv[3] ?? 5);
  const server = await serve('www/dist');
  const browser = await launchChromium();
  const context = await browser.newContext();
  const self = new Map();
  const ready = [];
  for (let visit = 0; visit <= visits; visit++) {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 50 });
    if (visit > 0) await cdp.send('Profiler.start');
    await page.goto(`http://127.0.0.1:${server.address().port}/demo.html?device=cpu`);
    await page.waitForSelector('#status[data-state="ready"]', { timeout: 120_000 });
    if (visit > 0) {
      addSelfTimes((await cdp.send('Profiler.stop')).profile, self);
      ready.push(await page.evaluate(() => performance.getEntriesByName('kindling-ready')[0].startTime));
    }
    await page.close();
  }
  await browser.close();
  server.close();
  console.log(`CPU demo start, ${visits} visits after the first: ready at ${ready.map((ms) => ms.toFixed(0)).join(', ')} ms\n`);
  printTable(self, visits);
  process.exit(0);
}

const dir = process.argv[2] ?? 'artifacts/models/mnist';
const batch = Number(process.argv[3] ?? 32);
const seconds = Number(process.argv[4] ?? 5);
const target = path.resolve('www/dist/models/profile');
fs.rmSync(target, { recursive: true, force: true });
fs.cpSync(dir, target, { recursive: true });
const server = await serve('www/dist');
const browser = await launchChromium();
const page = await browser.newPage();
await page.goto(`http://127.0.0.1:${server.address().port}/demo.html`);
await page.waitForSelector('#status[data-state="ready"]', { timeout: 120_000 });
await page.evaluate(async (batch) => {
  const { Session } = await window.kindlingModule('cpu');
  window.profiled = await Session.load('models/profile/', { device: 'cpu' });
  window.profileInput = new Float32Array(batch * window.profiled.inputLength).map((_, i) => (i * 7919 % 1000) / 1000);
  await window.profiled.predict(window.profileInput, batch);
}, batch);
const cdp = await page.context().newCDPSession(page);
await cdp.send('Profiler.enable');
await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
await cdp.send('Profiler.start');
const runs = await page.evaluate(async ({ batch, seconds }) => {
  const end = performance.now() + seconds * 1000;
  let n = 0;
  while (performance.now() < end) { await window.profiled.predict(window.profileInput, batch); n++; }
  return n;
}, { batch, seconds });
const { profile } = await cdp.send('Profiler.stop');
await browser.close();
server.close();

console.log(`${path.basename(dir)}, batch ${batch}: ${runs} predictions in ${seconds} s (${(seconds * 1000 / runs).toFixed(2)} ms each)\n`);
const self = new Map();
addSelfTimes(profile, self);
printTable(self, 1);
