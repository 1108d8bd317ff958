import { decodeJwt } from 'jose';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Session } from '../src/session/entities/session.entity';
import { User } from '../src/user/entities/user.entity';
import { UserWechat } from '../src/wechat/entities/user-wechat.entity';
import { as, USER_AGENT } from './support/auth-helpers';
import { withApp } from './support/fixtures';
import { testDatabases } from './support/test-app';
import { WECHAT_APPID, WECHAT_SECRET, wechatUser, withWechatStub } from './support/wechat';

const ROUTE = '/api/v2/wechat/mini-program';
/** The suite's jscode2session timeout: short, so that the slow answer costs little. */
const TIMEOUT_MS = 600;

/**
 * Document 002, 小程序注册登录, against a loopback stand-in for WeChat's jscode2session: what a mini-program
 * sees, and what is (and is not) stored.
 */
for (const database of testDatabases()) {
  describe(`WeChat mini-program login on ${database.name}`, () => {
    const env: Record<string, string> = { WECHAT_TIMEOUT_MS: String(TIMEOUT_MS) };
    const wechat = withWechatStub(env);
    const t = withApp(database, env);

    const post = (body: unknown) =>
      t
        .http()
        .post(ROUTE)
        .set('User-Agent', USER_AGENT)
        .send(body as object);
    const bindingsOf = (openid: string) => t.dataSource.getRepository(UserWechat).findBy({ openid });
    /** Users, bindings and sessions: what a failed login must leave as it was. */
    const counts = async () => ({
      users: await t.dataSource.getRepository(User).count(),
      bindings: await t.dataSource.getRepository(UserWechat).count(),
      sessions: await t.dataSource.getRepository(Session).count(),
    });
    const wechatSessionsOf = async (userId: number) => {
      const response = await t.admin.get(`/session?type=wechat&userId=${userId}&pageSize=100`);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return response.body.data.list as Array<{ id: string; type: string; userId: number; userAgent: string }>;
    };
    const loginAs = async (user: { openid: string; unionid?: string }) => {
      const response = await post({ code: wechat.codeFor(user) });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      return { token: response.body.access_token as string, userId: Number(decodeJwt(response.body.access_token).sub) };
    };

    it("answers the document's request with its token body, for a user made on the first login", async () => {
      const user = wechatUser(true);
      const code = wechat.codeFor(user);
      const before = await counts();

      const response = await t.http().post('/api/v2/wechat/mini-program').set('User-Agent', USER_AGENT).send({ code });

      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.match(String(response.headers['content-type']), /^application\/json/);
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.deepEqual(Object.keys(response.body).sort(), ['access_token', 'expires_in', 'refresh_ttl', 'token_type']);
      assert.equal(response.body.token_type, 'bearer');
      assert.equal(response.body.expires_in, t.config.jwt.accessTtlSeconds / 60, 'minutes');
      assert.equal(response.body.refresh_ttl, t.config.session.refreshTtlSeconds / 60, 'minutes');

      const seen = wechat.requests.at(-1)!;
      assert.deepEqual(seen, {
        path: '/sns/jscode2session',
        query: { appid: WECHAT_APPID, secret: WECHAT_SECRET, js_code: code, grant_type: 'authorization_code' },
      });

      const token = response.body.access_token as string;
      const claims = decodeJwt(token);
      const userId = Number(claims.sub);
      assert.deepEqual(await counts(), { users: before.users + 1, bindings: before.bindings + 1, sessions: before.sessions + 1 });
      const [binding] = await bindingsOf(user.openid);
      assert.deepEqual([binding.appid, binding.openid, binding.unionid, binding.userId], [WECHAT_APPID, user.openid, user.unionid, userId]);
      const stored = await t.dataSource
        .getRepository(User)
        .createQueryBuilder('u')
        .addSelect('u.passwordHash')
        .where('u.id = :userId', { userId })
        .getOneOrFail();
      assert.match(stored.username, /^wx_[0-9a-f]{20}$/);
      assert.equal(stored.passwordHash, '', 'no password');

      const sessions = await wechatSessionsOf(userId);
      assert.deepEqual(
        sessions.map((s) => [s.id, s.type, s.userAgent]),
        [[claims.sid, 'wechat', USER_AGENT]],
      );
      assert.equal((await as(t, token).get('/test')).status, 204);
      const info = await as(t, token).get('/user/info');
      assert.equal(info.status, 200, JSON.stringify(info.body));
      assert.equal(info.body.data.user.username, stored.username);
      const withRoles = await t.dataSource.getRepository(User).findOneOrFail({ where: { id: userId }, relations: { roles: true } });
      assert.deepEqual(
        withRoles.roles.map((role) => role.roleKey),
        [t.config.user.defaultRoleKey],
        'the role of self-registered users',
      );

      // A password login with the generated name fails like any wrong password.
      const byPassword = await t.http().post('/auth/login').set('User-Agent', USER_AGENT).send({ username: stored.username, password: 'Any-Password-123' });
      assert.equal(byPassword.status, 401);
    });

    it('logs the same WeChat user in as the same user again, with a session of its own', async () => {
      const user = wechatUser();
      const first = await loginAs(user);
      const before = await counts();
      const second = await loginAs(user);
      assert.equal(second.userId, first.userId);
      assert.deepEqual(await counts(), { ...before, sessions: before.sessions + 1 });
      assert.equal((await wechatSessionsOf(first.userId)).length, 2);
      assert.equal((await as(t, first.token).get('/test')).status, 204, 'the first session goes on');
    });

    it('finds the user of another openid by its unionid, and learns a unionid it did not have', async () => {
      const first = wechatUser(true);
      const { userId } = await loginAs(first);
      // The same person in another mini-program of the open-platform account: another openid, the same unionid.
      const other = { openid: wechatUser().openid, unionid: first.unionid };
      assert.equal((await loginAs(other)).userId, userId);
      const [binding] = await bindingsOf(other.openid);
      assert.deepEqual([binding.userId, binding.unionid], [userId, first.unionid]);

      const late = wechatUser();
      const lateUser = (await loginAs(late)).userId;
      const unionid = wechatUser().openid;
      assert.equal((await loginAs({ ...late, unionid })).userId, lateUser);
      assert.equal((await bindingsOf(late.openid))[0].unionid, unionid);
      assert.equal((await loginAs({ openid: wechatUser().openid, unionid })).userId, lateUser);
    });

    it('makes one user of concurrent first logins of one WeChat user', async () => {
      const user = wechatUser();
      const before = await counts();
      const codes = Array.from({ length: 6 }, () => wechat.codeFor(user));
      const responses = await Promise.all(codes.map((code) => post({ code })));
      assert.deepEqual(
        responses.map((r) => r.status),
        codes.map(() => 200),
        JSON.stringify(responses.map((r) => r.body)),
      );
      const userIds = new Set(responses.map((r) => decodeJwt(r.body.access_token).sub));
      assert.equal(userIds.size, 1, 'one user');
      assert.deepEqual(await counts(), { users: before.users + 1, bindings: before.bindings + 1, sessions: before.sessions + 6 });
    });

    it('answers a code WeChat refuses with 401 {message}, storing nothing', async () => {
      const before = await counts();
      const unknown = await post({ code: 'an-invalid-code' });
      assert.equal(unknown.status, 401);
      assert.deepEqual(unknown.body, { message: '微信登录凭证 code 无效、已过期或已被使用' });
      assert.equal(wechat.requests.at(-1)!.query.js_code, 'an-invalid-code', 'WeChat was asked');

      const code = wechat.codeFor(wechatUser());
      assert.equal((await post({ code })).status, 200);
      const reused = await post({ code });
      assert.equal(reused.status, 401, 'a code is used once (40163)');
      const english = await t.http().post(ROUTE).set('Accept-Language', 'en').send({ code: 'another-bad-one' });
      assert.deepEqual(english.body, { message: 'The WeChat login code is invalid, expired or already used.' });
      const after = await counts();
      assert.deepEqual(after, { users: before.users + 1, bindings: before.bindings + 1, sessions: before.sessions + 1 });
    });

    it('answers 503 when WeChat is slow, unreachable, failing or busy, in time and storing nothing', async () => {
      const before = await counts();
      const slow = wechat.codeAnswering({ delayMs: TIMEOUT_MS * 5, body: JSON.stringify(wechatUser()) });
      const started = Date.now();
      const response = await post({ code: slow });
      const took = Date.now() - started;
      assert.equal(response.status, 503, JSON.stringify(response.body));
      assert.deepEqual(response.body, { message: '微信服务暂时不可用，请稍后重试' });
      assert.equal(response.headers['retry-after'], '5');
      assert.ok(took >= TIMEOUT_MS - 50 && took < TIMEOUT_MS * 3, `answered after ${took} ms, the timeout is ${TIMEOUT_MS} ms`);

      for (const answer of [{ reset: true }, { status: 502, body: '<html>Bad Gateway</html>' }, { body: '{"errcode":-1,"errmsg":"system error"}' }]) {
        const failed = await post({ code: wechat.codeAnswering(answer) });
        assert.equal(failed.status, 503, `${JSON.stringify(answer)}: ${JSON.stringify(failed.body)}`);
        assert.deepEqual(failed.body, { message: '微信服务暂时不可用，请稍后重试' });
      }
      const throttled = await post({ code: wechat.codeAnswering({ body: '{"errcode":45011,"errmsg":"api minute-quota reach limit"}' }) });
      assert.equal(throttled.status, 429);
      assert.deepEqual(throttled.body, { message: '微信登录请求过于频繁，请稍后再试' });
      assert.deepEqual(await counts(), before);
    });

    it('answers 401 when WeChat answers garbage, storing nothing', async () => {
      const before = await counts();
      const garbage: StubAnswerList = [
        { body: '<html><body>upstream error</body></html>', contentType: 'text/html' },
        { body: '' },
        { body: '[]' },
        { body: '{"session_key":"abc"}' },
        { body: '{"openid":42,"session_key":"abc"}' },
        { body: '{"openid":"o\'; DROP TABLE sys_user; --","session_key":"abc"}' },
        { body: '{"openid":"oValidLooking","unionid":{"x":1}}' },
        { body: '{"errcode":"40029"}' },
        { status: 404, body: 'not found' },
        { body: JSON.stringify({ openid: 'o'.repeat(10), padding: 'x'.repeat(64 * 1024) }) },
      ];
      for (const answer of garbage) {
        const response = await post({ code: wechat.codeAnswering(answer) });
        assert.equal(response.status, 401, `${answer.body?.slice(0, 60)}: ${JSON.stringify(response.body)}`);
        assert.deepEqual(response.body, { message: '微信返回了无法识别的应答，请重新登录' });
      }
      assert.deepEqual(await counts(), before);
    });

    it('answers invalid input with 422 {message, errors: {code}} without asking WeChat', async () => {
      const asked = wechat.requests.length;
      for (const body of [{}, { code: '' }, { code: 42 }, { code: null }, { code: 'x'.repeat(129) }]) {
        const response = await post(body);
        assert.equal(response.status, 422, `${JSON.stringify(body)}: ${JSON.stringify(response.body)}`);
        assert.deepEqual(Object.keys(response.body).sort(), ['errors', 'message']);
        assert.equal(typeof response.body.message, 'string');
        assert.deepEqual(Object.keys(response.body.errors), ['code']);
        assert.ok(response.body.errors.code.length > 0 && response.body.errors.code.every((text: unknown) => typeof text === 'string'));
      }
      assert.equal(wechat.requests.length, asked);
    });

    it('refuses a disabled user with 401, opening no session', async () => {
      const user = wechatUser();
      const { userId } = await loginAs(user);
      assert.equal((await t.admin.post(`/user/${userId}/disable`)).status, 200);
      const before = await counts();
      const response = await post({ code: wechat.codeFor(user) });
      assert.equal(response.status, 401);
      assert.deepEqual(response.body, { message: '该微信绑定的账号已停用' });
      assert.deepEqual(await counts(), before);
      assert.equal((await t.admin.post(`/user/${userId}/enable`)).status, 200);
      assert.equal((await loginAs(user)).userId, userId);
    });

    it('puts successes and failures in the audit log, with the user as actor', async () => {
      const { userId } = await loginAs(wechatUser());
      assert.equal((await post({ code: 'audited-bad-code' })).status, 401);
      const entries = async (action: string) => {
        for (let tries = 0; tries < 40; tries++) {
          const response = await t.admin.get(`/audit?action=${action}&pageSize=100`);
          const list = response.body.data.list as Array<{ actor: string | null; outcome: string; details: Record<string, unknown> }>;
          if (list.length) return list;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return [];
      };
      const logins = await entries('wechat_login');
      const mine = logins.find((entry) => entry.actor === String(userId));
      assert.ok(mine, 'the login is audited with its user');
      assert.equal(mine.outcome, 'success');
      assert.equal(mine.details.newUser, true);
      const failures = await entries('wechat_login_failed');
      assert.ok(failures.some((entry) => entry.details.error === 'error.wechatCodeInvalid'));
      assert.doesNotMatch(JSON.stringify([...logins, ...failures]), /session_key|secret/i);
    });

    it('refuses every login with 503 where WeChat is not configured', async () => {
      const unconfigured = await t.restart({ WECHAT_APPID: '', WECHAT_SECRET: '' });
      const asked = wechat.requests.length;
      const response = await unconfigured
        .http()
        .post(ROUTE)
        .send({ code: wechat.codeFor(wechatUser()) });
      assert.equal(response.status, 503);
      assert.deepEqual(response.body, { message: '本服务未配置微信小程序登录' });
      assert.equal(wechat.requests.length, asked, 'WeChat is not asked');
    });

    it('makes no user with REGISTRATION_ENABLED=false, but logs known ones in', async () => {
      const known = wechatUser();
      const { userId } = await loginAs(known);
      const closed = await t.restart({ REGISTRATION_ENABLED: 'false' });
      const before = await counts();
      const stranger = await closed
        .http()
        .post(ROUTE)
        .send({ code: wechat.codeFor(wechatUser()) });
      assert.equal(stranger.status, 403);
      assert.deepEqual(stranger.body, { message: '注册已关闭' });
      assert.deepEqual(await counts(), before);
      const again = await closed
        .http()
        .post(ROUTE)
        .send({ code: wechat.codeFor(known) });
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(decodeJwt(again.body.access_token).sub, String(userId));
    });
  });
}

type StubAnswerList = Array<{ status?: number; body?: string; contentType?: string }>;
