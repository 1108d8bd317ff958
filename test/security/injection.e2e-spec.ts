import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { as, login } from '../support/auth-helpers';
import { withApp } from '../support/fixtures';
import { createPartner, documentClaims, signHs256, tokenLogin, userWithContacts } from '../support/sso';
import { NO_ADDRESS_LIMITS, testDatabases } from '../support/test-app';
import { createTicket, uniqueGateway } from '../support/tickets';
import { assertNoLeak, changesNothing, routesOf, type RouteEntry } from './attack-support';

/** What an attacker puts in a text filter: quotes, comments, LIKE wildcards, escapes, stacked statements. */
const SQL_METACHARACTERS = [
  "' OR '1'='1",
  "admin'--",
  '" OR ""="',
  '1; DROP TABLE sys_user; --',
  "1' UNION SELECT username, password_hash FROM sys_user --",
  '%',
  '_',
  '%%',
  '\\',
  '\\%',
  "'",
  '`',
  '/*',
  ') OR (1=1',
];

interface QueryParameter {
  name: string;
  type: string | undefined;
}

/** The query parameters of every GET operation, from the OpenAPI document the server serves. */
async function queryParameters(t: ReturnType<typeof withApp>): Promise<Map<string, QueryParameter[]>> {
  const document = (await t.http().get('/docs-json').expect(200)).body as {
    paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string; schema?: { type?: string } }> }>>;
  };
  const found = new Map<string, QueryParameter[]>();
  for (const [path, item] of Object.entries(document.paths)) {
    const parameters = (item.get?.parameters ?? []).filter((parameter) => parameter.in === 'query');
    if (parameters.length)
      found.set(
        path,
        parameters.map((parameter) => ({ name: parameter.name, type: parameter.schema?.type })),
      );
  }
  return found;
}

