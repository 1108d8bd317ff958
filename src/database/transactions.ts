import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager, EntityTarget, ObjectLiteral, QueryRunner, Repository } from 'typeorm';
import { boundedMysqlOf } from './bounded-mysql';
import { withDatabaseLock } from './database-lock';
import { driverErrorCode } from './db-errors';
import { ReadWriteLock } from './read-write-lock';

/** What a read may do with a repository: look, never change. */
export type ReadRepository<E extends ObjectLiteral> = Pick<
  Repository<E>,
  | 'find'
  | 'findBy'
  | 'findOne'
  | 'findOneBy'
  | 'findOneOrFail'
  | 'findOneByOrFail'
  | 'findAndCount'
  | 'count'
  | 'countBy'
  | 'exists'
  | 'existsBy'
  | 'createQueryBuilder'
>;

/** Reads, outside a transaction (`Transactions.reader`) or inside one (its EntityManager is a Reader too). */
export interface Reader {
  getRepository<E extends ObjectLiteral>(target: EntityTarget<E>): ReadRepository<E>;
  /** A hand-written SELECT (see database/sql.ts): its rows, as the driver answers them. */
  query<T = unknown>(sql: string, parameters?: unknown[]): Promise<T>;
}

/** Statements a read may send; anything else is a write that belongs in Transactions.run. */
const READ_STATEMENT = /^\s*(SELECT|WITH)\b/i;

export class WriteOutsideTransactionError extends Error {
  constructor(sql: string) {
    super(`a write outside Transactions.run: ${sql.slice(0, 80)}`);
  }
}

/** Routine wherever two processes share an SQLite file: retried without a warning. */
const SQLITE_STALE_SNAPSHOT = 'SQLITE_BUSY_SNAPSHOT';

/**
 * MySQL picks a victim when two transactions wait on each other; running the victim again succeeds. SQLite
 * refuses a transaction's first write when another process (a second instance, the command line) has committed
 * since the transaction began to read: its reads are stale, and running it again reads afresh.
 */
const RETRYABLE = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', SQLITE_STALE_SNAPSHOT]);
const ATTEMPTS = 3;

/** How long exclusively() waits for another instance's turn: what it guards takes moments (DB_QUERY_TIMEOUT_MS cuts it shorter). */
const EXCLUSIVE_WAIT_SECONDS = 10;

/** How often the database's clock is compared with ours again (writeBefore's deadlines are on its clock). */
const CLOCK_CHECK_EVERY_MS = 10 * 60_000;

/** Work to do once the transaction of that manager has committed; dropped if it rolls back. */
const pendingAfterCommit = new WeakMap<EntityManager, Array<() => void>>();

/**
 * Runs `effect` once the transaction that `manager` belongs to has committed,
 * or now when the manager is not in one of ours. For effects outside the
 * database that must not happen for a change that is rolled back.
 */
export function afterCommit(manager: EntityManager, effect: () => void): void {
  const pending = pendingAfterCommit.get(manager);
  if (pending) pending.push(effect);
  else effect();
}

/** A deadline as the statements compare it with clockSql: seconds since the epoch, to the millisecond. */
function epochSeconds(ms: number): number {
  return Math.round(ms) / 1000;
}

function isRetryable(error: unknown): boolean {
  const code = driverErrorCode(error);
  return code !== undefined && RETRYABLE.has(code);
}

/**
 * The only way to the database: writes in `run`, one transaction each (again
 * when MySQL chose it as a deadlock victim); reads through `reader`.
 *
 * TypeORM's better-sqlite3 driver shares one connection, so on SQLite a
 * statement sent beside an open transaction runs inside it: a write would
 * commit or roll back with another request's work, a read would see rows that
 * are not committed yet. There, transactions take a lock one at a time, reads
 * share it between transactions, and a write sent through the reader fails.
 * On MySQL each runs on its own pooled connection and sees committed rows only.
 * Nothing outside database/ may hold the DataSource (an ESLint rule).
 */
