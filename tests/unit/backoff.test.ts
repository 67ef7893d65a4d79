// The sync's retry timing: doubling between 0.5 s and 30 s, retries in the second half.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKOFF_MAX_MS, BACKOFF_MIN_MS, nextBackoff, retryDelay } from '../../www/app/backoff';

test('backoff starts at the minimum, doubles, and stays at the maximum', () => {
  const seen: number[] = [];
  let ms = 0;
  for (let i = 0; i < 10; i++) seen.push((ms = nextBackoff(ms)));
  assert.deepEqual(seen.slice(0, 4), [500, 1000, 2000, 4000]);
  assert.equal(seen.at(-1), BACKOFF_MAX_MS);
  assert.ok(seen.every((s) => s >= BACKOFF_MIN_MS && s <= BACKOFF_MAX_MS));
});

test('a retry comes in the second half of its backoff (full jitter)', () => {
  assert.equal(retryDelay(4000, () => 0), 2000);
  assert.equal(retryDelay(4000, () => 0.999999), 2000 + 0.999999 * 2000);
  for (let i = 0; i < 100; i++) {
    const d = retryDelay(1000);
    assert.ok(d >= 500 && d < 1000, `${d}`);
  }
});
