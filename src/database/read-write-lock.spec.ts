import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { ReadWriteLock } from './read-write-lock';

/** Work that stays inside the lock until `finish` is called. */
function held(log: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    work: async () => {
      log.push(`${name} in`);
      await done;
      log.push(`${name} out`);
    },
    finish: () => finish(),
  };
}

describe('ReadWriteLock', () => {
  it('lets readers share the lock', async () => {
    const lock = new ReadWriteLock();
    const log: string[] = [];
    const [a, b] = [held(log, 'a'), held(log, 'b')];
    const both = Promise.all([lock.shared(a.work), lock.shared(b.work)]);
    await tick();
    assert.deepEqual(log, ['a in', 'b in']);
    a.finish();
    b.finish();
    await both;
  });

  it('keeps readers out while a writer holds it, and the writer out while readers do', async () => {
    const lock = new ReadWriteLock();
    const log: string[] = [];
    const [r1, w, r2] = [held(log, 'r1'), held(log, 'w'), held(log, 'r2')];
    const all = Promise.all([lock.shared(r1.work), lock.exclusive(w.work), lock.shared(r2.work)]);
    await tick();
    assert.deepEqual(log, ['r1 in'], 'the writer waits for the reader; the later reader waits behind the writer');
    r1.finish();
    await tick();
    assert.deepEqual(log, ['r1 in', 'r1 out', 'w in']);
    w.finish();
    await tick();
    assert.deepEqual(log, ['r1 in', 'r1 out', 'w in', 'w out', 'r2 in']);
    r2.finish();
    await all;
  });

  it('runs writers one at a time, in order, and releases the lock when work fails', async () => {
    const lock = new ReadWriteLock();
    const order: number[] = [];
    let inside = 0;
    const write = (n: number, fail = false) =>
      lock.exclusive(async () => {
        inside++;
        assert.equal(inside, 1, 'one writer at a time');
        await tick();
        order.push(n);
        inside--;
        if (fail) throw new Error(`writer ${n} failed`);
      });
    const results = await Promise.allSettled([write(1), write(2, true), write(3)]);
    assert.deepEqual(order, [1, 2, 3]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal(await lock.shared(async () => 'free'), 'free', 'nothing is left holding it');
  });
});