@Injectable()
export class Transactions {
  private readonly logger = new Logger(Transactions.name);
  private readonly lock: ReadWriteLock | undefined;
  /** Reads outside a transaction. Not for use inside `run`: there, read with its manager. */
  readonly reader: Reader;
  /**
   * The database's clock in SQL, in seconds since the epoch, read as the statement runs (SYSDATE, not NOW,
   * which MySQL fixes when the statement arrives): a statement compares it with the deadline writeBefore()
   * gives it (`… AND ${clockSql} < ?`).
   */
  readonly clockSql: string;
  /** MySQL: how long the driver awaits an answer; undefined on SQLite, which runs in this process and cannot stall. */
  private readonly queryTimeoutMs: number | undefined;
  /** The database's clock minus ours, in ms, and when that was measured. */
  private clock?: { offsetMs: Promise<number>; at: number };

  constructor(private readonly dataSource: DataSource) {
    this.lock = dataSource.options.type === 'better-sqlite3' ? new ReadWriteLock() : undefined;
    this.reader = this.lock ? dataSource.createEntityManager(readOnlyBetweenTransactions(dataSource.createQueryRunner(), this.lock)) : dataSource.manager;
    this.clockSql = this.lock ? "((julianday('now') - 2440587.5) * 86400.0)" : 'UNIX_TIMESTAMP(SYSDATE(3))';
    this.queryTimeoutMs = boundedMysqlOf(dataSource)?.queryTimeoutMs;
  }

  /** Whether the database is open (it closes last on shutdown). */
  get isOpen(): boolean {
    return this.dataSource.isInitialized;
  }

