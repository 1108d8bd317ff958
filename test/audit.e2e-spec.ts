import { decodeJwt } from 'jose';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { before, describe, it } from 'node:test';
import { In, Like } from 'typeorm';
import { AuditLog } from '../src/audit/entities/audit-log.entity';
import { as, login, refresh } from './support/auth-helpers';
import { withApp } from './support/fixtures';
import { ADMIN_PASSWORD, NO_ADDRESS_LIMITS, testDatabases } from './support/test-app';
import { createUser, uniqueName } from './support/users';

const PASSWORD = 'Plenty-Long-Secret-42';

for (const database of testDatabases()) {
  describe(`audit log on ${database.name}`, () => {
    const t = withApp(database, { REFRESH_REUSE_GRACE: '0', ...NO_ADDRESS_LIMITS });
    const { admin } = t;
    let adminId: string;
    before(() => {
      adminId = decodeJwt(t.adminSession.accessToken).sub!;
    });

    async function entries(query: string) {
      const response = await admin.get(`/audit?${query}`);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body.data.list as Array<{
        actor: string;
        action: string;
        target: string;
        outcome: string;
        ip: string;
        userAgent: string;
        details: Record<string, unknown>;
      }>;
    }

    it('records logins, failures, refreshes, reuse and logouts', async () => {
      const username = uniqueName();
      const registered = await t.http().post('/user').send({ username, password: PASSWORD });
      const userId = String(registered.body.data.id);
      await t.http().post('/auth/login').send({ username, password: 'wrong-password-1' }).expect(401);
      const session = await login(t, username, PASSWORD);
      const rotated = await refresh(t, session.refreshToken);
      assert.equal(rotated.status, 204);
      assert.equal((await refresh(t, session.refreshToken)).status, 401);
      await t.http().post('/auth/logout').set('Authorization', `Bearer ${session.accessToken}`);

      const failed = await entries(`action=login_failed&actor=${username}`);
      assert.equal(failed.length, 1);
      assert.equal(failed[0].outcome, 'failure');
      assert.equal(failed[0].details.username, username);
      assert.ok(!JSON.stringify(failed).includes('wrong-password-1'), 'never a password');
      const logins = await entries(`action=login&actor=${userId}`);
      assert.equal(logins.length, 1);
      assert.equal(logins[0].ip, '127.0.0.1');
      assert.equal(logins[0].userAgent, 'identity-e2e/1.0');
      assert.equal((await entries(`action=refresh&actor=${userId}`)).length, 1);
      const reuse = await entries('action=refresh_reuse');
      assert.ok(reuse.length >= 1);
      const all = JSON.stringify(await entries('pageSize=100'));
      assert.ok(!all.includes(session.refreshToken) && !all.includes(session.accessToken), 'never a token');
    });

    it('records administrative actions with actor and target', async () => {
      const username = uniqueName();
      const registered = await t.http().post('/user').send({ username, password: PASSWORD });
      const userId = String(registered.body.data.id);
      const session = await login(t, username, PASSWORD);
      await admin.delete(`/session/${decodeJwt(session.accessToken).sid}`).expect(200);
      await admin.post(`/user/${userId}/disable`).expect(200);
      await admin.post(`/user/${userId}/enable`).expect(200);
      const minted = await admin.post('/user/generateJwt', { subject: 'svc-audit', jwtId: 'wanted-id', issuer: 'root' }).expect(200);
      const role = await admin.post('/role', { role_name: 'audited', role_key: uniqueName('ak') }).expect(200);
      await admin.put('/perm', { roleId: role.body.data.roleId, permissions: ['kickout'] }).expect(200);
      await admin.put(`/user/${userId}`, { nickname: 'Audited', password: 'Changed-Secret-991' }).expect(200);

      const kickout = await entries(`action=kickout&target=${decodeJwt(session.accessToken).sid}`);
      assert.equal(kickout.length, 1);
      assert.equal(kickout[0].actor, adminId);
      assert.equal((await entries(`action=disable&target=${userId}`)).length, 1);
      assert.equal((await entries(`action=enable&target=${userId}`)).length, 1);
      const mint = await entries(`action=mint&target=${decodeJwt(minted.body.data).jti}`);
      assert.equal(mint.length, 1);
      assert.equal(mint[0].details.jwtId, 'wanted-id');
      assert.equal(mint[0].details.issuer, 'root');
      assert.equal(mint[0].details.subject, 'svc-audit');
      assert.ok(!JSON.stringify(mint).includes(minted.body.data), 'the minted token is not kept');
      const permissionChange = await entries(`action=permission_change&target=${role.body.data.roleId}`);
      assert.deepEqual(permissionChange[0].details.permissions, ['kickout']);
      const userChange = await entries(`action=user_change&target=${userId}`);
      assert.equal(userChange[0].details.nickname, 'Audited');
      assert.ok(!JSON.stringify(userChange).includes('Changed-Secret-991'), 'never a password');
      assert.equal((await entries('action=role_change')).length >= 1, true);
    });

    it('loses nothing on a clean shutdown', async () => {
      const instance = await t.restart();
      const username = uniqueName('last');
      await instance.http().post('/auth/login').send({ username, password: ADMIN_PASSWORD }).expect(401);
      await instance.app.close();
      const rows = await t.dataSource.getRepository(AuditLog).findBy({ actor: username, action: 'login_failed' });
      assert.equal(rows.length, 1);
    });

    it('answers and audits every request in flight when shutdown begins, and closes without waiting for idle keep-alive clients', async () => {
      const instance = await t.restart({ LOGIN_MAX_FAILURES: '0', LOGIN_MAX_FAILURES_PER_IP: '0' });
      // A production bcrypt cost keeps the logins in flight while the server closes.
      const users = await Promise.all(Array.from({ length: 8 }, () => createUser(t, { password: PASSWORD, rounds: 11 })));
      const server = instance.app.getHttpServer();
      let received = 0;
      const allReceived = new Promise<void>((resolve) => server.on('request', () => ++received === users.length && resolve()));
      const { port } = server.address() as AddressInfo;
      // fetch keeps its connections alive, as browsers and proxies do.
      const answers = users.map((user) =>
        fetch(`http://127.0.0.1:${port}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: user.username, password: PASSWORD }),
        }).then((response) => response.status),
      );
      await allReceived;
      const closing = Date.now();
      await instance.app.close();
      const closedAfterMs = Date.now() - closing;
      assert.deepEqual(
        await Promise.all(answers),
        users.map(() => 200),
      );
      assert.ok(closedAfterMs < 10_000, `closed after ${closedAfterMs} ms`);
      const logins = await t.dataSource.getRepository(AuditLog).countBy({ action: 'login', actor: In(users.map((user) => String(user.id))) });
      assert.equal(logins, users.length, 'every answered login is in audit_log');
    });

    it('keeps every entry when failed logins run beside password changes that roll back', async () => {
      const instance = await t.restart({ LOGIN_MAX_FAILURES: '0', LOGIN_MAX_FAILURES_PER_IP: '0' });
      // A production-like cost keeps each password check, and the transaction around it if any, open a while.
      const owner = await createUser(t, { password: PASSWORD, rounds: 10 });
      const self = as(instance, (await login(instance, owner.username, PASSWORD)).accessToken);
      const prefix = uniqueName('mix');
      const work: Array<Promise<number>> = [];
      for (let i = 0; i < 20; i++) {
        work.push(
          instance
            .http()
            .post('/auth/login')
            .send({ username: `${prefix}_${i}`, password: 'Wrong-Password-1' })
            .then((r) => r.status),
        );
        // A wrong current password: the change is refused and its transaction rolled back.
        work.push(self.put(`/user/${owner.id}`, { password: 'Brand-New-Secret-77', oldPassword: `Wrong-Old-${i}` }).then((r) => r.status));
      }
      const statuses = await Promise.all(work);
      assert.deepEqual(
        statuses.filter((_, i) => i % 2 === 0),
        Array(20).fill(401),
      );
      assert.deepEqual(
        statuses.filter((_, i) => i % 2 === 1),
        Array(20).fill(400),
      );
      await instance.app.close();
      const failedLogins = await t.dataSource.getRepository(AuditLog).countBy({ action: 'login_failed', actor: Like(`${prefix}_%`) });
      const refusedChanges = await t.dataSource.getRepository(AuditLog).countBy({ action: 'user_change', target: String(owner.id), outcome: 'failure' });
      assert.equal(failedLogins, 20, 'every failed login is in audit_log');
      assert.equal(refusedChanges, 20, 'every refused change is in audit_log');
    });

    it('filters by time and refuses bad filters; needs the audit scope', async () => {
      const future = new Date(Date.now() + 3600_000).toISOString();
      assert.equal((await entries(`from=${encodeURIComponent(future)}`)).length, 0);
      assert.ok((await entries(`to=${encodeURIComponent(future)}`)).length > 0);
      for (const bad of ['from=yesterday', 'action=DROP%20TABLE', 'pageSize=0']) {
        assert.equal((await admin.get(`/audit?${bad}`)).status, 400, bad);
      }
      const plain = as(t, (await t.registeredSession()).accessToken);
      assert.equal((await plain.get('/audit')).status, 403);
    });
  });
}
