import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, MigrationExecutor } from 'typeorm';
import type { DataSourceOptions, Migration } from 'typeorm';
import { BoundedMysql } from './bounded-mysql';
import { withDatabaseLock } from './database-lock';
import type { DatabaseConfig } from './database.config';
import { InitialSchema1763780000000 } from './migrations/1763780000000-initial-schema';
import { Departments1763790000000 } from './migrations/1763790000000-departments';
import { RevocationLog1763800000000 } from './migrations/1763800000000-revocation-log';
import { MintedTokens1763810000000 } from './migrations/1763810000000-minted-tokens';
import { AuditLog1763820000000 } from './migrations/1763820000000-audit-log';
import { SigningKeys1763830000000 } from './migrations/1763830000000-signing-keys';
import { RevocationLifetime1763841100000 } from './migrations/1763841100000-revocation-lifetime';
import { SsoPartners1763850000000 } from './migrations/1763850000000-sso-partners';
import { ApiTickets1763851200000 } from './migrations/1763851200000-api-tickets';
import { WechatBindings1763852400000 } from './migrations/1763852400000-wechat-bindings';
import { VerifyCodes1763860000000 } from './migrations/1763860000000-verify-codes';
import { RefreshSuccessors1763870000000 } from './migrations/1763870000000-refresh-successors';
import { RateLimits1763880000000 } from './migrations/1763880000000-rate-limits';
import { QueryLogger } from './query-logger';

const MIGRATIONS = [
  InitialSchema1763780000000,
  Departments1763790000000,
  RevocationLog1763800000000,
  MintedTokens1763810000000,
  AuditLog1763820000000,
  SigningKeys1763830000000,
  RevocationLifetime1763841100000,
  SsoPartners1763850000000,
  ApiTickets1763851200000,
  WechatBindings1763852400000,
  VerifyCodes1763860000000,
  RefreshSuccessors1763870000000,
  RateLimits1763880000000,
];

/** How long a start waits for another instance's migrations (an ALTER of a big table may take long); TiDB's most. */
const MIGRATION_LOCK_WAIT_SECONDS = 3600;

/**
 * A DataSource whose migrations run under a database lock (database-lock.ts), at start and from the CLI: instances
 * started together on an empty or older database would otherwise all run the same CREATE TABLE or ALTER, and all
 * but one fail to start. The one that gets the lock migrates; the others then find nothing pending.
 */
export class MigratingDataSource extends DataSource {
  override runMigrations(options?: { transaction?: 'all' | 'none' | 'each'; fake?: boolean }): Promise<Migration[]> {
    return withDatabaseLock(this, 'migrations', MIGRATION_LOCK_WAIT_SECONDS, (runner) => {
      const executor = new MigrationExecutor(this, runner);
      executor.transaction = options?.transaction ?? this.options.migrationsTransactionMode ?? 'all';
      executor.fake = options?.fake ?? false;
      return executor.executePendingMigrations();
    });
  }
}

/**
 * One description of the database for the app, the tests and the migration CLI (ormconfig.ts). The entities are
 * not here: each feature module registers its own (TypeOrmModule.forFeature), and the migrations need none.
 */
export function dataSourceOptions(database: DatabaseConfig): DataSourceOptions {
  const common = {
    migrations: MIGRATIONS,
    migrationsRun: database.migrationsRun,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    logging: ['error' as const, 'migration' as const],
    logger: new QueryLogger(),
  };
  if (database.type === 'mysql') {
    return {
      ...common,
      type: 'mysql',
      url: database.url,
      charset: 'utf8mb4_unicode_ci',
      timezone: 'Z',
      supportBigNumbers: true,
      connectTimeout: 5000,
      poolSize: database.poolSize,
      // Bounds the wait for a pooled connection and every query: a stalled server gets 503, not a hang.
      driver: new BoundedMysql({ queryTimeoutMs: database.queryTimeoutMs, acquireTimeoutMs: database.acquireTimeoutMs }),
      // trace: false: mysql2 would capture a stack trace for every query (7 % of a refresh rotation's CPU) to
      // decorate errors that TypeORM's QueryFailedError already names by their SQL.
      extra: { waitForConnections: true, queueLimit: 1000, enableKeepAlive: true, trace: false },
    };
  }
  if (database.sqlitePath !== ':memory:') mkdirSync(dirname(database.sqlitePath), { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    database: database.sqlitePath,
    enableWAL: true,
    // Writers wait for another process's lock instead of failing with SQLITE_BUSY at once, but not for ever.
    timeout: database.queryTimeoutMs,
  };
}
