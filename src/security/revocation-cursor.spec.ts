import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogCursor } from './revocation-cursor';

const WAIT = 60_000;

describe('LogCursor', () => {
  it('reads after the highest id read, however long ago that read was', () => {
    const cursor = new LogCursor(WAIT);
    cursor.advance([1, 2, 3], 0, 10);
    assert.equal(cursor.highestId, 3);
    assert.deepEqual(cursor.awaited, []);
    // Hours without a read (a cut link): the next one still starts after 3.
    cursor.advance([4, 5], 5 * 3600_000, 5 * 3600_000 + 10);
    assert.equal(cursor.highestId, 5);
    assert.deepEqual(cursor.awaited, []);
  });

  it('reads a missing id again until it commits, when a later one committed first', () => {
    const cursor = new LogCursor(WAIT);
    cursor.advance([1, 2], 0, 10);
    cursor.advance([4, 6], 100, 110);
    assert.equal(cursor.highestId, 6);
    assert.deepEqual(cursor.awaited, [
      [3, 3],
      [5, 5],
    ]);
    cursor.advance([5], 200, 210);
    assert.deepEqual(cursor.awaited, [[3, 3]]);
    cursor.advance([3, 7], 300, 310);
    assert.deepEqual(cursor.awaited, []);
    assert.equal(cursor.highestId, 7);
  });

  it('stops awaiting an id once a read begun after the wait still lacks it (a rollback)', () => {
    const cursor = new LogCursor(WAIT);
    cursor.advance([1, 3], 0, 10);
    cursor.advance([], 10 + WAIT - 1, 20 + WAIT);
    assert.deepEqual(cursor.awaited, [[2, 2]], 'a read begun just before the wait has passed');
    cursor.advance([], 10 + WAIT, 20 + WAIT);
    assert.deepEqual(cursor.awaited, []);
  });

  it('splits an awaited range around the ids that arrive', () => {
    const cursor = new LogCursor(WAIT);
    cursor.advance([1, 10], 0, 10);
    assert.deepEqual(cursor.awaited, [[2, 9]]);
    cursor.advance([2, 5, 6, 9], 20, 30);
    assert.deepEqual(cursor.awaited, [
      [3, 4],
      [7, 8],
    ]);
  });

  it('does not await the holes below the settled id (entries pruned long ago)', () => {
    const cursor = new LogCursor(WAIT);
    cursor.advance([3, 8, 20, 22], 0, 10, 8);
    assert.deepEqual(cursor.awaited, [
      [9, 19],
      [21, 21],
    ]);
  });

  it('keeps the number of awaited ranges bounded by merging the closest', () => {
    const cursor = new LogCursor(WAIT);
    const everyOther = Array.from({ length: 300 }, (_, i) => 2 * i + 1);
    cursor.advance(everyOther, 0, 10);
    const awaited = cursor.awaited;
    assert.ok(awaited.length <= 100, `${awaited.length} ranges`);
    const covered = new Set(awaited.flatMap(([from, to]) => Array.from({ length: to - from + 1 }, (_, i) => from + i)));
    for (let id = 2; id < 600; id += 2) assert.ok(covered.has(id), `id ${id} is still awaited`);
  });
});
