// The reviewers' queue without the DOM: disagreements first, then likely errors, then the rest;
// a uniform random sample in every n-th slot; what accept / correct / flag write per label.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LocalLabel } from 'kindling';
import { AmbiguousAcceptError, reviewOps, reviewOrder, reviewed, sampledErrorRate } from '../../www/app/review-queue';

const label = (cls: string, review?: 'accept' | 'correct' | 'flag'): LocalLabel => ({
  value: { class: cls, ...(review ? { review: { action: review, reviewer: 'r' } } : {}) },
  pending: false,
});

test('disagreements come first, then likely errors, then the rest by the ranking, then unranked items', () => {
  const items = new Map<string, string[]>([
    ['a', ['1']], ['b', ['1', '2']], ['c', ['3']], ['d', ['4']], ['e', ['5']],
  ]);
  const ranked = [
    { id: 'd', selfConfidence: 0.01, likely: 7 },
    { id: 'b', selfConfidence: 0.02, likely: 3 },
    { id: 'a', selfConfidence: 0.4 },
  ];
  const order = reviewOrder({ items, ranked, seed: 1, sampleEvery: 0 });
  assert.deepEqual(order.map((e) => [e.id, e.reason]), [
    ['b', 'disagree'], ['d', 'likely-error'], ['a', 'ranked'], ['c', 'unranked'], ['e', 'unranked'],
  ]);
  assert.equal(order[1]!.likely, 7);
  assert.equal(order[2]!.selfConfidence, 0.4);
});

test('every n-th slot is a random item; the sample is uniform, seeded and never twice in the queue', () => {
  const items = new Map<string, string[]>();
  for (let i = 0; i < 100; i++) items.set(`i${String(i).padStart(3, '0')}`, ['x']);
  const ranked = [...items.keys()].map((id, i) => ({ id, selfConfidence: i / 100 }));
  const order = reviewOrder({ items, ranked, seed: 42, sampleEvery: 10 });
  assert.equal(order.length, 100);
  assert.equal(new Set(order.map((e) => e.id)).size, 100, 'each item once');
  const slots = order.flatMap((e, i) => (e.reason === 'random' ? [i] : []));
  assert.deepEqual(slots, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
  assert.deepEqual(reviewOrder({ items, ranked, seed: 42, sampleEvery: 10 }), order, 'same seed, same queue');
  const other = reviewOrder({ items, ranked, seed: 43, sampleEvery: 10 }).filter((e) => e.reason === 'random').map((e) => e.id);
  assert.notDeepEqual(other, order.filter((e) => e.reason === 'random').map((e) => e.id));
  // Uniform: over many seeds every item is sampled about 1 time in 10.
  const hits = new Map<string, number>();
  for (let seed = 0; seed < 2000; seed++) {
    for (const e of reviewOrder({ items, ranked, seed, sampleEvery: 10 })) if (e.reason === 'random') hits.set(e.id, (hits.get(e.id) ?? 0) + 1);
  }
  const counts = [...items.keys()].map((id) => hits.get(id) ?? 0);
  assert.ok(Math.min(...counts) > 120 && Math.max(...counts) < 290, `200 expected per item: ${Math.min(...counts)}–${Math.max(...counts)}`);
});

test('a correction writes one op per label: corrected where the class differs, accepted where it was right', () => {
  const ops = reviewOps({ ann: label('cat'), amy: label('dog') }, { action: 'correct', class: 'dog' });
  assert.deepEqual(ops, [
    { annotator: 'ann', value: { class: 'dog', review: { action: 'correct', reviewer: '' } } },
    { annotator: 'amy', value: { class: 'dog', review: { action: 'accept', reviewer: '' } } },
  ]);
});

test('accept keeps each class; with disagreeing annotators it is refused; a flag keeps the class and the reason', () => {
  assert.deepEqual(reviewOps({ ann: label('cat') }, { action: 'accept' }), [
    { annotator: 'ann', value: { class: 'cat', review: { action: 'accept', reviewer: '' } } },
  ]);
  assert.throws(() => reviewOps({ ann: label('cat'), amy: label('dog') }, { action: 'accept' }), AmbiguousAcceptError);
  assert.deepEqual(reviewOps({ ann: label('cat') }, { action: 'flag', reason: 'blurry' }), [
    { annotator: 'ann', value: { class: 'cat', review: { action: 'flag', reviewer: '', reason: 'blurry' } } },
  ]);
  assert.deepEqual(reviewOps({ ann: { value: null, pending: false } }, { action: 'accept' }), [], 'a removed label gets no review');
});

test('an item is reviewed when every label carries a review; the sample estimates the error rate', () => {
  assert.equal(reviewed({ ann: label('cat', 'accept'), amy: label('dog') }), false);
  assert.equal(reviewed({ ann: label('cat', 'accept'), amy: label('cat', 'correct') }), true);
  assert.equal(reviewed({}), false);
  assert.equal(sampledErrorRate([{ reason: 'likely-error', decision: 'correct' }]), null, 'only sampled items count');
  assert.deepEqual(
    sampledErrorRate([
      { reason: 'random', decision: 'accept' }, { reason: 'random', decision: 'correct' },
      { reason: 'random', decision: 'flag' }, { reason: 'random', decision: 'accept' },
      { reason: 'likely-error', decision: 'correct' },
    ]),
    { rate: 0.5, reviewed: 4 },
  );
});
