import { decodeJwt, decodeProtectedHeader } from 'jose';
import assert from 'node:assert/strict';
import { createHmac, createPublicKey, createSign, generateKeyPairSync, JsonWebKey, KeyObject } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { as, checkToken, login, refresh } from '../support/auth-helpers';
import { withApp } from '../support/fixtures';
import { codeOf, createPartner, documentClaims, signHs256, tokenLogin, userWithContacts } from '../support/sso';
import { testDatabases } from '../support/test-app';
import { createTicket, uniqueGateway } from '../support/tickets';
import { assertNoLeak, b64url, call, changesNothing, isProtected, routesOf } from './attack-support';

/**
 * Forged, altered and misplaced tokens against every protected route of the route table. The server signs
 * RS256 and, as the most permissive configuration allows, also accepts HS256 under JWT_SECRET: confusion
 * between the two is what an attacker tries first. A forgery must be refused on every route with 401, and
 * change nothing. test/bad-input.e2e-spec.ts checks more malformed shapes against GET /test alone;
 * test/token-algorithms.e2e-spec.ts the HS256 switch; test/token-login.e2e-spec.ts forged partner tokens.
 */
const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });

function signRs256(header: Record<string, unknown>, claims: Record<string, unknown>, key: KeyObject): string {
  const input = `${b64url(header)}.${b64url(claims)}`;
  return `${input}.${createSign('sha256').update(input).sign(key).toString('base64url')}`;
}