const bodyRoutes = (routes: RouteEntry[]) => routes.filter((route) => route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH');

function send(t: ReturnType<typeof withApp>, route: RouteEntry, body: string, token?: string, contentType = 'application/json') {
  const method = route.method.toLowerCase() as 'post' | 'put' | 'patch';
  let request = t.http()[method](route.url).set('Content-Type', contentType);
  if (token) request = request.set('Authorization', `Bearer ${token}`);
  return request.send(body);
}

for (const database of testDatabases()) {
  describe(`injection, pollution and oversized input on ${database.name}`, () => {
    const t = withApp(database, { BODY_LIMIT: '16384', ...NO_ADDRESS_LIMITS }, { adminLogin: 'each' });

    before(async () => {
      // Records for every filter to search through: a filter that leaks matches everything.
      await t.register();
      await createTicket(as(t, (await login(t)).accessToken), { name: 'gw', gatewayId: uniqueGateway() });
    });

    it('SQL metacharacters in every query parameter of every GET route: 200 with nothing found, or 400; never 500, nothing changed', async () => {
      const parameters = await queryParameters(t);
      assert.ok(parameters.size >= 8, `${parameters.size} GET routes take a query`);
      const token = t.adminSession.accessToken;
      let tried = 0;
      await changesNothing(t, async () => {
        for (const [path, names] of parameters) {
          if (path === '/api/v2/auth/logout') continue;
          const base = path.replace(/\{(\w+)\}/g, '1');
          for (const { name, type } of names) {
            for (const value of SQL_METACHARACTERS) {
              const url = `${base}?${new URLSearchParams({ [name]: value })}`;
              const response = await t.http().get(url).set('Authorization', `Bearer ${token}`);
              tried++;
              const label = `GET ${url} → ${response.status}`;
              assert.ok([200, 302, 400, 401, 404, 422].includes(response.status), `${label}: ${response.text.slice(0, 300)}`);
              assertNoLeak(response, label);
              // A text filter finds what holds the value literally: a leaked wildcard or a quote that breaks out
              // would find rows that do not.
              const list = (response.body?.data?.list ?? response.body?.data?.rows) as unknown[] | undefined;
              if (response.status === 200 && Array.isArray(list) && type === 'string') {
                for (const row of list)
                  assert.ok(
                    JSON.stringify(row).toLowerCase().includes(JSON.stringify(value).slice(1, -1).toLowerCase()),
                    `${label}: found ${JSON.stringify(row).slice(0, 300)}`,
                  );
              }
            }
          }
        }
      });
      assert.ok(tried > 100, `${tried} requests`);
    });

    it('__proto__ and constructor.prototype in the body of every route: 400 before any handler, no pollution, nothing changed', async () => {
      const routes = bodyRoutes(routesOf(t));
      const bodies = [
        '{"__proto__":{"polluted":"yes"}}',
        '{"a":{"__proto__":{"polluted":"yes"}}}',
        '{"constructor":{"prototype":{"polluted":"yes"}}}',
        '[{"__proto__":{"polluted":"yes"}}]',
      ];
      await changesNothing(t, async () => {
        for (const route of routes) {
          for (const body of bodies) {
            const response = await send(t, route, body, t.adminSession.accessToken);
            assert.equal(response.status, 400, `${route.method} ${route.url} ${body}: ${response.text}`);
            assertNoLeak(response, route.url);
          }
        }
      });
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched');
    });

    it('__proto__ and constructor[prototype] in the query of every GET route: no pollution, no 500, nothing changed', async () => {
      const routes = routesOf(t).filter((route) => route.method === 'GET' && route.url !== '/api/v2/auth/logout');
      const queries = [
        '__proto__[polluted]=yes',
        '__proto__.polluted=yes',
        'constructor[prototype][polluted]=yes',
        '__proto__=x&__proto__=y',
        'toString=1&hasOwnProperty=1',
      ];
      await changesNothing(t, async () => {
        for (const route of routes) {
          for (const query of queries) {
            const response = await t.http().get(`${route.url}?${query}`).set('Authorization', `Bearer ${t.adminSession.accessToken}`);
            assert.ok(response.status < 500, `${route.url}?${query}: ${response.status} ${response.text.slice(0, 300)}`);
            assertNoLeak(response, route.url);
          }
        }
      });
      assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is untouched');
    });

    it('a body over BODY_LIMIT on every route that takes one: 413 in its envelope, before the guard, nothing changed', async () => {
      const big = JSON.stringify({ username: 'x'.repeat(20_000), password: 'y' });
      await changesNothing(t, async () => {
        for (const route of bodyRoutes(routesOf(t))) {
          const response = await send(t, route, big);
          assert.equal(response.status, 413, `${route.method} ${route.url}: ${response.text}`);
          assertNoLeak(response, route.url);
        }
      });
    });

    it('headers over the 16 KB limit, and one huge cookie: 431, nothing changed; the server lives on', async () => {
      await changesNothing(t, async () => {
        for (const route of routesOf(t)) {
          const response = await t.http()[route.method.toLowerCase() as 'get'](route.url).set('X-Padding', 'a'.repeat(20_000));
          // The sign-in link answers its refusal page (400) even to a request Node refused: a browser shows it.
          assert.equal(response.status, route.path === '/account/tokenLogin.do' ? 400 : 431, `${route.method} ${route.url}`);
        }
        const cookie = await t
          .http()
          .post('/auth/session')
          .set('Cookie', `token=${'a'.repeat(20_000)}`);
        assert.equal(cookie.status, 431);
        const many = t.http().get('/user/info');
        for (let index = 0; index < 300; index++) many.set(`X-H${index}`, 'v'.repeat(70));
        assert.equal((await many).status, 431);
      });
      assert.equal((await t.http().get('/health')).status, 200);
    });

    describe('CRLF in values that reach headers', () => {
      it('a request id with CR/LF is replaced, never echoed', async () => {
        // supertest (Node's client) refuses to send a raw CR/LF; an escaped one is what a proxy would pass on.
        const response = await t.http().get('/user/info').set('X-Request-Id', 'a%0d%0aSet-Cookie:%20x=y');
        assert.match(response.headers['x-request-id'], /^[0-9a-f-]{36}$/);
        assert.equal(response.headers['set-cookie'], undefined);
      });

      it('a partner landing URL with CR/LF or a script scheme is refused with 400, nothing stored', async () => {
        const admin = as(t, t.adminSession.accessToken);
        await changesNothing(t, async () => {
          for (const landingUrl of [
            'https://oa.example.com/\r\nSet-Cookie: x=y',
            'https://oa.example.com/%0d%0aSet-Cookie:%20x=y\r\n',
            'javascript:alert(1)',
            'data:text/html,<script>alert(1)</script>',
            '//evil.example/landing',
            '/relative',
            'https://user:pass@oa.example.com/',
          ]) {
            const response = await admin.post('/sso/partners', { name: 'crlf', algorithm: 'HS256', landingUrl });
            assert.equal(response.status, 400, `${JSON.stringify(landingUrl)}: ${response.text}`);
          }
        });
      });

      it('presentation parameters with CR/LF reach the redirect only as normalised values', async () => {
        const partner = await createPartner(as(t, t.adminSession.accessToken), { landingUrl: 'https://oa.example.com/landing' });
        const user = await userWithContacts(t, as(t, t.adminSession.accessToken));
        const response = await tokenLogin(t, signHs256(partner.secret!, documentClaims(user.email)), {
          defaultLang: 'en\r\nSet-Cookie: x=y',
          defaultClrTheme: 'dark\r\nLocation: https://evil.example',
          disableUserMark: '1\r\n',
        });
        assert.equal(response.status, 302, response.text);
        const location = new URL(String(response.headers.location));
        assert.equal(`${location.origin}${location.pathname}`, 'https://oa.example.com/landing');
        assert.deepEqual([...location.searchParams.keys()].sort(), ['code', 'disableUserMark', 'lang', 'theme']);
        assert.doesNotMatch(String(response.headers.location), /[\r\n]|evil|Set-Cookie/i);
        assert.ok(!([] as string[]).concat(response.headers['set-cookie'] ?? []).some((cookie) => cookie.startsWith('x=')));
      });
    });

    it('open redirects on the sign-in route: whatever the query names, the redirect goes to the partner’s landing URL', async () => {
      // test/token-login.e2e-spec.ts checks the normalised presentation; here, every parameter an attacker tries.
      const admin = as(t, t.adminSession.accessToken);
      const partner = await createPartner(admin, { landingUrl: 'https://oa.example.com/landing' });
      const user = await userWithContacts(t, admin);
      const targets = ['https://evil.example', '//evil.example', '/\\evil.example', 'https:evil.example', 'javascript:alert(1)'];
      for (const name of ['redirect', 'redirect_uri', 'redirectUrl', 'returnUrl', 'return_to', 'next', 'url', 'landingUrl', 'target', 'service', 'continue']) {
        for (const target of targets) {
          const token = signHs256(partner.secret!, documentClaims(user.email));
          const response = await tokenLogin(t, token, { [name]: target });
          assert.equal(response.status, 302, `${name}=${target}: ${response.text}`);
          const location = new URL(String(response.headers.location));
          assert.equal(`${location.origin}${location.pathname}`, 'https://oa.example.com/landing', `${name}=${target}`);
          assert.doesNotMatch(location.search, /evil|javascript/i, `${name}=${target}`);
        }
      }
      // A refused sign-in redirects nowhere at all.
      const refused = await tokenLogin(t, 'forged', { redirect: 'https://evil.example' });
      assert.equal(refused.status, 400);
      assert.equal(refused.headers.location, undefined);
    });
  });
}
