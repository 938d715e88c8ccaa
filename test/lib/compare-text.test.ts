import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareText } from '../../lib/compare-text';

test('compareText orders by code unit, independent of locale', () => {
  assert.equal(compareText('a', 'b'), -1);
  assert.equal(compareText('b', 'a'), 1);
  assert.equal(compareText('same', 'same'), 0);
  // Upper case before lower case and "Z" before "a": code-unit order, where localeCompare would interleave them.
  assert.deepEqual(['b', 'a', 'Z', 'B', 'ä', 'A'].sort(compareText), ['A', 'B', 'Z', 'a', 'b', 'ä']);
  assert.deepEqual(['sales-emea', 'sales', 'sales-amer'].sort(compareText), ['sales', 'sales-amer', 'sales-emea']);
});
