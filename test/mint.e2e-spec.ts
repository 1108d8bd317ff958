import { decodeJwt, jwtVerify } from 'jose';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Session } from '../src/session/entities/session.entity';
import { as, assertEnvelope, checkToken } from './support/auth-helpers';
import { withApp } from './support/fixtures';
import { testDatabases } from './support/test-app';

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

for (const database of testDatabases()) {
  describe(`minting tokens on ${database.name}`, () => {
    const t = withApp(database);
    const { admin } = t;
    let adminId: string;
    let adminScopes: string[];
    before(() => {
      adminId = decodeJwt(t.adminSession.accessToken).sub!;
      adminScopes = decodeJwt(t.adminSession.accessToken).scope as string[];
    });

    it('mints with the document’s body: server jti and iss, act of the minter, the caller’s scopes', async () => {
      const response = await admin.post('/user/generateJwt', {
        jwtId: 'jwtId_z9l97',
        issuer: 'root',
        subject: 'test1',
        expiresAt: inAnHour(),
        audience: 'mfs',
      });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.deepEqual(Object.keys(response.body).sort(), ['code', 'data', 'message', 'msg']);
      assert.equal(response.body.message, '操作成功');
      const { payload } = await jwtVerify(response.body.data, t.config.jwt.secret, { issuer: t.config.jwt.issuer, audience: 'mfs', algorithms: ['HS256'] });
      assert.equal(payload.sub, 'test1');
      assert.notEqual(payload.jti, 'jwtId_z9l97');
      assert.deepEqual(payload.act, { sub: adminId });
      assert.deepEqual(payload.scope, [...adminScopes].sort());

      const recorded = await t.dataSource.getRepository(Session).findOneByOrFail({ id: payload.jti! });
      assert.equal(recorded.type, 'minted');
      assert.equal(recorded.subject, 'test1');
      assert.equal(recorded.audience, 'mfs');
      assert.equal(recorded.mintedBy, Number(adminId));
      assert.equal(Math.floor(recorded.expiresAt.getTime() / 1000), payload.exp);
    });

    it('takes expiresAt as {seconds, nanos} and authorities as a subset of the caller’s scopes', async () => {
      const response = await admin.post('/user/generateJwt', {
        subject: 'device-7',
        expiresAt: { seconds: String(inAnHour()), nanos: 1 },
        authorities: ['kickout'],
      });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.deepEqual(decodeJwt(response.body.data).scope, ['kickout']);
    });

    it('refuses scopes the caller lacks, expiries in the past or beyond the cap, and bad types', async () => {
      const before = await t.dataSource.getRepository(Session).count();
      const cases: Array<[object, number]> = [
        [{ subject: 'x', authorities: ['kickout', 'publish'] }, 403],
        [{ subject: 'x', expiresAt: 1 }, 400],
        [{ subject: 'x', expiresAt: Math.floor(Date.now() / 1000) + 31 * 86400 }, 400],
        [{ subject: 'x', expiresAt: { seconds: 'soon' } }, 400],
        [{ subject: 'x', expiresAt: { seconds: inAnHour(), extra: 1 } }, 400],
        [{ subject: 123 }, 400],
        [{}, 400],
        [{ subject: 'x', authorities: 'kickout' }, 400],
        [{ subject: 'x', unknown: true }, 400],
      ];
      for (const [body, status] of cases) {
        const response = await admin.post('/user/generateJwt', body);
        assert.equal(response.status, status, JSON.stringify(body));
        assertEnvelope(response.body, status);
      }
      assert.equal(await t.dataSource.getRepository(Session).count(), before, 'nothing was recorded');
    });

    it('records minted tokens as sessions that can be searched and revoked', async () => {
      const minted = await admin.post('/user/generateJwt', { subject: 'svc-search', authorities: ['searchSession'] });
      const token = minted.body.data as string;
      assert.equal((await checkToken(t, token)).status, 204, 'a token for our audience works here');
      const found = await admin.get('/session?type=minted&username=svc-search');
      assert.equal(found.body.data.total, 1);
      const row = found.body.data.list[0];
      assert.equal(row.subject, 'svc-search');
      assert.deepEqual(row.scopes, ['searchSession']);
      assert.equal(row.userId, null);
      assert.equal((await admin.delete(`/session/${row.id}`)).status, 200);
      assert.equal((await checkToken(t, token)).status, 401);
    });

    it('a token minted for another user’s id does not speak for that user', async () => {
      const other = await t.register(`victim_${Date.now()}`);
      const victimId = String(other.id);
      const minted = await admin.post('/user/generateJwt', { subject: victimId, authorities: [] });
      const api = as(t, minted.body.data);
      assert.equal((await api.get('/user/info')).status, 403);
      assert.equal((await api.get(`/user/${victimId}`)).status, 403);
      assert.equal((await api.put(`/user/${victimId}`, { nickname: 'owned' })).status, 403);
      assert.equal((await api.get('/session/mine')).status, 403);
    });

    it('getJwt gives the caller a personal token with a subset of its scopes', async () => {
      const response = await admin.post('/user/getJwt', { authorities: ['userMan'] });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const claims = decodeJwt(response.body.data);
      assert.equal(claims.sub, adminId);
      assert.equal(claims.username, 'admin');
      assert.equal(claims.act, undefined);
      assert.deepEqual(claims.scope, ['userMan']);
      const api = as(t, response.body.data);
      assert.equal((await api.get('/user/info')).body.data.user.username, 'admin');
      assert.equal((await api.get('/role/list')).status, 403, 'only the scopes it was given');
      assert.equal((await admin.get('/session?type=personal')).body.data.total >= 1, true);
      assert.equal((await admin.post('/user/getJwt', { authorities: ['nope'] })).status, 403);
    });

    it('needs the generateJwt and getJwt scopes', async () => {
      const api = as(t, (await t.registeredSession()).accessToken);
      assert.equal((await api.post('/user/generateJwt', { subject: 'x' })).status, 403);
      assert.equal((await api.post('/user/getJwt', {})).status, 403);
    });
  });
}
