import { decodeJwt } from 'jose';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Session } from '../src/session/entities/session.entity';
import { Role } from '../src/role/entities/role.entity';
import { User } from '../src/user/entities/user.entity';
import { as, assertEnvelope, checkToken, login, refresh } from './support/auth-helpers';
import { USER_PASSWORD, withApp } from './support/fixtures';
import { testDatabases } from './support/test-app';
import { uniqueName } from './support/users';

const PASSWORD = USER_PASSWORD;

for (const database of testDatabases()) {
  describe(`RBAC on ${database.name}`, () => {
    const t = withApp(database);
    const { admin, register, createRole, userWith } = t;

    describe('the console story', () => {
      it('creates a department, a role with permissions, a user bound to it, whose token carries exactly those scopes', async () => {
        const root = await admin.post('/dept', { parentId: 0, deptName: uniqueName('总公司'), orderNum: 1 });
        assert.equal(root.status, 200, JSON.stringify(root.body));
        assertEnvelope(root.body, 200);
        const dept = await admin.post('/dept', { parentId: root.body.data.deptId, deptName: '研发部', orderNum: 2 });
        assert.equal(dept.status, 200);
        assert.equal(dept.body.data.deptPath, `0,${root.body.data.deptId},${dept.body.data.deptId}`);

        const permission = await admin.post('/perm', { code: uniqueName('publish'), name: '发布', description: 'Publish messages' });
        assert.equal(permission.status, 200, JSON.stringify(permission.body));
        const code = permission.body.data.permission as string;
        // The admin role gets the new scope at once, and the admin may grant it with the token it already has.
        const roleId = await createRole();
        assert.equal((await admin.put('/perm', { roleId, permissions: ['userMan', code] })).status, 200);
        assert.equal((await admin.put(`/perm?roleId=${roleId}&permissions=userMan&permissions=role`)).status, 200);
        const rolePerms = await admin.get(`/perm?roleId=${roleId}`);
        assert.deepEqual(
          rolePerms.body.data.list.map((p: { permission: string }) => p.permission),
          ['role', 'userMan'],
        );

        const user = await register();
        assert.equal((await admin.put(`/user/${user.id}`, { deptId: dept.body.data.deptId, nickname: 'Dev One' })).status, 200);
        assert.equal((await admin.post(`/user/${user.id}/bind`, [roleId])).status, 200);

        const session = await login(t, user.username, user.password);
        assert.deepEqual(decodeJwt(session.accessToken).scope, ['role', 'userMan']);
        const info = await as(t, session.accessToken).get('/user/info');
        assert.equal(info.status, 200);
        assert.equal(info.body.msg, '获取成功');
        const expectedRoles = [`Role ${(await t.dataSource.getRepository(Role).findOneByOrFail({ id: roleId })).roleKey}`];
        assert.deepEqual(info.body.data.user.roles, expectedRoles);
        assert.deepEqual(info.body.data.user.permissions, ['role', 'userMan']);
        assert.equal(info.body.data.user.deptName, '研发部');
        assert.equal(info.body.data.user.deptPath, dept.body.data.deptPath);
        assert.equal(info.body.data.user.dataScope, '1');
        assert.ok(info.body.data.user.deptIds.includes(dept.body.data.deptId));
      });
    });

    describe('users', () => {
      it('registers with the default role and no scopes; never shows a hash', async () => {
        const user = await register();
        const stored = await t.dataSource.getRepository(User).findOneOrFail({ where: { id: user.id }, relations: { roles: true } });
        assert.deepEqual(
          stored.roles.map((r) => r.roleKey),
          ['common'],
        );
        const session = await login(t, user.username, user.password);
        assert.deepEqual(decodeJwt(session.accessToken).scope, []);
        const own = await as(t, session.accessToken).get(`/user/${user.id}`);
        assert.equal(own.status, 200);
        assert.equal(own.body.data.username, user.username);
        assert.equal(own.body.data.status, '0');
        const text = JSON.stringify(own.body);
        assert.doesNotMatch(text, /password|\$2b\$/i);
      });

      it('refuses bad usernames and passwords with 400, taken and look-alike names with 409', async () => {
        const name = uniqueName('Bob');
        await register(name);
        for (const [username, password, status] of [
          ['ab', PASSWORD, 400],
          ['has space', PASSWORD, 400],
          ['аdmin-cyrillic', PASSWORD, 400],
          [uniqueName(), 'short', 400],
          [uniqueName(), 'password1', 400],
          [uniqueName(), 'x'.repeat(65), 400],
          [uniqueName(), 'é'.repeat(37), 400],
          [name.toUpperCase(), PASSWORD, 409],
          [name.replace(/[a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)), PASSWORD, 409],
        ] as const) {
          const response = await t.http().post('/user').send({ username, password });
          assert.equal(response.status, status, `${username} / ${password}: ${JSON.stringify(response.body)}`);
          assertEnvelope(response.body, status);
        }
      });

      it('lets exactly one of several concurrent registrations of a name win', async () => {
        const username = uniqueName('race');
        const responses = await Promise.all(Array.from({ length: 5 }, () => t.http().post('/user').send({ username, password: PASSWORD })));
        assert.deepEqual(responses.map((r) => r.status).sort(), [201, 409, 409, 409, 409]);
        assert.equal(await t.dataSource.getRepository(User).countBy({ username }), 1);
      });

      it('closes registration with REGISTRATION_ENABLED=false', async () => {
        const closed = await t.restart({ REGISTRATION_ENABLED: 'false' });
        const response = await closed.http().post('/user').send({ username: uniqueName(), password: PASSWORD });
        assert.equal(response.status, 403);
        await closed.app.close();
      });

      it('lets a user read and edit its own profile, but not its status, department or others', async () => {
        const alice = await register();
        const bob = await register();
        const session = await login(t, alice.username, alice.password);
        const api = as(t, session.accessToken);
        assert.equal((await api.get(`/user/${bob.id}`)).status, 403);
        assert.equal((await api.put(`/user/${bob.id}`, { nickname: 'x' })).status, 403);
        const edited = await api.put(`/user/${alice.id}`, {
          nickname: 'Alice',
          email: `${alice.username}@example.com`,
          sex: '1',
          userId: 999,
          createBy: 5,
          loginIp: '1.2.3.4',
        });
        assert.equal(edited.status, 200, JSON.stringify(edited.body));
        assert.equal(edited.body.data.nickname, 'Alice');
        assert.equal(edited.body.data.userId, alice.id);
        assert.equal(edited.body.data.createBy, null);
        assert.notEqual(edited.body.data.loginIp, '1.2.3.4');
        const escalate = await api.put(`/user/${alice.id}`, { status: '1' });
        assert.equal(escalate.status, 403);
        const unchanged = await api.put(`/user/${alice.id}`, { status: '0', nickname: 'Alice 2' });
        assert.equal(unchanged.status, 200, 'sending an unchanged status back is fine');
      });

      it('changes one’s own password only with the old one, and ends the other sessions', async () => {
        const user = await register();
        const first = await login(t, user.username, user.password);
        const second = await login(t, user.username, user.password);
        const api = as(t, first.accessToken);
        assert.equal((await api.put(`/user/${user.id}`, { password: 'Another-Long-Secret-7' })).status, 400);
        assert.equal((await api.put(`/user/${user.id}`, { password: 'Another-Long-Secret-7', oldPassword: 'wrong-wrong-1' })).status, 400);
        const changed = await api.put(`/user/${user.id}`, { password: 'Another-Long-Secret-7', oldPassword: user.password });
        assert.equal(changed.status, 200);
        assert.equal((await checkToken(t, first.accessToken)).status, 204, 'the session that changed it stays');
        assert.equal((await checkToken(t, second.accessToken)).status, 401, 'the other session ends');
        assert.equal((await refresh(t, second.refreshToken)).status, 401);
        assert.equal((await t.http().post('/auth/login').send({ username: user.username, password: user.password })).status, 401);
        await login(t, user.username, 'Another-Long-Secret-7');
      });

      it('disabling a user ends its sessions at once; it cannot log in', async () => {
        const user = await register();
        const session = await login(t, user.username, user.password);
        const disabled = await admin.put(`/user/${user.id}`, { status: '1' });
        assert.equal(disabled.status, 200);
        assert.equal(disabled.body.data.status, '1');
        assert.equal((await checkToken(t, session.accessToken)).status, 401);
        assert.equal((await refresh(t, session.refreshToken)).status, 401);
        assert.equal((await t.http().post('/auth/login').send({ username: user.username, password: user.password })).status, 401);
        const revoked = await t.dataSource.getRepository(Session).findOneByOrFail({ id: decodeJwt(session.accessToken).sid as string });
        assert.equal(revoked.revokeReason, 'disabled');
      });

      it('deletes a user: its tokens die, even across a restart; not oneself, not the last admin', async () => {
        const user = await register();
        const session = await login(t, user.username, user.password);
        const deleted = await admin.delete(`/user/${user.id}`);
        assert.equal(deleted.status, 200);
        assert.equal(await t.dataSource.getRepository(User).countBy({ id: user.id }), 0);
        assert.equal((await checkToken(t, session.accessToken)).status, 401);
        const restarted = await t.restart();
        assert.equal((await checkToken(restarted, session.accessToken)).status, 401);
        await restarted.app.close();
        assert.equal((await admin.delete(`/user/${user.id}`)).status, 404);

        const adminId = (await t.dataSource.getRepository(User).findOneByOrFail({ username: 'admin' })).id;
        assert.equal((await admin.delete(`/user/${adminId}`)).status, 409);
        // A second admin may not remove the first if that leaves none... but may once another holds the role.
        const adminRole = await t.dataSource.getRepository(Role).findOneByOrFail({ roleKey: 'admin' });
        const deputy = await register();
        // Binding the admin role needs every scope it holds, including those other tests added since this token was issued.
        const currentAdmin = admin;
        assert.equal((await currentAdmin.post(`/user/${deputy.id}/bind`, [adminRole.id])).status, 200);
        const deputyApi = as(t, (await login(t, deputy.username, deputy.password)).accessToken);
        assert.equal((await deputyApi.post(`/user/${deputy.id}/bind`, [])).status, 200, 'the deputy can give the role up while admin holds it');
        assert.equal((await currentAdmin.post(`/user/${adminId}/bind`, [])).status, 409, 'the last holder cannot give it up');
      });

      it('enforces unique phone, email and employee number with 409', async () => {
        const a = await register();
        const b = await register();
        const phone = `139${Math.floor(Math.random() * 1e8)}`;
        assert.equal((await admin.put(`/user/${a.id}`, { phone, email: `${a.username}@example.com`, employeeNo: `E-${a.username}` })).status, 200);
        for (const body of [{ phone }, { email: `${a.username}@example.com` }, { employeeNo: `E-${a.username}` }]) {
          const response = await admin.put(`/user/${b.id}`, body);
          assert.equal(response.status, 409, JSON.stringify(body));
          assertEnvelope(response.body, 409);
        }
      });

      it('binds exactly the given roles; unknown ids change nothing; cannot grant what the caller lacks', async () => {
        const user = await register();
        const r1 = await createRole(['kickout']);
        const r2 = await createRole([]);
        assert.equal((await admin.post(`/user/${user.id}/bind`, [r1, r2])).status, 200);
        const bound = async () =>
          (await t.dataSource.getRepository(User).findOneOrFail({ where: { id: user.id }, relations: { roles: true } })).roles
            .map((r) => r.id)
            .sort((x, y) => x - y);
        assert.deepEqual(
          await bound(),
          [r1, r2].sort((x, y) => x - y),
        );
        assert.equal((await admin.post(`/user/${user.id}/bind`, [r1, 999999])).status, 400);
        assert.equal((await admin.post(`/user/${user.id}/bind`, { roles: [r1] })).status, 400);
        assert.equal((await admin.post(`/user/${user.id}/bind`, ['1'])).status, 400);
        assert.deepEqual(
          await bound(),
          [r1, r2].sort((x, y) => x - y),
        );

        const manager = await userWith(['userMan']);
        const target = await register();
        assert.equal((await manager.api.post(`/user/${target.id}/bind`, [r1])).status, 403, 'r1 grants kickout, which the manager lacks');
        assert.equal((await manager.api.post(`/user/${target.id}/bind`, [r2])).status, 200);
        assert.equal((await manager.api.put(`/user/${manager.id}`, { password: 'x' })).status, 400);
        const adminId = (await t.dataSource.getRepository(User).findOneByOrFail({ username: 'admin' })).id;
        assert.equal((await manager.api.put(`/user/${adminId}`, { password: 'Taken-Over-Admin-99' })).status, 403, 'no password reset of someone holding more');
      });

      it('lists users with paging and filters', async () => {
        const prefix = uniqueName('lst');
        for (let i = 0; i < 3; i++) await register(`${prefix}_${i}`);
        const page = await admin.get(`/user/list?pageNum=1&pageSize=2&username=${prefix}`);
        assert.equal(page.status, 200);
        assert.equal(page.body.data.total, 3);
        assert.equal(page.body.data.list.length, 2);
        const wildcard = await admin.get(`/user/list?username=${encodeURIComponent('%')}`);
        assert.equal(wildcard.status, 200);
        assert.equal(wildcard.body.data.total, 0, '% is a literal, not a wildcard');
        const injection = await admin.get(`/user/list?username=${encodeURIComponent("' OR 1=1 --")}`);
        assert.equal(injection.body.data.total, 0);
        assert.equal((await admin.get('/user/list?pageSize=1000')).status, 400);
        assert.equal((await admin.get('/user/list?status=9')).status, 400);
      });

      it('answers /user/info?username= only to userMan holders', async () => {
        const user = await register();
        const api = as(t, (await login(t, user.username, user.password)).accessToken);
        const own = await api.get('/user/info');
        assert.equal(own.body.data.user.username, user.username);
        assert.equal(own.body.data.user.dataScope, '5');
        assert.deepEqual(own.body.data.user.deptIds, []);
        assert.equal((await api.get('/user/info?username=admin')).status, 403);
        const viaAdmin = await admin.get(`/user/info?username=${user.username}`);
        assert.equal(viaAdmin.body.data.user.userId, user.id);
      });
    });

    describe('roles', () => {
      it('creates from snake_case or camelCase, answers camelCase with formatted times', async () => {
        const key = uniqueName('ops');
        const created = await admin.post('/role', { roleName: '运维', roleKey: key, roleSort: 3, remark: null });
        assert.equal(created.status, 200, JSON.stringify(created.body));
        assert.equal(created.body.data.roleKey, key);
        assert.match(created.body.data.createTime, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
        assert.deepEqual(created.body.data.permissions, []);
        const fetched = await admin.get(`/role/${created.body.data.roleId}`);
        assert.equal(fetched.body.msg, '获取成功');
        assert.deepEqual(Object.keys(fetched.body.data).sort(), [
          'createTime',
          'dataScope',
          'deptIds',
          'menuIds',
          'permissions',
          'remark',
          'roleId',
          'roleKey',
          'roleName',
          'roleSort',
          'status',
        ]);
        const updated = await admin.put(`/role/${created.body.data.roleId}`, { role_name: '运维二', status: '1' });
        assert.equal(updated.status, 200);
        assert.equal(updated.body.data.roleName, '运维二');
        assert.equal(updated.body.data.status, '1');
        assert.equal((await admin.post('/role', { role_name: 'dup', role_key: key })).status, 409);
        assert.equal((await admin.post('/role', { role_name: 'no key' })).status, 400);
        assert.equal((await admin.post('/role', { role_name: 'x', role_key: 'bad key!' })).status, 400);
        assert.equal((await admin.post('/role', { role_name: 'x', role_key: uniqueName('k'), status: '2' })).status, 400);
      });

      it('a disabled role grants nothing', async () => {
        const holder = await userWith(['kickout']);
        assert.deepEqual(decodeJwt(holder.session.accessToken).scope, ['kickout']);
        assert.equal((await admin.put(`/role/${holder.roleId}`, { status: '1' })).status, 200);
        const rotated = await refresh(t, holder.session.refreshToken);
        assert.equal(rotated.status, 204);
        assert.deepEqual(decodeJwt(String(rotated.headers.authorization).slice(7)).scope, [], 'the next token shows the change');
      });

      it('protects the admin role and roles still bound', async () => {
        const adminRole = await t.dataSource.getRepository(Role).findOneByOrFail({ roleKey: 'admin' });
        assert.equal((await admin.delete(`/role/${adminRole.id}`)).status, 409);
        assert.equal((await admin.put(`/role/${adminRole.id}`, { status: '1' })).status, 409);
        assert.equal((await admin.put(`/role/${adminRole.id}`, { role_key: 'root' })).status, 409);
        const holder = await userWith([]);
        assert.equal((await admin.delete(`/role/${holder.roleId}`)).status, 409);
        const free = await createRole(['kickout']);
        assert.equal((await admin.delete(`/role/${free}`)).status, 200);
        assert.equal((await admin.get(`/role/${free}`)).status, 404);
      });

      it('lists by roleSort with paging and filters, from the query or a GET body', async () => {
        const tag = uniqueName('lr');
        for (const sort of [3, 1, 2]) await admin.post('/role', { role_name: `${tag} ${sort}`, role_key: `${tag}_${sort}`, role_sort: sort });
        const page = await admin.get(`/role/list?pageNum=1&pageSize=2&roleName=${tag}`);
        assert.equal(page.status, 200);
        assert.equal(page.body.msg, '查询成功');
        assert.equal(page.body.data.total, 3);
        assert.deepEqual(
          page.body.data.list.map((r: { roleSort: number }) => r.roleSort),
          [1, 2],
        );
        const viaBody = await admin
          .get('/role/list')
          .set('Content-Type', 'application/json')
          .send(JSON.stringify({ pageNum: 2, pageSize: 2, roleName: tag, roleKey: '', status: '' }));
        assert.equal(viaBody.status, 200, JSON.stringify(viaBody.body));
        assert.deepEqual(
          viaBody.body.data.list.map((r: { roleSort: number }) => r.roleSort),
          [3],
        );
        const documentStyle = await admin
          .get('/role/list')
          .set('Content-Type', 'application/json')
          .send(JSON.stringify(`{\r\n  pageNum: 1,\r\n  pageSize: 10,\r\n  roleName: "${tag}",\r\n  roleKey: "",\r\n  status: "",\r\n}`));
        assert.equal(documentStyle.status, 200, JSON.stringify(documentStyle.body));
        assert.equal(documentStyle.body.data.total, 3);
        for (const bad of ['pageNum=0', 'pageSize=101', 'pageNum=abc', 'status=x', 'extra=1']) {
          assert.equal((await admin.get(`/role/list?${bad}`)).status, 400, bad);
        }
        assert.equal((await admin.get('/role/list').set('Content-Type', 'application/json').send('{"pageNum":')).status, 400);
      });
    });

    describe('permissions', () => {
      it('lists the catalog and refuses unknown codes, changing nothing', async () => {
        const catalog = await admin.get('/perm/list');
        assert.equal(catalog.status, 200);
        assert.ok(catalog.body.data.total >= 11);
        assert.ok(catalog.body.data.list.some((p: { permission: string; name: string }) => p.permission === 'userMan' && p.name));
        const roleId = await createRole(['kickout']);
        assert.equal((await admin.put('/perm', { roleId, permissions: ['kickout', 'no-such-scope'] })).status, 400);
        assert.equal((await admin.put('/perm', { roleId })).status, 400);
        assert.equal((await admin.put('/perm', { roleId: 999999, permissions: [] })).status, 404);
        const after = await admin.get(`/perm?roleId=${roleId}`);
        assert.deepEqual(
          after.body.data.list.map((p: { permission: string }) => p.permission),
          ['kickout'],
        );
        assert.equal((await admin.put(`/perm?roleId=${roleId}&permissions=`)).status, 200);
        assert.equal((await admin.get(`/perm?roleId=${roleId}`)).body.data.total, 0);
      });

      it('adds and removes catalog entries: not built-in ones, not while held', async () => {
        const code = uniqueName('consume');
        assert.equal((await admin.post('/perm', { code, name: '消费' })).status, 200);
        assert.equal((await admin.post('/perm', { code, name: 'again' })).status, 409);
        assert.equal((await admin.post('/perm', { code: 'bad code', name: 'x' })).status, 400);
        assert.equal((await admin.delete('/perm/userMan')).status, 409);
        assert.equal((await admin.delete('/perm/no-such')).status, 404);
        // Removing it takes it from the admin role: the administrator holds it from the moment it was added.
        assert.equal((await admin.delete(`/perm/${code}`)).status, 200);
        assert.equal((await admin.delete(`/perm/${code}`)).status, 404);
      });

      it('needs the role scope', async () => {
        const plain = await userWith(['userMan']);
        assert.equal((await plain.api.get('/perm/list')).status, 403);
        assert.equal((await plain.api.get('/role/list')).status, 403);
        const plainest = await userWith([]);
        assert.equal((await plainest.api.get('/user/list')).status, 403);
        assert.equal((await plainest.api.post('/dept', { deptName: 'x' })).status, 403);
      });
    });

    describe('departments', () => {
      it('moves subtrees, refuses cycles, and deletes only empty leaves', async () => {
        const a = (await admin.post('/dept', { deptName: uniqueName('A') })).body.data;
        const b = (await admin.post('/dept', { parentId: a.deptId, deptName: 'B' })).body.data;
        const c = (await admin.post('/dept', { parentId: b.deptId, deptName: 'C' })).body.data;
        assert.equal(c.ancestors, `0,${a.deptId},${b.deptId}`);
        assert.equal((await admin.post('/dept', { parentId: a.deptId, deptName: 'B' })).status, 409);
        assert.equal((await admin.post('/dept', { parentId: 999999, deptName: 'orphan' })).status, 400);
        assert.equal((await admin.put(`/dept/${a.deptId}`, { parentId: c.deptId })).status, 400, 'under its own descendant');
        const moved = await admin.put(`/dept/${b.deptId}`, { parentId: 0 });
        assert.equal(moved.status, 200);
        assert.equal(moved.body.data.deptPath, `0,${b.deptId}`);
        assert.equal((await admin.get(`/dept/${c.deptId}`)).body.data.deptPath, `0,${b.deptId},${c.deptId}`);

        assert.equal((await admin.delete(`/dept/${b.deptId}`)).status, 409, 'has a child');
        const member = await register();
        assert.equal((await admin.put(`/user/${member.id}`, { deptId: c.deptId })).status, 200);
        assert.equal((await admin.delete(`/dept/${c.deptId}`)).status, 409, 'has a user');
        assert.equal((await admin.put(`/user/${member.id}`, { deptId: null })).status, 200);
        assert.equal((await admin.delete(`/dept/${c.deptId}`)).status, 200);
        assert.equal((await admin.get(`/dept/${c.deptId}`)).status, 404);
        const list = await admin.get('/dept/list');
        assert.ok(list.body.data.list.some((d: { deptId: number }) => d.deptId === b.deptId));
      });

      it('computes data-scope departments for /user/info', async () => {
        const top = (await admin.post('/dept', { deptName: uniqueName('Top') })).body.data;
        const child = (await admin.post('/dept', { parentId: top.deptId, deptName: 'Child' })).body.data;
        const other = (await admin.post('/dept', { deptName: uniqueName('Other') })).body.data;
        const user = await register();
        await admin.put(`/user/${user.id}`, { deptId: top.deptId });
        const roleId = await createRole([], { data_scope: '4' });
        const custom = await createRole([], { data_scope: '2', dept_ids: [other.deptId] });
        await admin.post(`/user/${user.id}/bind`, [roleId, custom]);
        const info = await as(t, (await login(t, user.username, user.password)).accessToken).get('/user/info');
        assert.equal(info.body.data.user.dataScope, '2');
        assert.deepEqual(
          info.body.data.user.deptIds,
          [top.deptId, child.deptId, other.deptId].sort((x, y) => x - y),
        );
      });
    });

    describe('bad ids and input', () => {
      for (const path of ['/user/abc', '/user/undefined', '/user/0', '/user/-1', '/user/1.5', '/user/99999999999', '/role/0', '/role/abc', '/dept/x']) {
        it(`answers 400 to ${path}`, async () => {
          const response = await admin.get(path);
          assert.equal(response.status, 400);
          assertEnvelope(response.body, 400);
        });
      }
      it('answers 404 to unknown ids and 400 to a roleId that is not a number', async () => {
        assert.equal((await admin.get('/user/999999')).status, 404);
        assert.equal((await admin.get('/role/999999')).status, 404);
        assert.equal((await admin.get('/dept/999999')).status, 404);
        assert.equal((await admin.get('/perm?roleId=[]')).status, 400);
        assert.equal((await admin.get('/perm?roleId=two')).status, 400);
      });
      it('refuses over-long strings, wrong types and unknown fields', async () => {
        const user = await register();
        for (const body of [
          { nickname: 'n'.repeat(65) },
          { nickname: 5 },
          { isAdmin: true },
          { email: 'not-an-email' },
          { avatar: 'javascript:alert(1)' },
          { deptId: 'x' },
        ]) {
          const response = await admin.put(`/user/${user.id}`, body);
          assert.equal(response.status, 400, JSON.stringify(body));
          assertEnvelope(response.body, 400);
        }
        assert.equal((await admin.post('/role', { role_name: 'r'.repeat(65), role_key: uniqueName('k') })).status, 400);
        assert.equal((await admin.post('/role', { role_name: 'x', role_key: uniqueName('k'), role_sort: 'one' })).status, 400);
      });
    });
  });
}
