import type { DataSource, QueryRunner } from 'typeorm';

/**
 * Runs `work` on a connection of its own that holds the database lock `name` meanwhile, so that instances starting
 * together on one database do it one after the other: the migrations, the first signing key. MySQL's, MariaDB's and
 * TiDB's user-level lock (GET_LOCK), held by that connection's session and released when `work` ends or the
 * connection drops. `work` runs its statements on the same connection, so it needs no second one from the pool.
 * SQLite needs no lock: deployments that start several instances at once run on MySQL.
 */
export async function withDatabaseLock<T>(dataSource: DataSource, name: string, waitSeconds: number, work: (runner: QueryRunner) => Promise<T>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  try {
    if (dataSource.options.type !== 'mysql') return await work(runner);
    // Per database, so that databases sharing a server do not wait for each other; a lock name has at most 64 characters.
    const lockName = 'LEFT(CONCAT(?, DATABASE()), 64)';
    const [row] = (await runner.query(`SELECT GET_LOCK(${lockName}, ?) AS locked`, [`${name}:`, waitSeconds])) as Array<{ locked: unknown }>;
    if (Number(row?.locked) !== 1) throw new Error(`another instance held the database lock "${name}" for more than ${waitSeconds} s`);
    try {
      return await work(runner);
    } finally {
      // A connection that failed has lost its session, and its lock with it.
      await runner.query(`SELECT RELEASE_LOCK(${lockName})`, [`${name}:`]).catch(() => undefined);
    }
  } finally {
    await runner.release();
  }
}
