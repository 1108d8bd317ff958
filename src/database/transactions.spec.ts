import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { afterCommit, Transactions } from './transactions';

describe('Transactions and afterCommit', () => {
  let dataSource: DataSource;
  let transactions: Transactions;
  const count = async () => Number((await dataSource.query('SELECT COUNT(*) AS n FROM item'))[0].n);

  before(async () => {
    dataSource = await new DataSource({ type: 'better-sqlite3', database: ':memory:' }).initialize();
    await dataSource.query('CREATE TABLE item (id INTEGER PRIMARY KEY)');
    transactions = new Transactions(dataSource);
  });
  after(async () => {
    await dataSource.destroy();
  });

  it('runs deferred effects after the commit, in order, when the change is visible', async () => {
    const seen: string[] = [];
    await transactions.run(async (manager) => {
      await manager.query('INSERT INTO item (id) VALUES (1)');
      afterCommit(manager, () => seen.push('first'));
      afterCommit(manager, () => seen.push('second'));
      assert.deepEqual(seen, [], 'nothing runs before the commit');
    });
    assert.deepEqual(seen, ['first', 'second']);
    assert.equal(await count(), 1);
  });

  it('drops them when the transaction rolls back', async () => {
    const seen: string[] = [];
    await assert.rejects(
      transactions.run(async (manager) => {
        await manager.query('INSERT INTO item (id) VALUES (2)');
        afterCommit(manager, () => seen.push('effect'));
        throw new Error('refused');
      }),
      /refused/,
    );
    assert.deepEqual(seen, []);
    assert.equal(await count(), 1, 'the insert was rolled back');
    // The next transaction on the same (shared) SQLite connection does not inherit them.
    await transactions.run(async (manager) => manager.query('INSERT INTO item (id) VALUES (3)'));
    assert.deepEqual(seen, []);
  });

  it('runs an effect at once outside a transaction', () => {
    let ran = false;
    afterCommit(dataSource.manager, () => (ran = true));
    assert.equal(ran, true);
  });
});
