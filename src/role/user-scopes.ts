import { Injectable } from '@nestjs/common';
import { Reader, Transactions } from '../database/transactions';
import { Role, ROLE_STATUS_NORMAL } from './entities/role.entity';

/**
 * The permission codes of the user's enabled roles: what its next token's `scope` claim carries.
 * The one query on sys_user_role and sys_role_permission for it; the grant rules (security/grants.ts),
 * plain functions over a Reader, call it directly, services through UserScopes.
 */
export async function scopesOfUser(reader: Reader, userId: number): Promise<string[]> {
  const rows = await reader
    .getRepository(Role)
    .createQueryBuilder('role')
    .innerJoin('sys_user_role', 'ur', 'ur.role_id = role.role_id')
    .innerJoin('sys_role_permission', 'rp', 'rp.role_id = role.role_id')
    .select('DISTINCT rp.permission_code', 'code')
    .where('ur.user_id = :userId', { userId })
    .andWhere('role.status = :status', { status: ROLE_STATUS_NORMAL })
    .getRawMany<{ code: string }>();
  return rows.map((row) => row.code).sort();
}

/** What the roles of a user hold, for the services outside role/ (sessions signing a token, /user/info). */
@Injectable()
export class UserScopes {
  constructor(private readonly transactions: Transactions) {}

  /** Inside a transaction, pass its manager: the reader would wait for that very transaction on SQLite. */
  of(userId: number, reader: Reader = this.transactions.reader): Promise<string[]> {
    return scopesOfUser(reader, userId);
  }
}
