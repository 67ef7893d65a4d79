// Steps the labeling-app tests share: open the app signed in, wait until it can work offline,
// label by keyboard, and check what reached the server.
import assert from 'node:assert/strict';
import { signIn, watch } from './browser.mjs';

/** A fresh browser profile (or `context`), signed in at `base`, on the labeling view of `project`. */
export async function openApp(browser, base, token, problems, project = 'digits', { allowed = [], context } = {}) {
  context ??= await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  watch(page, problems, allowed);
  await signIn(page, base, token);
  await page.goto(`${base}/?device=cpu#/p/${project}/label`);
  await page.waitForSelector('#label:not([hidden])');
  return { context, page };
}

/** Waits until the app is ready to label offline: model loaded, items held, shell cached. */
export async function readyOffline(page, minItems = 100) {
  await page.waitForFunction((n) => window.kindlingApp?.modelVersion() && window.kindlingApp.queued() >= n
    && navigator.serviceWorker.controller !== null, minItems, { timeout: 120_000 });
}

/** Waits for the item on screen to have the model's suggestion. */
export async function waitSuggestion(page) {
  await page.waitForFunction(() => /%/.test(document.querySelector('#suggestion')?.textContent ?? ''), null, { timeout: 60_000 });
}

/**
 * Labels the item on screen with a key; returns what was labeled. Even steps accept the
 * suggestion (Enter), odd ones correct it (a digit other than the suggestion).
 */
export async function labelOne(page, step) {
  await waitSuggestion(page);
  const before = await page.evaluate(() => window.kindlingApp.current());
  const suggested = (await page.textContent('#suggestion')).split(' · ')[0];
  let key;
  let cls;
  if (step % 2 === 0) {
    key = 'Enter';
    cls = suggested;
  } else {
    cls = String((Number(suggested) + 1) % 10);
    // Class "k" is label number k+1: keys 1–9 for classes 0–8, key 0 for class 9.
    key = cls === '9' ? '0' : String(Number(cls) + 1);
  }
  await page.keyboard.press(key);
  await page.waitForFunction((id) => window.kindlingApp.current() !== id, before, { timeout: 10_000 });
  return { item: before, cls, accepted: key === 'Enter', suggested };
}

/** Labels on this device not yet acknowledged by the server, as the status line shows them. */
export async function pending(page) {
  return Number(await page.getAttribute('#pending', 'data-count'));
}

/**
 * Asserts that each labeled item is on `server` once, as labeled, with its provenance, and
 * that the server applied exactly one write per label made since `since` (no duplicates).
 */
export async function assertOnServer(server, token, done, since, project = 'digits') {
  const rows = await server.labels(token, project);
  const byItem = new Map();
  for (const r of rows) {
    assert.ok(!byItem.has(r.item_id), `item ${r.item_id} exported twice`);
    byItem.set(r.item_id, r);
  }
  for (const d of done) {
    const row = byItem.get(d.item);
    assert.ok(row, `label of ${d.item} is on the server`);
    assert.equal(row.label, d.cls, `class of ${d.item}`);
    assert.equal(row.suggestion, d.suggested, `suggestion of ${d.item}`);
    assert.equal(row.accepted, d.accepted, `accepted flag of ${d.item}`);
    assert.match(row.model_version ?? '', /.+/, `model version of ${d.item}`);
    const applied = (await server.history(token, project, d.item))
      .filter((e) => e.outcome === 'applied' && e.kind === 'upsert' && e.received_at >= since);
    assert.equal(applied.length, 1, `${d.item} was applied exactly once: ${JSON.stringify(applied)}`);
  }
}
