import { createRemoteJWKSet, errors, importJWK, JWTPayload, jwtVerify, SignJWT } from 'jose';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { as, login } from './support/auth-helpers';
import { withApp } from './support/fixtures';
import { NO_ADDRESS_LIMITS, TestApp, testDatabases } from './support/test-app';
import { createTicket, jwksUrl, kidOf, TicketAnswer, uniqueGateway } from './support/tickets';
import { uniqueName } from './support/users';

const sleepUntil = (time: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, time - Date.now())));

/**
 * The other side of the tickets: an API gateway that knows nothing but the JWKS URL of its gateway id, and
 * verifies client tokens offline with jose, as any JWT library would.
 */
function gateway(t: TestApp, gatewayId: number) {
  const audience = `gateway:${gatewayId}`;
  return {
    audience,
    /**
     * The payload of a token the gateway accepts now, or the error it refuses it with. A fresh key set each time:
     * a gateway whose cached copy has expired (Cache-Control) and fetches the keys again.
     */
    async verify(token: string, issuer?: string): Promise<JWTPayload | Error> {
      try {
        return (await jwtVerify(token, createRemoteJWKSet(jwksUrl(t, gatewayId)), { audience, issuer })).payload;
      } catch (error) {
        return error as Error;
      }
    },
  };
}

/** What a JWT-SIGNER client does with its client key: sign its own token. */
async function signAsClient(ticket: TicketAnswer, audience: string, clientKey = ticket.clientKey!): Promise<string> {
  const jwk = JSON.parse(clientKey);
  return new SignJWT({ scope: 'orders:read' })
    .setProtectedHeader({ alg: jwk.alg, kid: jwk.kid, typ: 'JWT' })
    .setIssuer(`client:${ticket.name}`)
    .setSubject('device-7')
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(await importJWK(jwk, jwk.alg));
}

const refused = (result: JWTPayload | Error, kind: new (...args: never[]) => Error) => {
  assert.ok(result instanceof kind, `refused with ${kind.name}, got ${result instanceof Error ? `${result.name}: ${result.message}` : JSON.stringify(result)}`);
};

