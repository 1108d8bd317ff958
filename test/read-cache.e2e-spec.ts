import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { as, login } from './support/auth-helpers';
import { withApp } from './support/fixtures';
import { testDatabases } from './support/test-app';
import { uniqueName } from './support/users';

const PASSWORD = 'Plenty-Long-Secret-42';
const LIST = '/role/list?pageNum=1&pageSize=100';

for (const database of testDatabases()) {
  describe(`cached reads of roles and users on ${database.name}`, () => {
    const t = withApp(database, { READ_CACHE_TTL_MS: '60000' });
    const { admin } = t;

    const roleNamed = async (api: ReturnType<typeof as>, roleKey: string) => {
      const list = await api.get(LIST);
      assert.equal(list.status, 200);
      return (list.body.data.list as Array<{ roleKey: string; roleName: string }>).find((role) => role.roleKey === roleKey);
    };

    it('shows every change made on the same instance at once, though pages live a minute', async () => {
      const roleKey = uniqueName('role');
      const created = await admin.post('/role', { role_name: 'Before', role_key: roleKey, role_sort: 5 });
      assert.equal(created.status, 200);
      assert.equal((await roleNamed(admin, roleKey))?.roleName, 'Before');
      assert.equal((await admin.put(`/role/${created.body.data.roleId}`, { role_name: 'After' })).status, 200);
      assert.equal((await roleNamed(admin, roleKey))?.roleName, 'After');
      // Deleting goes through a conditional DELETE statement, not an entity remove.
      assert.equal((await admin.delete(`/role/${created.body.data.roleId}`)).status, 200);
      assert.equal(await roleNamed(admin, roleKey), undefined);

      const { id: userId, username } = await t.register(uniqueName(), PASSWORD);
      const before = await admin.get(`/user/${userId}`);
      assert.equal(before.body.data.loginDate, '');
      assert.equal((await admin.put(`/user/${userId}`, { nickname: 'Renamed' })).status, 200);
      assert.equal((await admin.get(`/user/${userId}`)).body.data.nickname, 'Renamed');
      await login(t, username, PASSWORD);
      const afterLogin = await admin.get(`/user/${userId}`);
      assert.notEqual(afterLogin.body.data.loginDate, '', 'a login shows in the next read');
      assert.equal((await admin.post(`/user/${userId}/disable`)).status, 200);
      assert.equal((await admin.get(`/user/${userId}`)).body.data.status, '1');
      assert.equal((await admin.delete(`/user/${userId}`)).status, 200);
      assert.equal((await admin.get(`/user/${userId}`)).status, 404);
    });

    it('shows a change made on another instance within the time to live', async () => {
      const other = await t.restart({ READ_CACHE_TTL_MS: '1000' });
      const otherAdmin = as(other, (await login(other)).accessToken);
      const roleKey = uniqueName('role');
      const created = await admin.post('/role', { role_name: 'Seen', role_key: roleKey });
      assert.equal(created.status, 200);
      let seen: string | undefined;
      assert.equal((await roleNamed(otherAdmin, roleKey))?.roleName, 'Seen');
      assert.equal((await admin.put(`/role/${created.body.data.roleId}`, { role_name: 'Changed' })).status, 200);
      const started = Date.now();
      while (Date.now() - started < 3000) {
        seen = (await roleNamed(otherAdmin, roleKey))?.roleName;
        if (seen === 'Changed') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(seen, 'Changed');
      assert.ok(Date.now() - started < 1400, `seen after ${Date.now() - started} ms`);
    });
  });
}
