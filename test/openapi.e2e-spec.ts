import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Response } from 'supertest';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { as, login, refresh, USER_AGENT } from './support/auth-helpers';
import { startSmsWebhook } from './support/code-inbox';
import { withApp } from './support/fixtures';
import { codeOf, documentClaims, exchange, signHs256, tokenLogin } from './support/sso';
import { ADMIN_PASSWORD, testDatabases } from './support/test-app';
import { uniqueName } from './support/users';
import { wechatUser, withWechatStub } from './support/wechat';

interface Operation {
  requestBody?: { required?: boolean };
  responses: Record<string, { content?: Record<string, { schema?: Schema }>; headers?: Record<string, unknown> }>;
}
interface Schema {
  type?: string;
  nullable?: boolean;
  properties?: Record<string, Schema>;
  additionalProperties?: unknown;
  required?: string[];
  $ref?: string;
  items?: Schema;
  allOf?: Schema[];
}
type Document = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };

/** The success status each route's document shows (issue 8, point 3). */
function expectedSuccess(method: string, path: string): number {
  if (method === 'post' && path === '/user') return 201;
  if ((method === 'post' && path === '/auth/session') || (method === 'get' && path === '/test')) return 204;
  // The partner sign-in sends the browser on to the partner's landing page.
  if (method === 'get' && path === '/account/tokenLogin.do') return 302;
  return 200;
}

function operationsOf(document: Document): Array<[string, string, Operation]> {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]): [string, string, Operation] => [method, path, operation]),
  );
}

async function generateTypes(document: Document): Promise<string> {
  return astToString(await openapiTS(document as unknown as Parameters<typeof openapiTS>[0]));
}

