import { decodeJwt } from 'jose';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { AppException } from '../src/common/app.exception';
import { Transactions } from '../src/database/transactions';
import { UserScopes } from '../src/role/user-scopes';
import type { Principal } from '../src/security/principal';
import { TokenService } from '../src/security/token.service';
import type { ClientInfo } from '../src/session/client-info';
import { RefreshToken } from '../src/session/entities/refresh-token.entity';
import { LoginSessionType, Session } from '../src/session/entities/session.entity';
import { IssuedTokens, SessionIssuer } from '../src/session/session-issuer.service';
import { User } from '../src/user/entities/user.entity';
import { checkToken } from './support/auth-helpers';
import { withApp } from './support/fixtures';
import { testDatabases } from './support/test-app';
import { uniqueName } from './support/users';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const refusedWith = (messageKey: string) => (error: unknown) => error instanceof AppException && error.messageKey === messageKey;

/**
 * SessionIssuer called directly, on the real application and database: what each way in stores and
 * answers, and how sessions go on and end. The routes' answers are the other suites' business.
 */
for (const database of testDatabases()) {
  describe(`SessionIssuer on ${database.name}`, () => {
    const t = withApp(database);
    const issuer = () => t.app.get(SessionIssuer);
    const sessionRow = (id: string) => t.dataSource.getRepository(Session).findOneByOrFail({ id });
    const refreshRows = (sessionId: string) => t.dataSource.getRepository(RefreshToken).find({ where: { sessionId }, order: { generation: 'ASC' } });
    const principalOf = (accessToken: string): Principal => {
      const principal = t.app.get(TokenService).verifyAccessToken(accessToken);
      assert.ok(principal, 'a token of ours');
      return principal;
    };
    const client = (): ClientInfo => ({ ip: '198.51.100.7', userAgent: uniqueName('issuer-spec') });

    it('opens a login session of each family with its type, client and lifetime, and answers both tokens', async () => {
      const user = await t.register();
      const cases: Array<[LoginSessionType, number | undefined]> = [
        ['password', undefined],
        ['sso', 600],
        ['mobile', 90 * 86400],
        ['wechat', 3600],
      ];
      for (const [type, lifetimeSeconds] of cases) {
        const from = client();
        const issued = await issuer().open({ type, user, client: from, lifetimeSeconds });
        const lifetime = lifetimeSeconds ?? t.config.session.refreshTtlSeconds;

        const row = await sessionRow(issued.sessionId);
        assert.equal(row.type, type);
        assert.equal(row.userId, user.id);
        assert.equal(row.ip, from.ip);
        assert.equal(row.userAgent, from.userAgent);
        assert.equal(row.revokedAt, null);
        assert.equal(row.expiresAt.getTime() - row.createdAt.getTime(), lifetime * 1000, `${type}: the session lasts its lifetime`);
        assert.deepEqual(
          (await refreshRows(issued.sessionId)).map((token) => [token.tokenHash, token.generation]),
          [[sha256(issued.refreshToken), 0]],
          'only the hash of the refresh token is stored',
        );

        assert.equal(issued.userId, user.id);
        assert.equal(issued.refreshTtlSeconds, lifetime);
        assert.equal(issued.accessTtlSeconds, t.config.jwt.accessTtlSeconds);
        const claims = decodeJwt(issued.accessToken);
        assert.equal(claims.sid, issued.sessionId);
        assert.equal(claims.sub, String(user.id));
        assert.equal(claims.username, user.username);
        assert.deepEqual(claims.scope, await t.app.get(UserScopes).of(user.id));
        assert.equal((await checkToken(t, issued.accessToken)).status, 204);
      }
      const stored = await t.dataSource.getRepository(User).findOneByOrFail({ id: user.id });
      assert.equal(stored.loginIp, '198.51.100.7', 'a login records where the user came from');
    });

    it('mints a token of type minted or personal: no refresh token, only scopes the minter holds', async () => {
      const admin = principalOf(t.adminSession.accessToken);
      const adminId = Number(admin.sub);
      const expiresAt = Math.floor(Date.now() / 1000) + 600;
      const from = client();
      const audience = t.config.jwt.audience;

      const minted = await issuer().open({
        type: 'minted',
        minter: admin,
        subject: 'svc-reports',
        audience,
        scopes: ['role', 'audit', 'role'],
        expiresAt,
        client: from,
      });
      const row = await sessionRow(minted.sessionId);
      assert.deepEqual(
        [row.type, row.userId, row.subject, row.audience, row.scopes, row.mintedBy, row.ip, row.userAgent],
        ['minted', null, 'svc-reports', audience, '["audit","role"]', adminId, from.ip, from.userAgent],
      );
      assert.equal(row.expiresAt.getTime(), expiresAt * 1000, 'the session lasts as long as its token');
      assert.deepEqual(await refreshRows(minted.sessionId), []);
      const claims = decodeJwt(minted.accessToken);
      assert.deepEqual(
        [claims.jti, claims.sid, claims.sub, claims.exp, claims.act],
        [minted.sessionId, minted.sessionId, 'svc-reports', expiresAt, { sub: String(adminId) }],
      );
      assert.deepEqual(claims.scope, ['audit', 'role']);

      const personal = await issuer().open({
        type: 'personal',
        minter: admin,
        subject: String(adminId),
        user: { id: adminId, username: 'admin' },
        audience,
        scopes: ['getJwt'],
        expiresAt,
        client: from,
      });
      const personalRow = await sessionRow(personal.sessionId);
      assert.deepEqual([personalRow.type, personalRow.userId, personalRow.mintedBy], ['personal', adminId, adminId]);
      const personalClaims = decodeJwt(personal.accessToken);
      assert.deepEqual([personalClaims.sub, personalClaims.username, personalClaims.act], [String(adminId), 'admin', undefined]);
      assert.equal((await checkToken(t, personal.accessToken)).status, 204);

      const weak = await t.userWith(['getJwt']);
      const subject = uniqueName('svc');
      await assert.rejects(
        issuer().open({
          type: 'minted',
          minter: principalOf(weak.session.accessToken),
          subject,
          audience,
          scopes: ['getJwt', 'userMan'],
          expiresAt,
          client: from,
        }),
        refusedWith('error.cannotGrant'),
      );
      assert.equal(await t.dataSource.getRepository(Session).countBy({ subject }), 0, 'a refused minting records nothing');
    });

    describe('rotate', () => {
      const rotate = (token: string, from: ClientInfo) => issuer().rotate([token, token], from);
      const openFor = async (from: ClientInfo): Promise<IssuedTokens> => issuer().open({ type: 'mobile', user: await t.register(), client: from });

      it('lets exactly one of concurrent refreshes with one token win; the others raced, and the session lives on', async () => {
        const from = client();
        const opened = await openFor(from);
        const results = await Promise.allSettled(Array.from({ length: 6 }, () => rotate(opened.refreshToken, from)));
        const won = results.filter((result) => result.status === 'fulfilled').map((result) => result.value);
        assert.equal(won.length, 1, 'one winner');
        for (const result of results) if (result.status === 'rejected') assert.ok(refusedWith('error.refreshRaced')(result.reason), String(result.reason));

        const [winner] = won;
        assert.equal(winner.sessionId, opened.sessionId);
        assert.notEqual(winner.refreshToken, opened.refreshToken);
        assert.ok(winner.refreshTtlSeconds <= opened.refreshTtlSeconds);
        assert.equal(decodeJwt(winner.accessToken).sid, opened.sessionId);
        const row = await sessionRow(opened.sessionId);
        assert.equal(row.revokedAt, null);
        assert.deepEqual(
          (await refreshRows(opened.sessionId)).map((token) => [token.tokenHash, token.generation]),
          [
            [sha256(opened.refreshToken), 0],
            [sha256(winner.refreshToken), 1],
          ],
          'one successor, the winner’s',
        );
        assert.equal((await rotate(winner.refreshToken, from)).sessionId, opened.sessionId, 'the new token works in turn');
      });

      it('takes a token rotated away longer ago than REFRESH_REUSE_GRACE for a stolen copy: the whole session ends', async () => {
        const from = client();
        const opened = await openFor(from);
        const rotated = await rotate(opened.refreshToken, from);
        // Rotated when its successor was written: move that back beyond the grace.
        await t.dataSource
          .getRepository(RefreshToken)
          .update({ tokenHash: sha256(rotated.refreshToken) }, { createdAt: new Date(Date.now() - (t.config.session.refreshReuseGraceSeconds + 1) * 1000) });

        await assert.rejects(rotate(opened.refreshToken, from), refusedWith('error.refreshReused'));
        const row = await sessionRow(opened.sessionId);
        assert.ok(row.revokedAt);
        assert.equal(row.revokeReason, 'refresh_reuse');
        await assert.rejects(rotate(rotated.refreshToken, from), refusedWith('error.refreshInvalid'), 'the thief’s and the owner’s token alike');
        assert.equal((await checkToken(t, rotated.accessToken)).status, 401);
      });

      it('needs the token in every place the family asks for, equal; from another client it ends the session', async () => {
        const from = client();
        const opened = await openFor(from);
        const other = await openFor(from);
        await assert.rejects(issuer().rotate([opened.refreshToken, undefined], from), refusedWith('error.refreshMissing'));
        await assert.rejects(issuer().rotate([opened.refreshToken, other.refreshToken], from), refusedWith('error.refreshMismatch'));
        assert.equal((await refreshRows(opened.sessionId)).length, 1, 'nothing spent');

        await assert.rejects(rotate(opened.refreshToken, { ...from, userAgent: 'another-browser' }), refusedWith('error.sessionBinding'));
        assert.equal((await sessionRow(opened.sessionId)).revokeReason, 'client_mismatch');
        assert.equal((await sessionRow(other.sessionId)).revokedAt, null);
      });
    });

    it('revokes one session once, in the transaction of its authorize check, and not when the check refuses', async () => {
      const user = await t.register();
      const from = client();
      const opened = await issuer().open({ type: 'password', user, client: from });

      await assert.rejects(
        issuer().revoke(opened.sessionId, 'kickout', async () => {
          throw new AppException('error.forbidden');
        }),
        refusedWith('error.forbidden'),
      );
      assert.equal((await sessionRow(opened.sessionId)).revokedAt, null);
      assert.equal((await checkToken(t, opened.accessToken)).status, 204);

      let seenByCheck: Session | null = null;
      const revoked = await issuer().revoke(opened.sessionId, 'kickout', async (manager) => {
        seenByCheck = await manager.getRepository(Session).findOneBy({ id: opened.sessionId });
      });
      assert.equal(revoked, true);
      assert.equal(seenByCheck!.revokedAt, null, 'the check ran first');
      assert.equal((await sessionRow(opened.sessionId)).revokeReason, 'kickout');
      assert.equal((await checkToken(t, opened.accessToken)).status, 401);
      await assert.rejects(issuer().rotate([opened.refreshToken, opened.refreshToken], from), refusedWith('error.refreshInvalid'));
      assert.equal(await issuer().revoke(opened.sessionId, 'kickout'), false, 'already ended');
    });

    it('revokes all of a user’s sessions within the caller’s transaction, keeping the one asked for', async () => {
      const user = await t.register();
      const from = client();
      const [a, kept, c] = await Promise.all((['password', 'mobile', 'wechat'] as const).map((type) => issuer().open({ type, user, client: from })));
      const bystander = await issuer().open({ type: 'password', user: await t.register(), client: from });
      const transactions = t.app.get(Transactions);

      await assert.rejects(
        transactions.run(async (manager) => {
          await issuer().revokeAllOf(manager, user.id, 'password_changed');
          throw new Error('the caller’s change failed');
        }),
        /change failed/,
      );
      for (const session of [a, kept, c]) {
        assert.equal((await sessionRow(session.sessionId)).revokedAt, null, 'rolled back with the caller');
        assert.equal((await checkToken(t, session.accessToken)).status, 204);
      }

      await transactions.run((manager) => issuer().revokeAllOf(manager, user.id, 'password_changed', kept.sessionId));
      for (const session of [a, c]) {
        assert.equal((await sessionRow(session.sessionId)).revokeReason, 'password_changed');
        assert.equal((await checkToken(t, session.accessToken)).status, 401);
      }
      assert.equal((await sessionRow(kept.sessionId)).revokedAt, null);
      assert.equal((await checkToken(t, kept.accessToken)).status, 204, 'the kept session goes on');
      assert.equal((await rotate(kept)).sessionId, kept.sessionId);
      assert.equal((await checkToken(t, bystander.accessToken)).status, 204, 'another user’s session is untouched');

      function rotate(session: IssuedTokens) {
        return issuer().rotate([session.refreshToken, session.refreshToken], from);
      }
    });
  });
}
