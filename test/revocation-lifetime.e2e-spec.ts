import { decodeJwt, SignJWT } from 'jose';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Session } from '../src/session/entities/session.entity';
import { RevocationLifetime1763841100000 } from '../src/database/migrations/1763841100000-revocation-lifetime';
import { Revocation } from '../src/security/entities/revocation.entity';
import { RevocationService } from '../src/security/revocation.service';
import { as, assertEnvelope, checkToken, login } from './support/auth-helpers';
import { withApp } from './support/fixtures';
import { testDatabases } from './support/test-app';
import { createUser } from './support/users';

const PASSWORD = 'Plenty-Long-Secret-42';
const HOUR_MS = 3600_000;
const nowSeconds = () => Math.floor(Date.now() / 1000);

for (const database of testDatabases()) {
  describe(`revocations on ${database.name}`, () => {
    // Access tokens live 10 s: an entry kept only as long as they live is gone 70 s after the revocation.
    // A token of its own for each test: one from the start of the suite could expire on a slow machine.
    const t = withApp(database, { ACCESS_TOKEN_TTL: '10' }, { adminLogin: 'each' });
    const { admin } = t;

    /** A user holding every scope (the admin role), logged in. */
    async function anotherAdmin() {
      const user = await createUser(t, { password: PASSWORD, roleKeys: ['admin'] });
      const session = await login(t, user.username, PASSWORD);
      return { id: user.id, username: user.username, session, api: as(t, session.accessToken) };
    }

    /** The log rows about this session or user id. */
    const logRows = (kind: 'session' | 'user', subject: string) =>
      t.dataSource.getRepository(Revocation).find({ where: { kind, subject }, order: { id: 'ASC' } });

    /**
     * Time passes on this instance: 65 minutes, past both the old forgetting (access TTL + 60 s) and
     * the removal from the log an hour after that, yet before the two-hour tokens expire.
     */
    const sixtyFiveMinutesPass = () => t.app.get(RevocationService).prune(Date.now() + 65 * 60_000);

    /** The tokens are refused at once, then an hour later by an instance started on the same database, and by this one. */
    async function assertStaysRefused(tokens: string[]): Promise<void> {
      for (const token of tokens) assert.equal((await checkToken(t, token)).status, 401, 'refused at once');
      await sixtyFiveMinutesPass();
      const restarted = await t.restart();
      try {
        for (const token of tokens) {
          const response = await checkToken(restarted, token);
          assert.equal(response.status, 401, 'still refused an hour later, after a restart');
          assertEnvelope(response.body, 401);
        }
      } finally {
        await restarted.app.close();
      }
      for (const token of tokens) assert.equal((await checkToken(t, token)).status, 401, 'still refused an hour later, without a restart');
    }

    describe('a revoked long-lived token stays revoked until it expires', () => {
      it('a token minted with POST /user/generateJwt and ended with DELETE /session/{sid}', async () => {
        const minted = await admin.post('/user/generateJwt', { subject: 'gateway-7', expiresAt: nowSeconds() + 7200 });
        assert.equal(minted.status, 200, JSON.stringify(minted.body));
        const token = minted.body.data as string;
        const { sid, exp } = decodeJwt(token);
        assert.equal((await checkToken(t, token)).status, 204);

        assert.equal((await admin.delete(`/session/${sid}`)).status, 200);
        const [row] = await logRows('session', sid as string);
        assert.ok(row.expiresAt.getTime() >= exp! * 1000, `the log keeps the entry until the token expires (${row.expiresAt.toISOString()})`);
        await assertStaysRefused([token]);
      });

      it('a personal token from POST /user/getJwt ended with DELETE /session/mine/{id}', async () => {
        const personal = await admin.post('/user/getJwt', { expiresAt: nowSeconds() + 7200, authorities: ['getJwt'] });
        assert.equal(personal.status, 200, JSON.stringify(personal.body));
        const token = personal.body.data as string;
        const { sid, exp } = decodeJwt(token);
        assert.equal((await checkToken(t, token)).status, 204);

        assert.equal((await admin.delete(`/session/mine/${sid}`)).status, 200);
        const [row] = await logRows('session', sid as string);
        assert.ok(row.expiresAt.getTime() >= exp! * 1000, `the log keeps the entry until the token expires (${row.expiresAt.toISOString()})`);
        await assertStaysRefused([token]);
      });

      const userWide: Array<[string, (userId: number) => Promise<{ status: number }>]> = [
        ['disabled with POST /user/{uid}/disable', (id) => admin.post(`/user/${id}/disable`)],
        ['deleted with DELETE /user/{uid}', (id) => admin.delete(`/user/${id}`)],
        ['given a new password by an administrator', (id) => admin.put(`/user/${id}`, { password: 'Another-Long-Secret-7' })],
      ];
      for (const [how, revoke] of userWide) {
        it(`the personal and minted tokens of a user ${how}`, async () => {
          const user = await anotherAdmin();
          const personal = await user.api.post('/user/getJwt', { expiresAt: nowSeconds() + 7200 });
          assert.equal(personal.status, 200, JSON.stringify(personal.body));
          const minted = await admin.post('/user/generateJwt', { subject: String(user.id), expiresAt: nowSeconds() + 7200 });
          assert.equal(minted.status, 200, JSON.stringify(minted.body));
          const tokens = [user.session.accessToken, personal.body.data as string, minted.body.data as string];
          for (const token of tokens) assert.equal((await checkToken(t, token)).status, 204);

          const revoked = await revoke(user.id);
          assert.equal(revoked.status, 200, JSON.stringify(revoked));
          const [row] = await logRows('user', String(user.id));
          const lifetime = row.expiresAt.getTime() - row.revokedAt.getTime();
          assert.ok(lifetime >= t.config.jwt.mintMaxTtlSeconds * 1000, `a user-wide entry outlives any token of the user (kept ${lifetime} ms)`);
          await assertStaysRefused(tokens);
        });
      }

      it('a user-wide entry outlives a personal token minted before MINT_MAX_TTL was lowered', async () => {
        const user = await anotherAdmin();
        const personal = await user.api.post('/user/getJwt', { expiresAt: nowSeconds() + 20 * 86400 });
        assert.equal(personal.status, 200, JSON.stringify(personal.body));
        const { exp } = decodeJwt(personal.body.data as string);
        const lowered = await t.restart({ MINT_MAX_TTL: '86400' });
        try {
          const loweredAdmin = as(lowered, (await login(lowered)).accessToken);
          assert.equal((await loweredAdmin.post(`/user/${user.id}/disable`)).status, 200);
          assert.equal((await checkToken(lowered, personal.body.data as string)).status, 401);
        } finally {
          await lowered.app.close();
        }
        const [row] = await logRows('user', String(user.id));
        assert.ok(row.expiresAt.getTime() >= exp! * 1000, `kept until the personal token expires (${row.expiresAt.toISOString()})`);
      });

      it('the upgrade makes the entries the previous version wrote last as long as the tokens they cover', async () => {
        const user = await anotherAdmin();
        const personal = await user.api.post('/user/getJwt', { expiresAt: nowSeconds() + 7200 });
        const { sid, exp } = decodeJwt(personal.body.data as string);
        assert.equal((await user.api.delete(`/session/mine/${sid}`)).status, 200);
        assert.equal((await admin.post(`/user/${user.id}/kickout`)).status, 200);
        // What the previous version left: entries kept ACCESS_TOKEN_TTL + 60 s, the session's one already removed.
        const log = t.dataSource.getRepository(Revocation);
        await log.delete({ kind: 'session', subject: sid as string });
        const [userRow] = await logRows('user', String(user.id));
        await log.update({ id: userRow.id }, { expiresAt: new Date(userRow.revokedAt.getTime() + 70_000) });

        const queryRunner = t.dataSource.createQueryRunner();
        try {
          await new RevocationLifetime1763841100000().up(queryRunner);
        } finally {
          await queryRunner.release();
        }
        const [sessionRow] = await logRows('session', sid as string);
        const ended = await t.dataSource.getRepository(Session).findOneByOrFail({ id: sid as string });
        assert.equal(sessionRow.revokedAt.getTime(), ended.revokedAt!.getTime());
        assert.ok(sessionRow.expiresAt.getTime() >= exp! * 1000, 'the ended personal token is covered until it expires');
        const [extended] = await logRows('user', String(user.id));
        assert.ok(
          extended.expiresAt.getTime() - extended.revokedAt.getTime() >= t.config.jwt.mintMaxTtlSeconds * 1000,
          'the user-wide entry outlives any token',
        );

        await sixtyFiveMinutesPass();
        const restarted = await t.restart();
        try {
          assert.equal((await checkToken(restarted, personal.body.data as string)).status, 401);
        } finally {
          await restarted.app.close();
        }
      });

      it('forgets an entry and removes it from the log once the token it covers has expired', async () => {
        const minted = await admin.post('/user/generateJwt', { subject: 'gateway-8', expiresAt: nowSeconds() + 120 });
        const { sid } = decodeJwt(minted.body.data as string);
        assert.equal((await admin.delete(`/session/${sid}`)).status, 200);
        assert.equal((await logRows('session', sid as string)).length, 1);
        await t.app.get(RevocationService).prune(Date.now() + 120_000 + 60_000 + HOUR_MS + 5_000);
        assert.equal((await logRows('session', sid as string)).length, 0, 'removed an hour after the token expired');
      });
    });

    describe('a login right after a user-wide revocation works at once; tokens from before it do not', () => {
      /** Repeats `revoke` then a login until both fall within the same second (iat has whole seconds). */
      async function revokeThenLoginInOneSecond(user: { id: number; username: string }, revoke: () => Promise<void>, password = () => PASSWORD) {
        for (let attempt = 1; ; attempt++) {
          const before = await login(t, user.username, password());
          await revoke();
          const fresh = await login(t, user.username, password());
          const rows = await logRows('user', String(user.id));
          const revokedAt = rows[rows.length - 1].revokedAt.getTime();
          if (Math.floor(revokedAt / 1000) === decodeJwt(fresh.accessToken).iat) return { before, fresh, revokedAt };
          assert.ok(attempt < 20, 'the revocation and the login never fell within one second');
        }
      }

      it('POST /user/{uid}/kickout, then POST /auth/login in the same second', async () => {
        const user = await anotherAdmin();
        const { before, fresh } = await revokeThenLoginInOneSecond(user, async () => {
          assert.equal((await admin.post(`/user/${user.id}/kickout`)).status, 200);
        });
        assert.equal((await checkToken(t, before.accessToken)).status, 401, 'the token from before the kick-out');
        assert.equal((await checkToken(t, fresh.accessToken)).status, 204, 'the token of the new login');
        assert.equal((await as(t, fresh.accessToken).get(`/user/${user.id}`)).status, 200);
      });

      it('an administrator’s password reset, then a login with the new password in the same second', async () => {
        const user = await anotherAdmin();
        let password = PASSWORD;
        let round = 0;
        const { before, fresh } = await revokeThenLoginInOneSecond(
          user,
          async () => {
            password = `Reset-Long-Secret-${++round}`;
            assert.equal((await admin.put(`/user/${user.id}`, { password })).status, 200);
          },
          () => password,
        );
        assert.equal((await checkToken(t, before.accessToken)).status, 401);
        assert.equal((await checkToken(t, fresh.accessToken)).status, 204);
      });

      it('a disable then an enable, then a login in the same second', async () => {
        const user = await anotherAdmin();
        const { before, fresh } = await revokeThenLoginInOneSecond(user, async () => {
          assert.equal((await admin.post(`/user/${user.id}/disable`)).status, 200);
          assert.equal((await admin.post(`/user/${user.id}/enable`)).status, 200);
        });
        assert.equal((await checkToken(t, before.accessToken)).status, 401);
        assert.equal((await checkToken(t, fresh.accessToken)).status, 204);
      });

      it('a token without the millisecond claim (an older build’s) counts as issued at its iat second', async () => {
        const user = await anotherAdmin();
        const { fresh, revokedAt } = await revokeThenLoginInOneSecond(user, async () => {
          assert.equal((await admin.post(`/user/${user.id}/kickout`)).status, 200);
        });
        const claims = decodeJwt(fresh.accessToken);
        const legacy = async (iat: number) => {
          const { iat_ms: _dropped, ...rest } = claims as Record<string, unknown>;
          void _dropped;
          return new SignJWT({ ...rest, iat }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(t.config.jwt.secret);
        };
        const revokedSecond = Math.floor(revokedAt / 1000);
        assert.equal((await checkToken(t, await legacy(revokedSecond))).status, 401, 'issued in the second of the revocation');
        assert.equal((await checkToken(t, await legacy(revokedSecond - 5))).status, 401, 'issued before it');
        assert.equal((await checkToken(t, await legacy(revokedSecond + 1))).status, 204, 'issued after it');
      });
    });

    describe('a token is not used before its nbf', () => {
      async function tokenWithNbf(nbf: unknown): Promise<string> {
        const claims = decodeJwt((await login(t)).accessToken);
        return new SignJWT({ ...claims, nbf } as Record<string, unknown>).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(t.config.jwt.secret);
      }

      it('refuses a token whose nbf is an hour ahead with 401 in the envelope', async () => {
        const response = await checkToken(t, await tokenWithNbf(nowSeconds() + 3600));
        assert.equal(response.status, 401);
        assertEnvelope(response.body, 401);
        assert.equal(response.body.message, 'Invalid access token.');
      });

      it('refuses a token whose nbf is not a number', async () => {
        assert.equal((await checkToken(t, await tokenWithNbf(String(nowSeconds() - 10)))).status, 401);
      });

      it('accepts a token whose nbf has passed, or lies within the clock leeway', async () => {
        assert.equal((await checkToken(t, await tokenWithNbf(nowSeconds() - 10))).status, 204);
        assert.equal((await checkToken(t, await tokenWithNbf(nowSeconds() + 30))).status, 204);
      });
    });
  });
}
