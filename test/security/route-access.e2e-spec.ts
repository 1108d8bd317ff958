import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withApp } from '../support/fixtures';
import { testDatabases } from '../support/test-app';
import { BUILT_IN_SCOPES } from '../../src/security/scopes';
import { assertNoLeak, call, changesNothing, isProtected, routesOf, scopesOf } from './attack-support';

/**
 * The attacker's first checklist item, generated from the routes the application registers (the metadata the
 * global guard reads, not a list kept by hand): a route added tomorrow is attacked here without anyone
 * remembering to. test/foundation.e2e-spec.ts compares the same table with the checked-in snapshot.
 */
const ALL_SCOPES: string[] = BUILT_IN_SCOPES.map((scope) => scope.code);

for (const database of testDatabases()) {
  describe(`every protected route refuses callers without the right token, on ${database.name}`, () => {
    const t = withApp(database);

    it('the route table is not empty and every route is either public or guarded', () => {
      const routes = routesOf(t);
      assert.ok(routes.length > 40, `${routes.length} routes`);
      for (const route of routes) assert.ok(route.access.length > 0, `${route.method} ${route.path}`);
    });

    it('without a token: 401 with WWW-Authenticate, no stack, nothing stored', async () => {
      const routes = routesOf(t).filter(isProtected);
      await changesNothing(t, async () => {
        for (const route of routes) {
          const response = await call(t, route);
          assert.equal(response.status, 401, `${route.method} ${route.url}: ${response.text}`);
          assert.equal(response.headers['www-authenticate'], 'Bearer', `${route.method} ${route.url}`);
          assert.ok(response.headers['x-request-id'], `${route.method} ${route.url} names its request id`);
          assertNoLeak(response, `${route.method} ${route.url}`);
        }
      });
    });

    for (const scheme of ['Basic YWRtaW46YWRtaW4=', 'Bearer', 'Bearer ', 'bearer  x', 'Token abc']) {
      it(`with Authorization: ${JSON.stringify(scheme)}: 401 on every protected route`, async () => {
        const routes = routesOf(t).filter(isProtected);
        await changesNothing(t, async () => {
          for (const route of routes) {
            const response = await call(t, route, undefined, { Authorization: scheme });
            assert.equal(response.status, 401, `${route.method} ${route.url}: ${response.text}`);
            assertNoLeak(response, `${route.method} ${route.url}`);
          }
        });
      });
    }

    it('with the cookie a browser holds but no bearer token: 401 (the refresh cookie is not an access token)', async () => {
      const routes = routesOf(t).filter(isProtected);
      const { refreshToken, accessToken } = t.adminSession;
      await changesNothing(t, async () => {
        for (const route of routes) {
          for (const cookie of [`token=${refreshToken}`, `token=${accessToken}`]) {
            const response = await call(t, route, undefined, { Cookie: cookie });
            assert.equal(response.status, 401, `${route.method} ${route.url} with ${cookie.slice(0, 12)}…: ${response.text}`);
          }
        }
      });
    });

    it('with a valid token in the query string, or HEAD instead of GET, still 401: only the Authorization header counts', async () => {
      const routes = routesOf(t).filter(isProtected);
      const token = t.adminSession.accessToken;
      await changesNothing(t, async () => {
        for (const route of routes) {
          for (const name of ['access_token', 'token', 'Authorization']) {
            const response = await call(t, {
              method: route.method,
              url: `${route.url}?${name}=${encodeURIComponent(name === 'Authorization' ? `Bearer ${token}` : token)}`,
            });
            assert.equal(response.status, 401, `${route.method} ${route.url}?${name}=…: ${response.text}`);
          }
          if (route.method !== 'GET') continue;
          const head = await t.http().head(route.url);
          assert.equal(head.status, 401, `HEAD ${route.url}`);
        }
      });
    });

    it('with a token of a user holding no scope: 403 on every route that requires one', async () => {
      const nobody = await t.userWith([]);
      const routes = routesOf(t).filter((route) => scopesOf(route).length > 0);
      assert.ok(routes.length > 30);
      await changesNothing(t, async () => {
        for (const route of routes) {
          const response = await call(t, route, nobody.session.accessToken);
          assert.equal(response.status, 403, `${route.method} ${route.url}: ${response.text}`);
          assertNoLeak(response, `${route.method} ${route.url}`);
        }
      });
    });

    it('with a token holding every scope but the one a route requires: 403 (each route checks its own scope)', async () => {
      const routes = routesOf(t).filter((route) => scopesOf(route).length > 0);
      const required = [...new Set(routes.flatMap(scopesOf))].sort();
      for (const scope of required) assert.ok(ALL_SCOPES.includes(scope), `${scope} is in the catalog`);
      for (const missing of required) {
        const holder = await t.userWith(ALL_SCOPES.filter((scope) => scope !== missing));
        await changesNothing(t, async () => {
          for (const route of routes.filter((candidate) => scopesOf(candidate).includes(missing))) {
            const response = await call(t, route, holder.session.accessToken);
            assert.equal(response.status, 403, `${route.method} ${route.url} without ${missing}: ${response.text}`);
            assertNoLeak(response, `${route.method} ${route.url}`);
          }
        });
      }
    });
  });
}