  /** MySQL locks rows (SELECT … FOR UPDATE); SQLite's transactions already run one at a time. */
  get locksRows(): boolean {
    return this.lock === undefined;
  }

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.lock ? this.lock.exclusive(() => this.withRetry(work)) : this.withRetry(work);
  }

  /**
   * As run(), while this instance holds the database lock `name` (database-lock.ts): for what instances starting
   * together must do once rather than once each, where no unique key can decide. On SQLite, run() alone.
   */
  exclusively<T>(name: string, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.lock) return this.run(work);
    return withDatabaseLock(this.dataSource, name, EXCLUSIVE_WAIT_SECONDS, (runner) => this.once(work, runner.manager));
  }

  /** One transaction; the effects its work deferred with afterCommit() run after the commit, in order. */
  private async once<T>(work: (manager: EntityManager) => Promise<T>, on: Pick<EntityManager, 'transaction'> = this.dataSource): Promise<T> {
    const effects: Array<() => void> = [];
    let transactionManager: EntityManager | undefined;
    let result: T;
    try {
      result = await on.transaction((manager) => {
        transactionManager = manager;
        pendingAfterCommit.set(manager, effects);
        return work(manager);
      });
    } finally {
      if (transactionManager) pendingAfterCommit.delete(transactionManager);
    }
    for (const effect of effects) {
      try {
        effect();
      } catch (error) {
        this.logger.error(`an after-commit effect failed: ${(error as Error).message}`);
      }
    }
    return result;
  }

  /**
   * One write statement, which is a transaction by itself (autocommit): for a write that a single statement
   * can make whole, such as a refresh rotation's conditional INSERT, a round trip to BEGIN and one to COMMIT
   * are two thirds of its cost on MySQL. Answers the rows it changed. Not retried: a statement that lost a
   * deadlock lost its race, which is the caller's to answer.
   */
  async write(sql: string, parameters: unknown[]): Promise<number> {
    if (READ_STATEMENT.test(sql)) throw new Error('Transactions.write takes a write statement');
    if (this.lock) return this.lock.exclusive(() => this.affectedRows(this.dataSource.createQueryRunner(), sql, parameters));
    return this.affectedRows(this.dataSource.createQueryRunner(), sql, parameters);
  }

  /**
   * As write(), for a statement whose last `?` is left to this method: the moment, on the database's clock
   * (compare it with clockSql), when the driver stops waiting for the statement's answer and its request is
   * answered 503. A statement the database runs only later (a stalled server that thaws with it still in its
   * socket buffer) then writes nothing, so that a client told "failed" finds the database as it left it: a
   * refresh rotation answered 503 must leave the old token valid, not rotated behind the client's back.
   */
  async writeBefore(sql: string, parameters: unknown[]): Promise<number> {
    if (READ_STATEMENT.test(sql)) throw new Error('Transactions.writeBefore takes a write statement');
    if (this.lock) return this.lock.exclusive(() => this.affectedRows(this.dataSource.createQueryRunner(), sql, [...parameters, this.farDeadline()]));
    const offsetMs = await this.clockOffsetMs();
    const runner = this.dataSource.createQueryRunner();
    try {
      // The connection first: the driver's timeout counts from the moment the statement is sent.
      await runner.connect();
    } catch (error) {
      await runner.release();
      throw error;
    }
    return this.affectedRows(runner, sql, [...parameters, epochSeconds(Date.now() + offsetMs + this.queryTimeoutMs!)]);
  }

  /**
   * A deadline for a statement inside Transactions.run, for the same purpose as writeBefore's, taken now
   * (the statement is sent a moment later, so it errs on the side of writing nothing).
   */
  async deadline(): Promise<number> {
    if (this.queryTimeoutMs === undefined) return this.farDeadline();
    return epochSeconds(Date.now() + (await this.clockOffsetMs()) + this.queryTimeoutMs);
  }

  /** SQLite runs in this process: a statement is never executed after its caller gave up. */
  private farDeadline(): number {
    return epochSeconds(Date.now() + 24 * 3600_000);
  }

  /**
   * The database's clock minus ours, from the midpoint of one round trip: measured at the first write that
   * needs it and every CLOCK_CHECK_EVERY_MS after, so that clocks a few seconds apart do not turn every
   * deadline into a refusal (or into no deadline). A failed measurement is not kept.
   */
  private clockOffsetMs(): Promise<number> {
    if (this.clock && Date.now() - this.clock.at < CLOCK_CHECK_EVERY_MS) return this.clock.offsetMs;
    const measured = (async () => {
      const sent = Date.now();
      const [row] = await this.dataSource.query<Array<{ now: string | number }>>(`SELECT ${this.clockSql} AS now`);
      const received = Date.now();
      return Number(row.now) * 1000 - (sent + received) / 2;
    })();
    this.clock = { offsetMs: measured, at: Date.now() };
    measured.catch(() => (this.clock = undefined));
    return measured;
  }

  private async affectedRows(runner: QueryRunner, sql: string, parameters: unknown[]): Promise<number> {
    try {
      return (await runner.query(sql, parameters, true)).affected ?? 0;
    } finally {
      await runner.release();
    }
  }

  private async withRetry<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(work);
      } catch (error) {
        if (attempt >= ATTEMPTS || !isRetryable(error)) throw error;
        const code = driverErrorCode(error);
        if (code !== SQLITE_STALE_SNAPSHOT) this.logger.warn(`transaction retried after ${code} (attempt ${attempt})`);
      }
    }
  }
}

/**
 * SQLite's shared query runner seen through a view whose statements wait
 * until no transaction is open and may only read.
 */
function readOnlyBetweenTransactions(shared: QueryRunner, lock: ReadWriteLock): QueryRunner {
  const view = Object.create(shared) as QueryRunner;
  view.query = ((sql: string, parameters?: unknown[], structured?: boolean) => {
    if (!READ_STATEMENT.test(sql)) return Promise.reject(new WriteOutsideTransactionError(sql));
    return lock.shared(() => (structured ? shared.query(sql, parameters, true) : shared.query(sql, parameters)));
  }) as QueryRunner['query'];
  return view;
}
