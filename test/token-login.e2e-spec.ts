import { decodeJwt } from 'jose';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Session } from '../src/session/entities/session.entity';
import { SsoLoginCode } from '../src/token-login/entities/sso-login-code.entity';
import { SsoPartner } from '../src/token-login/entities/sso-partner.entity';
import { SsoTokenUse } from '../src/token-login/entities/sso-token-use.entity';
import { TokenLoginService } from '../src/token-login/token-login.service';
import { User } from '../src/user/entities/user.entity';
import { as, assertEnvelope, refresh, USER_AGENT } from './support/auth-helpers';
import { withApp } from './support/fixtures';
import { freePort } from './support/free-port';
import {
  assertRefusalPage,
  auditOf,
  codeOf,
  createPartner,
  documentClaims,
  exchange,
  signHs256,
  signWithKey,
  storedRows,
  tokenLogin,
  userWithContacts,
} from './support/sso';
import { testDatabases } from './support/test-app';
import { createUser, uniqueName } from './support/users';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsaPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string;
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });

for (const database of testDatabases()) {
  describe(`partner single sign-on on ${database.name}`, () => {
    const t = withApp(database);
    const { admin } = t;

    describe('partners (scope sso)', () => {
      it('shows a generated HS256 secret once, stores it encrypted, and never answers it again', async () => {
        const created = await admin.post('/sso/partners', { name: 'OA', algorithm: 'HS256', landingUrl: 'https://oa.example.com/landing' });
        assert.equal(created.status, 200, JSON.stringify(created.body));
        assertEnvelope(created.body, 200);
        const partner = created.body.data;
        assert.match(partner.secret, /^[A-Za-z0-9_-]{64}$/);
        assert.deepEqual(
          {
            algorithm: partner.algorithm,
            maxTokenAge: partner.maxTokenAge,
            enabled: partner.enabled,
            isDefault: partner.isDefault,
            publicKey: partner.publicKey,
            issuer: partner.issuer,
          },
          { algorithm: 'HS256', maxTokenAge: 300, enabled: true, isDefault: false, publicKey: null, issuer: null },
        );
        assert.equal((await admin.get(`/sso/partners/${partner.id}`)).body.data.secret, null);
        const listed = (await admin.get('/sso/partners')).body.data.list.find((p: { id: number }) => p.id === partner.id);
        assert.equal(listed.secret, null);
        const stored = await t.dataSource
          .getRepository(SsoPartner)
          .createQueryBuilder('p')
          .addSelect('p.encryptedSecret')
          .where('p.id = :id', { id: partner.id })
          .getOneOrFail();
        assert.ok(stored.encryptedSecret && !stored.encryptedSecret.includes(partner.secret), 'encrypted at rest');
      });

      it('takes a given secret of at least 32 bytes without echoing it, and RS256/ES256 public keys as PEM or JWK', async () => {
        const given = await admin.post('/sso/partners', { name: 'Given', algorithm: 'HS256', secret: 'x'.repeat(32), landingUrl: 'https://a.example.com/' });
        assert.equal(given.status, 200, JSON.stringify(given.body));
        assert.equal(given.body.data.secret, null);
        const rs = await admin.post('/sso/partners', {
          name: 'RS',
          algorithm: 'RS256',
          publicKey: rsaPem,
          issuer: uniqueName('rs'),
          landingUrl: 'https://b.example.com/',
        });
        assert.equal(rs.status, 200, JSON.stringify(rs.body));
        assert.equal(rs.body.data.publicKey, rsaPem);
        const es = await admin.post('/sso/partners', {
          name: 'ES',
          algorithm: 'ES256',
          publicKey: ec.publicKey.export({ format: 'jwk' }),
          issuer: uniqueName('es'),
          landingUrl: 'http://localhost:3000/landing',
        });
        assert.equal(es.status, 200, JSON.stringify(es.body));
        assert.match(es.body.data.publicKey, /^-----BEGIN PUBLIC KEY-----/);
      });

      it('refuses bad partners with 400 and a taken issuer with 409, storing nothing', async () => {
        const before = await t.dataSource.getRepository(SsoPartner).count();
        const base = { name: 'Bad', algorithm: 'HS256', landingUrl: 'https://c.example.com/' };
        const cases: Array<[Record<string, unknown>, string]> = [
          [{ secret: 'x'.repeat(31) }, 'error.ssoSecretTooShort'],
          [{ publicKey: rsaPem }, 'error.ssoKeyForAlgorithm'],
          [{ algorithm: 'RS256' }, 'error.ssoKeyForAlgorithm'],
          [{ algorithm: 'RS256', publicKey: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) }, 'error.ssoPublicKeyInvalid'],
          [{ algorithm: 'ES256', publicKey: rsaPem }, 'error.ssoPublicKeyInvalid'],
          [{ algorithm: 'none' }, 'error.validation'],
          [{ landingUrl: 'http://c.example.com/' }, 'error.ssoLandingUrl'],
          [{ landingUrl: 'javascript:alert(1)' }, 'error.ssoLandingUrl'],
          [{ maxTokenAge: 0 }, 'error.validation'],
          [{ maxTokenAge: 3601 }, 'error.validation'],
          [{ enabled: 'yes' }, 'error.validation'],
          [{ name: '' }, 'error.validation'],
          [{ unknown: 1 }, 'error.validation'],
        ];
        for (const [fields, key] of cases) {
          const response = await admin.post('/sso/partners', { ...base, ...fields });
          assert.equal(response.status, 400, `${JSON.stringify(fields)}: ${JSON.stringify(response.body)}`);
          assertEnvelope(response.body, 400);
          if (key !== 'error.validation') assert.notEqual(response.body.message, '请求参数错误', key);
        }
        const issuer = uniqueName('iss');
        await createPartner(admin, { issuer, isDefault: false });
        const taken = await admin.post('/sso/partners', { ...base, issuer });
        assert.equal(taken.status, 409);
        assert.equal(await t.dataSource.getRepository(SsoPartner).count(), before + 1);
      });

      it('keeps one default partner: marking another unmarks the first', async () => {
        const first = await createPartner(admin, { isDefault: true });
        const second = await createPartner(admin, { isDefault: true });
        assert.equal((await admin.get(`/sso/partners/${first.id}`)).body.data.isDefault, false);
        assert.equal((await admin.get(`/sso/partners/${second.id}`)).body.data.isDefault, true);
        const defaults = (await admin.get('/sso/partners')).body.data.list.filter((p: { isDefault: boolean }) => p.isDefault);
        assert.equal(defaults.length, 1);
        const back = await admin.put(`/sso/partners/${first.id}`, { isDefault: true });
        assert.equal(back.body.data.isDefault, true);
        assert.equal((await admin.get(`/sso/partners/${second.id}`)).body.data.isDefault, false);
      });

      it('changes, re-keys and removes a partner', async () => {
        const partner = await createPartner(admin, { isDefault: false });
        const changed = await admin.put(`/sso/partners/${partner.id}`, { landingUrl: 'https://new.example.com/in', maxTokenAge: 60, enabled: false, name: '' });
        assert.equal(changed.status, 200, JSON.stringify(changed.body));
        assert.deepEqual([changed.body.data.landingUrl, changed.body.data.maxTokenAge, changed.body.data.enabled], ['https://new.example.com/in', 60, false]);
        assert.equal(changed.body.data.secret, null);
        const regenerated = await admin.put(`/sso/partners/${partner.id}`, { regenerateSecret: true });
        assert.match(regenerated.body.data.secret, /^[A-Za-z0-9_-]{64}$/);
        assert.notEqual(regenerated.body.data.secret, partner.secret);
        const toRsa = await admin.put(`/sso/partners/${partner.id}`, { algorithm: 'RS256' });
        assert.equal(toRsa.status, 400, 'a new algorithm needs its key');
        const rekeyed = await admin.put(`/sso/partners/${partner.id}`, { algorithm: 'RS256', publicKey: rsaPem });
        assert.equal(rekeyed.status, 200, JSON.stringify(rekeyed.body));
        assert.equal(rekeyed.body.data.publicKey, rsaPem);
        assert.equal((await admin.put(`/sso/partners/${partner.id}`, { secret: 'y'.repeat(40) })).status, 400, 'an RS256 partner takes no secret');
        assert.equal((await admin.delete(`/sso/partners/${partner.id}`)).status, 200);
        assert.equal((await admin.get(`/sso/partners/${partner.id}`)).status, 404);
        assert.equal((await admin.delete(`/sso/partners/${partner.id}`)).status, 404);
        assert.equal((await admin.put(`/sso/partners/${partner.id}`, { name: 'x' })).status, 404);
        assert.equal((await admin.get('/sso/partners/abc')).status, 400);
      });

      it('needs the sso scope', async () => {
        const partner = await createPartner(admin, { isDefault: false });
        const user = as(t, (await t.registeredSession()).accessToken);
        assert.equal((await user.get('/sso/partners')).status, 403);
        assert.equal((await user.get(`/sso/partners/${partner.id}`)).status, 403);
        assert.equal((await user.post('/sso/partners', { name: 'x', algorithm: 'HS256', landingUrl: 'https://x.example.com/' })).status, 403);
        assert.equal((await user.put(`/sso/partners/${partner.id}`, { name: 'x' })).status, 403);
        assert.equal((await user.delete(`/sso/partners/${partner.id}`)).status, 403);
        assert.equal((await t.http().get('/sso/partners')).status, 401);
        const holder = await t.userWith(['sso']);
        assert.equal((await holder.api.get('/sso/partners')).status, 200);
      });
    });

    describe('signing in with a partner token', () => {
      it('logs in the document’s way: HS256 over {payload: {email}, time}, to the landing page with a one-time code', async () => {
        const partner = await createPartner(admin);
        const user = await userWithContacts(t, admin);
        const response = await tokenLogin(t, signHs256(partner.secret!, documentClaims(user.email)), {
          defaultClrTheme: 'dark',
          defaultLang: 'en',
          disableUserMark: '1',
        });
        assert.equal(response.status, 302, response.text);
        assert.equal(response.headers['referrer-policy'], 'no-referrer');
        assert.equal(response.headers['cache-control'], 'no-store');
        assert.equal(response.headers.authorization, undefined, 'no token in the redirect’s headers');
        const location = new URL(String(response.headers.location));
        assert.equal(`${location.origin}${location.pathname}`, partner.landingUrl);
        assert.deepEqual(Object.fromEntries(location.searchParams), {
          code: location.searchParams.get('code'),
          theme: 'dark',
          lang: 'en',
          disableUserMark: '1',
        });
        assert.match(location.searchParams.get('code')!, /^[A-Za-z0-9_-]{43}$/);
        const cookie = ([] as string[]).concat(response.headers['set-cookie'] ?? []).join('\n');
        const refreshToken = /token=([A-Za-z0-9_-]{43});/.exec(cookie)?.[1];
        assert.ok(refreshToken, cookie);
        assert.match(cookie, /HttpOnly/);
        assert.match(cookie, /SameSite=Strict/);
        assert.match(cookie, /Path=\/auth/);

        const sessions = await t.dataSource.getRepository(Session).findBy({ userId: user.id });
        assert.equal(sessions.length, 1);
        assert.deepEqual([sessions[0].type, sessions[0].userAgent, sessions[0].ip], ['sso', USER_AGENT, '127.0.0.1']);
        const stored = await t.dataSource.getRepository(SsoLoginCode).findOneByOrFail({ userId: user.id });
        assert.ok(!stored.sealed.includes(refreshToken), 'the code table holds no token in the clear');

        const [entry] = (await auditOf(admin, 'sso_login')).filter((e) => e.target === `partner:${partner.id}`);
        assert.deepEqual([entry.actor, entry.outcome, entry.userAgent], [String(user.id), 'success', USER_AGENT]);
        assert.ok(!JSON.stringify(await auditOf(admin, 'sso_login')).includes(location.searchParams.get('code')!), 'the audit log holds no code');
      });

      it('trades the code once for the answer of POST /auth/login, usable at once', async () => {
        const partner = await createPartner(admin);
        const user = await userWithContacts(t, admin);
        const signedIn = await tokenLogin(t, signHs256(partner.secret!, documentClaims(user.email)));
        const code = codeOf(signedIn);
        const cookieToken = /token=([^;]+);/.exec(([] as string[]).concat(signedIn.headers['set-cookie'] ?? []).join('\n'))?.[1];

        assert.equal((await exchange(t, code, 'another-browser/1.0')).status, 401, 'another browser cannot trade it');
        const traded = await exchange(t, code);
        assert.equal(traded.status, 200, JSON.stringify(traded.body));
        assertEnvelope(traded.body, 200);
        assert.equal(traded.body.message, '登录成功');
        assert.deepEqual(Object.keys(traded.body.data).sort(), ['token', 'userId']);
        assert.equal(traded.body.data.userId, user.id);
        assert.equal(traded.headers.authorization, `Bearer ${traded.body.data.token}`);
        assert.equal(traded.headers['x-refresh-token'], cookieToken, 'the refresh token of the cookie set at sign-in');
        assert.match(([] as string[]).concat(traded.headers['set-cookie'] ?? []).join('\n'), /token=.+HttpOnly/);
        const claims = decodeJwt(traded.body.data.token);
        assert.equal(claims.sub, String(user.id));

        const info = await as(t, traded.body.data.token).get('/user/info');
        assert.equal(info.status, 200);
        assert.equal(info.body.data.user.username, user.username);
        assert.equal((await refresh(t, cookieToken!)).status, 204, 'the sso session refreshes as a password login does');

        const again = await exchange(t, code);
        assert.equal(again.status, 401);
        assertEnvelope(again.body, 401);
        assert.equal((await exchange(t, 'not-a-code')).status, 401);
        assert.equal((await t.http().post('/auth/exchange').send({})).status, 400);
        assert.equal((await t.http().post('/auth/exchange').type('form').send({ code })).status, 415);
        assert.equal((await auditOf(admin, 'sso_exchange')).filter((e) => e.actor === String(user.id)).length, 1);
      });

      it('lets exactly one of two racing exchanges of a code, and one of two racing sign-ins with a token, through', async () => {
        const partner = await createPartner(admin);
        const user = await userWithContacts(t, admin);
        const code = codeOf(await tokenLogin(t, signHs256(partner.secret!, documentClaims(user.email))));
        const trades = await Promise.all([exchange(t, code), exchange(t, code), exchange(t, code)]);
        assert.deepEqual(trades.map((r) => r.status).sort(), [200, 401, 401]);

        const token = signHs256(partner.secret!, documentClaims(user.email, Date.now() + 1));
        const before = await t.dataSource.getRepository(Session).countBy({ userId: user.id });
        const signIns = await Promise.all([tokenLogin(t, token), tokenLogin(t, token), tokenLogin(t, token)]);
        assert.deepEqual(signIns.map((r) => r.status).sort(), [302, 401, 401]);
        assert.equal(await t.dataSource.getRepository(Session).countBy({ userId: user.id }), before + 1, 'one session');
      });

      it('refuses a code after its minute, and prunes stale codes and used tokens', async () => {
        const partner = await createPartner(admin);
        const user = await userWithContacts(t, admin);
        const code = codeOf(await tokenLogin(t, signHs256(partner.secret!, documentClaims(user.email))));
        await t.dataSource.getRepository(SsoLoginCode).update({ userId: user.id }, { expiresAt: new Date(Date.now() - 1000) });
        assert.equal((await exchange(t, code)).status, 401);

        await t.app.get(TokenLoginService).prune(new Date(Date.now() + 2 * 3600_000));
        assert.equal(await t.dataSource.getRepository(SsoLoginCode).count(), 0);
        assert.equal(await t.dataSource.getRepository(SsoTokenUse).count(), 0);
      });

      it('finds the user by mobile number or employee number too, and takes time in seconds, iat, sub or a top-level email', async () => {
        const partner = await createPartner(admin);
        const user = await userWithContacts(t, admin);
        const seconds = Math.floor(Date.now() / 1000);
        const tokens = [
          signHs256(partner.secret!, documentClaims(user.phone)),
          signHs256(partner.secret!, documentClaims(user.employeeNo)),
          signHs256(partner.secret!, { payload: { email: user.email }, time: seconds }),
          signHs256(partner.secret!, { sub: user.email, iat: seconds, exp: seconds + 120 }),
          signHs256(partner.secret!, { email: user.email, iat: seconds, jti: uniqueName('jti') }),
        ];
        for (const token of tokens) {
          const response = await tokenLogin(t, token);
          assert.equal(response.status, 302, `${JSON.stringify(decodeJwt(token))}: ${response.text}`);
          const traded = await exchange(t, codeOf(response));
          assert.equal(traded.body.data.userId, user.id);
        }
      });

      it('chooses the partner by iss and checks RS256 and ES256 signatures with its key', async () => {
        const user = await userWithContacts(t, admin);
        const rs = await createPartner(admin, { algorithm: 'RS256', publicKey: rsaPem, issuer: uniqueName('rs'), isDefault: false });
        const es = await createPartner(admin, {
          algorithm: 'ES256',
          publicKey: ec.publicKey.export({ format: 'jwk' }),
          issuer: uniqueName('es'),
          isDefault: false,
        });
        const viaRs = await tokenLogin(t, signWithKey('RS256', rsa.privateKey, { ...documentClaims(user.email), iss: rs.issuer }));
        assert.equal(viaRs.status, 302, viaRs.text);
        assert.ok(String(viaRs.headers.location).startsWith(rs.landingUrl));
        const viaEs = await tokenLogin(t, signWithKey('ES256', ec.privateKey, { ...documentClaims(user.email), iss: es.issuer }));
        assert.equal(viaEs.status, 302, viaEs.text);
        assert.ok(String(viaEs.headers.location).startsWith(es.landingUrl));
      });

      it('redirects only to the partner’s landing URL, with normalised presentation whatever the query says', async () => {
        const partner = await createPartner(admin);
        const user = await userWithContacts(t, admin);
        const response = await tokenLogin(t, signHs256(partner.secret!, documentClaims(user.email)), {
          defaultClrTheme: 'https://evil.example/',
          defaultLang: '<script>alert(1)</script>',
          disableUserMark: '//evil.example',
          landingUrl: 'https://evil.example/',
          redirect: 'https://evil.example/',
          redirect_uri: 'https://evil.example/',
          next: '//evil.example',
          code: 'attacker-code',
        });
        const location = new URL(String(response.headers.location));
        assert.equal(`${location.origin}${location.pathname}`, partner.landingUrl);
        assert.deepEqual(
          [location.searchParams.get('theme'), location.searchParams.get('lang'), location.searchParams.get('disableUserMark')],
          ['light', 'zh', '0'],
        );
        assert.notEqual(location.searchParams.get('code'), 'attacker-code');
        assert.doesNotMatch(String(response.headers.location), /evil|script/);
        const english = await tokenLogin(t, signHs256(partner.secret!, documentClaims(user.email)), { defaultLang: 'fr' }).set('Accept-Language', 'en-US');
        assert.equal(new URL(String(english.headers.location)).searchParams.get('lang'), 'en');
      });
    });

    describe('refusals: an HTML page, nothing stored but the audit record', () => {
      async function refused(
        send: () => ReturnType<typeof tokenLogin>,
        status: 400 | 401,
        reason: string | undefined,
        lang: 'zh' | 'en' = 'zh',
      ): Promise<void> {
        const rows = await storedRows(t);
        const auditedBefore = (await auditOf(admin, 'sso_refused')).map((e) => e.id);
        const response = await send();
        assertRefusalPage(response, status, lang);
        assert.deepEqual(await storedRows(t), rows, 'no session, refresh token, used token or code stored');
        const added = (await auditOf(admin, 'sso_refused')).filter((e) => !auditedBefore.includes(e.id));
        if (reason === undefined) return assert.equal(added.length, 0);
        assert.equal(added.length, 1, JSON.stringify(added));
        assert.equal(added[0].details.reason, reason);
        assert.equal(added[0].outcome, 'failure');
        assert.ok(!JSON.stringify(added[0]).includes('eyJ'), 'no token in the audit log');
      }

      it('refuses a tampered signature, a wrong key, alg none and a key-bearing header', async () => {
        const partner = await createPartner(admin);
        const user = await userWithContacts(t, admin);
        const token = signHs256(partner.secret!, documentClaims(user.email));
        const [header, , signature] = token.split('.');
        const tampered = `${header}.${Buffer.from(JSON.stringify(documentClaims('admin@example.com'))).toString('base64url')}.${signature}`;
        await refused(() => tokenLogin(t, tampered), 401, 'bad_signature');
        await refused(() => tokenLogin(t, signHs256('another-secret-that-is-long-enough-!!', documentClaims(user.email))), 401, 'bad_signature');
        await refused(() => tokenLogin(t, `${Buffer.from('{"alg":"none"}').toString('base64url')}.${token.split('.')[1]}.AAAA`), 401, 'wrong_algorithm');
        await refused(
          () => tokenLogin(t, signHs256(partner.secret!, documentClaims(user.email), { alg: 'HS256', jku: 'https://evil.example/jwks' })),
          401,
          'forbidden_header',
        );
      });

      it('refuses an HS256 token signed with an RS256 partner’s public key (algorithm confusion)', async () => {
        const user = await userWithContacts(t, admin);
        const partner = await createPartner(admin, { algorithm: 'RS256', publicKey: rsaPem, issuer: uniqueName('rs'), isDefault: false });
        await refused(() => tokenLogin(t, signHs256(rsaPem, { ...documentClaims(user.email), iss: partner.issuer })), 401, 'wrong_algorithm');
      });

      it('refuses an expired or future time', async () => {
        const partner = await createPartner(admin);
        const user = await userWithContacts(t, admin);
        await refused(() => tokenLogin(t, signHs256(partner.secret!, documentClaims(user.email, Date.now() - 301_000))), 401, 'expired');
        await refused(() => tokenLogin(t, signHs256(partner.secret!, documentClaims(user.email, Math.floor(Date.now() / 1000) - 301))), 401, 'expired');
        await refused(() => tokenLogin(t, signHs256(partner.secret!, documentClaims(user.email, Date.now() + 120_000))), 401, 'future');
        await refused(() => tokenLogin(t, signHs256(partner.secret!, { payload: { email: user.email } })), 401, 'no_time');
      });

      it('refuses a replay, by jti or by the token itself', async () => {
        const partner = await createPartner(admin);
        const user = await userWithContacts(t, admin);
        const token = signHs256(partner.secret!, documentClaims(user.email));
        assert.equal((await tokenLogin(t, token)).status, 302);
        await refused(() => tokenLogin(t, token), 401, 'replay');
        const jti = uniqueName('jti');
        assert.equal((await tokenLogin(t, signHs256(partner.secret!, { ...documentClaims(user.email), jti }))).status, 302);
        await refused(() => tokenLogin(t, signHs256(partner.secret!, { ...documentClaims(user.email, Date.now() + 5), jti })), 401, 'replay');
      });

      it('refuses an unknown iss, no default partner, and a disabled partner', async () => {
        const partner = await createPartner(admin);
        const user = await userWithContacts(t, admin);
        await refused(
          () => tokenLogin(t, signHs256(partner.secret!, { ...documentClaims(user.email), iss: 'https://unknown.example' })),
          401,
          'unknown_partner',
        );
        await admin.put(`/sso/partners/${partner.id}`, { isDefault: false });
        await refused(() => tokenLogin(t, signHs256(partner.secret!, documentClaims(user.email))), 401, 'no_default_partner');
        await admin.put(`/sso/partners/${partner.id}`, { isDefault: true, enabled: false });
        await refused(() => tokenLogin(t, signHs256(partner.secret!, documentClaims(user.email))), 401, 'partner_disabled');
      });

      it('refuses a user not found and a disabled user', async () => {
        const partner = await createPartner(admin);
        await refused(() => tokenLogin(t, signHs256(partner.secret!, documentClaims(`${uniqueName()}@example.com`))), 401, 'user_not_found');
        await refused(() => tokenLogin(t, signHs256(partner.secret!, { payload: {}, time: Date.now() })), 401, 'no_subject');
        const user = await userWithContacts(t, admin);
        assert.equal((await admin.post(`/user/${user.id}/disable`)).status, 200);
        await refused(() => tokenLogin(t, signHs256(partner.secret!, documentClaims(user.email))), 401, 'user_disabled');
        const stored = await createUser(t, { password: 'irrelevant-password-1', status: '1' });
        await t.dataSource.getRepository(User).update({ id: stored.id }, { employeeNo: `E-${stored.username}` });
        await refused(() => tokenLogin(t, signHs256(partner.secret!, documentClaims(`E-${stored.username}`))), 401, 'user_disabled');
      });

      it('refuses a missing, malformed or oversized userToken as a broken request (400)', async () => {
        await createPartner(admin);
        await refused(() => tokenLogin(t, undefined), 400, 'missing_token');
        await refused(() => tokenLogin(t, 'not-a-jwt'), 400, 'malformed');
        await refused(() => t.http().get('/account/tokenLogin.do?userToken=a.b.c&userToken=d.e.f'), 400, 'malformed');
        await refused(() => tokenLogin(t, `eyJhbGciOiJIUzI1NiJ9.${'A'.repeat(12 * 1024)}.AAAA`), 400, 'token_too_long');
      });

      it('refuses a 100 KB userToken before routing (Node’s 16 KB header limit), on the same page, storing nothing but the audit record', async () => {
        await refused(() => tokenLogin(t, 'A'.repeat(100 * 1024)), 400, 'token_too_long');
      });

      it('shows defaultLang=<script> nothing but the page, in the Accept-Language language', async () => {
        await refused(() => tokenLogin(t, 'not-a-jwt', { defaultLang: '<script>alert(1)</script>' }).set('Accept-Language', 'en'), 400, 'malformed', 'en');
        const page = await tokenLogin(t, 'not-a-jwt', { defaultLang: '<script>alert(1)</script>', defaultClrTheme: '"><img src=x onerror=alert(1)>' });
        assert.doesNotMatch(page.text, /<script|<img|alert/);
        assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
        assertRefusalPage(await tokenLogin(t, 'not-a-jwt', { defaultLang: 'en' }).set('Accept-Language', 'zh-CN'), 400, 'en');
      });

      it('signs nobody in on a HEAD request, as a link checker sends, and leaves the token usable', async () => {
        const partner = await createPartner(admin);
        const user = await userWithContacts(t, admin);
        const token = signHs256(partner.secret!, documentClaims(user.email));
        const rows = await storedRows(t);
        const head = await t.http().head(`/account/tokenLogin.do?userToken=${token}`);
        assert.equal(head.status, 400);
        assert.equal(head.headers['set-cookie'], undefined);
        assert.equal(head.headers.location, undefined);
        assert.deepEqual(await storedRows(t), rows);
        assert.equal((await tokenLogin(t, token)).status, 302);
      });

      it('answers the route’s other errors as the page too', async () => {
        const notFound = await t.http().post('/account/tokenLogin.do').send({});
        assert.equal(notFound.status, 400);
        assert.equal(notFound.headers['content-type'], 'text/html; charset=utf-8');
        assert.equal(notFound.headers['referrer-policy'], 'no-referrer');
      });
    });
  });
}

