import { Logger } from '@nestjs/common';
import type { Logger as TypeOrmLogger } from 'typeorm';

/** Enough of a statement to find it in the code; no values are in it, they are parameters. */
const QUERY_CHARS = 300;

/**
 * TypeORM's own loggers print a failed query with its parameters, and those hold hashes of passwords, refresh
 * tokens and one-time codes (a duplicate registration wrote the new password's bcrypt hash), outside the JSON
 * log. This one writes the statement and the driver's message to the server's log, never the parameters.
 */
export class QueryLogger implements TypeOrmLogger {
  private readonly logger = new Logger('Database');

  logQuery(): void {
    // Not logged: every statement would be a line.
  }

  /**
   * At debug level: what a failure means is decided, and logged if need be, where it is handled (a unique key →
   * 409, the database away → 503 with its request id, a busy SQLite file → the transaction run again).
   */
  logQueryError(error: string | Error, query: string): void {
    this.logger.debug({ msg: 'query failed', error: error instanceof Error ? error.message : error, query: query.slice(0, QUERY_CHARS) });
  }

  logQuerySlow(timeMs: number, query: string): void {
    this.logger.warn({ msg: 'slow query', ms: timeMs, query: query.slice(0, QUERY_CHARS) });
  }

  logSchemaBuild(): void {
    // Schema changes are migrations only (synchronize is off).
  }

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
  }
}
