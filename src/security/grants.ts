import { AppException } from '../common/app.exception';
import type { Principal } from './principal';

/** Nobody may hand out a scope they do not hold themselves: not to a role, not through a binding. */
export function assertCanGrant(caller: Principal, scopes: Iterable<string>): void {
  const held = new Set(caller.scope);
  const missing = [...new Set(scopes)].filter((scope) => !held.has(scope));
  if (missing.length > 0) throw new AppException(403, 'error.cannotGrant', { scopes: missing.sort() });
}
