import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UnsettledRotations } from './unsettled-rotations';

describe('UnsettledRotations', () => {
  it('keeps a rotation answered 503 for a quarter of an hour, then lets it go', () => {
    let now = 0;
    const unsettled = new UnsettledRotations(() => now);
    unsettled.remember('hash-a', 4);
    assert.equal(unsettled.successorOf('hash-a'), 4);
    assert.equal(unsettled.successorOf('hash-b'), undefined);
    now = 15 * 60_000 + 1;
    assert.equal(unsettled.successorOf('hash-a'), undefined, 'a retry after that is judged as any rotated token');
  });

  it('forgets a token once its rotation is settled, and keeps at most 10 000 (the oldest go first)', () => {
    const unsettled = new UnsettledRotations(() => 0);
    unsettled.remember('settled', 2);
    unsettled.forget('settled');
    assert.equal(unsettled.successorOf('settled'), undefined);
    for (let n = 0; n <= 10_000; n++) unsettled.remember(`hash-${n}`, n);
    assert.equal(unsettled.successorOf('hash-0'), undefined);
    assert.equal(unsettled.successorOf('hash-1'), 1);
    assert.equal(unsettled.successorOf('hash-10000'), 10_000);
  });
});
