import { isMintedType, Session } from '../session/entities/session.entity';
import { AppException } from '../common/app.exception';
import type { ErrorKey } from '../common/messages';
import type { Reader } from '../database/transactions';
import { scopesOfUser } from '../role/user-scopes';
import { type Principal, userIdOf } from './principal';

/**
 * The scopes a caller may grant, take away or manage, as they are now rather
 * than when its token was issued: a login token holds what its user's roles
 * hold today (a permission just added to the admin role can be granted at
 * once; a role just taken away no longer lets its old tokens grant). A minted
 * or personal token holds what it carries, and no more than its user holds now.
 */
export async function heldScopes(reader: Reader, caller: Principal): Promise<ReadonlySet<string>> {
  const userId = userIdOf(caller);
  if (userId === undefined) return new Set(caller.scope);
  const [current, session] = await Promise.all([
    scopesOfUser(reader, userId),
    reader.getRepository(Session).findOne({ select: { id: true, type: true }, where: { id: caller.sid } }),
  ]);
  const isLogin = session !== null && !isMintedType(session.type);
  if (isLogin) return new Set(current);
  const carried = new Set(caller.scope);
  return new Set(current.filter((scope) => carried.has(scope)));
}

/** Nobody may hand out a scope they do not hold themselves: not to a role, not through a binding. */
export function assertCanGrant(held: ReadonlySet<string>, scopes: Iterable<string>, messageKey: ErrorKey = 'error.cannotGrant'): void {
  const missing = [...new Set(scopes)].filter((scope) => !held.has(scope));
  if (missing.length > 0) throw new AppException(messageKey, { scopes: missing.sort() });
}

/**
 * Managing a user who holds a scope the caller lacks (kicking it out, ending one of its sessions,
 * disabling, deleting, resetting it, changing its roles) would be a way to that scope.
 * Inside a transaction, pass its manager: what was checked then holds when the change commits.
 */
export async function assertCanManageUser(reader: Reader, caller: Principal, userId: number): Promise<void> {
  assertCanGrant(await heldScopes(reader, caller), await scopesOfUser(reader, userId));
}

/**
 * Removing is granting too (vendure's rule): changing, deleting, binding or
 * unbinding a role needs every scope the role has, so nobody can weaken,
 * disable or take away a role more powerful than themselves.
 */
export function assertCanChangeRoles(held: ReadonlySet<string>, ...roles: Array<{ permissions: Array<{ code: string }> }>): void {
  assertCanGrant(
    held,
    roles.flatMap((role) => role.permissions.map((p) => p.code)),
    'error.cannotChangeRole',
  );
}
