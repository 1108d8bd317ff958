import type * as Mysql2 from 'mysql2';
import type { Connection, Pool, PoolConnection, PoolOptions } from 'mysql2';
import type { EventEmitter } from 'node:events';
import type { DataSource } from 'typeorm';
import { loadOnDemand } from '../common/on-demand';
import { isPrepared } from './sql';

/** How busy the connection pool is: open connections, idle ones, requests waiting for one, and its limit. */
export interface PoolUse {
  all: number;
  free: number;
  queued: number;
  limit: number;
}

/** mysql2's pool keeps these as its own fields; they have no public accessor. */
interface PoolInternals {
  _allConnections?: { length: number };
  _freeConnections?: { length: number };
  _connectionQueue?: { length: number };
  config?: { connectionLimit?: number };
}

export interface MysqlBounds {
  queryTimeoutMs: number;
  acquireTimeoutMs: number;
}

/** The code of the error a request gets when no pooled connection came in time; read as "database unavailable". */
export const ACQUIRE_TIMEOUT_CODE = 'POOL_ACQUIRE_TIMEOUT';
/** What mysql2 calls a query that got no answer within its `timeout`. */
const QUERY_TIMEOUT_CODE = 'PROTOCOL_SEQUENCE_TIMEOUT';

type RawQuery = (sql: unknown, values?: unknown, callback?: unknown) => EventEmitter;
type RawExecute = (sql: string, values: unknown, callback: Callback) => EventEmitter;
type Callback = (error: unknown, ...results: unknown[]) => void;

const BOUNDED = Symbol('queries bounded');

/**
 * mysql2 as TypeORM's `driver`, with every wait on the database bounded. A
 * stalled server (frozen, or a network that drops packets) answers nothing,
 * and mysql2 alone would wait for it: its pools have no acquire timeout, and a
 * query without `timeout` waits as long as the server is silent.
 */
export class BoundedMysql {
  private bounded = false;
  private connectionOptions?: PoolOptions;
  private pool?: Pool;
  /** Loaded here, where a MySQL data source is described: a server on SQLite never loads mysql2. */
  private readonly mysql2 = loadOnDemand<typeof Mysql2>('mysql2');

  constructor(private readonly bounds: MysqlBounds) {}

  /** How long a query's answer is awaited before it fails (and its request is answered 503). */
  get queryTimeoutMs(): number {
    return this.bounds.queryTimeoutMs;
  }

  /** Called by TypeORM's MysqlDriver. */
  createPool(options: PoolOptions): Pool {
    this.connectionOptions = options;
    const pool = this.mysql2.createPool(options);
    this.pool = pool;
    const getConnection = pool.getConnection.bind(pool);
    pool.getConnection = (callback) => {
      if (!this.bounded) return getConnection((error, connection) => callback(error, error ? connection : this.boundQueries(connection)));
      let waiting = true;
      const timer = setTimeout(() => {
        waiting = false;
        callback(acquireTimeout(this.bounds.acquireTimeoutMs), undefined as unknown as PoolConnection);
      }, this.bounds.acquireTimeoutMs);
      getConnection((error, connection) => {
        if (!waiting) {
          // Its caller has given up; the next one may use it.
          if (!error) connection.release();
          return;
        }
        waiting = false;
        clearTimeout(timer);
        if (error) callback(error, connection);
        else callback(null, this.boundQueries(connection));
      });
    };
    return pool;
  }

  /** The pool's use right now, read from mysql2's own counts (for GET /metrics); undefined before it exists. */
  poolUse(): PoolUse | undefined {
    const pool = this.pool as unknown as PoolInternals | undefined;
    if (!pool) return undefined;
    return {
      all: pool._allConnections?.length ?? 0,
      free: pool._freeConnections?.length ?? 0,
      queued: pool._connectionQueue?.length ?? 0,
      limit: pool.config?.connectionLimit ?? 0,
    };
  }

  /**
   * From now on every wait is bounded. Before, at start, the first connect may
   * take its connectTimeout and a migration (an ALTER of a big table) as long as it needs.
   */
  startBounding(): void {
    this.bounded = true;
  }

