import { isAbsolute, join, resolve } from 'node:path';
import { configSlice } from '../config/config-slice';
import { ConfigError } from '../config/env-reader';

export type DbType = 'sqlite' | 'mysql';

export interface DatabaseConfig {
  type: DbType;
  /** SQLite file (only for type sqlite). */
  sqlitePath: string;
  /** mysql://user:pass@host:port/db (only for type mysql). */
  url?: string;
  migrationsRun: boolean;
  poolSize: number;
  /** The longest a query may take before it fails (503); on SQLite, the wait for another process's lock. */
  queryTimeoutMs: number;
  /** MySQL: the longest a request waits for a pooled connection, a new one's connect included. */
  acquireTimeoutMs: number;
  /** How long GET /role/list pages and GET /user/{uid} answers are kept; 0 turns the cache off. */
  readCacheTtlMs: number;
}

export const databaseConfig = configSlice<DatabaseConfig>('database', (read, core) => {
  const type = read.oneOf('DB_TYPE', ['sqlite', 'mysql'] as const, 'sqlite');
  const url = read.optionalString('DATABASE_URL');
  if (type === 'mysql') {
    if (!url) throw new ConfigError('DATABASE_URL', 'is required when DB_TYPE=mysql (mysql://user:pass@host:3306/db)');
    assertMysqlUrl(url);
  }
  const sqliteFile = read.string('SQLITE_PATH', join(core.dataDir, 'identity.sqlite'));
  return {
    type,
    sqlitePath: sqliteFile === ':memory:' || isAbsolute(sqliteFile) ? sqliteFile : resolve(sqliteFile),
    url,
    migrationsRun: read.boolean('MIGRATIONS_RUN', true),
    poolSize: read.integer('DB_POOL_SIZE', 10, 1, 500),
    // Together at most 5 s, so a stalled database is answered with 503 before clients give up.
    queryTimeoutMs: read.integer('DB_QUERY_TIMEOUT_MS', 3000, 100, 600_000),
    acquireTimeoutMs: read.integer('DB_ACQUIRE_TIMEOUT_MS', 2000, 100, 600_000),
    readCacheTtlMs: read.integer('READ_CACHE_TTL_MS', 1000, 0, 60_000),
  };
});

function assertMysqlUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('DATABASE_URL', 'is not a URL (expected mysql://user:pass@host:3306/db)');
  }
  if (parsed.protocol !== 'mysql:' && parsed.protocol !== 'mariadb:') {
    throw new ConfigError('DATABASE_URL', 'must start with mysql://');
  }
  if (!parsed.hostname) throw new ConfigError('DATABASE_URL', 'has no host');
  if (parsed.pathname.length <= 1) throw new ConfigError('DATABASE_URL', 'names no database (mysql://user:pass@host:3306/db)');
}
