import 'reflect-metadata';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DataSource, Entity, PrimaryColumn } from 'typeorm';
import { afterCommit, Transactions, WriteOutsideTransactionError } from './transactions';

@Entity('item')
class Item {
  @PrimaryColumn()
  id!: number;
}

describe('Transactions and afterCommit', () => {
  let dataSource: DataSource;
  let transactions: Transactions;
  const count = async () => Number((await dataSource.query('SELECT COUNT(*) AS n FROM item'))[0].n);

  before(async () => {
    dataSource = await new DataSource({ type: 'better-sqlite3', database: ':memory:', entities: [Item] }).initialize();
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

  it("keeps reads from seeing another request's uncommitted rows on the shared SQLite connection", async () => {
    const items = () => transactions.reader.getRepository(Item).count();
    const before = await items();
    let insideWrite!: () => void;
    const written = new Promise<void>((resolve) => (insideWrite = resolve));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const writing = transactions.run(async (manager) => {
      await manager.query('INSERT INTO item (id) VALUES (100)');
      insideWrite();
      await held;
    });
    await written;
    const reading = items();
    let readEarly = false;
    void reading.then(() => (readEarly = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(readEarly, false, 'the read waits for the open transaction');
    release();
    await writing;
    assert.equal(await reading, before + 1, 'and then sees the committed row');
  });

  it('refuses a write sent through the reader, and changes nothing', async () => {
    const before = await count();
    await assert.rejects(transactions.reader.getRepository(Item).createQueryBuilder().insert().values({ id: 200 }).execute(), WriteOutsideTransactionError);
    assert.equal(await count(), before);
  });

  it('writes one statement as its own transaction, answering the rows it changed, outside any open transaction', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let rolledBack = false;
    const failing = transactions
      .run(async (manager) => {
        await manager.query('INSERT INTO item (id) VALUES (300)');
        await held;
        throw new Error('roll back');
      })
      .catch(() => (rolledBack = true));
    // Sent while that transaction is open: it waits, so it neither joins nor is rolled back with it.
    const written = transactions.write('INSERT INTO item (id) VALUES (301)', []);
    release();
    await failing;
    assert.equal(rolledBack, true);
    assert.equal(await written, 1);
    assert.deepEqual(await dataSource.query('SELECT id FROM item WHERE id IN (300, 301)'), [{ id: 301 }]);
    assert.equal(await transactions.write('DELETE FROM item WHERE id = ?', [999]), 0, 'no row matched');
    await assert.rejects(transactions.write('SELECT 1', []), /a write statement/);
  });

  it('writeBefore fills in a deadline on the database clock, in seconds since the epoch as clockSql reads it', async () => {
    const sql = `INSERT INTO item (id) SELECT ? WHERE ${transactions.clockSql} < ?`;
    assert.equal(await transactions.writeBefore(sql, [400]), 1, 'before its deadline');
    assert.deepEqual(await dataSource.query('SELECT id FROM item WHERE id = 400'), [{ id: 400 }]);
    // The same comparison with a deadline already past: a statement the database runs too late writes nothing.
    assert.equal(await transactions.write(sql, [401, (Date.now() - 1000) / 1000]), 0);
    assert.equal(await transactions.write(sql, [402, (Date.now() + 1000) / 1000]), 1);
    await assert.rejects(transactions.writeBefore('SELECT 1', []), /a write statement/);
  });
});

describe('Transactions on an SQLite file another process writes too', () => {
  const dir = mkdtempSync(join(tmpdir(), 'transactions-'));
  const open = () => new DataSource({ type: 'better-sqlite3', database: join(dir, 'shared.sqlite'), enableWAL: true, entities: [Item] }).initialize();
  let ours: DataSource;
  let theirs: DataSource;

  before(async () => {
    ours = await open();
    theirs = await open();
    await ours.query('CREATE TABLE item (id INTEGER PRIMARY KEY)');
  });
  after(async () => {
    await ours.destroy();
    await theirs.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a transaction again when the other committed between its read and its first write (SQLITE_BUSY_SNAPSHOT)', async () => {
    const transactions = new Transactions(ours);
    let attempts = 0;
    const seen = await transactions.run(async (manager) => {
      attempts++;
      const [{ n }] = await manager.query('SELECT COUNT(*) AS n FROM item');
      // The other process commits after this transaction has read: its snapshot is stale.
      if (attempts === 1) await theirs.query('INSERT INTO item (id) VALUES (1)');
      await manager.query('INSERT INTO item (id) VALUES (2)');
      return Number(n);
    });
    assert.equal(attempts, 2);
    assert.equal(seen, 1, 'the second run read the other process’s row');
    assert.deepEqual(await ours.query('SELECT id FROM item ORDER BY id'), [{ id: 1 }, { id: 2 }]);
  });
});
