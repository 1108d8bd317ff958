import { decodeJwt } from 'jose';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { as, assertEnvelope, checkToken, login, msUntilRefused, refresh } from './support/auth-helpers';
import { USER_PASSWORD, withApp } from './support/fixtures';
import { testDatabases } from './support/test-app';

const PASSWORD = USER_PASSWORD;

for (const database of testDatabases()) {
  describe(`sessions, kick-out and disable on ${database.name}`, () => {
    const t = withApp(database);
    const { admin } = t;

    const { register: registered } = t;

    it('searches sessions by user, type and state, without tokens', async () => {
      const user = await registered();
      const first = await login(t, user.username, PASSWORD);
      const second = await login(t, user.username, PASSWORD);
      await t.http().post('/auth/logout').set('Authorization', `Bearer ${second.accessToken}`).expect(200);

      const all = await admin.get(`/session?userId=${user.id}`);
      assert.equal(all.status, 200);
      assertEnvelope(all.body, 200);
      assert.equal(all.body.data.total, 2);
      const row = all.body.data.list.find((s: { id: string }) => s.id === decodeJwt(first.accessToken).sid);
      assert.equal(row.username, user.username);
      assert.equal(row.type, 'password');
      assert.equal(row.ip, '127.0.0.1');
      assert.equal(row.revokedAt, null);
      const text = JSON.stringify(all.body);
      assert.ok(!text.includes(first.refreshToken) && !text.includes(first.accessToken), 'no token in the answer');
      assert.doesNotMatch(text, /hash/i);

      const active = await admin.get(`/session?userId=${user.id}&active=true`);
      assert.deepEqual(
        active.body.data.list.map((s: { id: string }) => s.id),
        [decodeJwt(first.accessToken).sid],
      );
      const ended = await admin.get(`/session?username=${user.username}&active=false`);
      assert.equal(ended.body.data.list[0].revokeReason, 'logout');
      for (const bad of ['active=maybe', 'type=weird', 'userId=abc', 'pageSize=0']) {
        assert.equal((await admin.get(`/session?${bad}`)).status, 400, bad);
      }
    });

    it('kicks one session out: its tokens stop at once; twice is 409; bad ids are 400 and 404', async () => {
      const user = await registered();
      const session = await login(t, user.username, PASSWORD);
      const other = await login(t, user.username, PASSWORD);
      const sid = decodeJwt(session.accessToken).sid as string;
      const kicked = await admin.delete(`/session/${sid}`);
      assert.equal(kicked.status, 200);
      assert.equal((await checkToken(t, session.accessToken)).status, 401);
      assert.equal((await refresh(t, session.refreshToken)).status, 401);
      assert.equal((await checkToken(t, other.accessToken)).status, 204, 'the other session lives');
      assert.equal((await admin.delete(`/session/${sid}`)).status, 409);
      assert.equal((await admin.delete('/session/not-a-uuid')).status, 400);
      assert.equal((await admin.delete("/session/' OR 1=1 --")).status, 400);
      assert.equal((await admin.delete('/session/00000000-0000-4000-8000-000000000000')).status, 404);
    });

    it('kicks all of a user’s sessions out', async () => {
      const user = await registered();
      const a = await login(t, user.username, PASSWORD);
      const b = await login(t, user.username, PASSWORD);
      assert.equal((await admin.post(`/user/${user.id}/kickout`)).status, 200);
      assert.equal((await checkToken(t, a.accessToken)).status, 401);
      assert.equal((await checkToken(t, b.accessToken)).status, 401);
      assert.equal((await refresh(t, b.refreshToken)).status, 401);
      assert.equal((await login(t, user.username, PASSWORD)).accessToken.length > 0, true, 'it can log in again');
      assert.equal((await admin.post('/user/999999/kickout')).status, 404);
    });

    it('disables and enables: no login, no refresh, no token while disabled; old sessions stay dead', async () => {
      const user = await registered();
      const session = await login(t, user.username, PASSWORD);
      const disabled = await admin.post(`/user/${user.id}/disable`);
      assert.equal(disabled.status, 200);
      assert.equal(disabled.body.data.status, '1');
      assert.equal((await checkToken(t, session.accessToken)).status, 401);
      assert.equal((await refresh(t, session.refreshToken)).status, 401);
      assert.equal((await t.http().post('/auth/login').send({ username: user.username, password: PASSWORD })).status, 401);
      const enabled = await admin.post(`/user/${user.id}/enable`);
      assert.equal(enabled.body.data.status, '0');
      assert.equal((await checkToken(t, session.accessToken)).status, 401, 'enabling brings no session back');
      await login(t, user.username, PASSWORD);
      const adminId = Number(decodeJwt(t.adminSession.accessToken).sub);
      assert.equal((await admin.post(`/user/${adminId}/disable`)).status, 409, 'not oneself');
    });

    it('lets a user list and end its own sessions only', async () => {
      const user = await registered();
      const mine = await login(t, user.username, PASSWORD);
      const spare = await login(t, user.username, PASSWORD);
      const api = as(t, mine.accessToken);
      const list = await api.get('/session/mine');
      assert.equal(list.status, 200);
      assert.equal(list.body.data.total, 2);
      assert.equal((await api.delete(`/session/mine/${decodeJwt(t.adminSession.accessToken).sid}`)).status, 404, 'not someone else’s');
      assert.equal((await checkToken(t, t.adminSession.accessToken)).status, 204);
      assert.equal((await api.delete(`/session/mine/${decodeJwt(spare.accessToken).sid}`)).status, 200);
      assert.equal((await checkToken(t, spare.accessToken)).status, 401);
      assert.equal((await api.get('/session')).status, 403, 'searching all sessions needs searchSession');
      assert.equal((await api.delete(`/session/${decodeJwt(mine.accessToken).sid}`)).status, 403, 'kickout needs its scope');
      assert.equal((await api.post(`/user/${user.id}/disable`)).status, 403);
    });

    it('honours a kick-out made on another instance within a second', async () => {
      const other = await t.restart();
      try {
        const user = await registered();
        const session = await login(t, user.username, PASSWORD);
        assert.equal((await checkToken(other, session.accessToken)).status, 204);
        const started = Date.now();
        assert.equal((await admin.delete(`/session/${decodeJwt(session.accessToken).sid}`)).status, 200);
        const refusedAfter = await msUntilRefused(other, session.accessToken, started);
        assert.ok(refusedAfter !== undefined, 'the other instance refused the token');
        assert.ok(refusedAfter < 1000, `refused after ${refusedAfter} ms`);
        // The same for a disabled user, whose every token goes.
        const victim = await login(t, (await registered()).username, PASSWORD);
        const victimId = Number(decodeJwt(victim.accessToken).sub);
        assert.equal((await checkToken(other, victim.accessToken)).status, 204);
        await admin.post(`/user/${victimId}/disable`).expect(200);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        assert.equal((await checkToken(other, victim.accessToken)).status, 401);
      } finally {
        await other.app.close();
      }
    });
  });
}
