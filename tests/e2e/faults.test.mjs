// The labeling app through a faulty network: a loopback proxy (fault-proxy.mjs) between
// Chromium and a real `kindling serve` delays requests, cuts them before or after the server
// saw them, truncates answers, answers 500/503 before or after the server applied a push, and
// sends requests twice. Labeling online, offline and after an offline reload through it, every
// label reaches the server exactly once.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { assertOnServer, labelOne, openApp, pending, readyOffline } from './app-helpers.mjs';
import { closeAll, launchChromium } from './browser.mjs';
import { FaultProxy } from './fault-proxy.mjs';
import { KindlingServer } from './kindling-server.mjs';

const MODEL = path.resolve('artifacts/models/mnist');
/** What Chromium itself logs for a cut request or an error status: expected under faults. */
const NETWORK = [
  /^Failed to load resource: net::ERR_[A-Z_]+$/,
  /^Failed to load resource: the server responded with a status of 50[03] \(/,
];

let server;
let proxy;
let browser;
let token;

before(async () => {
  server = await KindlingServer.create();
  token = server.user('fay');
  server.cli('admin', 'project-create', '--id', 'digits', '--name', 'Digits', '--labels', '0,1,2,3,4,5,6,7,8,9', '--owner', 'fay');
  server.cli('admin', 'import', '--project', 'digits', '--data', 'mnist', '--limit', '400');
  server.cli('admin', 'publish', '--project', 'digits', '--bundle', MODEL, '--current');
  await server.start();
  proxy = await FaultProxy.start(server.base);
  browser = await launchChromium();
});

after(async () => {
  try {
    await proxy?.close();
  } finally {
    await closeAll(browser, server);
  }
});

test('through a faulty network, online, offline and after an offline reload: every label on the server exactly once', async () => {
  const problems = [];
  const since = Date.now();
  const { context, page } = await openApp(browser, proxy.base, token, problems, 'digits', { allowed: NETWORK });
  await readyOffline(page, 100);
  const seed = proxy.faults(0.5);
  console.log(`fault seed ${seed} (half of the API requests faulted)`);
  const done = [];
  for (let i = 0; i < 10; i++) done.push(await labelOne(page, i));
  await context.setOffline(true);
  await page.waitForSelector('#net[data-state="offline"]');
  for (let i = 10; i < 15; i++) done.push(await labelOne(page, i));
  await page.reload();
  await page.waitForSelector('#label:not([hidden])');
  for (let i = 15; i < 20; i++) done.push(await labelOne(page, i));
  assert.ok(await pending(page) >= 10, 'the offline labels wait on the device');
  await context.setOffline(false);
  for (let i = 20; i < 30; i++) done.push(await labelOne(page, i));
  // Half of the requests faulted is a rate, not a count: a run whose draws spared the sync
  // labels on until at least 5 faults have hit it, so every run proves the same thing.
  const applied = () => Object.values(proxy.applied).reduce((a, b) => a + b, 0);
  for (let i = 30; applied() < 5 && i < 80; i++) done.push(await labelOne(page, i));
  await page.waitForSelector('#pending[data-count="0"]', { timeout: 120_000 });
  proxy.faults(0);
  console.log(`faults applied over ${done.length} labels: ${JSON.stringify(proxy.applied)}`);
  assert.ok(applied() >= 5, `the network was faulty: ${JSON.stringify(proxy.applied)}`);
  await assertOnServer(server, token, done, since);
  assert.deepEqual(problems, []);
  await context.close();
});
