import { decodeJwt } from 'jose';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Response } from 'supertest';
import { VerifyCode } from '../src/api-v2/entities/verify-code.entity';
import { AuditLog } from '../src/audit/entities/audit-log.entity';
import { Session } from '../src/session/entities/session.entity';
import { User } from '../src/user/entities/user.entity';
import { startSmsWebhook, startSmtpInbox, uniquePhone } from './support/code-inbox';
import { withApp } from './support/fixtures';
import { NO_ADDRESS_LIMITS, testDatabases, type TestApp } from './support/test-app';
import { uniqueName } from './support/users';

const PASSWORD = 'Plenty-Long-Secret-42';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Document 002's token answer, checked field by field. */
function assertTokens(response: Response): string {
  assert.equal(response.status, 200, JSON.stringify(response.body));
  assert.deepEqual(Object.keys(response.body).sort(), ['access_token', 'expires_in', 'refresh_ttl', 'token_type']);
  assert.equal(response.body.token_type, 'bearer');
  assert.equal(typeof response.body.access_token, 'string');
  assert.equal(response.body.expires_in, 15, 'minutes: ACCESS_TOKEN_TTL 900 s');
  assert.ok(response.body.refresh_ttl > 0);
  assert.equal(response.headers['cache-control'], 'no-store');
  return response.body.access_token as string;
}

function assertInvalid(response: Response, field: string): void {
  assert.equal(response.status, 422, JSON.stringify(response.body));
  assert.equal(typeof response.body.message, 'string');
  assert.ok(Array.isArray(response.body.errors?.[field]) && response.body.errors[field].length > 0, JSON.stringify(response.body));
}

const LOGIN_FAILED = { message: '账号、密码或验证码错误' };
const TOKEN_INVALID = { message: '令牌无效或已过期，请重新登录' };

