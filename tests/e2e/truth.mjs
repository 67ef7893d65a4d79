// Labeling by the truth an item's id carries (`<class>-…`), for the end-to-end tests whose
// fixtures name each item after its class.
import assert from 'node:assert/strict';

/** The true class of an item among `classes` (its id starts with it) and its key (`1`…). */
export function truth(classes, id) {
  const cls = classes.findIndex((c) => id.startsWith(`${c}-`));
  assert.ok(cls >= 0, `item ${id} names its class`);
  return { name: classes[cls], key: String(cls + 1) };
}

/** Labels the item on screen with its true class by keyboard; returns the suggestion it had. */
export async function labelTruly(page, classes) {
  await page.waitForFunction(() => window.kindlingApp.current() !== null);
  const id = await page.evaluate(() => window.kindlingApp.current());
  const suggested = await page.evaluate((i) => window.kindlingApp.suggestion(i), id);
  await page.keyboard.press(truth(classes, id).key);
  await page.waitForFunction((prev) => window.kindlingApp.current() !== prev, id);
  return { id, suggested, right: suggested === truth(classes, id).name };
}
