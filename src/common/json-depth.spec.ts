import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nestsDeeperThan } from './json-depth';

describe('nestsDeeperThan', () => {
  const arrays = (levels: number) => JSON.parse('['.repeat(levels) + ']'.repeat(levels)) as unknown;
  const objects = (levels: number) => JSON.parse('{"a":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1)) as unknown;

  it('counts each object or array as one level', () => {
    assert.equal(nestsDeeperThan(arrays(64)), false);
    assert.equal(nestsDeeperThan(arrays(65)), true);
    assert.equal(nestsDeeperThan(objects(64)), false);
    assert.equal(nestsDeeperThan(objects(65)), true);
    assert.equal(nestsDeeperThan({ a: [1, { b: [] }] }, 4), false);
    assert.equal(nestsDeeperThan({ a: [1, { b: [] }] }, 3), true);
  });

  it('treats scalars as no nesting', () => {
    for (const value of [null, undefined, 1, 'x', true]) assert.equal(nestsDeeperThan(value, 0), false);
  });

  it('does not overflow on 100,000 levels', () => {
    assert.equal(nestsDeeperThan(arrays(100_000)), true);
  });
});
