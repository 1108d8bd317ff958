import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { as, assertEnvelope, login, refresh } from './support/auth-helpers';
import { ADMIN_PASSWORD, startTestApp, TestApp, testDatabases } from './support/test-app';
import { uniqueName } from './support/users';

const PASSWORD = 'Plenty-Long-Secret-42';

/**
 * Every route of documents 000 and 001 answers the HTTP status and the envelope `code` its document shows,
 * with the document's example request sent as it stands where it is a valid one.
 */
for (const database of testDatabases()) {
  describe(`the documents' status codes on ${database.name}`, () => {
    let t: TestApp;
    let admin: ReturnType<typeof as>;
    before(async () => {
      t = await startTestApp(database);
      admin = as(t, (await login(t)).accessToken);
    });
    after(async () => {
      await t?.close();
    });

    async function expectStatus(response: { status: number; body: unknown }, status: number) {
      assert.equal(response.status, status, JSON.stringify(response.body));
      if (status !== 204) assertEnvelope(response.body, status);
    }

    it('POST /role with the document example answers 200, code 200 (RuoYi consoles test code === 200)', async () => {
      const key = uniqueName('role');
      const response = await admin.post('/role', { role_name: 'string', role_key: key, role_sort: 0, status: '0', remark: 'string' });
      await expectStatus(response, 200);
      assert.equal(response.body.data.roleKey, key);
    });

    it('POST /perm and POST /dept answer 200 like every creation but POST /user', async () => {
      await expectStatus(await admin.post('/perm', { code: uniqueName('publish'), name: '发布', description: 'Publish messages' }), 200);
      await expectStatus(await admin.post('/dept', { parentId: 0, deptName: uniqueName('总公司') }), 200);
    });

    it('POST /user answers 201 as document 001 shows', async () => {
      await expectStatus(await t.http().post('/user').send({ username: uniqueName(), password: PASSWORD }), 201);
    });

    it('answers every other documented route with the status its document shows', async () => {
      const username = uniqueName();
      const registered = await t.http().post('/user').send({ username, password: PASSWORD });
      const uid = registered.body.data.id as number;
      const roleId = (await admin.post('/role', { role_name: 'r', role_key: uniqueName('role') })).body.data.roleId as number;

      await expectStatus(await admin.get('/test'), 204);
      await expectStatus(await admin.get(`/role/${roleId}`), 200);
      await expectStatus(await admin.put(`/role/${roleId}`, { role_name: 'renamed' }), 200);
      await expectStatus(await admin.get('/role/list'), 200);
      await expectStatus(await admin.put(`/perm?roleId=${roleId}&permissions=userMan`), 200);
      await expectStatus(await admin.get(`/perm?roleId=${roleId}`), 200);
      await expectStatus(await admin.get('/perm/list'), 200);
      await expectStatus(await admin.get(`/user/${uid}`), 200);
      await expectStatus(await admin.put(`/user/${uid}`, { nickname: 'x' }), 200);
      await expectStatus(await admin.post(`/user/${uid}/bind`, [roleId]), 200);
      await expectStatus(await admin.get('/user/info'), 200);
      await expectStatus(await admin.post('/user/generateJwt', { subject: 'test1', audience: 'mfs', expiresAt: Math.floor(Date.now() / 1000) + 3600 }), 200);
      await expectStatus(await admin.delete(`/user/${uid}`), 200);
      await expectStatus(await admin.delete(`/role/${roleId}`), 200);

      const session = await login(t);
      await expectStatus(await refresh(t, session.refreshToken), 204);
    });

    it('POST /auth/login answers 200 and POST /auth/logout 200', async () => {
      const response = await t.http().post('/auth/login').send({ username: 'admin', password: ADMIN_PASSWORD });
      await expectStatus(response, 200);
      const logout = await t.http().post('/auth/logout').set('Authorization', String(response.headers.authorization));
      await expectStatus(logout, 200);
    });
  });
}
