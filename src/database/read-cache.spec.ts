import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DataSource, EntityManager } from 'typeorm';
import type { AfterQueryEvent } from 'typeorm/subscriber/event/QueryEvent';
import type { DatabaseConfig } from './database.config';
import { ReadCache, ReadCaches } from './read-cache';

function counter<V>(value: () => V) {
  const loader = { calls: 0, load: async () => (loader.calls++, value()) };
  return loader;
}

describe('ReadCache', () => {
  it('answers from memory until the time to live has passed', async () => {
    const cache = new ReadCache<string, number>(1000, 10);
    let next = 1;
    const loader = counter(() => next++);
    assert.equal(await cache.get('k', loader.load, 0), 1);
    assert.equal(await cache.get('k', loader.load, 500), 1);
    assert.equal(loader.calls, 1);
    assert.equal(await cache.get('k', loader.load, Date.now() + 2000), 2, 'reloaded once expired');
  });

  it('makes one load for requests that miss together', async () => {
    const cache = new ReadCache<string, string>(1000, 10);
    const loader = counter(() => 'v');
    const answers = await Promise.all(Array.from({ length: 20 }, () => cache.get('k', loader.load)));
    assert.deepEqual(new Set(answers), new Set(['v']));
    assert.equal(loader.calls, 1);
  });

  it('never keeps what was loaded before an invalidation', async () => {
    const cache = new ReadCache<string, string>(60_000, 10);
    let release!: (value: string) => void;
    const slow = cache.get('k', () => new Promise<string>((resolve) => (release = resolve)));
    cache.invalidate(); // a write committed while the old rows were being read
    release('old');
    assert.equal(await slow, 'old', 'the request that asked still gets its answer');
    assert.equal(await cache.get('k', async () => 'new'), 'new');
    assert.equal(await cache.get('k', async () => 'newer'), 'new');
  });

  it('does not keep failures', async () => {
    const cache = new ReadCache<string, string>(60_000, 10);
    await assert.rejects(
      cache.get('k', async () => Promise.reject(new Error('not found'))),
      /not found/,
    );
    assert.equal(await cache.get('k', async () => 'found'), 'found');
  });

  it('is bounded, and off with a time to live of 0', async () => {
    const bounded = new ReadCache<number, number>(60_000, 2);
    for (const key of [1, 2, 3]) await bounded.get(key, async () => key);
    assert.equal(await bounded.get(1, async () => -1), -1, 'the oldest entry was dropped');
    assert.equal(await bounded.get(3, async () => -3), 3);
    const off = new ReadCache<string, number>(0, 10);
    const loader = counter(() => 7);
    await off.get('k', loader.load);
    await off.get('k', loader.load);
    assert.equal(loader.calls, 2);
  });
});

describe('ReadCaches', () => {
  const config = { readCacheTtlMs: 60_000 } as DatabaseConfig;
  const event = (query: string, success = true) => ({ query, success, manager: {} as EntityManager }) as AfterQueryEvent;

  it('empties the caches of the table a statement writes, and only those', async () => {
    const dataSource = { subscribers: [] as unknown[] } as unknown as DataSource;
    const caches = new ReadCaches(dataSource, config);
    assert.equal(dataSource.subscribers[0], caches, 'registered as a subscriber');
    const roles = caches.forTable<string, string>('sys_role');
    const users = caches.forTable<string, string>('sys_user');
    const fill = async () => {
      await roles.get('k', async () => 'role');
      await users.get('k', async () => 'user');
    };
    const cached = async () => [await roles.get('k', async () => 'reloaded'), await users.get('k', async () => 'reloaded')];

    await fill();
    for (const query of ['SELECT * FROM `sys_role`', 'UPDATE `sys_user_role` SET x = 1', 'INSERT INTO `audit_log` (a) VALUES (?)'])
      caches.afterQuery(event(query));
    caches.afterQuery(event('UPDATE `sys_role` SET `role_name` = ?', false));
    assert.deepEqual(await cached(), ['role', 'user'], 'reads, other tables and failed writes change nothing');

    caches.afterQuery(event('UPDATE `sys_role` SET `role_name` = ? WHERE `role_id` = ?'));
    assert.deepEqual(await cached(), ['reloaded', 'user']);
    caches.afterQuery(event(' delete from "sys_user" WHERE "user_id" = ?'));
    assert.deepEqual(await cached(), ['reloaded', 'reloaded']);
  });
});
