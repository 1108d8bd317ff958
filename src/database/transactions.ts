import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { driverErrorCode } from './db-errors';

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
 * Runs multi-statement writes in one transaction, again when MySQL chose it
 * as a deadlock victim. TypeORM's better-sqlite3 driver shares a single
 * connection, so concurrent transactions there would nest into each other; on
 * SQLite they are queued and run one at a time. Every write goes through here
 * so none lands inside another request's transaction.
 */
@Injectable()
export class Transactions {
  private readonly logger = new Logger(Transactions.name);
  private tail: Promise<unknown> = Promise.resolve();
  private readonly serialize: boolean;

  constructor(private readonly dataSource: DataSource) {
    this.serialize = dataSource.options.type === 'better-sqlite3';
  }

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (!this.serialize) return this.withRetry(work);
    const result = this.tail.then(() => this.once(work));
    this.tail = result.catch(() => undefined);
    return result;
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