/** Type-checks `source` (strict) next to the generated `schema.ts`; the diagnostics, formatted. */
function typeCheck(schema: string, source: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'openapi-client-'));
  try {
    writeFileSync(join(dir, 'schema.ts'), schema);
    writeFileSync(join(dir, 'answers.ts'), source);
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      skipLibCheck: true,
      types: [],
    };
    const program = ts.createProgram([join(dir, 'answers.ts')], options);
    const host: ts.FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => dir, getNewLine: () => '\n' };
    return ts.getPreEmitDiagnostics(program).map((diagnostic) => ts.formatDiagnostic(diagnostic, host));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const database of testDatabases()) {
  describe(`OpenAPI document on ${database.name}`, () => {
    // RS256, so that the key routes answer with keys.
    const env: Record<string, string> = { JWT_ALG: 'RS256' };
    // The mini-program login's WeChat, on loopback.
    const wechat = withWechatStub(env);
    let sms: Awaited<ReturnType<typeof startSmsWebhook>>;
    before(async () => {
      sms = await startSmsWebhook();
      env.SMS_WEBHOOK_URL = sms.url;
    });
    after(() => sms.close());
    const t = withApp(database, env, { adminLogin: 'never' });
    let document: Document;
    before(async () => {
      const response = await t.http().get('/docs-json');
      assert.equal(response.status, 200);
      document = response.body as Document;
    });

    describe('every operation documents its success response with a schema', () => {
      it('declares the success status the documents show, with the envelope and its real data type', () => {
        const problems: string[] = [];
        for (const [method, path, operation] of operationsOf(document)) {
          const name = `${method.toUpperCase()} ${path}`;
          const successes = Object.keys(operation.responses).filter((status) => /^[23]\d\d$/.test(status));
          const expected = expectedSuccess(method, path);
          if (successes.join() !== String(expected)) {
            problems.push(`${name}: success statuses ${JSON.stringify(successes)}, expected ${expected}`);
            continue;
          }
          if (expected === 204 || expected === 302) continue;
          // Prometheus's text format, not JSON.
          if (path === '/metrics') {
            if (!operation.responses[expected].content?.['text/plain']) problems.push(`${name}: no text/plain answer for ${expected}`);
            continue;
          }
          const schema = operation.responses[expected].content?.['application/json']?.schema;
          if (!schema) {
            problems.push(`${name}: no JSON schema for ${expected}`);
            continue;
          }
          if (path === '/.well-known/jwks.json' || path === '/v1/auth/jwks') continue; // a plain JWK Set, not the envelope
          // The api/v2 family (document 002) answers its bodies as they are, without an envelope.
          if (path.startsWith('/api/v2/')) {
            if (!schema.$ref && !schema.properties) problems.push(`${name}: the body has no schema`);
            continue;
          }
          // The gateway-ticket family (document 003) answers {code, data, message}.
          const fields = path.startsWith('/v1/auth') ? ['code', 'data', 'message'] : ['code', 'message', 'msg', 'data'];
          for (const field of fields) {
            if (!schema.properties?.[field] || !schema.required?.includes(field)) problems.push(`${name}: the envelope lacks a required ${field}`);
          }
          if (schema.properties?.data && Object.keys(schema.properties.data).length === 0) problems.push(`${name}: data has no schema`);
        }
        assert.deepEqual(problems, []);
      });

      it('types nullable fields by what they hold, never as a bare object', () => {
        const bare: string[] = [];
        for (const [name, schema] of Object.entries(document.components.schemas)) {
          for (const [property, definition] of Object.entries(schema.properties ?? {})) {
            if (definition.type === 'object' && !definition.properties && definition.additionalProperties === undefined) bare.push(`${name}.${property}`);
          }
        }
        assert.deepEqual(bare, []);
        const user = document.components.schemas.UserDto.properties!;
        for (const field of ['nickname', 'avatar', 'phone', 'email', 'sex', 'remark']) {
          assert.deepEqual([user[field].type, user[field].nullable ?? false], ['string', false], `UserDto.${field}`);
        }
        assert.deepEqual([user.deptId.type, user.deptId.nullable], ['integer', true]);
        const info = document.components.schemas.UserInfoDto.properties!;
        assert.deepEqual([info.deptId.type, info.deptId.nullable], ['integer', true]);
      });

      it('PUT /perm takes its input from the query or an optional body', () => {
        assert.notEqual(document.paths['/perm'].put.requestBody?.required, true);
      });

      it('documents the tokens and the cookie that /auth/session and /auth/login send', () => {
        for (const [path, status] of [
          ['/auth/session', '204'],
          ['/auth/login', '200'],
        ] as const) {
          const headers = Object.keys(document.paths[path].post.responses[status].headers ?? {})
            .map((h) => h.toLowerCase())
            .sort();
          assert.deepEqual(headers, ['authorization', 'set-cookie', 'x-refresh-token'], path);
        }
      });
    });

    describe('a client generated from /docs-json type-checks against the real answers', () => {
      it('assigns every answer to the generated type of its operation and status', async () => {
        const answers: Array<{ method: string; path: string; status: number; body: unknown }> = [];
        const redirected: string[] = [];
        const record = (method: string, path: string, response: Response): Response => {
          assert.ok(response.status >= 200 && response.status < 300, `${method.toUpperCase()} ${path}: ${response.status} ${JSON.stringify(response.body)}`);
          answers.push({ method, path, status: response.status, body: response.status === 204 ? undefined : response.body });
          return response;
        };

        const session = await login(t);
        record('post', '/auth/login', await t.http().post('/auth/login').set('User-Agent', USER_AGENT).send({ username: 'admin', password: ADMIN_PASSWORD }));
        const refreshed = record('post', '/auth/session', await refresh(t, session.refreshToken));
        const adminToken = String(refreshed.headers.authorization).slice('Bearer '.length);
        const admin = as(t, adminToken);
        record('get', '/test', await admin.get('/test'));
        record('get', '/health', await t.http().get('/health'));
        record('get', '/health/live', await t.http().get('/health/live'));
        record('get', '/health/ready', await t.http().get('/health/ready'));

        // A complete profile: the documents show these fields as strings.
        const profile = { nickname: 'Nick', avatar: 'https://example.com/a.png', phone: '13800000000', sex: '1', remark: 'note', employeeNo: 'E1' };
        record('put', '/user/{uid}', await admin.put(`/user/${session.userId}`, { ...profile, email: 'admin@example.com' }));
        const username = uniqueName();
        const registered = record('post', '/user', await t.http().post('/user').send({ username, password: 'Long-Enough-Password-1' }));
        const uid = registered.body.data.id as number;
        // A user without a profile: its unset string fields are answered as "".
        record('get', '/user/{uid}', await admin.get(`/user/${uid}`));
        record('put', '/user/{uid}', await admin.put(`/user/${uid}`, { ...profile, phone: '13900000000', email: `${username}@example.com`, employeeNo: 'E2' }));
        record('get', '/user/{uid}', await admin.get(`/user/${uid}`));
        record('get', '/user/info', await admin.get('/user/info'));
        record('get', '/user/list', await admin.get('/user/list?pageSize=100'));

        const dept = record(
          'post',
          '/dept',
          await admin.post('/dept', { parentId: 0, deptName: uniqueName('d'), orderNum: 1, status: '0', remark: 'dept note' }),
        );
        const deptId = dept.body.data.deptId as number;
        record('get', '/dept/{id}', await admin.get(`/dept/${deptId}`));
        record('put', '/dept/{id}', await admin.put(`/dept/${deptId}`, { orderNum: 2 }));
        record('get', '/dept/list', await admin.get('/dept/list'));

        const role = record(
          'post',
          '/role',
          await admin.post('/role', {
            role_name: uniqueName('r'),
            role_key: uniqueName('r'),
            role_sort: 3,
            remark: 'role note',
            data_scope: '2',
            dept_ids: [deptId],
          }),
        );
        const roleId = role.body.data.roleId as number;
        record('get', '/role/{roleId}', await admin.get(`/role/${roleId}`));
        record('put', '/role/{roleId}', await admin.put(`/role/${roleId}`, { role_sort: 4 }));
        record('get', '/role/list', await admin.get('/role/list'));

        const code = uniqueName('publish');
        record('post', '/perm', await admin.post('/perm', { code, name: '发布', description: 'Publish messages' }));
        record('get', '/perm/list', await admin.get('/perm/list'));
        record('put', '/perm', await t.http().put(`/perm?roleId=${roleId}&permissions=userMan`).set('Authorization', `Bearer ${adminToken}`));
        record('get', '/perm', await admin.get(`/perm?roleId=${roleId}`));
        record('delete', '/perm/{code}', await admin.delete(`/perm/${code}`));
        record('post', '/user/{uid}/bind', await admin.post(`/user/${uid}/bind`, [roleId]));

        record('post', '/user/generateJwt', await admin.post('/user/generateJwt', { subject: 'device-1', authorities: ['userMan'] }));
        record('post', '/user/getJwt', await admin.post('/user/getJwt', { authorities: ['userMan'] }));
        const second = await login(t);
        record('get', '/session/mine', await admin.get('/session/mine'));
        const sessions = record('get', '/session', await admin.get('/session?pageSize=100'));
        const minted = (sessions.body.data.list as Array<{ id: string; type: string }>).find((s) => s.type === 'minted')!;
        record('delete', '/session/{id}', await admin.delete(`/session/${minted.id}`));
        const sidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).sid as string;
        const secondId = sidOf(second.accessToken);
        assert.notEqual(secondId, sidOf(adminToken));
        record('delete', '/session/mine/{id}', await admin.delete(`/session/mine/${secondId}`));

        const user = await login(t, username, 'Long-Enough-Password-1');
        assert.ok(user.accessToken);
        record('post', '/user/{uid}/kickout', await admin.post(`/user/${uid}/kickout`));
        record('post', '/user/{uid}/disable', await admin.post(`/user/${uid}/disable`));
        record('post', '/user/{uid}/enable', await admin.post(`/user/${uid}/enable`));

        record('get', '/.well-known/jwks.json', await t.http().get('/.well-known/jwks.json'));
        record('post', '/keys/rotate', await admin.post('/keys/rotate'));

        const partner = record(
          'post',
          '/sso/partners',
          await admin.post('/sso/partners', { name: 'OA', algorithm: 'HS256', landingUrl: 'https://console.example.com/sso/landing', isDefault: true }),
        );
        const partnerId = partner.body.data.id as number;
        record('get', '/sso/partners', await admin.get('/sso/partners'));
        record('get', '/sso/partners/{id}', await admin.get(`/sso/partners/${partnerId}`));
        record('put', '/sso/partners/{id}', await admin.put(`/sso/partners/${partnerId}`, { maxTokenAge: 120, issuer: 'https://oa.example.com' }));
        // A redirect, not an answer of the generated client: tried, not type-checked.
        const signedIn = await tokenLogin(t, signHs256(partner.body.data.secret, { ...documentClaims('admin@example.com'), iss: 'https://oa.example.com' }));
        redirected.push('get /account/tokenLogin.do');
        record('post', '/auth/exchange', await exchange(t, codeOf(signedIn)));
        record('delete', '/sso/partners/{id}', await admin.delete(`/sso/partners/${partnerId}`));

        record(
          'post',
          '/api/v2/wechat/mini-program',
          await t
            .http()
            .post('/api/v2/wechat/mini-program')
            .send({ code: wechat.codeFor(wechatUser(true)) }),
        );

        const validEndTime = new Date(Date.now() + 86400_000).toISOString();
        const ticket = record(
          'post',
          '/v1/auth',
          await admin.post('/v1/auth', { gatewayId: 70, name: 'JWTtest', comment: 'Doctest', ticketType: 'JWT', validEndTime }),
        );
        const ticketId = ticket.body.data.id as number;
        record('post', '/v1/auth', await admin.post('/v1/auth', { gatewayId: 70, name: 'SignerTest', ticketType: 'JWT-SIGNER', validEndTime, alg: 'RS512' }));
        record('get', '/v1/auth', await admin.get('/v1/auth?gatewayId=70'));
        record('get', '/v1/auth/{id}', await admin.get(`/v1/auth/${ticketId}`));
        record(
          'put',
          '/v1/auth/{id}',
          await admin.put(`/v1/auth/${ticketId}`, { comment: '', validEndTime: new Date(Date.now() + 2 * 86400_000).toISOString() }),
        );
        record('post', '/v1/auth/{id}/rotate', await admin.post(`/v1/auth/${ticketId}/rotate`));
        record('get', '/v1/auth/jwks', await t.http().get('/v1/auth/jwks?gatewayId=70'));
        record('delete', '/v1/auth/{id}', await admin.delete(`/v1/auth/${ticketId}`));

        record('post', '/user/{uid}/bind', await admin.post(`/user/${uid}/bind`, []));
        record('delete', '/role/{roleId}', await admin.delete(`/role/${roleId}`));
        record('delete', '/user/{uid}', await admin.delete(`/user/${uid}`));
        record('delete', '/dept/{id}', await admin.delete(`/dept/${deptId}`));

        // The audit log is written in batches after the answers.
        let audit: Response | undefined;
        for (let tries = 0; tries < 40; tries++) {
          audit = await admin.get('/audit?pageSize=100');
          if (audit.body.data?.list?.length) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        record('get', '/audit', audit!);
        record('post', '/auth/logout', await t.http().post('/auth/logout').set('Authorization', `Bearer ${adminToken}`));

        // The api/v2 family (document 002), with codes from the log provider's stand-in: the SMS webhook on loopback.
        const phone = `139${String(Date.now()).slice(-8)}`;
        record('post', '/api/v2/verifycodes', await t.http().post('/api/v2/verifycodes').send({ phone }));
        const { code: smsCode } = await sms.inbox.next(phone);
        const v2User = uniqueName();
        const v2 = record(
          'post',
          '/api/v2/users',
          await t
            .http()
            .post('/api/v2/users')
            .send({ phone, name: v2User, password: 'Long-Enough-Password-1', verifiableType: 'sms', verifiableCode: smsCode }),
        );
        let v2Token = (
          record('post', '/api/v2/auth/login', await t.http().post('/api/v2/auth/login').send({ login: v2User, password: 'Long-Enough-Password-1' })).body as {
            access_token: string;
          }
        ).access_token;
        assert.ok(v2.body.access_token);
        for (const method of ['post', 'put', 'patch', 'get'] as const) {
          v2Token = record(method, '/api/v2/auth/refresh', await t.http()[method]('/api/v2/auth/refresh').set('Authorization', `Bearer ${v2Token}`)).body
            .access_token as string;
        }
        for (const method of ['post', 'put', 'patch', 'get'] as const) {
          const session = await t.http().post('/api/v2/auth/login').send({ login: v2User, password: 'Long-Enough-Password-1' });
          record(method, '/api/v2/auth/logout', await t.http()[method]('/api/v2/auth/logout').set('Authorization', `Bearer ${session.body.access_token}`));
        }

        // Text, not an answer of the generated client: tried, not type-checked.
        const metrics = await t.http().get('/metrics').set('Authorization', `Bearer ${t.config.metrics.token}`);
        assert.equal(metrics.status, 200);
        redirected.push('get /metrics');

        const exercised = new Set([...answers.map((a) => `${a.method} ${a.path}`), ...redirected]);
        const untried = operationsOf(document)
          .map(([method, path]) => `${method} ${path}`)
          .filter((operation) => !exercised.has(operation));
        assert.deepEqual(untried, [], 'every documented operation is tried');

        const lines = [
          "import type { paths } from './schema';",
          "type Answer<R, S extends keyof R> = R[S] extends { content: { 'application/json': infer B } } ? B : never;",
          ...answers.map(({ method, path, status, body }, i) => {
            const responses = `paths[${JSON.stringify(path)}][${JSON.stringify(method)}]['responses']`;
            return status === 204
              ? `export const answer${i}: ${responses}[${status}]['content'] = undefined;`
              : `export const answer${i}: Answer<${responses}, ${status}> = ${JSON.stringify(body, null, 2)};`;
          }),
        ];
        const diagnostics = typeCheck(await generateTypes(document), lines.join('\n'));
        assert.deepEqual(diagnostics, [], diagnostics.join('\n'));
      });
    });
  });
}
