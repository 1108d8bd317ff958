import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { as, assertEnvelope, login, refresh } from './support/auth-helpers';
import { USER_PASSWORD, withApp } from './support/fixtures';
import { ADMIN_PASSWORD, NO_ADDRESS_LIMITS, testDatabases } from './support/test-app';
import { uniqueName } from './support/users';

const PASSWORD = USER_PASSWORD;

/**
 * Every route of documents 000 and 001 answers the HTTP status and the envelope `code` its document shows,
 * with the document's example request sent as it stands where it is a valid one.
 */
for (const database of testDatabases()) {
  describe(`the documents' status codes on ${database.name}`, () => {
    const t = withApp(database, NO_ADDRESS_LIMITS);
    const { admin } = t;

    async function expectStatus(response: { status: number; body: unknown }, status: number) {
      assert.equal(response.status, status, JSON.stringify(response.body));
      if (status !== 204) assertEnvelope(response.body, status);
    }

    it('POST /role with the document example answers 200, code 200 (RuoYi consoles test code === 200)', async () => {
      const key = uniqueName('role');
      const response = await admin.post('/role', { role_name: 'string', role_key: key, role_sort: 0, status: '0', remark: 'string' });
      await expectStatus(response, 200);
      assert.equal(response.body.data.roleKey, key);
    });

    it('POST /perm and POST /dept answer 200 like every creation but POST /user', async () => {
      await expectStatus(await admin.post('/perm', { code: uniqueName('publish'), name: '发布', description: 'Publish messages' }), 200);
      await expectStatus(await admin.post('/dept', { parentId: 0, deptName: uniqueName('总公司') }), 200);
    });

    it('POST /user answers 201 as document 001 shows', async () => {
      await expectStatus(await t.http().post('/user').send({ username: uniqueName(), password: PASSWORD }), 201);
    });

    it('answers every other documented route with the status its document shows', async () => {
      const username = uniqueName();
      const registered = await t.http().post('/user').send({ username, password: PASSWORD });
      const uid = registered.body.data.id as number;
      const roleId = (await admin.post('/role', { role_name: 'r', role_key: uniqueName('role') })).body.data.roleId as number;

      await expectStatus(await admin.get('/test'), 204);
      await expectStatus(await admin.get(`/role/${roleId}`), 200);
      await expectStatus(await admin.put(`/role/${roleId}`, { role_name: 'renamed' }), 200);
      await expectStatus(await admin.get('/role/list'), 200);
      await expectStatus(await admin.put(`/perm?roleId=${roleId}&permissions=userMan`), 200);
      await expectStatus(await admin.get(`/perm?roleId=${roleId}`), 200);
      await expectStatus(await admin.get('/perm/list'), 200);
      await expectStatus(await admin.get(`/user/${uid}`), 200);
      await expectStatus(await admin.put(`/user/${uid}`, { nickname: 'x' }), 200);
      await expectStatus(await admin.post(`/user/${uid}/bind`, [roleId]), 200);
      await expectStatus(await admin.get('/user/info'), 200);
      await expectStatus(await admin.post('/user/generateJwt', { subject: 'test1', audience: 'mfs', expiresAt: Math.floor(Date.now() / 1000) + 3600 }), 200);
      await expectStatus(await admin.delete(`/user/${uid}`), 200);
      await expectStatus(await admin.delete(`/role/${roleId}`), 200);

      const session = await login(t);
      await expectStatus(await refresh(t, session.refreshToken), 204);
    });

    it('POST /auth/login answers 200 and POST /auth/logout 200', async () => {
      const response = await t.http().post('/auth/login').send({ username: 'admin', password: ADMIN_PASSWORD });
      await expectStatus(response, 200);
      const logout = await t.http().post('/auth/logout').set('Authorization', String(response.headers.authorization));
      await expectStatus(logout, 200);
    });
  });

  describe(`the documents' contract on ${database.name}`, () => {
    const t = withApp(database, NO_ADDRESS_LIMITS);
    const { admin } = t;

    const { register, createRole } = t;

    async function storedUser(id: number): Promise<Record<string, unknown>> {
      const rows = await t.dataSource.query('SELECT nickname, email, phone, sex, remark FROM sys_user WHERE user_id = ?', [id]);
      return { ...rows[0] };
    }

    const permissionsOf = async (roleId: number) =>
      ((await admin.get(`/perm?roleId=${roleId}`)).body.data.list as Array<{ permission: string }>).map((p) => p.permission).sort();

    /** The string fields of the document's user model: never null. */
    const USER_STRING_FIELDS = [
      'username',
      'nickname',
      'avatar',
      'phone',
      'email',
      'sex',
      'status',
      'loginIp',
      'loginDate',
      'createTime',
      'updateTime',
      'remark',
    ];
    function assertDocumentStrings(user: Record<string, unknown>, fields = USER_STRING_FIELDS) {
      for (const field of fields) assert.equal(typeof user[field], 'string', `${field} is a string: ${JSON.stringify(user)}`);
    }

    describe('GET /perm without roleId answers the whole catalog', () => {
      it('answers {total, list:[{name, permission}]} for every permission, as with a roleId', async () => {
        const catalog = await admin.get('/perm/list');
        for (const path of ['/perm', '/perm?roleId=']) {
          const response = await admin.get(path);
          assert.equal(response.status, 200, `${path}: ${JSON.stringify(response.body)}`);
          assertEnvelope(response.body, 200);
          assert.equal(response.body.data.total, catalog.body.data.total);
          assert.deepEqual(response.body.data.list, catalog.body.data.list);
          for (const item of response.body.data.list) {
            assert.equal(typeof item.name, 'string');
            assert.equal(typeof item.permission, 'string');
          }
        }
        const roleId = await createRole();
        await admin.put('/perm', { roleId, permissions: ['userMan'] }).expect(200);
        const ofRole = await admin.get(`/perm?roleId=${roleId}`);
        assert.deepEqual(Object.keys(ofRole.body.data).sort(), ['list', 'total']);
        assert.deepEqual(
          ofRole.body.data.list.map((p: { permission: string }) => p.permission),
          ['userMan'],
        );
        assert.equal((await admin.get('/perm?roleId=abc')).status, 400);
      });
    });

    describe('an empty string in an optional field means unset', () => {
      it('clears a user field with "" (stored as NULL, so several users can have none) and answers ""', async () => {
        const first = await register();
        const second = await register();
        for (const user of [first, second]) {
          const set = await admin.put(`/user/${user.id}`, {
            nickname: 'x',
            email: `${user.username}@example.com`,
            phone: '13800000001'.slice(0, 8) + String(user.id).padStart(3, '0'),
            remark: 'r',
          });
          assert.equal(set.status, 200, JSON.stringify(set.body));
          const cleared = await admin.put(`/user/${user.id}`, { nickname: 'x', email: '', phone: '', remark: '', sex: '' });
          assert.equal(cleared.status, 200, JSON.stringify(cleared.body));
          assert.equal(cleared.body.data.email, '');
          assert.equal(cleared.body.data.phone, '');
          assert.equal(cleared.body.data.nickname, 'x');
          assert.deepEqual(await storedUser(user.id), { nickname: 'x', email: null, phone: null, sex: null, remark: null });
        }
        const fetched = await admin.get(`/user/${first.id}`);
        assert.equal(fetched.body.data.email, '');
      });

      it('answers "" rather than null for the document\'s string fields of users and roles', async () => {
        const user = await register();
        const roleId = await createRole();
        const one = await admin.get(`/user/${user.id}`);
        assert.equal(one.status, 200);
        assertDocumentStrings(one.body.data);
        assert.equal(one.body.data.nickname, '');
        assert.equal(one.body.data.loginDate, '');
        const list = await admin.get(`/user/list?username=${user.username}`);
        assert.equal(list.body.data.total, 1);
        assertDocumentStrings(list.body.data.list[0]);
        const info = await admin.get(`/user/info?username=${user.username}`);
        assert.equal(info.status, 200, JSON.stringify(info.body));
        assertDocumentStrings(info.body.data.user, ['username', 'nickname', 'avatar', 'email', 'deptName', 'deptPath', 'dataScope']);
        const role = await admin.get(`/role/${roleId}`);
        assert.equal(role.body.data.remark, '');
        assert.equal(typeof role.body.data.createTime, 'string');
        const roles = await admin.get('/role/list?pageSize=100');
        for (const listed of roles.body.data.list) assert.equal(typeof listed.remark, 'string', JSON.stringify(listed));
      });

      it('takes "" as absent in a creation, and keeps a required field sent as "" a 400', async () => {
        const role = await admin.post('/role', { role_name: 'r', role_key: uniqueName('role'), role_sort: '', status: '', remark: '', data_scope: '' });
        assert.equal(role.status, 200, JSON.stringify(role.body));
        assert.equal(role.body.data.roleSort, 0);
        assert.equal(role.body.data.status, '0');
        assert.equal(role.body.data.remark, '');
        const dept = await admin.post('/dept', { parentId: '', deptName: uniqueName('部门'), orderNum: '', status: '', remark: '' });
        assert.equal(dept.status, 200, JSON.stringify(dept.body));
        assert.equal(dept.body.data.parentId, 0);
        const permission = await admin.post('/perm', { code: uniqueName('p'), name: 'p', description: '' });
        assert.equal(permission.status, 200, JSON.stringify(permission.body));
        const minted = await admin.post('/user/generateJwt', { subject: 'form', audience: '', issuer: '', jwtId: '', expiresAt: '' });
        assert.equal(minted.status, 200, JSON.stringify(minted.body));

        for (const [path, body] of [
          ['/role', { role_name: '', role_key: uniqueName('role') }],
          ['/role', { role_name: 'r', role_key: '' }],
          ['/dept', { deptName: '' }],
          ['/perm', { code: '', name: 'x' }],
          ['/perm', { code: uniqueName('p'), name: '' }],
          ['/user/generateJwt', { subject: '' }],
          ['/auth/login', { username: '', password: 'x' }],
        ] as const) {
          const response = await admin.post(path, body);
          assert.equal(response.status, 400, `${path} ${JSON.stringify(body)}: ${JSON.stringify(response.body)}`);
          assertEnvelope(response.body, 400);
        }
      });

      it('leaves a role or department field sent as "" or null in an update as it was, or clears its remark', async () => {
        const roleId = await createRole([], { remark: 'keep?' });
        const before = (await admin.get(`/role/${roleId}`)).body.data;
        for (const body of [
          { role_name: '', role_key: '', role_sort: '', status: '', remark: '' },
          { role_name: null, roleKey: null, roleSort: null, status: null },
        ]) {
          const response = await admin.put(`/role/${roleId}`, body);
          assert.equal(response.status, 200, JSON.stringify(response.body));
          assert.equal(response.body.data.roleName, before.roleName);
          assert.equal(response.body.data.roleKey, before.roleKey);
          assert.equal(response.body.data.roleSort, before.roleSort);
          assert.equal(response.body.data.status, before.status);
          assert.equal(response.body.data.remark, '');
        }
        const dept = (await admin.post('/dept', { deptName: uniqueName('部门'), remark: 'r' })).body.data;
        const changed = await admin.put(`/dept/${dept.deptId}`, { deptName: '', parentId: '', orderNum: '', status: '', remark: '' });
        assert.equal(changed.status, 200, JSON.stringify(changed.body));
        assert.equal(changed.body.data.deptName, dept.deptName);
        assert.equal(changed.body.data.parentId, dept.parentId);
      });

      it('takes empty filters as no filter', async () => {
        for (const path of [
          '/user/list?username=&phone=&status=&deptId=&pageNum=&pageSize=',
          '/role/list?roleName=&roleKey=&status=',
          '/session?username=&userId=&ip=&type=&active=',
          '/session/mine?type=&active=',
          '/audit?actor=&action=&target=&from=&to=',
          '/user/info?username=',
          '/perm?roleId=',
        ]) {
          const response = await admin.get(path);
          assert.equal(response.status, 200, `${path}: ${JSON.stringify(response.body)}`);
        }
      });

      it('takes back the user model a client read with GET, unchanged, from oneself and from an administrator', async () => {
        const user = await register();
        const self = as(t, (await login(t, user.username, PASSWORD)).accessToken);
        await self.put(`/user/${user.id}`, { nickname: 'Echo' }).expect(200);
        for (const api of [self, admin]) {
          const read = await api.get(`/user/${user.id}`);
          const echoed = await api.put(`/user/${user.id}`, { ...read.body.data, password: '', oldPassword: '' });
          assert.equal(echoed.status, 200, JSON.stringify(echoed.body));
          // Only who changed it last and when may differ.
          assert.deepEqual({ ...echoed.body.data, updateBy: 0, updateTime: '' }, { ...read.body.data, updateBy: 0, updateTime: '' });
        }
      });

      it("answers the document's literal PUT /user/{uid} example with 400 naming the invalid fields, never a 500, and changes nothing", async () => {
        const user = await register();
        const example = {
          userId: 0,
          username: 'string',
          nickname: 'string',
          password: 'string',
          avatar: 'string',
          phone: 'string',
          email: 'string',
          sex: 'string',
          status: 'string',
          loginIp: 'string',
          loginDate: 'string',
          createBy: 0,
          createTime: 'string',
          updateBy: 'string',
          updateTime: 'string',
          remark: 'string',
        };
        const before = await admin.get(`/user/${user.id}`);
        const response = await admin.put(`/user/${user.id}`, example);
        assert.equal(response.status, 400, JSON.stringify(response.body));
        assertEnvelope(response.body, 400);
        const fields = (response.body.data.errors as Array<{ field: string }>).map((e) => e.field).sort();
        assert.deepEqual(fields, ['avatar', 'email', 'phone', 'sex', 'status']);
        assert.deepEqual((await admin.get(`/user/${user.id}`)).body.data, before.body.data);
      });
    });

    describe('numbers sent as strings, as the documents show them', () => {
      it('mints with expiresAt {seconds, nanos} as strings, or a bare numeric string', async () => {
        const inAnHour = Math.floor(Date.now() / 1000) + 3600;
        for (const expiresAt of [{ seconds: String(inAnHour), nanos: '1' }, String(inAnHour), inAnHour, { seconds: inAnHour, nanos: 1 }]) {
          const response = await admin.post('/user/generateJwt', { subject: 'test1', audience: 'mfs', expiresAt, authorities: ['userMan'] });
          assert.equal(response.status, 200, `${JSON.stringify(expiresAt)}: ${JSON.stringify(response.body)}`);
          const payload = JSON.parse(Buffer.from(String(response.body.data).split('.')[1], 'base64url').toString());
          assert.equal(payload.exp, inAnHour);
        }
        for (const expiresAt of [
          { seconds: 'soon', nanos: '1' },
          { seconds: String(inAnHour), nanos: 'x' },
          { seconds: String(inAnHour), nanos: '-1' },
          '12abc',
          `${inAnHour}.5`,
          true,
        ]) {
          const response = await admin.post('/user/generateJwt', { subject: 'test1', expiresAt });
          assert.equal(response.status, 400, `${JSON.stringify(expiresAt)}: ${JSON.stringify(response.body)}`);
          assertEnvelope(response.body, 400);
        }
      });

      it('takes roleId, role_sort, pageNum and pageSize as numeric strings in JSON bodies, and keeps status a string', async () => {
        const created = await admin.post('/role', { role_name: 'r', role_key: uniqueName('role'), role_sort: '7', status: '1' });
        assert.equal(created.status, 200, JSON.stringify(created.body));
        assert.equal(created.body.data.roleSort, 7);
        assert.equal(created.body.data.status, '1');
        const roleId = created.body.data.roleId as number;
        assert.equal((await admin.put(`/role/${roleId}`, { roleSort: '8' })).body.data.roleSort, 8);
        const set = await admin.put('/perm', { roleId: String(roleId), permissions: ['role'] });
        assert.equal(set.status, 200, JSON.stringify(set.body));
        assert.deepEqual(await permissionsOf(roleId), ['role']);
        const page = await admin
          .get('/role/list')
          .set('Content-Type', 'application/json')
          .send(JSON.stringify({ pageNum: '1', pageSize: '1' }));
        assert.equal(page.status, 200, JSON.stringify(page.body));
        assert.equal(page.body.data.list.length, 1);

        for (const [method, path, body] of [
          ['post', '/role', { role_name: 'r', role_key: uniqueName('role'), role_sort: 'x' }],
          ['post', '/role', { role_name: 'r', role_key: uniqueName('role'), role_sort: '1.5' }],
          ['post', '/role', { role_name: 'r', role_key: uniqueName('role'), role_sort: true }],
          ['put', '/perm', { roleId: 'two', permissions: ['role'] }],
          ['post', '/role', { role_name: 'r', role_key: uniqueName('role'), status: 0 }],
        ] as const) {
          const response = await (method === 'post' ? admin.post(path, body) : admin.put(path, body));
          assert.equal(response.status, 400, `${path} ${JSON.stringify(body)}: ${JSON.stringify(response.body)}`);
        }
        assert.equal(
          (
            await admin
              .get('/role/list')
              .set('Content-Type', 'application/json')
              .send(JSON.stringify({ pageSize: 'ten' }))
          ).status,
          400,
        );
        assert.equal((await admin.get('/user/list?pageSize=abc')).status, 400);
      });
    });

    describe('array parameters and GET bodies as clients send them', () => {
      it("sets a role's permissions from permissions[]=a&permissions[]=b, permissions=a,b and repeated keys", async () => {
        const roleId = await createRole();
        for (const query of [
          'permissions[]=userMan&permissions[]=role',
          'permissions=userMan,role',
          'permissions=userMan&permissions=role',
          'permissions%5B%5D=userMan&permissions%5B%5D=role',
          'permissions[0]=userMan&permissions[1]=role',
        ]) {
          await admin.put(`/perm?roleId=${roleId}&permissions=`).expect(200);
          assert.deepEqual(await permissionsOf(roleId), []);
          const response = await admin.put(`/perm?roleId=${roleId}&${query}`);
          assert.equal(response.status, 200, `${query}: ${JSON.stringify(response.body)}`);
          assert.deepEqual(await permissionsOf(roleId), ['role', 'userMan'], query);
        }
        const single = await admin.put(`/perm?roleId=${roleId}&permissions[]=kickout`);
        assert.equal(single.status, 200, JSON.stringify(single.body));
        assert.deepEqual(await permissionsOf(roleId), ['kickout']);
        assert.equal((await admin.put(`/perm?roleId=${roleId}&permissions=userMan,no%20such`)).status, 400);
        assert.equal((await admin.get('/user/list?username[]=admin')).status, 400);
      });

      it('reads the filters of GET /user/list from a JSON body, merged with the query as GET /role/list does', async () => {
        const prefix = uniqueName('gb');
        const alice = await register(`${prefix}_alice`);
        await register(`${prefix}_bob`);
        const viaBody = await admin
          .get('/user/list')
          .set('Content-Type', 'application/json')
          .send(JSON.stringify({ pageNum: 1, pageSize: 10, username: `${prefix}_ali`, phone: '', status: '' }));
        assert.equal(viaBody.status, 200, JSON.stringify(viaBody.body));
        assert.deepEqual(
          viaBody.body.data.list.map((u: { userId: number }) => u.userId),
          [alice.id],
        );
        const literal = await admin
          .get('/user/list')
          .set('Content-Type', 'application/json')
          .send(JSON.stringify(`{\r\n  pageNum: 1,\r\n  pageSize: 1,\r\n  username: "${prefix}",\r\n  status: "",\r\n}`));
        assert.equal(literal.status, 200, JSON.stringify(literal.body));
        assert.equal(literal.body.data.total, 2);
        assert.equal(literal.body.data.list.length, 1);
        const merged = await admin
          .get(`/user/list?username=${prefix}_bob`)
          .set('Content-Type', 'application/json')
          .send(JSON.stringify({ username: `${prefix}_alice`, pageSize: 5 }));
        assert.equal(merged.body.data.total, 1);
        assert.equal(merged.body.data.list[0].username, `${prefix}_bob`, 'the query wins over the body');
        for (const bad of ['{"pageSize":1000}', '{"extra":1}', '{"pageNum":']) {
          const response = await admin.get('/user/list').set('Content-Type', 'application/json').send(bad);
          assert.equal(response.status, 400, `${bad}: ${JSON.stringify(response.body)}`);
          assertEnvelope(response.body, 400);
        }
      });
    });
  });
}
