import { Injectable } from '@nestjs/common';
import { ReadCache, ReadCaches } from '../database/read-cache';
import { Reader, Transactions } from '../database/transactions';
import { ROLE_STATUS_NORMAL } from './entities/role.entity';

/** Every table a user's scopes are read from: a write to any of them empties the cache of scopes. */
const SCOPE_TABLES = ['sys_user_role', 'sys_role', 'sys_role_permission', 'sys_permission'] as const;

/** Hand-written (database/sql.ts): it runs on every refresh and login, where the query builder cost more than the query. */
const SCOPES_OF_USER = `SELECT DISTINCT rp.permission_code AS code
  FROM sys_user_role ur
  JOIN sys_role r ON r.role_id = ur.role_id AND r.status = ?
  JOIN sys_role_permission rp ON rp.role_id = r.role_id
  WHERE ur.user_id = ?`;

/**
 * The permission codes of the user's enabled roles: what its next token's `scope` claim carries.
 * The one query on sys_user_role and sys_role_permission for it; the grant rules (security/grants.ts),
 * plain functions over a Reader, call it directly, services through UserScopes.
 */
export async function scopesOfUser(reader: Reader, userId: number): Promise<string[]> {
  const rows = await reader.query<Array<{ code: string }>>(SCOPES_OF_USER, [ROLE_STATUS_NORMAL, userId]);
  return rows.map((row) => row.code).sort();
}

/**
 * What the roles of a user hold, for the services outside role/ (sessions signing a token, /user/info).
 * Outside a transaction the answer is cached: a role change on this instance empties the cache at once,
 * one on another instance shows here within READ_CACHE_TTL_MS.
 */
@Injectable()
export class UserScopes {
  private readonly cache: ReadCache<number, readonly string[]>;

  constructor(
    private readonly transactions: Transactions,
    caches: ReadCaches,
  ) {
    this.cache = caches.forTables(SCOPE_TABLES);
  }

  /** Inside a transaction, pass its manager: the reader would wait for that very transaction on SQLite. */
  async of(userId: number, reader?: Reader): Promise<string[]> {
    if (reader) return scopesOfUser(reader, userId);
    const scopes = await this.cache.get(userId, () => scopesOfUser(this.transactions.reader, userId));
    return [...scopes];
  }
}