  /** Resolves when a connection of its own, outside the pool, answers `SELECT 1` within timeoutMs. */
  probe(timeoutMs: number): Promise<void> {
    const options = this.connectionOptions;
    if (!options) return Promise.reject(new Error('the pool is not created yet'));
    return new Promise((resolve, reject) => {
      const connection = this.mysql2.createConnection({ ...options, connectTimeout: timeoutMs });
      // Errors reach the query's callback; without a listener a late one would crash the process.
      connection.on('error', () => undefined);
      const timer = setTimeout(() => {
        discard(connection);
        reject(new Error(`the database did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      connection.query('SELECT 1', (error) => {
        clearTimeout(timer);
        if (error) {
          discard(connection);
          reject(error);
        } else {
          connection.end(() => undefined);
          resolve();
        }
      });
    });
  }

  private boundQueries(connection: PoolConnection): PoolConnection {
    const target = connection as unknown as { [BOUNDED]?: true; query: RawQuery };
    if (target[BOUNDED]) return connection;
    target[BOUNDED] = true;
    const query = target.query.bind(connection);
    const execute = (connection as unknown as { execute: RawExecute }).execute.bind(connection);
    target.query = (sql, values, callback) => {
      if (isPrepared(sql) && typeof values !== 'function') return this.executeBounded(connection, execute, sql, values, callback as Callback | undefined);
      const options = this.bounded ? withTimeout(sql, this.bounds.queryTimeoutMs) : undefined;
      if (!options) return query(sql, values, callback);
      const done = (typeof values === 'function' ? values : callback) as Callback | undefined;
      const parameters = typeof values === 'function' ? undefined : values;
      const onResult =
        done &&
        ((error: unknown, ...results: unknown[]) => {
          if (isQueryTimeout(error)) discard(connection);
          done(error, ...results);
        });
      const command = query(options, parameters, onResult);
      if (!onResult) command.once('error', (error: unknown) => isQueryTimeout(error) && discard(connection));
      return command;
    };
    return connection;
  }

  /**
   * A statement marked prepared() (database/sql.ts), as mysql2's execute(), which has no `timeout` of its
   * own: the same bound as a query's is kept here, with the same error and the connection discarded.
   */
  private executeBounded(connection: PoolConnection, execute: RawExecute, sql: string, values: unknown, callback: Callback | undefined): EventEmitter {
    const done = callback ?? (() => undefined);
    if (!this.bounded) return execute(sql, values, done);
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      discard(connection);
      done(queryTimeout());
    }, this.bounds.queryTimeoutMs);
    return execute(sql, values, (error, ...results) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done(error, ...results);
    });
  }
}

/** The BoundedMysql a data source runs on, if it is one of ours on MySQL. */
export function boundedMysqlOf(dataSource: DataSource): BoundedMysql | undefined {
  const driver = (dataSource.options as { driver?: unknown }).driver;
  return driver instanceof BoundedMysql ? driver : undefined;
}

/** The query with the timeout, or undefined when it already has one (or is a prepared command object). */
function withTimeout(sql: unknown, timeoutMs: number): object | undefined {
  if (typeof sql === 'string') return { sql, timeout: timeoutMs };
  if (sql && typeof sql === 'object' && Object.getPrototypeOf(sql) === Object.prototype && (sql as { timeout?: unknown }).timeout === undefined) {
    return { ...sql, timeout: timeoutMs };
  }
  return undefined;
}

function isQueryTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === QUERY_TIMEOUT_CODE;
}

/**
 * A timed-out query leaves its connection waiting for the rest of an answer,
 * perhaps inside a transaction: it must never serve again. Closing it makes
 * the server roll back whatever that session had open.
 */
function discard(connection: Connection | PoolConnection): void {
  connection.destroy();
  // destroy() only half-closes the socket, which a frozen server would keep open.
  (connection as { stream?: { destroy?: () => void } }).stream?.destroy?.();
}

/** As mysql2 fails a query that outlived its `timeout`. */
function queryTimeout(): Error {
  return Object.assign(new Error('Query inactivity timeout'), { code: QUERY_TIMEOUT_CODE, fatal: true });
}

function acquireTimeout(timeoutMs: number): Error {
  return Object.assign(new Error(`no database connection became free within ${timeoutMs} ms`), { code: ACQUIRE_TIMEOUT_CODE });
}
