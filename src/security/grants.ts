import { AppException } from '../common/app.exception';
import type { MessageKey } from '../common/messages';
import type { Principal } from './principal';

/** Nobody may hand out a scope they do not hold themselves: not to a role, not through a binding. */
export function assertCanGrant(caller: Principal, scopes: Iterable<string>, messageKey: MessageKey = 'error.cannotGrant'): void {
  const held = new Set(caller.scope);
  const missing = [...new Set(scopes)].filter((scope) => !held.has(scope));
  if (missing.length > 0) throw new AppException(403, messageKey, { scopes: missing.sort() });
}

/**
 * Removing is granting too (vendure's rule): changing, deleting, binding or
 * unbinding a role needs every scope the role has, so nobody can weaken,
 * disable or take away a role more powerful than themselves.
 */
export function assertCanChangeRoles(caller: Principal, ...roles: Array<{ permissions: Array<{ code: string }> }>): void {
  assertCanGrant(
    caller,
    roles.flatMap((role) => role.permissions.map((p) => p.code)),
    'error.cannotChangeRole',
  );
}
