import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { as, checkToken, login } from './support/auth-helpers';
import { withApp } from './support/fixtures';
import { TestApp, testDatabases } from './support/test-app';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const baseUrl = (t: TestApp) => `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;

for (const database of testDatabases()) {
  for (const alg of ['RS256', 'ES256'] as const) {
    describe(`${alg} keys and JWKS on ${database.name}`, () => {
      const t = withApp(database, { JWT_ALG: alg, KEY_ACTIVATION_DELAY: '1' }, { adminLogin: 'never' });
      let trap: Server;
      let trapHits = 0;
      before(async () => {
        trap = createServer((_, response) => {
          trapHits++;
          response.end('{}');
        });
        await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
      });
      after(async () => {
        trap?.close();
      });

      it('publishes the public key and signs tokens a third party verifies with jose', async () => {
        const response = await t.http().get('/.well-known/jwks.json');
        assert.equal(response.status, 200);
        assert.equal(response.headers['cache-control'], 'public, max-age=60');
        assert.equal(response.body.keys.length, 1);
        const [jwk] = response.body.keys;
        assert.equal(jwk.alg, alg);
        assert.equal(jwk.use, 'sig');
        assert.equal(jwk.d, undefined, 'no private part');

        const session = await login(t);
        const header = decodeProtectedHeader(session.accessToken);
        assert.equal(header.alg, alg);
        assert.equal(header.kid, jwk.kid);
        const jwks = createRemoteJWKSet(new URL(`${baseUrl(t)}/.well-known/jwks.json`), { cooldownDuration: 0 });
        const { payload } = await jwtVerify(session.accessToken, jwks, { issuer: t.config.jwt.issuer, audience: t.config.jwt.audience });
        assert.equal(payload.username, 'admin');
        assert.equal((await checkToken(t, session.accessToken)).status, 204);

        const minted = await as(t, session.accessToken).post('/user/generateJwt', { subject: 'gateway', audience: 'mfs', authorities: ['kickout'] });
        assert.equal(minted.status, 200);
        const verified = await jwtVerify(minted.body.data, jwks, { issuer: t.config.jwt.issuer, audience: 'mfs' });
        assert.equal(verified.payload.sub, 'gateway');
      });

      it('rotates: the new kid is published before it signs; old tokens keep working', async () => {
        const before = await login(t);
        const api = as(t, before.accessToken);
        const oldKid = decodeProtectedHeader(before.accessToken).kid;
        const rotated = await api.post('/keys/rotate');
        assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
        const newKid = rotated.body.data.kid;
        const audit = await api.get('/audit?action=key_rotate');
        assert.ok(audit.body.data.list.length >= 1, 'the rotation is in the audit log');
        assert.notEqual(newKid, oldKid);
        const published = (await t.http().get('/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid);
        assert.ok(published.includes(newKid) && published.includes(oldKid), 'both keys are published');
        assert.equal(decodeProtectedHeader((await login(t)).accessToken).kid, oldKid, 'not signing yet');

        await new Promise((resolve) => setTimeout(resolve, 1100));
        const after = await login(t);
        assert.equal(decodeProtectedHeader(after.accessToken).kid, newKid);
        const jwks = createRemoteJWKSet(new URL(`${baseUrl(t)}/.well-known/jwks.json`), { cooldownDuration: 0 });
        for (const token of [before.accessToken, after.accessToken]) {
          await jwtVerify(token, jwks, { issuer: t.config.jwt.issuer, audience: t.config.jwt.audience });
          assert.equal((await checkToken(t, token)).status, 204);
        }
        const other = await t.restart();
        assert.equal((await checkToken(other, before.accessToken)).status, 204, 'another instance verifies both');
        assert.equal((await checkToken(other, after.accessToken)).status, 204);
        await other.app.close();
      });

      it('refuses unknown or hostile kids and key-carrying headers, fetching nothing', async () => {
        const session = await login(t);
        const [, payload, signature] = session.accessToken.split('.');
        const claims = decodeJwt(session.accessToken);
        const headers = [
          { alg, kid: "' OR 1=1 --" },
          { alg, kid: '00000000-0000-4000-8000-000000000000' },
          { alg, kid: 'x'.repeat(65) },
          { alg, kid: decodeProtectedHeader(session.accessToken).kid, jku: `http://127.0.0.1:${(trap.address() as AddressInfo).port}/jwks` },
          { alg, kid: decodeProtectedHeader(session.accessToken).kid, x5u: `http://127.0.0.1:${(trap.address() as AddressInfo).port}/cert` },
          { alg, kid: decodeProtectedHeader(session.accessToken).kid, jwk: (await t.http().get('/.well-known/jwks.json')).body.keys[0] },
          { alg: alg === 'RS256' ? 'ES256' : 'RS256', kid: decodeProtectedHeader(session.accessToken).kid },
        ];
        for (const header of headers) {
          const response = await checkToken(t, `${b64(header)}.${payload}.${signature}`);
          assert.equal(response.status, 401, JSON.stringify(header).slice(0, 80));
        }
        // HS256 signed with the published public key as the secret: the classic confusion.
        const jwk = (await t.http().get('/.well-known/jwks.json')).body.keys[0];
        const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ format: 'pem', type: 'spki' });
        const confused = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(String(pem)));
        assert.equal((await checkToken(t, confused)).status, 401);
        assert.equal(trapHits, 0, 'no URL named by a token was fetched');
      });
    });
  }

  describe(`keys with HS256 on ${database.name}`, () => {
    const t = withApp(database);

    it('publishes no keys and has none to rotate', async () => {
      assert.deepEqual((await t.http().get('/.well-known/jwks.json')).body, { keys: [] });
      const response = await t.admin.post('/keys/rotate');
      assert.equal(response.status, 409);
    });
  });
}
