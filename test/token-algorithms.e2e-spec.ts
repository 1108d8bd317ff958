import { decodeJwt, SignJWT } from 'jose';
import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { assertEnvelope, checkToken, login } from './support/auth-helpers';
import { startTestApp, TestApp, testDatabases } from './support/test-app';

/** The claims of a real session's token, signed again with the shared secret: what a holder of JWT_SECRET could forge. */
async function hs256Twin(t: TestApp, accessToken: string): Promise<string> {
  return new SignJWT(decodeJwt(accessToken)).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(t.config.jwt.secret);
}

for (const database of testDatabases()) {
  for (const alg of ['RS256', 'ES256'] as const) {
    describe(`an ${alg} server refuses HS256 tokens unless JWT_ACCEPT_HS256=true, on ${database.name}`, () => {
      let t: TestApp;
      before(async () => {
        t = await startTestApp(database, { JWT_ALG: alg });
      });
      after(async () => {
        await t?.close();
      });

      it('answers an HS256 token of a live session with the 401 envelope by default', async () => {
        const session = await login(t);
        assert.equal((await checkToken(t, session.accessToken)).status, 204, `the ${alg} token itself is valid`);
        const response = await checkToken(t, await hs256Twin(t, session.accessToken));
        assert.equal(response.status, 401);
        assertEnvelope(response.body, 401);
        assert.equal(response.body.data, null);
      });

      it('accepts the same HS256 token on an instance started with JWT_ACCEPT_HS256=true, and the default instance still refuses it', async () => {
        const session = await login(t);
        const twin = await hs256Twin(t, session.accessToken);
        const migrating = await t.restart({ JWT_ACCEPT_HS256: 'true' });
        try {
          assert.equal((await checkToken(migrating, twin)).status, 204);
          // Accepting HS256 never makes a published public key a shared secret.
          const jwk = (await migrating.http().get('/.well-known/jwks.json')).body.keys[0];
          const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ format: 'pem', type: 'spki' });
          const confused = await new SignJWT(decodeJwt(session.accessToken)).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(String(pem)));
          assert.equal((await checkToken(migrating, confused)).status, 401);
        } finally {
          await migrating.app.close();
        }
        assert.equal((await checkToken(t, twin)).status, 401);
      });
    });
  }

  describe(`an HS256 server accepts HS256 tokens whatever JWT_ACCEPT_HS256 says, on ${database.name}`, () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp(database, { JWT_ACCEPT_HS256: 'false' });
    });
    after(async () => {
      await t?.close();
    });

    it('keeps accepting its own HS256 tokens with JWT_ACCEPT_HS256=false', async () => {
      const session = await login(t);
      assert.equal((await checkToken(t, session.accessToken)).status, 204);
    });
  });
}
