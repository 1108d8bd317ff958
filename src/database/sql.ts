import type { EntityManager } from 'typeorm';

/**
 * Hand-written statements for the few hot paths where TypeORM's query builder costs more than the query
 * (building, escaping and hydrating took most of a refresh rotation's CPU). Plain SQL that SQLite, MySQL,
 * MariaDB and TiDB all accept: `?` placeholders, unquoted snake_case names, no engine-specific syntax.
 */

/** A DATETIME(3) parameter as TypeORM stores it on every engine we run on: UTC, `YYYY-MM-DD HH:MM:SS.mmm`. */
export function sqlDateTime(date: Date): string {
  return date.toISOString().slice(0, 23).replace('T', ' ');
}

/** A DATETIME(3) column of a raw row: mysql2 answers a Date (UTC, timezone 'Z'), better-sqlite3 the stored text. */
export function readDateTime(value: Date | string): Date;
export function readDateTime(value: Date | string | null): Date | null;
export function readDateTime(value: Date | string | null): Date | null {
  if (value === null || value instanceof Date) return value;
  return new Date(`${value.replace(' ', 'T')}Z`);
}

/**
 * Runs a write in the transaction of `manager` (from Transactions.run) and answers the rows it changed,
 * the same on every driver.
 */
export async function execute(manager: EntityManager, sql: string, parameters: unknown[]): Promise<number> {
  const runner = manager.queryRunner;
  if (!runner?.isTransactionActive) throw new Error('execute() belongs inside Transactions.run');
  const result = await runner.query(sql, parameters, true);
  return result.affected ?? 0;
}