for (const database of testDatabases()) {
  describe(`api/v2 family on ${database.name}`, () => {
    let smtp: Awaited<ReturnType<typeof startSmtpInbox>>;
    let sms: Awaited<ReturnType<typeof startSmsWebhook>>;
    // Read by withApp's before(), which runs after this one: the app starts with the inboxes configured.
    const env: Record<string, string> = { ACCESS_TOKEN_TTL: '900', ...NO_ADDRESS_LIMITS };
    before(async () => {
      smtp = await startSmtpInbox();
      sms = await startSmsWebhook();
      Object.assign(env, { SMTP_URL: smtp.url, MAIL_FROM: 'Identity <identity@example.com>', SMS_WEBHOOK_URL: sms.url });
    });
    const t = withApp(database, env);
    after(async () => {
      await smtp.close();
      await sms.close();
    });
    const app: TestApp = t;
    const http = () => app.http();

    async function sendCode(address: { phone?: string; email?: string }): Promise<string> {
      const sent = await http().post('/api/v2/verifycodes').send(address);
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      assert.deepEqual(sent.body, { message: '验证码已发送' });
      if (address.email) return (await smtp.inbox.next(address.email.toLowerCase())).code;
      return (await sms.inbox.next(address.phone!.slice(-11))).code;
    }

    async function registerByPhone(phone = uniquePhone(), name = uniqueName(), password: string | undefined = PASSWORD) {
      const code = await sendCode({ phone });
      const token = assertTokens(await http().post('/api/v2/users').send({ phone, name, password, verifiableType: 'sms', verifiableCode: code }));
      return { phone, name, token };
    }

    /** Time passes for the address's last send: it may be sent another code at once. */
    const resendAllowed = (destination: string) => app.dataSource.getRepository(VerifyCode).update({ destination }, { sentAt: new Date(Date.now() - 61_000) });
    const userRow = (where: { username?: string; phone?: string }) => app.dataSource.getRepository(User).findOneBy(where);
    const countUsers = () => app.dataSource.getRepository(User).count();
    const countSessions = () => app.dataSource.getRepository(Session).count();

    describe('registration', () => {
      it('registers by email with the code mailed through a real SMTP server, and the token works on the rest of the service', async () => {
        const email = `${uniqueName('mail')}@Example.com`;
        const name = uniqueName();
        const code = await sendCode({ email });
        assert.match(code, /^\d{6}$/);
        const token = assertTokens(await http().post('/api/v2/users').send({ email, name, password: PASSWORD, verifiableType: 'mail', verifiableCode: code }));
        const user = await userRow({ username: name });
        assert.equal(user?.email, email.toLowerCase());
        assert.equal(user?.phone, null);
        assert.equal(decodeJwt(token).sub, String(user!.id));
        assert.equal((await http().get('/test').set('Authorization', `Bearer ${token}`)).status, 204);
        const info = await http().get('/user/info').set('Authorization', `Bearer ${token}`);
        assert.equal(info.status, 200);
        assert.equal(info.body.data.user.username, name);
        const roles = await app.dataSource.query(
          'SELECT r.role_key AS roleKey FROM sys_user_role ur JOIN sys_role r ON r.role_id = ur.role_id WHERE ur.user_id = ?',
          [user!.id],
        );
        assert.deepEqual(
          roles.map((r: { roleKey: string }) => r.roleKey),
          ['common'],
          'the default role, as self-registration through POST /user',
        );
        const session = await app.dataSource.getRepository(Session).findOneBy({ id: String(decodeJwt(token).sid) });
        assert.equal(session?.type, 'mobile');
        const search = await t.admin.get(`/session?type=mobile&pageSize=100`);
        assert.equal(search.status, 200);
        assert.ok(
          search.body.data.list.some((s: { id?: string; sessionId?: string }) => (s.id ?? s.sessionId) === session!.id),
          'the session shows in the session search with type mobile',
        );
      });

      it('registers by phone with the code from the SMS webhook, without a password, +86 accepted', async () => {
        const phone = uniquePhone();
        const name = uniqueName();
        const code = await sendCode({ phone: `+86${phone}` });
        const token = assertTokens(
          await http()
            .post('/api/v2/users')
            .send({ phone: `+86${phone}`, name, verifiableType: 'sms', verifiableCode: code }),
        );
        const user = await userRow({ username: name });
        assert.equal(user?.phone, phone, 'stored as its 11 digits');
        // No password: a password login fails, a code login works.
        assert.deepEqual((await http().post('/api/v2/auth/login').send({ login: name, password: 'anything-at-all' })).body, LOGIN_FAILED);
        assert.equal((await http().get('/test').set('Authorization', `Bearer ${token}`)).status, 204);
      });

      it('refuses a wrong code, a reused code, a code of another address, and a sixth try; nothing is stored', async () => {
        const phone = uniquePhone();
        const other = uniquePhone();
        const code = await sendCode({ phone });
        const otherCode = await sendCode({ phone: other });
        const users = await countUsers();
        const sessions = await countSessions();
        const name = uniqueName();
        const wrong = code === '000000' ? '111111' : '000000';
        assertInvalid(await http().post('/api/v2/users').send({ phone, name, verifiableType: 'sms', verifiableCode: wrong }), 'verifiableCode');
        assertInvalid(await http().post('/api/v2/users').send({ phone, name, verifiableType: 'sms', verifiableCode: otherCode }), 'verifiableCode');
        // The code was sent by SMS: it is not a mail code for the same user.
        assertInvalid(
          await http()
            .post('/api/v2/users')
            .send({ email: `${phone}@example.com`, name, verifiableType: 'mail', verifiableCode: code }),
          'verifiableCode',
        );
        for (let i = 0; i < 3; i++)
          assertInvalid(await http().post('/api/v2/users').send({ phone, name, verifiableType: 'sms', verifiableCode: wrong }), 'verifiableCode');
        // Five wrong tries: the right code on the sixth fails too.
        const sixth = await http().post('/api/v2/users').send({ phone, name, verifiableType: 'sms', verifiableCode: code });
        assertInvalid(sixth, 'verifiableCode');
        assert.equal(await countUsers(), users);
        assert.equal(await countSessions(), sessions);
        const row = await app.dataSource.getRepository(VerifyCode).findOneBy({ channel: 'sms', destination: phone });
        assert.equal(row?.failedAttempts, 5);

        // The other address's code works once, then never again.
        const first = await registerWith(other, otherCode);
        assertTokens(first);
        const reused = await http().post('/api/v2/users').send({ phone: other, name: uniqueName(), verifiableType: 'sms', verifiableCode: otherCode });
        assert.equal(reused.status, 422);
        assert.equal(await countUsers(), users + 1);
      });

      async function registerWith(phone: string, code: string) {
        return http().post('/api/v2/users').send({ phone, name: uniqueName(), password: PASSWORD, verifiableType: 'sms', verifiableCode: code });
      }

      it('refuses a taken name with 422 errors.name without spending the code, and a taken phone', async () => {
        const taken = await registerByPhone();
        const phone = uniquePhone();
        const code = await sendCode({ phone });
        const users = await countUsers();
        const clash = await http().post('/api/v2/users').send({ phone, name: taken.name.toUpperCase(), verifiableType: 'sms', verifiableCode: code });
        assertInvalid(clash, 'name');
        assert.equal(await countUsers(), users);
        // The code is still good for another name.
        assertTokens(await registerWith(phone, code));
        await resendAllowed(taken.phone);
        assertInvalid(await registerWith(taken.phone, await sendCode({ phone: taken.phone })), 'phone');
      });

      it('refuses bad addresses, a missing address and a bad password with 422 naming the field', async () => {
        assertInvalid(await http().post('/api/v2/verifycodes').send({ phone: '+1 555' }), 'phone');
        assertInvalid(await http().post('/api/v2/verifycodes').send({ email: 'alice@' }), 'email');
        assertInvalid(await http().post('/api/v2/verifycodes').send({ email: 'alice' }), 'email');
        assertInvalid(await http().post('/api/v2/verifycodes').send({}), 'phone');
        assertInvalid(
          await http().post('/api/v2/users').send({ phone: '+1 555', name: uniqueName(), verifiableType: 'sms', verifiableCode: '123456' }),
          'phone',
        );
        assertInvalid(
          await http().post('/api/v2/users').send({ email: 'bob@', name: uniqueName(), verifiableType: 'mail', verifiableCode: '123456' }),
          'email',
        );
        assertInvalid(await http().post('/api/v2/users').send({ name: uniqueName(), verifiableType: 'sms', verifiableCode: '123456' }), 'phone');
        assertInvalid(await http().post('/api/v2/users').send({ phone: uniquePhone(), name: 'x', verifiableType: 'sms', verifiableCode: '123456' }), 'name');
        assertInvalid(
          await http().post('/api/v2/users').send({ phone: uniquePhone(), name: uniqueName(), password: 'short', verifiableType: 'sms', verifiableCode: '1' }),
          'password',
        );
        assertInvalid(
          await http().post('/api/v2/users').send({ phone: uniquePhone(), name: uniqueName(), verifiableType: 'fax', verifiableCode: '1' }),
          'verifiableType',
        );
      });
    });

    describe('verification codes', () => {
      it('sends one code per address per 60 s (429 with Retry-After, also under a burst), stored hashed', async () => {
        const phone = uniquePhone();
        const burst = await Promise.all(Array.from({ length: 5 }, () => http().post('/api/v2/verifycodes').send({ phone })));
        assert.deepEqual(burst.map((r) => r.status).sort(), [200, 429, 429, 429, 429]);
        const refused = burst.find((r) => r.status === 429)!;
        assert.deepEqual(refused.body, { message: '验证码发送过于频繁，请稍后再试' });
        assert.ok(Number(refused.headers['retry-after']) > 0 && Number(refused.headers['retry-after']) <= 60);
        const { code } = await sms.inbox.next(phone);
        assert.deepEqual(sms.inbox.pending(phone), [], 'one message only');
        const rows = await app.dataSource.query('SELECT code_hash AS codeHash FROM auth_verify_code WHERE destination = ?', [phone]);
        assert.equal(rows.length, 1);
        assert.match(rows[0].codeHash, /^[0-9a-f]{64}$/);
        assert.ok(!String(rows[0].codeHash).includes(code));
      });

      it('a new send after the interval replaces the code: the old one no longer works', async () => {
        const phone = uniquePhone();
        const old = await sendCode({ phone });
        await resendAllowed(phone);
        const fresh = await sendCode({ phone });
        if (old !== fresh) {
          assertInvalid(await http().post('/api/v2/users').send({ phone, name: uniqueName(), verifiableType: 'sms', verifiableCode: old }), 'verifiableCode');
        }
        assertTokens(await http().post('/api/v2/users').send({ phone, name: uniqueName(), verifiableType: 'sms', verifiableCode: fresh }));
      });

      it('answers 503 when the SMS provider fails, and lets the address ask again at once', async () => {
        const phone = uniquePhone();
        sms.failNext();
        const failed = await http().post('/api/v2/verifycodes').send({ phone });
        assert.equal(failed.status, 503);
        assert.deepEqual(failed.body, { message: '验证码暂时无法发送，请稍后重试' });
        await sendCode({ phone });
      });

      it('expires codes after VERIFY_CODE_TTL', async () => {
        const short = await t.restart({ VERIFY_CODE_TTL: '1' });
        const phone = uniquePhone();
        assert.equal((await short.http().post('/api/v2/verifycodes').send({ phone })).status, 200);
        const { code } = await sms.inbox.next(phone);
        await sleep(1200);
        const late = await short.http().post('/api/v2/users').send({ phone, name: uniqueName(), verifiableType: 'sms', verifiableCode: code });
        assertInvalid(late, 'verifiableCode');
        assert.equal(await short.dataSource.getRepository(User).countBy({ phone }), 0);
      });
    });

    describe('login', () => {
      it('logs in by name, email and phone with the password, and by phone and email with a code', async () => {
        const phoneUser = await registerByPhone();
        const byName = assertTokens(await http().post('/api/v2/auth/login').send({ login: phoneUser.name, password: PASSWORD }));
        const byPhone = assertTokens(await http().post('/api/v2/auth/login').send({ login: phoneUser.phone, password: PASSWORD }));
        assert.notEqual(decodeJwt(byName).sid, decodeJwt(byPhone).sid);
        await resendAllowed(phoneUser.phone);
        const code = await sendCode({ phone: phoneUser.phone });
        const byCode = assertTokens(await http().post('/api/v2/auth/login').send({ login: phoneUser.phone, verifiable_code: code }));
        assert.equal(decodeJwt(byCode).sub, decodeJwt(byName).sub);
        // The code is used up.
        const reused = await http().post('/api/v2/auth/login').send({ login: phoneUser.phone, verifiable_code: code });
        assert.equal(reused.status, 401);
        assert.deepEqual(reused.body, LOGIN_FAILED);

        const email = `${uniqueName('m')}@example.com`;
        const name = uniqueName();
        const mailCode = await sendCode({ email });
        assertTokens(await http().post('/api/v2/users').send({ email, name, password: PASSWORD, verifiableType: 'mail', verifiableCode: mailCode }));
        assertTokens(await http().post('/api/v2/auth/login').send({ login: email.toUpperCase(), password: PASSWORD }));
        await resendAllowed(email);
        const loginCode = await sendCode({ email });
        const token = assertTokens(await http().post('/api/v2/auth/login').send({ login: email, verifiable_code: loginCode }));
        assert.equal((await http().get('/user/info').set('Authorization', `Bearer ${token}`)).body.data.user.username, name);
      });

      it('answers one 401 for every failure, 422 without password and code, and 429 when throttled', async () => {
        const user = await registerByPhone();
        const failures = [
          { login: user.name, password: 'wrong-password-1' },
          { login: uniqueName(), password: PASSWORD },
          { login: user.name, verifiable_code: '123456' }, // a code needs a phone or an email
          { login: uniquePhone(), verifiable_code: '123456' },
        ];
        for (const body of failures) {
          const response = await http().post('/api/v2/auth/login').send(body);
          assert.equal(response.status, 401, JSON.stringify(body));
          assert.deepEqual(response.body, LOGIN_FAILED);
        }
        assertInvalid(await http().post('/api/v2/auth/login').send({ login: user.name }), 'password');
        let last: Response | undefined;
        for (let i = 0; i < 6; i++) last = await http().post('/api/v2/auth/login').send({ login: user.phone, password: 'wrong-password-2' });
        assert.equal(last!.status, 429);
        assert.deepEqual(last!.body, { message: '登录失败次数过多，请稍后再试' });
        assert.ok(Number(last!.headers['retry-after']) > 0);
      });
    });

    describe('refresh and logout', () => {
      for (const method of ['post', 'put', 'patch', 'get'] as const) {
        it(`${method.toUpperCase()} refresh answers a new token and the old one stops working at once; ${method.toUpperCase()} logout ends the session`, async () => {
          const { token } = await registerByPhone();
          const refreshed = await http()[method]('/api/v2/auth/refresh').set('Authorization', `Bearer ${token}`);
          const next = assertTokens(refreshed);
          assert.notEqual(next, token);
          assert.equal(decodeJwt(next).sid, decodeJwt(token).sid, 'the same session');
          assert.equal((await http().get('/test').set('Authorization', `Bearer ${token}`)).status, 401, 'the old token is revoked');
          assert.equal((await http().get('/test').set('Authorization', `Bearer ${next}`)).status, 204);
          const again = await http()[method]('/api/v2/auth/refresh').set('Authorization', `Bearer ${token}`);
          assert.equal(again.status, 401);
          assert.deepEqual(again.body, TOKEN_INVALID);

          const out = await http()[method]('/api/v2/auth/logout').set('Authorization', `Bearer ${next}`);
          assert.equal(out.status, 200);
          assert.deepEqual(out.body, { message: '退出成功' });
          assert.equal((await http().get('/test').set('Authorization', `Bearer ${next}`)).status, 401);
          assert.equal((await http()[method]('/api/v2/auth/refresh').set('Authorization', `Bearer ${next}`)).status, 401);
          assert.equal((await http()[method]('/api/v2/auth/logout').set('Authorization', `Bearer ${next}`)).status, 401);
          const session = await app.dataSource.getRepository(Session).findOneBy({ id: String(decodeJwt(next).sid) });
          assert.equal(session?.revokeReason, 'logout');
        });
      }

      it('lets exactly one of two concurrent refreshes with one token win', async () => {
        const { token } = await registerByPhone();
        const both = await Promise.all([0, 1].map(() => http().post('/api/v2/auth/refresh').set('Authorization', `Bearer ${token}`)));
        assert.deepEqual(both.map((r) => r.status).sort(), [200, 401]);
      });

      it('refreshes an expired token within refresh_ttl, and refuses after refresh_ttl from login', async () => {
        const short = await t.restart({ ACCESS_TOKEN_TTL: '10', API_V2_REFRESH_TTL: '14' });
        const phone = uniquePhone();
        assert.equal((await short.http().post('/api/v2/verifycodes').send({ phone })).status, 200);
        const { code } = await sms.inbox.next(phone);
        const registered = await short.http().post('/api/v2/users').send({ phone, name: uniqueName(), verifiableType: 'sms', verifiableCode: code });
        assert.equal(registered.status, 200, JSON.stringify(registered.body));
        const registeredAt = Date.now();
        assert.equal(registered.body.refresh_ttl, 0, '14 seconds are 0 whole minutes');
        await sleep(10_200);
        const token = registered.body.access_token as string;
        assert.equal((await short.http().get('/test').set('Authorization', `Bearer ${token}`)).status, 401, 'expired');
        const refreshed = await short.http().post('/api/v2/auth/refresh').set('Authorization', `Bearer ${token}`);
        assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
        await sleep(registeredAt + 14_200 - Date.now());
        const late = await short.http().post('/api/v2/auth/refresh').set('Authorization', `Bearer ${refreshed.body.access_token}`);
        assert.equal(late.status, 401);
        assert.deepEqual(late.body, TOKEN_INVALID);
      });

      it('refuses a refresh without a token, with garbage, and with a token of a v1 session', async () => {
        assert.deepEqual((await http().post('/api/v2/auth/refresh')).body, TOKEN_INVALID);
        assert.equal((await http().get('/api/v2/auth/refresh').set('Authorization', 'Bearer not.a.jwt')).status, 401);
        assert.equal((await http().get('/api/v2/auth/refresh').set('Authorization', `Bearer ${t.adminSession.accessToken}`)).status, 401);
        assert.equal((await http().get('/api/v2/auth/logout')).status, 401);
      });
    });

    describe('audit', () => {
      it('records code sends, registrations, logins, refreshes and logouts', async () => {
        const { token, name } = await registerByPhone();
        assertTokens(await http().post('/api/v2/auth/login').send({ login: name, password: PASSWORD }));
        const next = assertTokens(await http().post('/api/v2/auth/refresh').set('Authorization', `Bearer ${token}`));
        assert.equal((await http().post('/api/v2/auth/logout').set('Authorization', `Bearer ${next}`)).status, 200);
        const userId = decodeJwt(token).sub!;
        let actions: string[] = [];
        for (let tries = 0; tries < 40; tries++) {
          const rows = await app.dataSource.getRepository(AuditLog).findBy({ actor: userId });
          actions = rows.map((r) => r.action).sort();
          if (actions.length >= 4) break;
          await sleep(100);
        }
        assert.deepEqual(actions, ['login', 'logout', 'refresh', 'register']);
        const sends = await app.dataSource.getRepository(AuditLog).countBy({ action: 'verify_code_sent' });
        assert.ok(sends > 0);
      });
    });

    describe("document 002's examples, sent as written", () => {
      it('POST api/v2/users, POST api/v2/auth/login, POST|PUT|PATCH|GET refresh and logout', async () => {
        const phone = uniquePhone();
        const code = await sendCode({ phone });
        const registered = await http()
          .post('/api/v2/users')
          .set('Content-Type', 'application/json')
          .send(JSON.stringify({ phone, name: uniqueName(), password: PASSWORD, verifiableType: 'sms', verifiableCode: code }));
        const first = assertTokens(registered);
        const loggedIn = assertTokens(await http().post('/api/v2/auth/login').send({ login: phone, password: PASSWORD }));
        assert.ok(first && loggedIn);
        const refreshed = assertTokens(await http().put('/api/v2/auth/refresh').set('Authorization', `Bearer ${loggedIn}`));
        assert.deepEqual((await http().patch('/api/v2/auth/logout').set('Authorization', `Bearer ${refreshed}`)).body, { message: '退出成功' });
      });
    });
  });
}
