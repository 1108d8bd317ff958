import { decodeJwt } from 'jose';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Role } from '../../src/role/entities/role.entity';
import { User } from '../../src/user/entities/user.entity';
import { as, checkToken, login, refresh, type LoggedIn } from '../support/auth-helpers';
import { USER_PASSWORD, withApp } from '../support/fixtures';
import { testDatabases } from '../support/test-app';
import { assertNoLeak, call, changesNothing, isProtected, routesOf } from './attack-support';

/**
 * What an attacker does with a token after its owner lost it, and what a legitimate but small account tries
 * in order to become a large one. Covered elsewhere in detail, and referenced rather than repeated:
 * refresh races and the replay grace (test/auth.e2e-spec.ts "POST /auth/session"), the rules of granting
 * (test/grant-rules.e2e-spec.ts), minting (test/mint.e2e-spec.ts), own profile and own sessions
 * (test/rbac.e2e-spec.ts, test/session.e2e-spec.ts). Here each ends in the same generated check: the lost
 * token is refused on every protected route of the route table.
 */
for (const database of testDatabases()) {
  describe(`token lifecycle and escalation on ${database.name}`, () => {
    const t = withApp(database, { REFRESH_REUSE_GRACE: '0' }, { adminLogin: 'each' });
    const { admin } = t;

    async function deadEverywhere(session: LoggedIn, label: string): Promise<void> {
      const routes = routesOf(t).filter(isProtected);
      await changesNothing(t, async () => {
        for (const route of routes) {
          const response = await call(t, route, session.accessToken);
          assert.equal(response.status, 401, `${label}: ${route.method} ${route.url} → ${response.status} ${response.text}`);
          assertNoLeak(response, label);
        }
        const refreshed = await refresh(t, session.refreshToken);
        assert.equal(refreshed.status, 401, `${label}: refresh → ${refreshed.status} ${refreshed.text}`);
      });
    }

    /** A user holding every scope an administrator has, so a refusal is the session's end and not a missing scope. */
    async function victim() {
      const scopes = decodeJwt(t.adminSession.accessToken).scope as string[];
      const user = await t.userWith(scopes);
      return { ...user, session: await login(t, user.username, user.password) };
    }

    const events: Array<[string, (user: Awaited<ReturnType<typeof victim>>) => Promise<void>]> = [
      ['after POST /auth/logout', async (user) => void (await as(t, user.session.accessToken).post('/auth/logout').expect(200))],
      ['after POST /api/v2/auth/logout', async (user) => assert.ok((await as(t, user.session.accessToken).post('/api/v2/auth/logout')).status < 300)],
      ['after a kick-out of the user', async (user) => void (await admin.post(`/user/${user.id}/kickout`).expect(200))],
      ['after DELETE /session/{id}', async (user) => void (await admin.delete(`/session/${decodeJwt(user.session.accessToken).sid}`).expect(200))],
      [
        'after DELETE /session/mine/{id}',
        async (user) =>
          void (await as(t, user.session.accessToken)
            .delete(`/session/mine/${decodeJwt(user.session.accessToken).sid}`)
            .expect(200)),
      ],
      ['after the user is disabled', async (user) => void (await admin.post(`/user/${user.id}/disable`).expect(200))],
      ['after the user is deleted', async (user) => void (await admin.delete(`/user/${user.id}`).expect(200))],
      [
        'after the user changes its password from another session',
        async (user) => {
          const other = await login(t, user.username, user.password);
          const changed = await as(t, other.accessToken).put(`/user/${user.id}`, { oldPassword: user.password, password: 'Changed-Long-Secret-9' });
          assert.equal(changed.status, 200, changed.text);
        },
      ],
      [
        'after an administrator sets a new password',
        async (user) => void (await admin.put(`/user/${user.id}`, { password: 'Reset-Long-Secret-9' }).expect(200)),
      ],
      [
        'after its rotated-away refresh token is replayed (theft)',
        async (user) => {
          const rotated = await refresh(t, user.session.refreshToken);
          assert.ok(rotated.status === 200 || rotated.status === 204, rotated.text);
          const successor = {
            ...user.session,
            accessToken: String(rotated.headers.authorization).slice(7),
            refreshToken: String(rotated.headers['x-refresh-token']),
          };
          // REFRESH_REUSE_GRACE=0: no replay grace (test/auth.e2e-spec.ts checks the grace), a replay ends the session.
          const replay = await refresh(t, user.session.refreshToken);
          assert.equal(replay.status, 401, replay.text);
          user.session = successor;
        },
      ],
    ];

    for (const [name, event] of events) {
      it(`${name}: the access token is refused on every protected route, the refresh token too`, async () => {
        const user = await victim();
        assert.equal((await checkToken(t, user.session.accessToken)).status, 204);
        await event(user);
        await deadEverywhere(user.session, name);
      });
    }

    describe('IDOR: a logged-in user naming someone else’s record', () => {
      it('every route open to any logged-in caller that takes an id refuses another user’s, changing nothing', async () => {
        const mallory = await t.registeredSession();
        const alice = await t.register();
        const aliceSession = await login(t, alice.username, alice.password);
        const aliceSid = decodeJwt(aliceSession.accessToken).sid as string;
        const adminId = decodeJwt(t.adminSession.accessToken).sub!;
        const routes = routesOf(t).filter((route) => route.access === 'any logged-in caller' && /\{\w+\}/.test(route.path));
        assert.ok(routes.length >= 3, routes.map((route) => route.path).join());
        await changesNothing(t, async () => {
          for (const route of routes) {
            for (const id of [String(alice.id), adminId, aliceSid]) {
              const url = route.path.replace(/\{\w+\}/, id);
              const response = await call(t, { method: route.method, url }, mallory.accessToken);
              if (route.method === 'PUT') await as(t, mallory.accessToken).put(url, { nickname: 'owned', email: 'mallory@example.com' });
              assert.ok([400, 403, 404].includes(response.status), `${route.method} ${url} → ${response.status} ${response.text}`);
              assertNoLeak(response, url);
            }
          }
          assert.equal((await checkToken(t, aliceSession.accessToken)).status, 204, 'Alice’s session lives');
          const mine = await as(t, mallory.accessToken).get('/session/mine');
          assert.ok((mine.body.data.list as Array<{ userId?: number }>).every((session) => session.userId === undefined || session.userId === mallory.userId));
          assert.equal((await as(t, mallory.accessToken).get(`/user/info?username=${alice.username}`)).status, 403);
        });
      });
    });

    describe('escalation', () => {
      it('a holder of role, userMan, generateJwt and getJwt cannot reach a scope it lacks through roles, permissions, binding or minting', async () => {
        const eve = await t.userWith(['role', 'userMan', 'generateJwt', 'getJwt']);
        const adminRole = await t.dataSource.getRepository(Role).findOneByOrFail({ roleKey: 'admin' });
        const eveRole = eve.roleId;
        await changesNothing(t, async () => {
          const attempts: Array<[string, () => Promise<{ status: number; text: string }>]> = [
            [
              'grant keyMan to its own role',
              () => eve.api.put('/perm', { roleId: eveRole, permissions: ['role', 'userMan', 'generateJwt', 'getJwt', 'keyMan'] }),
            ],
            [
              'create a role holding audit',
              () => eve.api.post('/role', { role_name: 'x', role_key: `esc_${Date.now()}`, role_sort: 1, permissions: ['audit'] }),
            ],
            ['bind itself to the admin role', () => eve.api.post(`/user/${eve.id}/bind`, [eveRole, adminRole.id])],
            ['edit the admin role', () => eve.api.put(`/role/${adminRole.id}`, { role_name: 'mine' })],
            ['delete the admin role', () => eve.api.delete(`/role/${adminRole.id}`)],
            ['mint a token with keyMan', () => eve.api.post('/user/generateJwt', { subject: String(eve.id), authorities: ['keyMan'] })],
            ['mint a token for the administrator with all scopes', () => eve.api.post('/user/generateJwt', { subject: '1', authorities: ['audit', 'sso'] })],
            ['get a personal token with sso', () => eve.api.post('/user/getJwt', { authorities: ['sso'] })],
            ['set its own roles through PUT /user', () => eve.api.put(`/user/${eve.id}`, { roleIds: [adminRole.id] })],
            ['kick the administrator out', () => eve.api.post(`/user/${decodeJwt(t.adminSession.accessToken).sub}/kickout`)],
          ];
          for (const [label, attempt] of attempts) {
            const response = await attempt();
            assert.ok([400, 403, 409].includes(response.status), `${label} → ${response.status} ${response.text}`);
          }
        });
        const token = decodeJwt((await login(t, eve.username, eve.password)).accessToken);
        assert.deepEqual(token.scope, ['generateJwt', 'getJwt', 'role', 'userMan']);
      });

      it('mass assignment: fields a caller may not set are refused or ignored, the stored row unchanged', async () => {
        const user = await t.registeredSession();
        const api = as(t, user.accessToken);
        const stored = () =>
          t.dataSource
            .getRepository(User)
            .findOneOrFail({ where: { id: user.userId }, relations: { roles: true } })
            .then((row) => ({ ...row, updateTime: undefined, updateBy: undefined }));
        const before = await stored();
        for (const body of [
          { status: '1' },
          { deptId: 1 },
          { roles: [{ roleId: 1 }] },
          { roleIds: [1] },
          { userId: 1 },
          { id: 1 },
          { username: 'admin' },
          { passwordHash: 'x' },
          { password_hash: 'x' },
          { createBy: 1 },
          { loginIp: '10.0.0.1' },
          { isAdmin: true },
          { scope: ['keyMan'] },
        ]) {
          const response = await api.put(`/user/${user.userId}`, body);
          assert.ok([200, 400, 403].includes(response.status), `${JSON.stringify(body)} → ${response.status} ${response.text}`);
        }
        const after = await stored();
        assert.deepEqual({ ...after, nickname: before.nickname }, before);
        const password = await t.http().post('/auth/login').send({ username: before.username, password: USER_PASSWORD });
        assert.equal(password.status, 200, 'the password hash is unchanged');
        const registration = await t
          .http()
          .post('/user')
          .send({ username: `mass_${Date.now()}`, password: USER_PASSWORD, status: '0', roles: [1], roleIds: [1], deptId: 1, isAdmin: true });
        if (registration.status === 201) {
          const created = await t.dataSource.getRepository(User).findOneOrFail({ where: { id: registration.body.data.id }, relations: { roles: true } });
          assert.ok(!created.roles.some((role) => role.roleKey === 'admin'));
          assert.equal(created.deptId ?? null, null);
        } else {
          assert.equal(registration.status, 400, registration.text);
        }
      });
    });
  });
}
