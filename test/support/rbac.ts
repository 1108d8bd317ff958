import { decodeJwt } from 'jose';
import assert from 'node:assert/strict';
import { as, login } from './auth-helpers';
import type { TestApp } from './test-app';
import { uniqueName } from './users';

export const RBAC_PASSWORD = 'Plenty-Long-Secret-42';

/** Users and roles made through the API, as an administrator's console does. */
export function rbacHelpers(app: () => TestApp, admin: () => ReturnType<typeof as>) {
  async function register(username = uniqueName(), password = RBAC_PASSWORD) {
    const response = await app().http().post('/user').send({ username, password });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return { id: response.body.data.id as number, username, password };
  }

  /** A role with these permissions, granted by `granter` (the administrator unless given). */
  async function createRole(permissions: string[] = [], extra: Record<string, unknown> = {}, granter = admin()) {
    const key = uniqueName('role');
    const created = await admin().post('/role', { role_name: `Role ${key}`, role_key: key, role_sort: 5, ...extra });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const roleId = created.body.data.roleId as number;
    if (permissions.length) {
      const granted = await granter.put('/perm', { roleId, permissions });
      assert.equal(granted.status, 200, JSON.stringify(granted.body));
    }
    return roleId;
  }

  /** A user holding exactly these scopes, logged in. */
  async function userWith(scopes: string[]) {
    const user = await register();
    const roleId = await createRole(scopes);
    assert.equal((await admin().post(`/user/${user.id}/bind`, [roleId])).status, 200);
    const session = await login(app(), user.username, user.password);
    assert.deepEqual(decodeJwt(session.accessToken).scope, [...scopes].sort(), 'the token carries exactly these scopes');
    return { ...user, roleId, session, api: as(app(), session.accessToken) };
  }

  return { register, createRole, userWith };
}
