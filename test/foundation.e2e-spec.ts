import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { Permission } from '../src/permission/entities/permission.entity';
import { Role } from '../src/role/entities/role.entity';
import { User } from '../src/user/entities/user.entity';
import { assertEnvelope, login } from './support/auth-helpers';
import { withApp } from './support/fixtures';
import { routeAccessTable } from './support/route-table';
import { testDatabases } from './support/test-app';

const SNAPSHOT = join(__dirname, '..', '..', 'test', 'route-scopes.snapshot.json');
const BUILT_IN = ['audit', 'disable', 'generateJwt', 'getJwt', 'keyMan', 'kickout', 'role', 'searchSession', 'sso', 'ticket', 'userMan'];

for (const database of testDatabases()) {
  describe(`foundation on ${database.name}`, () => {
    const t = withApp(database, { CORS_ORIGINS: 'https://console.example.com' }, { adminLogin: 'never' });

    it('seeds the scopes, the admin role holding all of them, and the administrator', async () => {
      const permissions = await t.dataSource.getRepository(Permission).find();
      assert.deepEqual(permissions.map((p) => p.code).sort(), BUILT_IN);
      assert.ok(permissions.every((p) => p.builtIn));
      const admin = await t.dataSource.getRepository(Role).findOneOrFail({ where: { roleKey: 'admin' }, relations: { permissions: true } });
      assert.deepEqual(admin.permissions.map((p) => p.code).sort(), BUILT_IN);
      const users = await t.dataSource.getRepository(User).find({ relations: { roles: true } });
      assert.deepEqual(
        users.map((u) => [u.username, u.roles.map((r) => r.roleKey)]),
        [['admin', ['admin']]],
      );
    });

    it('seeds once: a restart adds nothing and keeps the password', async () => {
      const restarted = await t.restart({ ADMIN_PASSWORD: 'A-Different-Password-9' });
      assert.equal(await restarted.dataSource.getRepository(User).count(), 1);
      assert.deepEqual(
        (await restarted.dataSource.getRepository(Role).find({ order: { id: 'ASC' } })).map((r) => r.roleKey),
        ['admin', 'common'],
      );
      assert.equal(await restarted.dataSource.getRepository(Permission).count(), BUILT_IN.length);
      await login(restarted);
      await restarted.app.close();
    });

    it('GET /health reports the database', async () => {
      const response = await t.http().get('/health');
      assert.equal(response.status, 200);
      const { revocationLagMs, ...data } = response.body.data;
      assert.deepEqual({ ...response.body, data }, { code: 200, message: '服务正常', msg: '服务正常', data: { status: 'ok', database: 'up' } });
      assert.equal(typeof revocationLagMs, 'number', 'how long ago the revocation log was read');
    });

    it('GET /health/live answers from memory, in the language asked for; GET /health/ready reports the database', async () => {
      const live = await t.http().get('/health/live');
      assert.equal(live.status, 200);
      assert.match(String(live.headers['content-type']), /^application\/json; charset=utf-8$/);
      assert.deepEqual(live.body, { code: 200, message: '服务正常', msg: '服务正常', data: { status: 'ok' } });
      const english = await t.http().get('/health/live').set('Accept-Language', 'en-GB,en;q=0.9,zh;q=0.5');
      assert.deepEqual(english.body, { code: 200, message: 'Service is healthy.', msg: 'Service is healthy.', data: { status: 'ok' } });
      const head = await t.http().head('/health/live');
      assert.equal(head.status, 200);
      assert.ok(!head.text, 'HEAD answers no body');
      // The same answer as GET /health.
      const ready = await t.http().get('/health/ready');
      assert.equal(ready.status, 200);
      const { revocationLagMs, ...readyData } = ready.body.data;
      assert.deepEqual({ ...ready.body, data: readyData }, { code: 200, message: '服务正常', msg: '服务正常', data: { status: 'ok', database: 'up' } });
      assert.equal(typeof revocationLagMs, 'number');
    });

    it('answers 503 in the envelope when the database is gone (GET /health/live still 200)', async () => {
      const instance = await t.restart();
      await instance.app.get(DataSource).destroy();
      const health = await instance.http().get('/health');
      assert.equal(health.status, 503);
      assertEnvelope(health.body, 503);
      const { revocationLagMs, ...down } = health.body.data;
      assert.deepEqual(down, { status: 'error', database: 'down' });
      assert.equal(typeof revocationLagMs, 'number');
      const ready = await instance.http().get('/health/ready');
      assert.equal(ready.status, 503);
      assertEnvelope(ready.body, 503);
      const { revocationLagMs: readyLag, ...readyDown } = ready.body.data;
      assert.deepEqual(readyDown, { status: 'error', database: 'down' });
      assert.equal(typeof readyLag, 'number');
      assert.equal(ready.headers['retry-after'], '5');
      const live = await instance.http().get('/health/live');
      assert.equal(live.status, 200);
      assert.deepEqual(live.body.data, { status: 'ok' });
      const loginAttempt = await instance.http().post('/auth/login').send({ username: 'admin', password: 'whatever-1' });
      assert.equal(loginAttempt.status, 503);
      assertEnvelope(loginAttempt.body, 503);
      assert.equal(loginAttempt.headers['retry-after'], '5');
      await instance.app.close();
    });

    it('serves a valid OpenAPI 3 document with every route and its scopes', async () => {
      const response = await t.http().get('/docs-json');
      assert.equal(response.status, 200);
      const document = response.body;
      assert.match(document.openapi, /^3\./);
      assert.ok(document.info.title);
      assert.deepEqual(document.components.securitySchemes.bearer, { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
      const documented = new Set<string>();
      for (const [path, item] of Object.entries<Record<string, { security?: unknown[]; responses: object }>>(document.paths)) {
        for (const [method, operation] of Object.entries(item)) {
          documented.add(`${method.toUpperCase()} ${path}`);
          assert.ok(Object.keys(operation.responses).length > 0, `${method} ${path} has responses`);
        }
      }
      const routes = Object.keys(routeAccessTable(t.app));
      assert.deepEqual([...documented].sort(), routes.sort());
      assert.deepEqual(document.paths['/auth/login'].post.security, []);
      assert.deepEqual(document.paths['/test'].get.security, [{ bearer: [] }]);

      const ui = await t.http().get('/docs');
      assert.equal(ui.status, 200);
      assert.match(ui.text, /swagger-ui/i);
    });

    it('keeps the table of routes and the scopes they require (a diff here changes who can reach an endpoint)', () => {
      const table = routeAccessTable(t.app);
      if (process.env.UPDATE_SNAPSHOTS === '1') writeFileSync(SNAPSHOT, JSON.stringify(table, null, 2) + '\n');
      assert.ok(existsSync(SNAPSHOT), 'the snapshot is checked in (UPDATE_SNAPSHOTS=1 npm test writes it)');
      assert.deepEqual(table, JSON.parse(readFileSync(SNAPSHOT, 'utf8')));
    });

    it('answers CORS preflights for configured origins only, exposing the token headers', async () => {
      const allowed = await t
        .http()
        .options('/auth/login')
        .set('Origin', 'https://console.example.com')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type,x-refresh-token');
      assert.equal(allowed.status, 204);
      assert.equal(allowed.headers['access-control-allow-origin'], 'https://console.example.com');
      assert.equal(allowed.headers['access-control-allow-credentials'], 'true');
      const simple = await t.http().get('/health').set('Origin', 'https://console.example.com');
      assert.match(String(simple.headers['access-control-expose-headers']), /Authorization/);
      assert.match(String(simple.headers['access-control-expose-headers']), /X-Refresh-Token/);
      const foreign = await t.http().get('/health').set('Origin', 'https://evil.example.net');
      assert.equal(foreign.headers['access-control-allow-origin'], undefined);
    });

    it('names the request in errors: a sane X-Request-Id is kept, anything else replaced', async () => {
      const kept = await t.http().get('/no-such-route').set('X-Request-Id', 'abc-123');
      assert.equal(kept.status, 404);
      assert.equal(kept.headers['x-request-id'], 'abc-123');
      const replaced = await t.http().get('/no-such-route').set('X-Request-Id', 'bad id; drop table');
      assert.match(String(replaced.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    });
  });

  describe(`first start on ${database.name}`, () => {
    const t = withApp(database, {}, { adminLogin: 'never' });
    /** What the permission, role and user modules seed, children first. */
    const SEEDED_TABLES = [
      'sys_user_role',
      'sys_role_permission',
      'sys_role_dept',
      'auth_refresh_token',
      'auth_session',
      'sys_user',
      'sys_role',
      'sys_permission',
    ];

    it('seeds an empty database once when two instances start on it at the same moment', async () => {
      // The schema is there, its rows are not: as on the first start of a fresh deployment of two instances.
      for (const table of SEEDED_TABLES) await t.dataSource.query(`DELETE FROM ${table}`);
      const [first, second] = await Promise.all([t.restart(), t.restart()]);
      for (const instance of [first, second]) {
        const users = await instance.dataSource.getRepository(User).find({ relations: { roles: true } });
        assert.deepEqual(
          users.map((u) => [u.username, u.roles.map((r) => r.roleKey)]),
          [['admin', ['admin']]],
        );
        assert.deepEqual(
          (await instance.dataSource.getRepository(Role).find({ order: { id: 'ASC' } })).map((r) => r.roleKey),
          ['admin', 'common'],
        );
        const admin = await instance.dataSource.getRepository(Role).findOneOrFail({ where: { roleKey: 'admin' }, relations: { permissions: true } });
        assert.deepEqual(admin.permissions.map((p) => p.code).sort(), BUILT_IN);
        assert.equal(await instance.dataSource.getRepository(Permission).count(), BUILT_IN.length);
        await login(instance);
      }
      await first.app.close();
      await second.app.close();
    });
  });
}