function signHmac(header: Record<string, unknown>, claims: Record<string, unknown>, secret: string | Buffer | Uint8Array): string {
  const input = `${b64url(header)}.${b64url(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

const parts = (token: string) => token.split('.') as [string, string, string];

for (const database of testDatabases()) {
  describe(`forged and misplaced tokens on every protected route, on ${database.name}`, () => {
    const t = withApp(database, { JWT_ALG: 'RS256', JWT_ACCEPT_HS256: 'true' });
    let good: string;
    let claims: Record<string, unknown>;
    let header: Record<string, unknown>;
    let publicKey: KeyObject;
    let secret: Uint8Array;

    before(async () => {
      good = t.adminSession.accessToken;
      claims = decodeJwt(good) as Record<string, unknown>;
      header = decodeProtectedHeader(good) as Record<string, unknown>;
      assert.equal(header.alg, 'RS256');
      const jwks = await t.http().get('/.well-known/jwks.json').expect(200);
      const jwk = (jwks.body.keys as Array<JsonWebKey & { kid: string }>).find((key) => key.kid === header.kid);
      assert.ok(jwk, 'the signing key is published');
      publicKey = createPublicKey({ key: jwk, format: 'jwk' });
      secret = t.config.jwt.secret;
    });

    /** Every protected route answers 401 to the token, without internals, and nothing is stored. */
    async function refusedEverywhere(token: string, label: string): Promise<void> {
      const routes = routesOf(t).filter(isProtected);
      await changesNothing(t, async () => {
        for (const route of routes) {
          const response = await call(t, route, token);
          assert.equal(response.status, 401, `${label}: ${route.method} ${route.url} → ${response.status} ${response.text}`);
          assertNoLeak(response, `${label}: ${route.method} ${route.url}`);
        }
      });
    }

    it('the control cases: the genuine RS256 token, and an HS256 token under JWT_SECRET, are accepted', async () => {
      assert.equal((await checkToken(t, good)).status, 204);
      assert.equal((await as(t, good).get('/user/list')).status, 200);
      assert.equal((await checkToken(t, signHmac({ alg: 'HS256', typ: 'JWT' }, claims, secret))).status, 204);
    });

    const forgeries: Array<[string, () => string]> = [
      ...['none', 'None', 'NONE', 'nOnE'].flatMap((alg): Array<[string, () => string]> => [
        [`alg "${alg}" without a signature`, () => `${b64url({ alg, typ: 'JWT' })}.${parts(good)[1]}.`],
        [`alg "${alg}" keeping the genuine signature`, () => `${b64url({ ...header, alg })}.${parts(good)[1]}.${parts(good)[2]}`],
      ]),
      [
        'HS256 keyed with the PEM of the public key',
        () => signHmac({ ...header, alg: 'HS256' }, claims, publicKey.export({ type: 'spki', format: 'pem' }) as string),
      ],
      [
        'HS256 keyed with the PEM of the public key, no kid',
        () => signHmac({ alg: 'HS256', typ: 'JWT' }, claims, publicKey.export({ type: 'spki', format: 'pem' }) as string),
      ],
      ['HS256 keyed with the DER of the public key', () => signHmac({ alg: 'HS256' }, claims, publicKey.export({ type: 'spki', format: 'der' }))],
      [
        'HS256 keyed with the PKCS#1 PEM of the public key',
        () => signHmac({ alg: 'HS256' }, claims, publicKey.export({ type: 'pkcs1', format: 'pem' }) as string),
      ],
      ['edited claims: a scope added', () => `${parts(good)[0]}.${b64url({ ...claims, scope: [...(claims.scope as string[]), 'root'] })}.${parts(good)[2]}`],
      ['edited claims: another subject', () => `${parts(good)[0]}.${b64url({ ...claims, sub: '2' })}.${parts(good)[2]}`],
      ['edited claims: a later expiry', () => `${parts(good)[0]}.${b64url({ ...claims, exp: (claims.exp as number) + 3600 })}.${parts(good)[2]}`],
      ['edited header: another kid', () => `${b64url({ ...header, kid: 'other' })}.${parts(good)[1]}.${parts(good)[2]}`],
      [
        'a signature with one bit flipped',
        () => `${parts(good)[0]}.${parts(good)[1]}.${parts(good)[2].slice(0, -2)}${parts(good)[2].endsWith('AA') ? 'AB' : 'AA'}`,
      ],
      ['the signature removed', () => `${parts(good)[0]}.${parts(good)[1]}.`],
      ['two tokens glued together', () => `${good}.${good}`],
      ['a payload that is an array', () => `${parts(good)[0]}.${b64url([claims])}.${parts(good)[2]}`],
      ['the attacker’s key under the genuine kid', () => signRs256(header, claims, attacker.privateKey)],
      ['the attacker’s key under an unknown kid', () => signRs256({ ...header, kid: 'attacker' }, claims, attacker.privateKey)],
      ['a kid that walks the file system', () => signHmac({ alg: 'HS256', kid: '../../../../../../dev/null' }, claims, '')],
      ['a kid carrying SQL', () => signRs256({ ...header, kid: "x' UNION SELECT 'attacker-key' -- " }, claims, attacker.privateKey)],
      ['a kid that is an object', () => signRs256({ ...header, kid: { $ne: null } }, claims, attacker.privateKey)],
      ['an embedded jwk of the attacker', () => signRs256({ ...header, jwk: attacker.publicKey.export({ format: 'jwk' }) }, claims, attacker.privateKey)],
      ['a jku to the attacker’s key set', () => signRs256({ ...header, kid: 'attacker', jku: 'http://127.0.0.1:9/jwks.json' }, claims, attacker.privateKey)],
      [
        'an x5u to the attacker’s certificate',
        () => signRs256({ ...header, kid: 'attacker', x5u: 'http://127.0.0.1:9/cert.pem' }, claims, attacker.privateKey),
      ],
      [
        'an x5c chain of the attacker',
        () => signRs256({ ...header, kid: 'attacker', x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'] }, claims, attacker.privateKey),
      ],
      ['crit naming an extension it does not understand', () => signHmac({ alg: 'HS256', crit: ['exp'], exp: 1 }, claims, secret)],
      ['b64=false (RFC 7797) over the raw payload', () => signHmac({ alg: 'HS256', b64: false, crit: ['b64'] }, claims, secret)],
      ['HS256 under JWT_SECRET with another issuer', () => signHmac({ alg: 'HS256' }, { ...claims, iss: 'https://evil.example' }, secret)],
      ['HS256 under JWT_SECRET without an issuer', () => signHmac({ alg: 'HS256' }, { ...claims, iss: undefined }, secret)],
      ['HS256 under JWT_SECRET for another audience', () => signHmac({ alg: 'HS256' }, { ...claims, aud: 'mfs' }, secret)],
      ['HS256 under JWT_SECRET without an audience', () => signHmac({ alg: 'HS256' }, { ...claims, aud: undefined }, secret)],
      ['HS256 under JWT_SECRET, expired a second ago', () => signHmac({ alg: 'HS256' }, { ...claims, exp: Math.floor(Date.now() / 1000) - 1 }, secret)],
      ['HS256 under JWT_SECRET, not valid for an hour', () => signHmac({ alg: 'HS256' }, { ...claims, nbf: Math.floor(Date.now() / 1000) + 3600 }, secret)],
      ['HS256 under JWT_SECRET, issued in an hour', () => signHmac({ alg: 'HS256' }, { ...claims, iat: Math.floor(Date.now() / 1000) + 3600 }, secret)],
      ['HS256 under JWT_SECRET, exp a string', () => signHmac({ alg: 'HS256' }, { ...claims, exp: String(claims.exp) }, secret)],
    ];

    for (const [name, forge] of forgeries) {
      it(`refuses ${name}: 401 on every protected route, nothing stored`, async () => {
        await refusedEverywhere(forge(), name);
      });
    }

    describe('tokens of other kinds, used where they do not belong', () => {
      it('a refresh token as a bearer token', async () => {
        const session = await login(t);
        await refusedEverywhere(session.refreshToken, 'refresh token');
      });

      it('an access token, or a minted token, as a refresh token: 401, the session lives on', async () => {
        const session = await login(t);
        const minted = await as(t, session.accessToken).post('/user/generateJwt', { subject: 'device-1' });
        assert.equal(minted.status, 200, JSON.stringify(minted.body));
        for (const token of [session.accessToken, minted.body.data as string]) {
          const response = await changesNothing(t, () => refresh(t, token));
          assert.equal(response.status, 401, response.text);
          assertNoLeak(response);
          for (const verb of ['post', 'get', 'put'] as const) {
            const v2 = await t.http()[verb]('/api/v2/auth/refresh').set('Authorization', `Bearer ${token}`);
            assert.equal(v2.status, 401, `${verb} /api/v2/auth/refresh: ${v2.text}`);
          }
        }
        assert.equal((await checkToken(t, session.accessToken)).status, 204);
      });

      it('a token minted for another audience', async () => {
        const minted = await as(t, good).post('/user/generateJwt', { subject: 'device-2', audience: 'mfs' });
        assert.equal(minted.status, 200, JSON.stringify(minted.body));
        await refusedEverywhere(minted.body.data as string, 'minted for mfs');
      });

      it('a gateway ticket’s client token', async () => {
        const ticket = await createTicket(as(t, good), { name: 'gw', gatewayId: uniqueGateway() });
        await refusedEverywhere(ticket.clientToken, 'ticket client token');
      });

      it('a partner’s sign-in token, and the one-time code it is traded for', async () => {
        const partner = await createPartner(as(t, good));
        const user = await userWithContacts(t, as(t, good));
        const partnerToken = signHs256(partner.secret!, documentClaims(user.email));
        await refusedEverywhere(partnerToken, 'partner token');
        const code = codeOf(await tokenLogin(t, partnerToken));
        await refusedEverywhere(code, 'sign-in code');
        const asRefresh = await refresh(t, code);
        assert.equal(asRefresh.status, 401, asRefresh.text);
      });
    });
  });
}
