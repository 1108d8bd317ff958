import { Injectable, Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RateLimiterAbstract, RateLimiterMemory, RateLimiterMySQL, RateLimiterRedis, RateLimiterSQLite } from 'rate-limiter-flexible';
import { DataSource } from 'typeorm';

/** One rule's counter: `points` per key within `durationSeconds` of the key's first point. */
export interface LimiterShape {
  /** Distinguishes the rule's keys from every other rule's in the shared table or Redis. */
  keyPrefix: string;
  points: number;
  durationSeconds: number;
}

/** Where counters live: Redis, the rate_limit table, or (a single SQLite in memory) this process. */
export type LimiterStorage = 'redis' | 'mysql' | 'sqlite' | 'memory';

const TABLE = 'rate_limit';

/**
 * Makes the brute-force limits' counters (rate-limiter-flexible) on the storage every instance shares: Redis
 * when the caller has one, with the database as its insurance while Redis is away; otherwise the database's
 * rate_limit table (our migration creates it, so the library is told not to); a SQLite database in memory
 * cannot be shared by two processes, so its counters stay in this one. Lives here because only database/
 * may touch the DataSource.
 */
@Injectable()
export class RateLimitStore {
  private readonly logger = new Logger(RateLimitStore.name);

  constructor(private readonly dataSource: DataSource) {}

  /** What `limiter()` counts in, given whether a Redis client is passed. */
  storage(redis?: Redis): LimiterStorage {
    if (redis) return 'redis';
    const options = this.dataSource.driver.options as { type: string; database?: string };
    if (options.type === 'mysql') return 'mysql';
    return options.type === 'better-sqlite3' && options.database === ':memory:' ? 'memory' : 'sqlite';
  }

  limiter(shape: LimiterShape, redis?: Redis): RateLimiterAbstract {
    const base = { keyPrefix: shape.keyPrefix, points: shape.points, duration: shape.durationSeconds };
    const database = this.databaseLimiter(base);
    if (!redis) return database;
    // The insurance answers while Redis is unreachable: its counts start afresh there, but are shared again.
    return new RateLimiterRedis({ ...base, storeClient: redis, insuranceLimiter: database, rejectIfRedisNotReady: true });
  }

  private databaseLimiter(base: { keyPrefix: string; points: number; duration: number }): RateLimiterAbstract {
    const driver = this.dataSource.driver as unknown as {
      options: { type: string; database?: string };
      pool?: unknown;
      databaseConnection?: unknown;
      database?: string;
    };
    switch (this.storage()) {
      case 'mysql':
        return new RateLimiterMySQL(
          {
            ...base,
            storeClient: withQuietRollback(driver.pool as CallbackPool),
            storeType: 'pool',
            dbName: driver.database,
            tableName: TABLE,
            tableCreated: true,
            clearExpiredByTimeout: false,
          },
          (error?: Error) => error && this.logger.error(`rate limits: ${error.message}`),
        );
      case 'sqlite':
        // TypeORM's own connection: a second one would wait for the write lock synchronously, blocking the
        // event loop the lock holder needs. Inside an open transaction the library's own becomes a savepoint.
        return new RateLimiterSQLite({
          ...base,
          storeClient: driver.databaseConnection,
          storeType: 'better-sqlite3',
          tableName: TABLE,
          tableCreated: true,
          clearExpiredByTimeout: false,
        });
      default:
        return new RateLimiterMemory(base);
    }
  }

  /** Forgets expired counters (every limiter shares the table): called now and then by whoever owns the limits. */
  async clearExpired(): Promise<void> {
    const storage = this.storage();
    if (storage !== 'mysql' && storage !== 'sqlite') return;
    await this.dataSource.query(`DELETE FROM ${TABLE} WHERE expire < ?`, [Date.now() - 3600_000]);
  }
}

const QUIET = Symbol('rollback with a callback');

interface CallbackConnection {
  rollback(callback?: (error: unknown) => void): void;
  [QUIET]?: true;
}
interface CallbackPool {
  getConnection(callback: (error: unknown, connection?: CallbackConnection) => void): void;
}

/**
 * rate-limiter-flexible's MySQL limiter calls `conn.rollback()` without a callback after a failed statement. On a
 * connection the server has closed (killed, restarted), mysql2 then emits "Can't add new command when connection is
 * in closed state" as an 'error' nobody listens to: an uncaught exception that would end the process. The pool it
 * is given hands out connections whose rollback has a callback that swallows that error (the statement's own
 * error has already been reported to the limiter).
 */
function withQuietRollback(pool: CallbackPool): CallbackPool {
  return {
    getConnection(callback) {
      pool.getConnection((error, connection) => {
        if (connection && !connection[QUIET]) {
          const rollback = connection.rollback.bind(connection);
          connection.rollback = (done) => rollback(done ?? (() => undefined));
          connection[QUIET] = true;
        }
        callback(error, connection);
      });
    },
  };
}
