import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { EntityManager, EntityTarget, ObjectLiteral, QueryRunner, Repository } from 'typeorm';
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

/** MySQL picks a victim when two transactions wait on each other; running the victim again succeeds. */
const RETRYABLE = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);
const ATTEMPTS = 3;

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

  constructor(private readonly dataSource: DataSource) {
    this.lock = dataSource.options.type === 'better-sqlite3' ? new ReadWriteLock() : undefined;
    this.reader = this.lock ? dataSource.createEntityManager(readOnlyBetweenTransactions(dataSource.createQueryRunner(), this.lock)) : dataSource.manager;
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
    return this.lock ? this.lock.exclusive(() => this.once(work)) : this.withRetry(work);
  }

  /** One transaction; the effects its work deferred with afterCommit() run after the commit, in order. */
  private async once<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const effects: Array<() => void> = [];
    let transactionManager: EntityManager | undefined;
    let result: T;
    try {
      result = await this.dataSource.transaction((manager) => {
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
        this.logger.warn(`transaction retried after ${driverErrorCode(error)} (attempt ${attempt})`);
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
