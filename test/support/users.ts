import * as bcrypt from 'bcrypt';
import { randomBytes } from 'node:crypto';
import { Role } from '../../src/role/entities/role.entity';
import { User, usernameKey } from '../../src/user/entities/user.entity';
import type { TestApp } from './test-app';

export function uniqueName(prefix = 'user'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** A user written straight into the database, for tests that need one the API cannot make yet. */
export async function createUser(
  t: TestApp,
  options: { password: string; status?: string; roleKeys?: string[]; rounds?: number; username?: string },
): Promise<User> {
  const username = options.username ?? uniqueName();
  const roles = options.roleKeys?.length ? await t.dataSource.getRepository(Role).findBy(options.roleKeys.map((roleKey) => ({ roleKey }))) : [];
  const users = t.dataSource.getRepository(User);
  return users.save(
    users.create({
      username,
      usernameKey: usernameKey(username),
      passwordHash: await bcrypt.hash(options.password, options.rounds ?? 4),
      status: options.status ?? '0',
      roles,
    }),
  );
}
