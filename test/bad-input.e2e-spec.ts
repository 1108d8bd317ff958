import { generateKeyPair, SignJWT } from 'jose';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Session } from '../src/session/entities/session.entity';
import { User } from '../src/user/entities/user.entity';
import { assertEnvelope, checkToken, login } from './support/auth-helpers';
import { withApp } from './support/fixtures';
import { ADMIN_PASSWORD, testDatabases } from './support/test-app';

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

for (const database of testDatabases()) {
  describe(`bad input on ${database.name}`, () => {
    const t = withApp(database, {}, { adminLogin: 'never' });

    /** What bad input must never change: the sessions and the users. */
    async function snapshot() {
      const sessions = await t.dataSource.getRepository(Session).find({ order: { id: 'ASC' } });
      const users = await t.dataSource.getRepository(User).find({ order: { id: 'ASC' } });
      return JSON.stringify({ sessions, users });
    }

    describe('request bodies of POST /auth/login', () => {
      const cases: Array<[string, string | object, number, string]> = [
        ['malformed JSON', '{"username": "admin", "password": ', 400, '请求体不是合法的 JSON'],
        ['a number as username', { username: 123, password: ADMIN_PASSWORD }, 400, '请求参数错误'],
        ['an array body', [], 400, '请求参数错误'],
        ['an operator object', { username: { $gt: '' }, password: { $gt: '' } }, 400, '请求参数错误'],
        ['a missing password', { username: 'admin' }, 400, '请求参数错误'],
        ['an extra field', { username: 'admin', password: ADMIN_PASSWORD, isAdmin: true }, 400, '请求参数错误'],
        ['a __proto__ key', '{"username":"admin","password":"x","__proto__":{"isAdmin":true}}', 400, '请求体不是合法的 JSON'],
        ['a constructor.prototype key', '{"username":"admin","password":"x","constructor":{"prototype":{"isAdmin":true}}}', 400, '请求体不是合法的 JSON'],
        ['null', 'null', 400, '请求参数错误'],
        ['an over-long username', { username: 'a'.repeat(65), password: 'x' }, 400, '请求参数错误'],
      ];
      for (const [name, body, status, text] of cases) {
        it(`answers ${status} to ${name}, changing nothing`, async () => {
          const before = await snapshot();
          const response = await t
            .http()
            .post('/auth/login')
            .set('Content-Type', 'application/json')
            .send(typeof body === 'string' ? body : JSON.stringify(body));
          assert.equal(response.status, status, JSON.stringify(response.body));
          assertEnvelope(response.body, status);
          assert.equal(response.body.message, text);
          assert.equal(response.headers.authorization, undefined);
          assert.equal(await snapshot(), before);
        });
      }

      it('lists what is wrong per field', async () => {
        const response = await t.http().post('/auth/login').send({ username: 123, extra: 1 });
        assert.equal(response.status, 400);
        const fields = (response.body.data.errors as Array<{ field: string; messages: string[] }>).map((e) => e.field).sort();
        assert.deepEqual(fields, ['extra', 'password', 'username']);
      });

      it('answers 413 to a body over the limit', async () => {
        const response = await t
          .http()
          .post('/auth/login')
          .set('Content-Type', 'application/json')
          .send(JSON.stringify({ username: 'admin', password: 'x'.repeat(150 * 1024) }));
        assert.equal(response.status, 413);
        assertEnvelope(response.body, 413);
      });

      it('answers 415 to a content type it does not parse', async () => {
        const response = await t.http().post('/auth/login').set('Content-Type', 'application/xml').send('<login/>');
        assert.equal(response.status, 415);
        assertEnvelope(response.body, 415);
      });
    });

    describe('access tokens', () => {
      const claims = (overrides: Record<string, unknown> = {}) => {
        const now = Math.floor(Date.now() / 1000);
        return {
          jti: 'j1',
          iss: t.config.jwt.issuer,
          aud: t.config.jwt.audience,
          sub: '1',
          sid: 'no-such-session',
          scope: ['userMan'],
          username: 'admin',
          iat: now,
          exp: now + 600,
          ...overrides,
        };
      };
      const sign = (payload: Record<string, unknown>, secret: Uint8Array = t.config.jwt.secret, header: Record<string, unknown> = {}) =>
        new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...header }).sign(secret);

      it('accepts a token jose signs with our key and claims (the control case)', async () => {
        assert.equal((await checkToken(t, await sign(claims()))).status, 204);
      });

      const badTokens: Array<[string, () => Promise<string> | string]> = [
        ['expired', () => sign(claims({ exp: Math.floor(Date.now() / 1000) - 1 }))],
        ['signed with another key', () => sign(claims(), new TextEncoder().encode('another-secret-another-secret-another-secret'))],
        ['alg none', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims())}.`],
        ['alg none with a signature', () => `${b64({ alg: 'none' })}.${b64(claims())}.${'A'.repeat(43)}`],
        [
          'RS256 (a key we do not use)',
          async () => {
            const { privateKey } = await generateKeyPair('RS256');
            return new SignJWT(claims()).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
          },
        ],
        [
          'HS256 body under an RS256 header (algorithm confusion)',
          async () => {
            const good = await sign(claims());
            const [, payload, signature] = good.split('.');
            return `${b64({ alg: 'RS256', typ: 'JWT' })}.${payload}.${signature}`;
          },
        ],
        ['HS512', () => new SignJWT(claims()).setProtectedHeader({ alg: 'HS512' }).sign(t.config.jwt.secret)],
        ['for another audience', () => sign(claims({ aud: 'someone-else' }))],
        ['from another issuer', () => sign(claims({ iss: 'someone-else' }))],
        ['without a session id', () => sign(claims({ sid: undefined }))],
        ['with a scope that is not a list', () => sign(claims({ scope: 'userMan' }))],
        ['with a jku header', () => sign(claims(), t.config.jwt.secret, { jku: 'http://127.0.0.1:1/jwks.json' })],
        ['with an embedded jwk header', () => sign(claims(), t.config.jwt.secret, { jwk: { kty: 'oct', k: 'AAAA' } })],
        ['of two segments', () => `${b64({ alg: 'HS256' })}.${b64(claims())}`],
        ['of four segments', async () => `${await sign(claims())}.AAAA`],
        ['in bad base64', () => '!!!.@@@.###'],
        ['of 10 KB', () => `${b64({ alg: 'HS256' })}.${'A'.repeat(10 * 1024)}.${'A'.repeat(43)}`],
        ['empty', () => ''],
        ['whose payload is not JSON', async () => `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64('not json')}.${'A'.repeat(43)}`],
      ];
      for (const [name, make] of badTokens) {
        it(`refuses a token ${name} with 401, changing nothing`, async () => {
          const before = await snapshot();
          const token = await make();
          const response = await t.http().get('/test').set('Authorization', `Bearer ${token}`);
          assert.equal(response.status, 401);
          assert.deepEqual(response.body, { code: 401, message: 'Invalid access token.', msg: 'Invalid access token.', data: null });
          assert.equal(await snapshot(), before);
        });
      }

      it('answers 431 in the envelope to a 100 KB token (over the 16 KB header limit)', async () => {
        const response = await t
          .http()
          .get('/test')
          .set('Authorization', `Bearer ${'A'.repeat(100 * 1024)}`);
        assert.equal(response.status, 431);
        assertEnvelope(response.body, 431);
      });

      it('refuses a valid token of a session that was revoked', async () => {
        const session = await login(t);
        await t.http().post('/auth/logout').set('Authorization', `Bearer ${session.accessToken}`).expect(200);
        assert.equal((await checkToken(t, session.accessToken)).status, 401);
      });
    });

    describe('routes', () => {
      it('answers an unknown route with 404 in the envelope', async () => {
        const response = await t.http().get('/no/such/route');
        assert.equal(response.status, 404);
        assertEnvelope(response.body, 404);
      });
    });
  });
}