describe('partner sign-in and the request log', () => {
  it('never writes the userToken, even with LOG_REQUESTS on', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'identity-sso-log-'));
    const port = await freePort();
    const child = spawn(process.execPath, [join(__dirname, '..', 'server.js')], {
      env: {
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATA_DIR: dataDir,
        JWT_SECRET: randomBytes(48).toString('base64url'),
        ADMIN_PASSWORD: 'Admin-Pass-For-Tests-1',
        BCRYPT_ROUNDS: '4',
        LOG_LEVEL: 'info',
        LOG_REQUESTS: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      let up = false;
      for (let attempt = 0; attempt < 100 && !up; attempt++) {
        up = await fetch(`http://127.0.0.1:${port}/health`).then(
          (response) => response.ok,
          () => false,
        );
        if (!up) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(up, output);
      const token = `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify({ payload: { email: 'someone@example.com' }, time: Date.now() })).toString('base64url')}.c2VjcmV0LXNpZ25hdHVyZS12YWx1ZQ`;
      const response = await fetch(`http://127.0.0.1:${port}/account/tokenLogin.do?userToken=${token}&defaultLang=en`, { redirect: 'manual' });
      assert.equal(response.status, 401);
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.match(output, /tokenLogin\.do\?userToken=\[redacted\]&defaultLang=en/, 'the request was logged');
      assert.ok(!output.includes(token.split('.')[1]) && !output.includes(token.split('.')[2]), 'no part of the token is logged');
    } finally {
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
