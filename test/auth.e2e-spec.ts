import { decodeJwt, jwtVerify } from 'jose';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { RefreshToken } from '../src/session/entities/refresh-token.entity';
import { Session } from '../src/session/entities/session.entity';
import { User } from '../src/user/entities/user.entity';
import { assertEnvelope, checkToken, login, refresh, USER_AGENT } from './support/auth-helpers';
import { withApp } from './support/fixtures';
import { ADMIN_PASSWORD, TestApp, testDatabases } from './support/test-app';
import { createUser } from './support/users';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

for (const database of testDatabases()) {
  describe(`auth on ${database.name}`, () => {
    const t = withApp(database, {}, { adminLogin: 'never' });

    describe('POST /auth/login', () => {
      it('logs the admin in: envelope, headers, cookie and a token jose accepts', async () => {
        const response = await t.http().post('/auth/login').set('User-Agent', USER_AGENT).send({ username: 'admin', password: ADMIN_PASSWORD });
        assert.equal(response.status, 200);
        assertEnvelope(response.body, 200);
        assert.equal(response.body.message, '登录成功');
        assert.equal(response.body.msg, '登录成功');
        assert.equal(typeof response.body.data.userId, 'number');
        const accessToken = response.body.data.token as string;
        assert.equal(response.headers.authorization, `Bearer ${accessToken}`);
        assert.equal(response.headers['cache-control'], 'no-store');

        const refreshToken = String(response.headers['x-refresh-token']);
        assert.match(refreshToken, /^[A-Za-z0-9_-]{43}$/);
        const cookie = ([] as string[]).concat(response.headers['set-cookie'])[0];
        assert.match(cookie, new RegExp(`^token=${refreshToken};`));
        for (const attribute of ['HttpOnly', 'SameSite=Strict', 'Path=/auth', 'Secure', `Max-Age=${t.config.session.refreshTtlSeconds}`]) {
          assert.ok(cookie.includes(attribute), `cookie has ${attribute}: ${cookie}`);
        }

        const { payload, protectedHeader } = await jwtVerify(accessToken, t.config.jwt.secret, {
          algorithms: ['HS256'],
          issuer: t.config.jwt.issuer,
          audience: t.config.jwt.audience,
        });
        assert.equal(protectedHeader.alg, 'HS256');
        assert.equal(payload.sub, String(response.body.data.userId));
        assert.equal(payload.username, 'admin');
        assert.equal(typeof payload.jti, 'string');
        assert.equal(typeof payload.sid, 'string');
        assert.equal(payload.exp! - payload.iat!, 15 * 60);
        assert.deepEqual([...(payload.scope as string[])].sort(), [
          'audit',
          'disable',
          'generateJwt',
          'getJwt',
          'keyMan',
          'kickout',
          'role',
          'searchSession',
          'sso',
          'ticket',
          'userMan',
        ]);

        // Only the hash of the refresh token is stored, with the session's client.
        const session = await t.dataSource.getRepository(Session).findOneByOrFail({ id: payload.sid as string });
        assert.equal(session.userAgent, USER_AGENT);
        assert.equal(session.ip, '127.0.0.1');
        assert.equal(session.revokedAt, null);
        const stored = await t.dataSource.getRepository(RefreshToken).findBy({ sessionId: session.id });
        assert.deepEqual(
          stored.map((row) => row.tokenHash),
          [sha256(refreshToken)],
        );
        const user = await t.dataSource.getRepository(User).findOneByOrFail({ id: response.body.data.userId });
        assert.equal(user.loginIp, '127.0.0.1');
        assert.ok(user.loginDate instanceof Date);
      });

      it('answers unknown user, wrong password and disabled user alike, and opens no session', async () => {
        const disabled = await createUser(t, { password: 'Disabled-Pass-1', status: '1' });
        const sessionsBefore = await t.dataSource.getRepository(Session).count();
        const attempts = [
          { username: 'nobody-here', password: 'whatever-1' },
          { username: 'admin', password: 'wrong-password' },
          { username: disabled.username, password: 'Disabled-Pass-1' },
        ];
        const bodies = [];
        for (const attempt of attempts) {
          const response = await t.http().post('/auth/login').send(attempt);
          assert.equal(response.status, 401);
          assert.equal(response.headers.authorization, undefined);
          assert.equal(response.headers['set-cookie'], undefined);
          bodies.push(response.body);
        }
        assert.deepEqual(bodies[0], { code: 401, message: '用户名或密码错误', msg: '用户名或密码错误', data: null });
        assert.deepEqual(bodies[1], bodies[0]);
        assert.deepEqual(bodies[2], bodies[0]);
        assert.equal(await t.dataSource.getRepository(Session).count(), sessionsBefore);
      });

      it('serves concurrent logins of one user, each with its own session', async () => {
        const sessionsBefore = await t.dataSource.getRepository(Session).count();
        const responses = await Promise.all(
          Array.from({ length: 8 }, () => t.http().post('/auth/login').set('User-Agent', USER_AGENT).send({ username: 'admin', password: ADMIN_PASSWORD })),
        );
        assert.deepEqual(
          responses.map((response) => response.status),
          Array(8).fill(200),
        );
        assert.equal(new Set(responses.map((response) => decodeJwt(response.body.data.token).sid)).size, 8);
        assert.equal(await t.dataSource.getRepository(Session).count(), sessionsBefore + 8);
      });

      it('finds the user whatever the case of the username', async () => {
        const session = await login(t, 'ADMIN');
        assert.ok(session.accessToken);
      });

      it('refuses a password longer than 72 bytes that starts with the right 72', async () => {
        const prefix = 'é'.repeat(36); // 72 bytes in UTF-8
        const user = await createUser(t, { password: prefix });
        const tooLong = await t
          .http()
          .post('/auth/login')
          .send({ username: user.username, password: prefix + 'x' });
        assert.equal(tooLong.status, 401);
        assertEnvelope(tooLong.body, 401);
        const exact = await t.http().post('/auth/login').send({ username: user.username, password: prefix });
        assert.equal(exact.status, 200);
      });

      it('answers in English when Accept-Language prefers it', async () => {
        const response = await t
          .http()
          .post('/auth/login')
          .set('Accept-Language', 'en-US,en;q=0.9,zh;q=0.5')
          .send({ username: 'admin', password: 'nope-nope' });
        assert.equal(response.status, 401);
        assert.equal(response.body.message, 'Invalid username or password.');
        const chinese = await t.http().post('/auth/login').set('Accept-Language', 'zh-CN,en;q=0.5').send({ username: 'admin', password: 'nope-nope' });
        assert.equal(chinese.body.message, '用户名或密码错误');
      });

      it('re-hashes a password stored with fewer rounds than configured, on a successful login', async () => {
        const user = await createUser(t, { password: 'Old-Rounds-Pass-1', rounds: 4 });
        const stronger = await t.restart({ BCRYPT_ROUNDS: '5' });
        const response = await stronger.http().post('/auth/login').send({ username: user.username, password: 'Old-Rounds-Pass-1' });
        assert.equal(response.status, 200);
        const stored = await t.dataSource
          .getRepository(User)
          .createQueryBuilder('u')
          .addSelect('u.passwordHash')
          .where('u.id = :id', { id: user.id })
          .getOneOrFail();
        assert.match(stored.passwordHash, /^\$2b\$05\$/);
        await stronger.app.close();
      });
    });

    describe('login throttling', () => {
      let guarded: TestApp;
      before(async () => {
        guarded = await t.restart({ TRUST_PROXY: 'true', LOGIN_MAX_FAILURES: '3', LOGIN_MAX_FAILURES_PER_IP: '10' });
      });
      after(async () => {
        await guarded?.app.close();
      });
      const attempt = (from: string, username: string, password: string) =>
        guarded.http().post('/auth/login').set('X-Forwarded-For', from).send({ username, password });

      it('refuses a username from an address after its failures, even with the right password, and no one else', async () => {
        const user = await createUser(t, { password: 'Throttled-Pass-1' });
        for (let i = 0; i < 3; i++) assert.equal((await attempt('198.51.100.20', user.username, 'wrong-password')).status, 401);
        const sessionsBefore = await t.dataSource.getRepository(Session).count();
        const refused = await attempt('198.51.100.20', user.username, 'Throttled-Pass-1');
        assert.equal(refused.status, 429);
        assertEnvelope(refused.body, 429);
        assert.equal(refused.body.message, '登录失败次数过多，请稍后再试');
        const retryAfter = Number(refused.headers['retry-after']);
        assert.ok(retryAfter > 0 && retryAfter <= 900, `Retry-After ${refused.headers['retry-after']}`);
        assert.equal(refused.body.data.retryAfter, retryAfter);
        assert.equal(refused.headers.authorization, undefined);
        assert.equal(await t.dataSource.getRepository(Session).count(), sessionsBefore, 'no session opened');
        assert.equal((await attempt('198.51.100.21', user.username, 'Throttled-Pass-1')).status, 200, 'the user from elsewhere is not locked out');
      });

      it('starts a username and address afresh after a successful login', async () => {
        const user = await createUser(t, { password: 'Throttled-Pass-2' });
        for (const password of ['wrong-1', 'wrong-2', 'Throttled-Pass-2', 'wrong-3', 'wrong-4']) await attempt('198.51.100.22', user.username, password);
        assert.equal((await attempt('198.51.100.22', user.username, 'Throttled-Pass-2')).status, 200);
      });

      it('lets 50 concurrent correct logins of one user from one address all in, even after a failure', async () => {
        const user = await createUser(t, { password: 'Throttled-Pass-3' });
        assert.equal((await attempt('198.51.100.25', user.username, 'wrong-password')).status, 401);
        const sessionsBefore = await t.dataSource.getRepository(Session).countBy({ userId: user.id });
        const responses = await Promise.all(Array.from({ length: 50 }, () => attempt('198.51.100.25', user.username, 'Throttled-Pass-3')));
        assert.deepEqual(
          responses.map((r) => r.status),
          responses.map(() => 200),
          JSON.stringify(responses.find((r) => r.status !== 200)?.body),
        );
        assert.equal(await t.dataSource.getRepository(Session).countBy({ userId: user.id }), sessionsBefore + 50);
      });

      it('checks at most LOGIN_MAX_FAILURES passwords of a burst of wrong guesses arriving together', async () => {
        // A cost that keeps the guesses in flight together, as with a production cost.
        const user = await createUser(t, { password: 'Throttled-Pass-4', rounds: 10 });
        const responses = await Promise.all(Array.from({ length: 25 }, (_, i) => attempt('198.51.100.26', user.username, `wrong-guess-${i}`)));
        const statuses = responses.map((r) => r.status).sort();
        assert.deepEqual(statuses, [...Array(3).fill(401), ...Array(22).fill(429)]);
        for (const refused of responses.filter((r) => r.status === 429)) assert.equal(refused.body.message, '登录失败次数过多，请稍后再试');
        assert.equal((await attempt('198.51.100.26', user.username, 'Throttled-Pass-4')).status, 429, 'the right password is not checked either');
      });

      it('refuses an address that tries many usernames', async () => {
        for (let i = 0; i < 10; i++) assert.equal((await attempt('198.51.100.23', `nobody-${i}`, 'Password-1')).status, 401);
        assert.equal((await attempt('198.51.100.23', 'admin', ADMIN_PASSWORD)).status, 429);
        assert.equal((await attempt('198.51.100.24', 'admin', ADMIN_PASSWORD)).status, 200);
      });
    });

    describe('GET /test', () => {
      it('answers 204 for a valid token and 401 in the envelope without one', async () => {
        const session = await login(t);
        const ok = await checkToken(t, session.accessToken);
        assert.equal(ok.status, 204);
        assert.equal(ok.text, '');
        const missing = await t.http().get('/test');
        assert.equal(missing.status, 401);
        assert.deepEqual(missing.body, { code: 401, message: 'Invalid access token.', msg: 'Invalid access token.', data: null });
        assert.equal(missing.headers['www-authenticate'], 'Bearer');
        const wrongScheme = await t.http().get('/test').set('Authorization', `Basic ${session.accessToken}`);
        assert.equal(wrongScheme.status, 401);
      });
    });

    describe('POST /auth/session', () => {
      it('rotates the refresh token and issues a new access token', async () => {
        const first = await login(t);
        const response = await refresh(t, first.refreshToken);
        assert.equal(response.status, 204);
        assert.equal(response.text, '');
        const accessToken = String(response.headers.authorization).replace(/^Bearer /, '');
        const refreshToken = String(response.headers['x-refresh-token']);
        assert.notEqual(refreshToken, first.refreshToken);
        assert.match(String(response.headers['set-cookie']), new RegExp(`token=${refreshToken};.*Path=/auth`));
        assert.equal(decodeJwt(accessToken).sid, decodeJwt(first.accessToken).sid);
        assert.equal((await checkToken(t, accessToken)).status, 204);

        const session = await t.dataSource.getRepository(Session).findOneByOrFail({ id: decodeJwt(accessToken).sid as string });
        // The login's token, then its successor (generation 1): the current token is the one without a successor.
        const tokens = await t.dataSource.getRepository(RefreshToken).find({ where: { sessionId: session.id }, order: { generation: 'ASC' } });
        assert.deepEqual(
          tokens.map((row) => [row.tokenHash, row.generation]),
          [
            [sha256(first.refreshToken), 0],
            [sha256(refreshToken), 1],
          ],
        );
        // The new refresh token works in turn.
        assert.equal((await refresh(t, refreshToken)).status, 204);
      });

      it('needs both the cookie and the header, and equal', async () => {
        const session = await login(t);
        const onlyHeader = await t.http().post('/auth/session').set('User-Agent', USER_AGENT).set('X-Refresh-Token', session.refreshToken);
        assert.equal(onlyHeader.status, 401);
        assertEnvelope(onlyHeader.body, 401);
        const onlyCookie = await t.http().post('/auth/session').set('User-Agent', USER_AGENT).set('Cookie', `token=${session.refreshToken}`);
        assert.equal(onlyCookie.status, 401);
        const other = await login(t);
        const unequal = await t
          .http()
          .post('/auth/session')
          .set('User-Agent', USER_AGENT)
          .set('Cookie', `token=${session.refreshToken}`)
          .set('X-Refresh-Token', other.refreshToken);
        assert.equal(unequal.status, 401);
        // None of these spent or revoked anything.
        assert.equal((await refresh(t, session.refreshToken)).status, 204);
        assert.equal((await refresh(t, other.refreshToken)).status, 204);
      });

      it('refuses an unknown or malformed refresh token', async () => {
        for (const token of ['A'.repeat(43), 'short', 'x'.repeat(5000)]) {
          const response = await refresh(t, token);
          assert.equal(response.status, 401, token.slice(0, 10));
          assertEnvelope(response.body, 401);
        }
      });

      it('treats a rotated-away refresh token as theft: the whole session ends', async () => {
        const strict = await t.restart({ REFRESH_REUSE_GRACE: '0' });
        try {
          const session = await login(strict);
          const rotated = await refresh(strict, session.refreshToken);
          assert.equal(rotated.status, 204);
          const newAccess = String(rotated.headers.authorization).replace(/^Bearer /, '');
          const newRefresh = String(rotated.headers['x-refresh-token']);

          const replay = await refresh(strict, session.refreshToken);
          assert.equal(replay.status, 401);
          assertEnvelope(replay.body, 401);

          assert.equal((await refresh(strict, newRefresh)).status, 401, 'the legitimate refresh token is dead too');
          assert.equal((await checkToken(strict, newAccess)).status, 401, 'access tokens of the session are refused at once');
          assert.equal((await checkToken(strict, session.accessToken)).status, 401);
          const stored = await strict.dataSource.getRepository(Session).findOneByOrFail({ id: decodeJwt(newAccess).sid as string });
          assert.equal(stored.revokeReason, 'refresh_reuse');
          assert.ok(stored.revokedAt);
        } finally {
          await strict.app.close();
        }
      });

      it('refuses a replay within the grace period without ending the session', async () => {
        const session = await login(t);
        const rotated = await refresh(t, session.refreshToken);
        assert.equal(rotated.status, 204);
        const replay = await refresh(t, session.refreshToken);
        assert.equal(replay.status, 401);
        assertEnvelope(replay.body, 401);
        assert.equal((await refresh(t, String(rotated.headers['x-refresh-token']))).status, 204);
      });

      it('revokes the session when the User-Agent differs from the login (403)', async () => {
        const session = await login(t);
        const response = await refresh(t, session.refreshToken, 'some-other-agent/2.0');
        assert.equal(response.status, 403);
        assertEnvelope(response.body, 403);
        assert.equal((await refresh(t, session.refreshToken)).status, 401, 'the session is gone for the real client as well');
        assert.equal((await checkToken(t, session.accessToken)).status, 401);
        const stored = await t.dataSource.getRepository(Session).findOneByOrFail({ id: decodeJwt(session.accessToken).sid as string });
        assert.equal(stored.revokeReason, 'client_mismatch');
        const audit = await t
          .http()
          .get('/audit?action=session_bound_mismatch')
          .set('Authorization', `Bearer ${(await login(t)).accessToken}`);
        assert.ok(
          audit.body.data.list.some((entry: { details: { status: number } }) => entry.details.status === 403),
          'the mismatch is in the audit log',
        );
      });

      it('lets exactly one of several concurrent refreshes with one token win, and keeps the session', async () => {
        const session = await login(t);
        const responses = await Promise.all(Array.from({ length: 6 }, () => refresh(t, session.refreshToken)));
        const winners = responses.filter((response) => response.status === 204);
        assert.equal(winners.length, 1, JSON.stringify(responses.map((r) => r.status)));
        for (const loser of responses.filter((response) => response.status !== 204)) {
          assert.equal(loser.status, 401);
          assertEnvelope(loser.body, 401);
        }
        // What was acknowledged to the winner still works.
        const winner = winners[0];
        assert.equal((await checkToken(t, String(winner.headers.authorization).replace(/^Bearer /, ''))).status, 204);
        assert.equal((await refresh(t, String(winner.headers['x-refresh-token']))).status, 204);
      });

      it('refuses a refresh for a user disabled since the login', async () => {
        const user = await createUser(t, { password: 'Soon-Disabled-1' });
        const session = await login(t, user.username, 'Soon-Disabled-1');
        await t.dataSource.getRepository(User).update({ id: user.id }, { status: '1' });
        assert.equal((await refresh(t, session.refreshToken)).status, 401);
      });
    });

    describe('client IP binding', () => {
      it('ignores X-Forwarded-For unless TRUST_PROXY is set', async () => {
        const session = await login(t);
        const forged = await refresh(t, session.refreshToken).set('X-Forwarded-For', '203.0.113.9');
        assert.equal(forged.status, 204);
      });

      /** Logs in from one forwarded address and refreshes from another, through a trusted proxy. */
      async function refreshFromElsewhere(overrides: Record<string, string>): Promise<number> {
        const behindProxy = await t.restart({ TRUST_PROXY: 'true', ...overrides });
        try {
          const loggedIn = await behindProxy
            .http()
            .post('/auth/login')
            .set('User-Agent', USER_AGENT)
            .set('X-Forwarded-For', '198.51.100.7')
            .send({ username: 'admin', password: ADMIN_PASSWORD });
          const refreshToken = String(loggedIn.headers['x-refresh-token']);
          return (await refresh(behindProxy, refreshToken).set('X-Forwarded-For', '198.51.100.8')).status;
        } finally {
          await behindProxy.app.close();
        }
      }

      it('revokes on a different client IP behind a trusted proxy', async () => {
        assert.equal(await refreshFromElsewhere({}), 403);
      });

      it('lets the IP change with SESSION_BIND_IP=false (mobile clients)', async () => {
        assert.equal(await refreshFromElsewhere({ SESSION_BIND_IP: 'false' }), 204);
      });
    });

    describe('POST /auth/logout', () => {
      it('with the access token: revokes the session, clears the cookie, and the token stops working', async () => {
        const session = await login(t);
        const response = await t.http().post('/auth/logout').set('Authorization', `Bearer ${session.accessToken}`);
        assert.equal(response.status, 200);
        assertEnvelope(response.body, 200);
        const cookie = String(response.headers['set-cookie']);
        assert.match(cookie, /^token=;/);
        assert.match(cookie, /Path=\/auth/);
        assert.match(cookie, /Expires=Thu, 01 Jan 1970|Max-Age=0/);
        assert.equal((await checkToken(t, session.accessToken)).status, 401);
        assert.equal((await refresh(t, session.refreshToken)).status, 401);
        const stored = await t.dataSource.getRepository(Session).findOneByOrFail({ id: decodeJwt(session.accessToken).sid as string });
        assert.equal(stored.revokeReason, 'logout');
      });

      it('with only the refresh token (the access token may have expired)', async () => {
        const session = await login(t);
        const response = await t.http().post('/auth/logout').set('X-Refresh-Token', session.refreshToken);
        assert.equal(response.status, 200);
        assert.equal((await checkToken(t, session.accessToken)).status, 401);
      });

      it('without a valid token: 401, nothing revoked', async () => {
        const session = await login(t);
        const none = await t.http().post('/auth/logout');
        assert.equal(none.status, 401);
        assertEnvelope(none.body, 401);
        const garbage = await t.http().post('/auth/logout').set('Authorization', 'Bearer abc.def.ghi').set('X-Refresh-Token', 'B'.repeat(43));
        assert.equal(garbage.status, 401);
        assert.equal((await checkToken(t, session.accessToken)).status, 204);
      });

      it('keeps revocations across a restart', async () => {
        const session = await login(t);
        await t.http().post('/auth/logout').set('Authorization', `Bearer ${session.accessToken}`).expect(200);
        const restarted = await t.restart();
        assert.equal((await checkToken(restarted, session.accessToken)).status, 401);
        await restarted.app.close();
      });
    });
  });
}
