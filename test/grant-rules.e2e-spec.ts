import { decodeJwt } from 'jose';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Session } from '../src/session/entities/session.entity';
import { Permission } from '../src/permission/entities/permission.entity';
import { Role } from '../src/role/entities/role.entity';
import { User } from '../src/user/entities/user.entity';
import { as, assertEnvelope, checkToken, login, refresh } from './support/auth-helpers';
import { withApp } from './support/fixtures';
import { testDatabases } from './support/test-app';
import { uniqueName } from './support/users';

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

for (const database of testDatabases()) {
  describe(`grant rules on ${database.name}`, () => {
    const t = withApp(database);
    const { admin, register, createRole, userWith } = t;
    let adminRoleId: number;
    before(async () => {
      adminRoleId = (await t.dataSource.getRepository(Role).findOneByOrFail({ roleKey: 'admin' })).id;
    });

    /** A fresh administrator token: it carries every scope the admin role holds now. */
    async function freshAdmin() {
      const session = await login(t);
      return { session, api: as(t, session.accessToken) };
    }

    async function storedPermissions(roleId: number): Promise<string[]> {
      const role = await t.dataSource.getRepository(Role).findOneOrFail({ where: { id: roleId }, relations: { permissions: true } });
      return role.permissions.map((p) => p.code).sort();
    }

    async function catalog(): Promise<string[]> {
      return (await t.dataSource.getRepository(Permission).find()).map((p) => p.code).sort();
    }

    async function boundRoles(userId: number): Promise<number[]> {
      const user = await t.dataSource.getRepository(User).findOneOrFail({ where: { id: userId }, relations: { roles: true } });
      return user.roles.map((r) => r.id).sort((a, b) => a - b);
    }

    describe('a permission added with POST /perm can be granted', () => {
      it('goes to the admin role at once: listed, carried by the next admin token, grantable to a role and mintable', async () => {
        const code = uniqueName('publish');
        const before = await freshAdmin();
        const created = await admin.post('/perm', { code, name: '发布消息', description: 'Publish to the message bus' });
        assert.equal(created.status, 200, JSON.stringify(created.body));

        const ofAdmin = await admin.get(`/perm?roleId=${adminRoleId}`);
        assert.equal(ofAdmin.status, 200);
        assert.ok(
          ofAdmin.body.data.list.some((p: { permission: string }) => p.permission === code),
          'GET /perm?roleId=<admin> lists the new code',
        );
        assert.deepEqual(await storedPermissions(adminRoleId), await catalog());

        const fresh = await freshAdmin();
        assert.ok((decodeJwt(fresh.session.accessToken).scope as string[]).includes(code), 'a new login carries it');
        const rotated = await refresh(t, before.session.refreshToken);
        assert.equal(rotated.status, 204);
        assert.ok((decodeJwt(String(rotated.headers.authorization).slice(7)).scope as string[]).includes(code), 'a refreshed token carries it');

        const roleId = await createRole();
        const granted = await fresh.api.put(`/perm?roleId=${roleId}&permissions=${code}`);
        assert.equal(granted.status, 200, JSON.stringify(granted.body));
        assertEnvelope(granted.body, 200);
        assert.deepEqual(await storedPermissions(roleId), [code]);

        const minted = await fresh.api.post('/user/generateJwt', { subject: 'bus-client', expiresAt: inAnHour(), authorities: [code] });
        assert.equal(minted.status, 200, JSON.stringify(minted.body));
        assert.deepEqual(decodeJwt(minted.body.data).scope, [code]);
      });

      it('can be granted and minted at once with the same token that added it, as a console does', async () => {
        const console = await freshAdmin();
        const code = uniqueName('publish');
        assert.equal((await console.api.post('/perm', { code, name: '发布', description: 'Publish' })).status, 200);
        const roleId = await createRole();
        const granted = await console.api.put(`/perm?roleId=${roleId}&permissions=${code}`);
        assert.equal(granted.status, 200, JSON.stringify(granted.body));
        assert.deepEqual(await storedPermissions(roleId), [code]);
        const minted = await console.api.post('/user/generateJwt', { subject: 'bus-client', expiresAt: inAnHour(), authorities: [code] });
        assert.equal(minted.status, 200, JSON.stringify(minted.body));
        assert.deepEqual(decodeJwt(minted.body.data).scope, [code]);
        // A minted or personal token still grants only what it carries.
        const personal = await console.api.post('/user/getJwt', { authorities: ['role'] });
        assert.equal(personal.status, 200, JSON.stringify(personal.body));
        const narrow = as(t, personal.body.data as string);
        const refused = await narrow.put(`/perm?roleId=${roleId}&permissions=${code},userMan`);
        assert.equal(refused.status, 403, JSON.stringify(refused.body));
        assert.deepEqual(await storedPermissions(roleId), [code]);
      });

      it('a token whose user lost a scope no longer grants it, though it still carries it', async () => {
        const manager = await userWith(['role', 'userMan']);
        const target = await createRole();
        // The manager's role loses userMan; its token, issued before, still carries it.
        assert.equal((await admin.put(`/perm?roleId=${manager.roleId}&permissions=role`)).status, 200);
        const refused = await manager.api.put(`/perm?roleId=${target}&permissions=userMan`);
        assert.equal(refused.status, 403, JSON.stringify(refused.body));
        assertEnvelope(refused.body, 403);
        assert.deepEqual(refused.body.data.scopes, ['userMan']);
        assert.deepEqual(await storedPermissions(target), []);
      });

      it('keeps the admin role complete: a PUT /perm that would drop a scope is 409 and changes nothing', async () => {
        const fresh = await freshAdmin();
        const everything = await catalog();
        const refused = await fresh.api.put('/perm', { roleId: adminRoleId, permissions: everything.filter((code) => code !== 'audit') });
        assert.equal(refused.status, 409, JSON.stringify(refused.body));
        assertEnvelope(refused.body, 409);
        assert.deepEqual(await storedPermissions(adminRoleId), everything);
        assert.equal((await fresh.api.put(`/perm?roleId=${adminRoleId}&permissions=`)).status, 409);
        assert.deepEqual(await storedPermissions(adminRoleId), everything);
        const complete = await fresh.api.put('/perm', { roleId: adminRoleId, permissions: everything });
        assert.equal(complete.status, 200, JSON.stringify(complete.body));
        assert.deepEqual(await storedPermissions(adminRoleId), everything);
      });

      it('removes a permission only the admin role holds; 409 while another role holds it, 403 for a caller lacking it', async () => {
        const held = uniqueName('consume');
        const lone = uniqueName('query');
        for (const code of [held, lone]) assert.equal((await admin.post('/perm', { code, name: code })).status, 200);
        const fresh = await freshAdmin();
        const roleId = await createRole([held], {}, fresh.api);

        const roleMan = await userWith(['role']);
        const refused = await roleMan.api.delete(`/perm/${lone}`);
        assert.equal(refused.status, 403, JSON.stringify(refused.body));
        assertEnvelope(refused.body, 403);
        assert.ok((await storedPermissions(adminRoleId)).includes(lone));

        assert.equal((await fresh.api.delete(`/perm/${held}`)).status, 409);
        assert.deepEqual(await storedPermissions(roleId), [held]);
        assert.ok((await storedPermissions(adminRoleId)).includes(held));

        const removed = await fresh.api.delete(`/perm/${lone}`);
        assert.equal(removed.status, 200, JSON.stringify(removed.body));
        assert.ok(!(await catalog()).includes(lone));
        assert.deepEqual(await storedPermissions(adminRoleId), await catalog());
      });

      it('at start, on a new or an existing database, the admin role holds every scope of the catalog', async () => {
        assert.deepEqual(await storedPermissions(adminRoleId), await catalog(), 'after the first start');
        // A database from before this rule: a catalog entry the admin role never got, and a built-in it lost.
        const legacy = uniqueName('legacy');
        await t.dataSource.getRepository(Permission).insert({ code: legacy, name: legacy, description: null, builtIn: false });
        await t.dataSource.query(`DELETE FROM sys_role_permission WHERE role_id = ${adminRoleId} AND permission_code = 'audit'`);
        assert.ok(!(await storedPermissions(adminRoleId)).includes(legacy));
        const restarted = await t.restart();
        const permissions = await restarted.dataSource.getRepository(Role).findOneOrFail({ where: { id: adminRoleId }, relations: { permissions: true } });
        const codes = permissions.permissions.map((p) => p.code).sort();
        assert.deepEqual(codes, await catalog());
        assert.ok(codes.includes(legacy) && codes.includes('audit'));
      });
    });

    describe('removing is granting too: changing, deleting, binding or unbinding a role needs every scope it has', () => {
      it('refuses PUT /perm that strips the admin role or another role of scopes the caller lacks, nothing changes; a holder of them all may', async () => {
        const adminSession = await login(t);
        const adminBefore = await storedPermissions(adminRoleId);
        const roleMan = await userWith(['role']);

        const stripAdmin = await roleMan.api.put('/perm', { roleId: adminRoleId, permissions: ['role'] });
        assert.equal(stripAdmin.status, 403, JSON.stringify(stripAdmin.body));
        assertEnvelope(stripAdmin.body, 403);
        assert.equal((await roleMan.api.put(`/perm?roleId=${adminRoleId}&permissions=role`)).status, 403);
        assert.deepEqual(await storedPermissions(adminRoleId), adminBefore);
        assert.equal((await checkToken(t, adminSession.accessToken)).status, 204);
        assert.deepEqual((decodeJwt((await login(t)).accessToken).scope as string[]).sort(), adminBefore, 'a new admin login still carries everything');

        const other = await createRole(['userMan', 'role']);
        const strip = await roleMan.api.put('/perm', { roleId: other, permissions: ['role'] });
        assert.equal(strip.status, 403, JSON.stringify(strip.body));
        assertEnvelope(strip.body, 403);
        assert.equal((await roleMan.api.put(`/perm?roleId=${other}&permissions=`)).status, 403);
        assert.deepEqual(await storedPermissions(other), ['role', 'userMan']);

        const holder = await userWith(['role', 'userMan', 'kickout']);
        assert.equal(
          (await holder.api.put('/perm', { roleId: other, permissions: ['kickout', 'userMan'] })).status,
          200,
          'a caller holding every scope, before and after, may',
        );
        assert.deepEqual(await storedPermissions(other), ['kickout', 'userMan']);
      });

      it('refuses PUT /role/{id} and DELETE /role/{id} on a role holding scopes the caller lacks, nothing changes; a holder of them all may', async () => {
        const roleMan = await userWith(['role']);
        const target = await createRole(['userMan']);
        const roles = t.dataSource.getRepository(Role);

        const disable = await roleMan.api.put(`/role/${target}`, { status: '1' });
        assert.equal(disable.status, 403, JSON.stringify(disable.body));
        assertEnvelope(disable.body, 403);
        const rename = await roleMan.api.put(`/role/${target}`, { role_name: 'renamed', remark: 'mine now' });
        assert.equal(rename.status, 403);
        const stored = await roles.findOneByOrFail({ id: target });
        assert.equal(stored.status, '0');
        assert.notEqual(stored.roleName, 'renamed');

        const removed = await roleMan.api.delete(`/role/${target}`);
        assert.equal(removed.status, 403, JSON.stringify(removed.body));
        assertEnvelope(removed.body, 403);
        assert.ok(await roles.existsBy({ id: target }), 'the role is still there');
        assert.deepEqual(await storedPermissions(target), ['userMan']);

        const adminRemark = (await roles.findOneByOrFail({ id: adminRoleId })).remark;
        assert.equal((await roleMan.api.put(`/role/${adminRoleId}`, { remark: 'owned' })).status, 403);
        assert.equal((await roles.findOneByOrFail({ id: adminRoleId })).remark, adminRemark);

        const holder = await userWith(['role', 'userMan']);
        assert.equal((await holder.api.put(`/role/${target}`, { status: '1', remark: 'paused' })).status, 200, 'a caller holding every scope of the role may');
        assert.equal((await roles.findOneByOrFail({ id: target })).status, '1');
        assert.equal((await holder.api.delete(`/role/${target}`)).status, 200);
        assert.ok(!(await roles.existsBy({ id: target })));
      });

      it('refuses binding or unbinding a role holding scopes the caller lacks, even a disabled one, nothing changes; a holder of them all may', async () => {
        const manager = await userWith(['userMan']);
        const dormant = await createRole(['kickout']);
        assert.equal((await admin.put(`/role/${dormant}`, { status: '1' })).status, 200);
        const target = await register();
        assert.equal((await admin.post(`/user/${target.id}/bind`, [dormant])).status, 200);

        const unbind = await manager.api.post(`/user/${target.id}/bind`, []);
        assert.equal(unbind.status, 403, JSON.stringify(unbind.body));
        assertEnvelope(unbind.body, 403);
        assert.deepEqual(await boundRoles(target.id), [dormant]);

        const other = await register();
        const registeredWith = await boundRoles(other.id);
        assert.equal((await manager.api.post(`/user/${other.id}/bind`, [dormant])).status, 403);
        assert.deepEqual(await boundRoles(other.id), registeredWith);

        const holder = await userWith(['userMan', 'kickout']);
        assert.equal((await holder.api.post(`/user/${other.id}/bind`, [dormant])).status, 200, 'a caller holding every scope of the role may');
        assert.deepEqual(await boundRoles(other.id), [dormant]);
        assert.equal((await holder.api.post(`/user/${target.id}/bind`, [])).status, 200);
        assert.deepEqual(await boundRoles(target.id), []);
      });
    });

    describe('both kick-out routes refuse to end the sessions of a user holding a scope the caller lacks', () => {
      it('DELETE /session/{id} of an administrator’s session is 403 like POST /user/{uid}/kickout, the session lives; lesser sessions still end', async () => {
        const adminSession = await login(t);
        const sid = decodeJwt(adminSession.accessToken).sid as string;
        const kicker = await userWith(['kickout', 'searchSession']);

        const bySession = await kicker.api.delete(`/session/${sid}`);
        assert.equal(bySession.status, 403, JSON.stringify(bySession.body));
        assertEnvelope(bySession.body, 403);
        const byUser = await kicker.api.post(`/user/${adminSession.userId}/kickout`);
        assert.equal(byUser.status, 403);
        assert.equal(bySession.body.message, byUser.body.message, 'one rule, one answer');

        assert.equal((await t.dataSource.getRepository(Session).findOneByOrFail({ id: sid })).revokedAt, null);
        assert.equal((await checkToken(t, adminSession.accessToken)).status, 204);
        assert.equal((await refresh(t, adminSession.refreshToken)).status, 204);

        // The sessions of a user holding no more than the caller, and one's own by /session/mine, still end.
        const peer = await register();
        const peerSession = await login(t, peer.username, peer.password);
        const ended = await kicker.api.delete(`/session/${decodeJwt(peerSession.accessToken).sid}`);
        assert.equal(ended.status, 200, JSON.stringify(ended.body));
        assert.equal((await checkToken(t, peerSession.accessToken)).status, 401);
        const weaker = await userWith([]);
        const own = await weaker.api.delete(`/session/mine/${decodeJwt(weaker.session.accessToken).sid}`);
        assert.equal(own.status, 200, JSON.stringify(own.body));
        assert.equal((await checkToken(t, weaker.session.accessToken)).status, 401);
      });

      it('refuses to end a minted token carrying scopes the caller lacks; a holder of them may', async () => {
        const fresh = await freshAdmin();
        const minted = await fresh.api.post('/user/generateJwt', { subject: 'gateway', expiresAt: inAnHour(), authorities: ['keyMan'] });
        assert.equal(minted.status, 200, JSON.stringify(minted.body));
        const kicker = await userWith(['kickout']);
        const refused = await kicker.api.delete(`/session/${decodeJwt(minted.body.data).jti}`);
        assert.equal(refused.status, 403, JSON.stringify(refused.body));
        assertEnvelope(refused.body, 403);
        assert.equal((await checkToken(t, minted.body.data)).status, 204);

        const holder = await userWith(['kickout', 'keyMan']);
        assert.equal((await holder.api.delete(`/session/${decodeJwt(minted.body.data).jti}`)).status, 200);
        assert.equal((await checkToken(t, minted.body.data)).status, 401);
      });
    });
  });
}
