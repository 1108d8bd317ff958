import type { Reader } from '../database/transactions';
import { Role, ROLE_STATUS_NORMAL } from './entities/role.entity';

/** The permission codes of the user's enabled roles: what its next token's `scope` claim carries. */
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
