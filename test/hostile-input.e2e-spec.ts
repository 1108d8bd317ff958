import assert from 'node:assert/strict';
import { AddressInfo, connect } from 'node:net';
import { describe, it } from 'node:test';
import { Dept } from '../src/dept/entities/dept.entity';
import { Role } from '../src/role/entities/role.entity';
import { User } from '../src/user/entities/user.entity';
import { assertEnvelope, login } from './support/auth-helpers';
import { withApp } from './support/fixtures';
import { TestApp, testDatabases } from './support/test-app';
import { createUser, uniqueName } from './support/users';

const TOO_DEEP = '请求体嵌套过深（最多 64 层）';
const VALIDATION = '请求参数错误';
const INVALID_ID = '无效的 ID';

/** A JSON object whose containers nest `levels` deep: `{"a":[[…]]}` or `{"a":{"a":{…}}}`. */
function nested(kind: 'array' | 'object', levels: number): string {
  if (kind === 'array') return `{"a":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;
  return `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;
}

/** Spellings of `id` that JavaScript's Number() reads as that id, but that are not its canonical decimal form. */
function looseSpellings(id: number): string[] {
  return [`0x${id.toString(16)}`, `${id}e0`, `%20${id}`, `${id}%20`, `%2B${id}`, `${id}.0`, `0b${id.toString(2)}`, `0o${id.toString(8)}`, `0${id}`];
}

