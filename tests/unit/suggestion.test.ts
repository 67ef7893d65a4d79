// What a label records about the suggestion on screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labelValue } from '../../www/app/suggestion';

const topK = [{ index: 2, label: 'cat', probability: 0.9 }, { index: 0, label: 'dog', probability: 0.1 }];

test('accepting the suggestion records it, its version and accepted = true', () => {
  assert.deepEqual(labelValue('cat', topK, '3'), { class: 'cat', suggestion: 'cat', model_version: '3', accepted: true });
});

test('correcting it records the suggestion and accepted = false', () => {
  assert.deepEqual(labelValue('dog', topK, 'local:3'), { class: 'dog', suggestion: 'cat', model_version: 'local:3', accepted: false });
});

test('without a suggestion on screen, or without the version that made it, only the class', () => {
  assert.deepEqual(labelValue('dog', undefined, '3'), { class: 'dog' });
  assert.deepEqual(labelValue('dog', [], '3'), { class: 'dog' });
  assert.deepEqual(labelValue('dog', topK, null), { class: 'dog' });
});
