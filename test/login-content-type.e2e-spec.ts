import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertEnvelope, checkToken, login, refresh, USER_AGENT } from './support/auth-helpers';
import { withApp } from './support/fixtures';
import { ADMIN_PASSWORD, testDatabases } from './support/test-app';

/**
 * A web page can make a victim's browser post a form (urlencoded, multipart or text/plain) without a CORS
 * preflight, but never an application/json body: accepting only JSON on the session routes closes login CSRF.
 */
for (const database of testDatabases()) {
  describe(`the session routes take only JSON bodies on ${database.name}`, () => {
    const t = withApp(database, {}, { adminLogin: 'never' });

    const credentials = { username: 'admin', password: ADMIN_PASSWORD };
    const foreignBodies: Array<[string, string, string]> = [
      ['a form-encoded login', 'application/x-www-form-urlencoded', new URLSearchParams(credentials).toString()],
      ['a text/plain login holding JSON', 'text/plain', JSON.stringify(credentials)],
      [
        'a multipart login',
        'multipart/form-data; boundary=XyZ',
        `--XyZ\r\nContent-Disposition: form-data; name="username"\r\n\r\nadmin\r\n--XyZ\r\nContent-Disposition: form-data; name="password"\r\n\r\n${ADMIN_PASSWORD}\r\n--XyZ--\r\n`,
      ],
    ];

    for (const [name, contentType, body] of foreignBodies) {
      it(`refuses ${name} with 415 in the envelope, issuing no token`, async () => {
        const response = await t.http().post('/auth/login').set('User-Agent', USER_AGENT).set('Content-Type', contentType).send(body);
        assert.equal(response.status, 415, JSON.stringify(response.body));
        assertEnvelope(response.body, 415);
        assert.equal(response.headers.authorization, undefined);
        assert.equal(response.headers['x-refresh-token'], undefined);
        assert.equal(response.headers['set-cookie'], undefined);
      });
    }

    it('logs in with application/json (with a charset too) and sets the refresh cookie SameSite=Strict, HttpOnly, Path=/auth', async () => {
      const plain = await t.http().post('/auth/login').set('Content-Type', 'application/json').send(JSON.stringify(credentials));
      assert.equal(plain.status, 200, JSON.stringify(plain.body));
      const withCharset = await t.http().post('/auth/login').set('Content-Type', 'application/json; charset=utf-8').send(JSON.stringify(credentials));
      assert.equal(withCharset.status, 200, JSON.stringify(withCharset.body));
      const cookie = ([] as string[]).concat(withCharset.headers['set-cookie'] ?? []).find((line) => line.startsWith('token='));
      assert.ok(cookie, 'the refresh cookie is set');
      assert.match(cookie, /;\s*SameSite=Strict/i);
      assert.match(cookie, /;\s*HttpOnly/i);
      assert.match(cookie, /;\s*Path=\/auth/i);
    });

    it('refuses a refresh carrying a form body with 415 and leaves the session as it was; without a body it refreshes', async () => {
      const session = await login(t);
      for (const [contentType, body] of [
        ['application/x-www-form-urlencoded', 'a=1'],
        ['text/plain', 'x'],
        ['multipart/form-data; boundary=XyZ', '--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--XyZ--\r\n'],
      ]) {
        const refused = await refresh(t, session.refreshToken).set('Content-Type', contentType).send(body);
        assert.equal(refused.status, 415, `${contentType}: ${JSON.stringify(refused.body)}`);
        assertEnvelope(refused.body, 415);
        assert.equal(refused.headers.authorization, undefined);
      }
      const refreshed = await refresh(t, session.refreshToken);
      assert.equal(refreshed.status, 204, JSON.stringify(refreshed.body));
      assert.match(String(refreshed.headers.authorization), /^Bearer /);
      const cookie = ([] as string[]).concat(refreshed.headers['set-cookie'] ?? []).find((line) => line.startsWith('token='));
      assert.match(String(cookie), /;\s*SameSite=Strict/i);
    });

    it('refuses a logout carrying a form body with 415 and keeps the session; without a body it logs out', async () => {
      const session = await login(t);
      const refused = await t
        .http()
        .post('/auth/logout')
        .set('Authorization', `Bearer ${session.accessToken}`)
        .set('X-Refresh-Token', session.refreshToken)
        .set('Content-Type', 'application/x-www-form-urlencoded')
        .send('a=1');
      assert.equal(refused.status, 415, JSON.stringify(refused.body));
      assertEnvelope(refused.body, 415);
      assert.equal((await checkToken(t, session.accessToken)).status, 204, 'the session was not ended');

      const plain = await t.http().post('/auth/logout').set('Content-Type', 'text/plain').set('Authorization', `Bearer ${session.accessToken}`).send('bye');
      assert.equal(plain.status, 415, JSON.stringify(plain.body));

      const loggedOut = await t.http().post('/auth/logout').set('Authorization', `Bearer ${session.accessToken}`).set('X-Refresh-Token', session.refreshToken);
      assert.equal(loggedOut.status, 200, JSON.stringify(loggedOut.body));
      assert.equal((await checkToken(t, session.accessToken)).status, 401);
    });

    it('still logs out with an empty JSON body', async () => {
      const session = await login(t);
      const loggedOut = await t
        .http()
        .post('/auth/logout')
        .set('Authorization', `Bearer ${session.accessToken}`)
        .set('Content-Type', 'application/json')
        .send('{}');
      assert.equal(loggedOut.status, 200, JSON.stringify(loggedOut.body));
    });
  });
}
