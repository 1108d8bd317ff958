import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { User } from '../src/user/entities/user.entity';
import { assertEnvelope } from './support/auth-helpers';
import { withApp } from './support/fixtures';
import { testDatabases } from './support/test-app';
import { createUser, uniqueName } from './support/users';

type FieldErrors = Array<{ field: string; messages: string[] }>;
const CHINESE = /[\u4e00-\u9fff]/;

for (const database of testDatabases()) {
  describe(`validation messages on ${database.name}`, () => {
    const t = withApp(database);

    /** The request as admin, in the given language; the 400's field errors. */
    async function errorsOf(method: 'get' | 'post' | 'put', path: string, body: unknown, lang?: 'en' | 'zh'): Promise<FieldErrors> {
      let request = t.http()[method](path).set('Authorization', `Bearer ${t.adminSession.accessToken}`);
      if (lang) request = request.set('Accept-Language', lang === 'en' ? 'en-US,en;q=0.9' : 'zh-CN,zh;q=0.9,en;q=0.8');
      if (body !== undefined) request = request.set('Content-Type', 'application/json').send(JSON.stringify(body));
      const response = await request;
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assertEnvelope(response.body, 400);
      return response.body.data.errors as FieldErrors;
    }

    describe('every validation message is in the answer’s language and names the field and the rule broken', () => {
      it('a missing password is required, nothing else, in Chinese by default and in English when preferred', async () => {
        const username = uniqueName();
        assert.deepEqual(await errorsOf('post', '/user', { username }), [{ field: 'password', messages: ['password 不能为空'] }]);
        assert.deepEqual(await errorsOf('post', '/user', { username }, 'en'), [{ field: 'password', messages: ['password is required'] }]);
        assert.deepEqual(await errorsOf('post', '/auth/login', {}, 'en'), [
          { field: 'username', messages: ['username is required'] },
          { field: 'password', messages: ['password is required'] },
        ]);
        assert.equal(await t.dataSource.getRepository(User).countBy({ username }), 0);
      });

      it('POST /user/{uid}/bind names the element that is not a role id', async () => {
        const user = await createUser(t, { password: 'Some-Password-1' });
        assert.deepEqual(await errorsOf('post', `/user/${user.id}/bind`, [0], 'en'), [
          { field: 'body', messages: ['body[0] must be an id (a whole number from 1)'] },
        ]);
        assert.deepEqual(await errorsOf('post', `/user/${user.id}/bind`, [1, 'x', -2]), [
          { field: 'body', messages: ['body[1] 必须是 ID（从 1 开始的整数）', 'body[2] 必须是 ID（从 1 开始的整数）'] },
        ]);
        assert.deepEqual(await errorsOf('post', `/user/${user.id}/bind`, { roles: [1] }, 'en'), [{ field: 'body', messages: ['body must be an array'] }]);
        assert.deepEqual(
          await errorsOf(
            'post',
            `/user/${user.id}/bind`,
            Array.from({ length: 101 }, () => 1),
            'en',
          ),
          [{ field: 'body', messages: ['body must hold at most 100 items'] }],
        );
      });

      it('a wrong type says only the type; a too long value gives the limit; not an email, not in the list', async () => {
        const user = await createUser(t, { password: 'Some-Password-1' });
        assert.deepEqual(await errorsOf('put', `/user/${user.id}`, { nickname: 5, email: 'not-an-email', sex: '7', phone: 'call me' }, 'en'), [
          { field: 'nickname', messages: ['nickname must be a string'] },
          { field: 'phone', messages: ['phone must be digits, spaces or dashes'] },
          { field: 'email', messages: ['email must be an email address'] },
          { field: 'sex', messages: ['sex must be one of: 0, 1, 2'] },
        ]);
        assert.deepEqual(await errorsOf('put', `/user/${user.id}`, { nickname: 'n'.repeat(65), deptId: 0 }), [
          { field: 'nickname', messages: ['nickname 最多 64 个字符'] },
          { field: 'deptId', messages: ['deptId 不能小于 1'] },
        ]);
        assert.deepEqual(await errorsOf('put', `/user/${user.id}`, { nickname: 'x', isAdmin: true }, 'en'), [
          { field: 'isAdmin', messages: ['isAdmin is not an accepted field'] },
        ]);
      });

      it('array elements are named by their index', async () => {
        assert.deepEqual(await errorsOf('post', '/role', { role_name: uniqueName('r'), role_key: uniqueName('r'), dept_ids: [1, 0, 'x'] }, 'en'), [
          { field: 'dept_ids', messages: ['dept_ids[1] must be at least 1', 'dept_ids[2] must be a whole number'] },
        ]);
        assert.deepEqual(await errorsOf('post', '/user/generateJwt', { subject: 's', authorities: ['connect', '9lives'] }, 'en'), [
          { field: 'authorities', messages: ['authorities[1] must start with a letter and contain only letters, digits and : _ . - (at most 64)'] },
        ]);
      });

      it('rules checked outside the DTOs, and GET bodies, answer the same way', async () => {
        assert.deepEqual(await errorsOf('post', '/role', { role_name: uniqueName('r') }, 'en'), [{ field: 'roleKey', messages: ['roleKey is required'] }]);
        assert.deepEqual(await errorsOf('post', '/user', { username: uniqueName(), password: 'short' }, 'en'), [
          { field: 'password', messages: ['password must be 8 to 64 characters long'] },
        ]);
        assert.deepEqual(await errorsOf('post', '/user', { username: 'a b', password: 'Long-Enough-Password-1' }), [
          { field: 'username', messages: ['username 必须是 3 到 64 个字母、数字或 _ . - @'] },
        ]);
        const fromGetBody = await errorsOf('get', '/role/list', { status: '9', pageSize: 1000 }, 'en');
        assert.deepEqual(
          fromGetBody.sort((a, b) => a.field.localeCompare(b.field)),
          [
            { field: 'pageSize', messages: ['pageSize must be at most 100'] },
            { field: 'status', messages: ['status must be one of: 0, 1'] },
          ],
        );
        assert.deepEqual(await errorsOf('post', '/user/getJwt', { expiresAt: 'tomorrow' }, 'en'), [
          { field: 'expiresAt', messages: ['expiresAt must be Unix seconds or {seconds, nanos}'] },
        ]);
      });

      it('a Chinese answer holds no English rule text', async () => {
        const user = await createUser(t, { password: 'Some-Password-1' });
        const answers = [
          await errorsOf(
            'put',
            `/user/${user.id}`,
            { nickname: [], avatar: 'javascript:alert(1)', status: 3, deptId: 'x', remark: 'r'.repeat(501), extra: 1 },
            'zh',
          ),
          await errorsOf('post', '/perm', { code: '1', name: '' }, 'zh'),
          await errorsOf('post', '/dept', { parentId: -1, orderNum: 1.5 }, 'zh'),
          await errorsOf('get', '/session?active=maybe&type=x&userId=abc', undefined, 'zh'),
          await errorsOf('get', '/audit?action=Bad!&from=yesterday', undefined, 'zh'),
        ];
        for (const errors of answers) {
          assert.ok(errors.length > 0);
          for (const { field, messages } of errors) {
            for (const text of messages) {
              assert.match(text, CHINESE, `${field}: ${text}`);
              assert.doesNotMatch(text, /\b(must|should|exist|shorter|longer|array|string)\b/, `${field}: ${text}`);
            }
          }
        }
      });
    });
  });
}