for (const database of testDatabases()) {
  describe(`hostile input on ${database.name}`, () => {
    const t = withApp(database);

    describe('a body nested deeper than 64 levels is refused with 400 before validation', () => {
      const routes: Array<[string, (body: string) => ReturnType<ReturnType<TestApp['http']>['get']>]> = [
        ['POST /auth/login', (body) => t.http().post('/auth/login').set('Content-Type', 'application/json').send(body)],
        ['POST /user', (body) => t.http().post('/user').set('Content-Type', 'application/json').send(body)],
        [
          'PUT /user/{uid}',
          (body) =>
            t
              .http()
              .put(`/user/${t.adminSession.userId}`)
              .set('Authorization', `Bearer ${t.adminSession.accessToken}`)
              .set('Content-Type', 'application/json')
              .send(body),
        ],
        [
          'POST /user/{uid}/bind',
          (body) =>
            t
              .http()
              .post(`/user/${t.adminSession.userId}/bind`)
              .set('Authorization', `Bearer ${t.adminSession.accessToken}`)
              .set('Content-Type', 'application/json')
              .send(body),
        ],
        [
          'GET /role/list with a body',
          (body) => t.http().get('/role/list').set('Authorization', `Bearer ${t.adminSession.accessToken}`).set('Content-Type', 'application/json').send(body),
        ],
      ];
      for (const [route, send] of routes) {
        for (const kind of ['array', 'object'] as const) {
          for (const levels of [65, 10_000]) {
            it(`${route}: ${levels} levels of ${kind}s → 400 "too deep"`, async () => {
              const response = await send(nested(kind, levels));
              assert.equal(response.status, 400, JSON.stringify(response.body));
              assertEnvelope(response.body, 400);
              assert.equal(response.body.message, TOO_DEEP);
              assert.ok(response.headers['x-request-id']);
            });
          }
          it(`${route}: 64 levels of ${kind}s still reach validation`, async () => {
            const response = await send(nested(kind, 64));
            assert.equal(response.status, 400, JSON.stringify(response.body));
            assertEnvelope(response.body, 400);
            assert.equal(response.body.message, VALIDATION);
          });
        }
      }

      it('answers in English when asked', async () => {
        const response = await t.http().post('/auth/login').set('Accept-Language', 'en').set('Content-Type', 'application/json').send(nested('object', 100));
        assert.equal(response.status, 400);
        assert.equal(response.body.message, 'The request body is nested too deeply (at most 64 levels).');
      });

      it('still logs in with an ordinary body', async () => {
        await login(t);
      });
    });

    describe('only canonical decimal ids address a record', () => {
      /** A fresh user, role and department, so that what a test changes by mistake touches no other test. */
      async function records() {
        const userId = (await createUser(t, { password: 'Victim-Pass-1234' })).id;
        const role = await t.admin.post('/role', { role_name: uniqueName('r'), role_key: uniqueName('r') });
        assert.equal(role.status, 200, JSON.stringify(role.body));
        const dept = await t.admin.post('/dept', { deptName: uniqueName('d'), parentId: 0 });
        assert.equal(dept.status, 200, JSON.stringify(dept.body));
        return { userId, roleId: role.body.data.roleId as number, deptId: dept.body.data.deptId as number };
      }

      type Records = Awaited<ReturnType<typeof records>>;
      const pathRoutes: Array<[string, 'get' | 'put' | 'post' | 'delete', (id: string) => string, (r: Records) => number, unknown]> = [
        ['GET /user/{uid}', 'get', (id) => `/user/${id}`, (r) => r.userId, undefined],
        ['PUT /user/{uid}', 'put', (id) => `/user/${id}`, (r) => r.userId, { nickname: 'changed' }],
        ['DELETE /user/{uid}', 'delete', (id) => `/user/${id}`, (r) => r.userId, undefined],
        ['POST /user/{uid}/kickout', 'post', (id) => `/user/${id}/kickout`, (r) => r.userId, undefined],
        ['POST /user/{uid}/disable', 'post', (id) => `/user/${id}/disable`, (r) => r.userId, undefined],
        ['POST /user/{uid}/enable', 'post', (id) => `/user/${id}/enable`, (r) => r.userId, undefined],
        ['POST /user/{uid}/bind', 'post', (id) => `/user/${id}/bind`, (r) => r.userId, []],
        ['GET /role/{roleId}', 'get', (id) => `/role/${id}`, (r) => r.roleId, undefined],
        ['PUT /role/{roleId}', 'put', (id) => `/role/${id}`, (r) => r.roleId, { remark: 'changed' }],
        ['DELETE /role/{roleId}', 'delete', (id) => `/role/${id}`, (r) => r.roleId, undefined],
        ['GET /dept/{id}', 'get', (id) => `/dept/${id}`, (r) => r.deptId, undefined],
        ['PUT /dept/{id}', 'put', (id) => `/dept/${id}`, (r) => r.deptId, { remark: 'changed' }],
        ['DELETE /dept/{id}', 'delete', (id) => `/dept/${id}`, (r) => r.deptId, undefined],
      ];
      for (const [route, method, path, idOf, body] of pathRoutes) {
        it(`${route} answers 400 to every loose spelling of an id, changing nothing`, async () => {
          const { userId, roleId, deptId } = await records();
          const client = t.admin;
          for (const spelling of looseSpellings(idOf({ userId, roleId, deptId }))) {
            const response = await client[method](path(spelling), body);
            assert.equal(response.status, 400, `${spelling}: ${JSON.stringify(response.body)}`);
            assertEnvelope(response.body, 400);
            assert.equal(response.body.message, INVALID_ID, spelling);
          }
          const user = await t.dataSource.getRepository(User).findOneByOrFail({ id: userId });
          assert.equal(user.status, '0');
          assert.notEqual(user.nickname, 'changed');
          assert.ok(await t.dataSource.getRepository(Role).findOneBy({ id: roleId }), 'the role is still there');
          assert.ok(await t.dataSource.getRepository(Dept).findOneBy({ id: deptId }), 'the department is still there');
        });
      }

      it('the canonical spelling still addresses the record', async () => {
        const { userId, roleId, deptId } = await records();
        const client = t.admin;
        assert.equal((await client.get(`/user/${userId}`)).body.data.userId, userId);
        assert.equal((await client.get(`/role/${roleId}`)).body.data.roleId, roleId);
        assert.equal((await client.get(`/dept/${deptId}`)).body.data.deptId, deptId);
        assert.equal((await client.get(`/perm?roleId=${roleId}`)).status, 200);
        assert.equal((await client.get(`/session?userId=${t.adminSession.userId}`)).body.data.total > 0, true);
      });

      const queryRoutes: Array<[string, 'get' | 'put', (id: string) => string, (r: Records) => number]> = [
        ['GET /perm?roleId=', 'get', (id) => `/perm?roleId=${id}`, (r) => r.roleId],
        ['PUT /perm?roleId=', 'put', (id) => `/perm?roleId=${id}&permissions=role`, (r) => r.roleId],
        ['GET /session?userId=', 'get', (id) => `/session?userId=${id}`, () => t.adminSession.userId],
        ['GET /session/mine?userId=', 'get', (id) => `/session/mine?userId=${id}`, () => t.adminSession.userId],
        ['GET /user/list?deptId=', 'get', (id) => `/user/list?deptId=${id}`, (r) => r.deptId],
      ];
      for (const [route, method, path, idOf] of queryRoutes) {
        it(`${route} answers 400 naming the field to every loose spelling of an id`, async () => {
          const { userId, roleId, deptId } = await records();
          const client = t.admin;
          // An empty filter is no filter (HTML forms send blank fields); PUT /perm needs its roleId.
          for (const spelling of [...looseSpellings(idOf({ userId, roleId, deptId })), ...(method === 'put' ? [''] : [])]) {
            const response = await client[method](path(spelling));
            assert.equal(response.status, 400, `${spelling}: ${JSON.stringify(response.body)}`);
            assertEnvelope(response.body, 400);
            assert.equal(response.body.message, VALIDATION, spelling);
          }
          const role = await t.dataSource.getRepository(Role).findOneOrFail({ where: { id: roleId }, relations: { permissions: true } });
          assert.deepEqual(role.permissions, [], 'the role was given no permission');
        });
      }
    });

    describe('errors raised by the HTTP layer are answered in the envelope', () => {
      it('a URL that is not validly percent-encoded → 400', async () => {
        for (const path of ['/user/%ff%fe', '/role/%c0', '/test/%']) {
          const response = await t.admin.get(path);
          assert.equal(response.status, 400, path);
          assertEnvelope(response.body, 400);
          assert.equal(response.body.message, '请求地址编码无效', path);
          assert.ok(response.headers['x-request-id'], path);
          assert.equal(response.headers['cache-control'], 'no-store');
        }
      });

      it('a path parameter over 100 characters → 414', async () => {
        const response = await t.admin.get(`/user/${'1'.repeat(120)}`).set('Accept-Language', 'en');
        assert.equal(response.status, 414);
        assertEnvelope(response.body, 414);
        assert.equal(response.body.message, 'The request URL is too long.');
        assert.ok(response.headers['x-request-id']);
      });

      /** One request written by hand, for what HTTP clients refuse to send: the status line, headers and body. */
      async function rawRequest(text: string): Promise<{ status: number; headers: Record<string, string>; body: unknown }> {
        const { port } = t.app.getHttpServer().address() as AddressInfo;
        const answer = await new Promise<string>((resolve, reject) => {
          const socket = connect(port, '127.0.0.1', () => socket.end(text));
          let received = '';
          socket.on('data', (chunk) => (received += chunk.toString('utf8')));
          socket.on('end', () => resolve(received));
          socket.on('error', reject);
        });
        const [head, body] = answer.split('\r\n\r\n');
        const [statusLine, ...lines] = head.split('\r\n');
        const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
        return { status: Number(statusLine.split(' ')[1]), headers, body: body ? JSON.parse(body) : undefined };
      }

      it('an Expect header it cannot meet → 417', async () => {
        const response = await rawRequest(
          'POST /auth/login HTTP/1.1\r\nHost: x\r\nExpect: something-else\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}',
        );
        assert.equal(response.status, 417);
        assertEnvelope(response.body, 417);
        assert.ok(response.headers['x-request-id']);
      });

      it('an HTTP/1.1 request without a Host header → 400', async () => {
        const response = await rawRequest('GET /test HTTP/1.1\r\nAccept-Language: en\r\nConnection: close\r\n\r\n');
        assert.equal(response.status, 400);
        assertEnvelope(response.body, 400);
        assert.equal((response.body as { message: string }).message, 'The request could not be parsed.');
        assert.ok(response.headers['x-request-id']);
      });

      it('a CONNECT → 405, not a dropped connection', async () => {
        const response = await rawRequest('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
        assert.equal(response.status, 405);
        assertEnvelope(response.body, 405);
        assert.ok(response.headers['x-request-id']);
      });

      for (const [name, head] of [
        ['a header value with a control character', 'GET /test HTTP/1.1\r\nHost: x\r\nX-Note: a\x7fb\r\n'],
        ['a header name with a space', 'GET /test HTTP/1.1\r\nHost: x\r\nX Note: b\r\n'],
        ['an unknown method', 'FETCH /test HTTP/1.1\r\nHost: x\r\n'],
        ['a Content-Length that is not a number', 'POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n'],
        [
          'both Content-Length and Transfer-Encoding',
          'POST /auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n',
        ],
      ]) {
        it(`${name} → 400 with a request id`, async () => {
          const response = await rawRequest(`${head}\r\n`);
          assert.equal(response.status, 400);
          assertEnvelope(response.body, 400);
          assert.ok(response.headers['x-request-id']);
        });
      }

      it('an HTTP/1.0 request without a Host header is served', async () => {
        const response = await rawRequest(`GET /test HTTP/1.0\r\nAuthorization: Bearer ${t.adminSession.accessToken}\r\n\r\n`);
        assert.equal(response.status, 204);
      });
    });

    describe('control characters in a filter are refused with 400', () => {
      const filters = [
        '/user/list?username=%00',
        '/user/list?username=ad%00',
        '/user/list?phone=%0A',
        '/role/list?roleName=%00',
        '/role/list?roleKey=%1F',
        '/session?username=%00',
        '/session?ip=%7F',
        '/session/mine?username=%00',
        '/audit?target=%00',
        '/audit?actor=%09',
      ];
      for (const path of filters) {
        it(`GET ${path} → 400 naming the field`, async () => {
          const response = await t.admin.get(path);
          assert.equal(response.status, 400, JSON.stringify(response.body));
          assertEnvelope(response.body, 400);
          const field = path.split('?')[1].split('=')[0];
          assert.deepEqual(
            (response.body.data.errors as Array<{ field: string }>).map((e) => e.field),
            [field],
          );
        });
      }

      it('GET /role/list with a control character in its JSON body → 400', async () => {
        const response = await t.admin.get('/role/list').set('Content-Type', 'application/json').send('{"roleName":"\\u0000"}');
        assert.equal(response.status, 400, JSON.stringify(response.body));
        assertEnvelope(response.body, 400);
      });

      it('ordinary filters still find what they contain, and only that', async () => {
        const client = t.admin;
        const name = uniqueName('needle');
        await createUser(t, { password: 'Needle-Pass-1234', username: name });
        const users = await client.get(`/user/list?username=${name.slice(3)}`);
        assert.equal(users.status, 200);
        assert.deepEqual(
          users.body.data.list.map((u: { username: string }) => u.username),
          [name],
        );
        const roles = await client.get('/role/list?roleKey=admin');
        assert.equal(
          roles.body.data.list.some((r: { roleKey: string }) => r.roleKey === 'admin'),
          true,
        );
        const fromBody = await client.get('/role/list').set('Content-Type', 'application/json').send('{"roleName":"no-such-role-name"}');
        assert.equal(fromBody.body.data.total, 0);
        const sessions = await client.get('/session?username=admi');
        assert.ok(sessions.body.data.total > 0);
        assert.equal((await client.get('/session?username=nobody-like-this')).body.data.total, 0);
        assert.ok((await client.get('/session/mine?username=admi')).body.data.total > 0);
        assert.equal((await client.get('/audit?target=no-such-target')).body.data.total, 0);
      });
    });
  });
}