for (const database of testDatabases()) {
  describe(`an API gateway verifying tickets with jose on ${database.name}`, () => {
    const t = withApp(database, NO_ADDRESS_LIMITS);
    const { admin } = t;

    it('verifies a JWT ticket’s client token, signed by the server, with the gateway’s JWKS', async () => {
      const gatewayId = uniqueGateway();
      const ticket = await createTicket(admin, { gatewayId, name: uniqueName('jwt'), alg: 'RS512' });
      const payload = await gateway(t, gatewayId).verify(ticket.clientToken, t.config.jwt.issuer);
      assert.ok(!(payload instanceof Error), String(payload));
      assert.equal(payload.sub, ticket.name);
      refused(await gateway(t, uniqueGateway()).verify(ticket.clientToken), errors.JWKSNoMatchingKey);
    });

    it('verifies a token a JWT-SIGNER client signed itself with its client key', async () => {
      const gatewayId = uniqueGateway();
      const ticket = await createTicket(admin, { gatewayId, name: uniqueName('signer'), ticketType: 'JWT-SIGNER', alg: 'RS512' });
      const gw = gateway(t, gatewayId);
      const payload = await gw.verify(await signAsClient(ticket, gw.audience));
      assert.ok(!(payload instanceof Error), String(payload));
      assert.deepEqual([payload.sub, payload.scope], ['device-7', 'orders:read']);
    });

    it('refuses the tokens of a deleted ticket', async () => {
      const gatewayId = uniqueGateway();
      const gw = gateway(t, gatewayId);
      const jwt = await createTicket(admin, { gatewayId, name: uniqueName('del') });
      const signer = await createTicket(admin, { gatewayId, name: uniqueName('del'), ticketType: 'JWT-SIGNER' });
      const selfSigned = await signAsClient(signer, gw.audience);
      assert.ok(!((await gw.verify(jwt.clientToken)) instanceof Error));
      assert.ok(!((await gw.verify(selfSigned)) instanceof Error));

      await admin.delete(`/v1/auth/${jwt.id}`).expect(200);
      await admin.delete(`/v1/auth/${signer.id}`).expect(200);
      refused(await gw.verify(jwt.clientToken), errors.JWKSNoMatchingKey);
      refused(await gw.verify(selfSigned), errors.JWKSNoMatchingKey);
    });

    it('refuses the tokens of a ticket past its validEndTime: its key has left the JWKS', async () => {
      const gatewayId = uniqueGateway();
      const gw = gateway(t, gatewayId);
      const validEndTime = new Date(Date.now() + 4000);
      const jwt = await createTicket(admin, { gatewayId, name: uniqueName('end'), validEndTime: validEndTime.toISOString() });
      const signer = await createTicket(admin, { gatewayId, name: uniqueName('end'), ticketType: 'JWT-SIGNER', validEndTime: validEndTime.toISOString() });
      // The client's own token claims ten minutes: only the JWKS can stop it.
      const selfSigned = await signAsClient(signer, gw.audience);
      assert.equal((await gw.verify(jwt.clientToken)) instanceof Error, false, 'valid before its end');
      assert.equal((await gw.verify(selfSigned)) instanceof Error, false);

      await sleepUntil(validEndTime.getTime() + 100);
      refused(await gw.verify(selfSigned), errors.JWKSNoMatchingKey);
      refused(await gw.verify(jwt.clientToken), errors.JWKSNoMatchingKey);
      const jwks = await t.http().get(`/v1/auth/jwks?gatewayId=${gatewayId}`);
      assert.deepEqual(jwks.body, { keys: [] });
    });

    it('after rotate, verifies the tokens of the old key and of the new one during the grace period', async () => {
      const gatewayId = uniqueGateway();
      const gw = gateway(t, gatewayId);
      const jwt = await createTicket(admin, { gatewayId, name: uniqueName('rot') });
      const signer = await createTicket(admin, { gatewayId, name: uniqueName('rot'), ticketType: 'JWT-SIGNER' });
      const oldSelfSigned = await signAsClient(signer, gw.audience);

      const rotatedJwt = (await admin.post(`/v1/auth/${jwt.id}/rotate`).expect(200)).body.data as TicketAnswer;
      const rotatedSigner = (await admin.post(`/v1/auth/${signer.id}/rotate`).expect(200)).body.data as TicketAnswer;
      const newSelfSigned = await signAsClient(signer, gw.audience, rotatedSigner.clientKey);
      assert.notEqual(kidOf(rotatedJwt), kidOf(jwt));
      for (const token of [jwt.clientToken, rotatedJwt.clientToken, oldSelfSigned, newSelfSigned]) {
        const result = await gw.verify(token);
        assert.ok(!(result instanceof Error), String(result));
      }
    });

    it('refuses the old key’s tokens once TICKET_ROTATION_GRACE has passed, and keeps the new one’s', async () => {
      // Another instance on the same database with a short grace period.
      const short = await t.restart({ TICKET_ROTATION_GRACE: '2' });
      try {
        const shortAdmin = as(short, (await login(short)).accessToken);
        const gatewayId = uniqueGateway();
        const gw = gateway(short, gatewayId);
        const ticket = await createTicket(shortAdmin, { gatewayId, name: uniqueName('grace') });
        const rotated = (await shortAdmin.post(`/v1/auth/${ticket.id}/rotate`).expect(200)).body.data as TicketAnswer;
        // After the answer: the server rotated no later than this, however long the request took on a busy machine.
        const rotatedAt = Date.now();
        const jwks = await short.http().get(`/v1/auth/jwks?gatewayId=${gatewayId}`);
        assert.equal(jwks.headers['cache-control'], 'public, max-age=2', 'no longer than the grace period');
        assert.equal(jwks.body.keys.length, 2);
        assert.ok(!((await gw.verify(ticket.clientToken)) instanceof Error), 'within the grace period');

        await sleepUntil(rotatedAt + 2500);
        refused(await gw.verify(ticket.clientToken), errors.JWKSNoMatchingKey);
        assert.ok(!((await gw.verify(rotated.clientToken)) instanceof Error));
      } finally {
        await short.app.close();
      }
    });
  });
}
