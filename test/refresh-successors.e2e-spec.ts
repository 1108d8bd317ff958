import { decodeJwt } from 'jose';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { formatTime } from '../src/common/time';
import { RefreshToken } from '../src/session/entities/refresh-token.entity';
import { login, refresh } from './support/auth-helpers';
import { USER_PASSWORD, withApp } from './support/fixtures';
import { testDatabases } from './support/test-app';

const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * A rotation is one INSERT of the token's successor (migration RefreshSuccessors): what the columns
 * rotated_at, rotation and last_used_at said is read from the successors. These tests check what a user
 * of the session list sees, and that a database upgraded from the previous schema keeps every session.
 */
for (const database of testDatabases()) {
  describe(`refresh tokens as successors on ${database.name}`, () => {
    // No grace: a token presented again moments after its rotation is reuse, not a race lost.
    const t = withApp(database, { REFRESH_REUSE_GRACE: '0' });
    const { admin } = t;

    async function refreshedTwice() {
      const user = await t.register();
      const first = await login(t, user.username, USER_PASSWORD);
      const second = await refresh(t, first.refreshToken);
      assert.equal(second.status, 204);
      const secondToken = String(second.headers['x-refresh-token']);
      const third = await refresh(t, secondToken);
      assert.equal(third.status, 204);
      const sessionId = decodeJwt(first.accessToken).sid as string;
      return { user, sessionId, tokens: [first.refreshToken, secondToken, String(third.headers['x-refresh-token'])] };
    }

    const rows = (sessionId: string) => t.dataSource.getRepository(RefreshToken).find({ where: { sessionId }, order: { generation: 'ASC' } });

    it('lists a session as last seen at its latest refresh, and one never refreshed at its start', async () => {
      const { user, sessionId, tokens } = await refreshedTwice();
      const fresh = await login(t, user.username, USER_PASSWORD);
      const stored = await rows(sessionId);
      assert.deepEqual(
        stored.map((row) => [row.tokenHash, row.generation]),
        tokens.map((token, generation) => [sha256(token), generation]),
      );

      const listed = await admin.get(`/session?userId=${user.id}`);
      assert.equal(listed.status, 200);
      const byId = new Map<string, { lastSeenAt: string; createdAt: string }>(listed.body.data.list.map((s: { id: string }) => [s.id, s]));
      assert.equal(byId.get(sessionId)?.lastSeenAt, formatTime(stored[2].createdAt));
      const freshRow = byId.get(decodeJwt(fresh.accessToken).sid as string);
      assert.equal(freshRow?.lastSeenAt, freshRow?.createdAt);
    });

    it('keeps every session across the upgrade: the current token works, an older one is reuse', async () => {
      const { sessionId, tokens } = await refreshedTwice();
      const other = await refreshedTwice();

      // Back to the previous schema: the old columns come back, filled in from the successors. Later
      // migrations are undone first (RateLimits: its table only).
      while (
        ((await t.dataSource.query('SELECT name FROM schema_migrations ORDER BY id DESC LIMIT 1')) as Array<{ name: string }>)[0].name !==
        'RefreshSuccessors1763870000000'
      ) {
        await t.dataSource.undoLastMigration();
      }
      await t.dataSource.undoLastMigration();
      const old = (await t.dataSource.query('SELECT token_hash, rotated_at FROM auth_refresh_token WHERE session_id = ? ORDER BY generation', [
        sessionId,
      ])) as Array<{ token_hash: string; rotated_at: unknown }>;
      assert.deepEqual(
        old.map((row) => [row.token_hash, row.rotated_at !== null]),
        [
          [sha256(tokens[0]), true],
          [sha256(tokens[1]), true],
          [sha256(tokens[2]), false],
        ],
      );
      const [session] = (await t.dataSource.query('SELECT rotation, last_used_at FROM auth_session WHERE id = ?', [sessionId])) as Array<{
        rotation: number;
        last_used_at: unknown;
      }>;
      assert.equal(Number(session.rotation), 2);
      assert.ok(session.last_used_at);

      // And up again, as an upgrade from that schema does.
      await t.dataSource.runMigrations();
      const next = await refresh(t, tokens[2]);
      assert.equal(next.status, 204, 'the current token of before the upgrade rotates');
      const reused = await refresh(t, other.tokens[0]);
      assert.equal(reused.status, 401, 'a token rotated away before the upgrade is refused');
      assert.equal(reused.body.message, '刷新令牌被重复使用，会话已吊销', 'reuse, not an unknown token');
      assert.equal((await refresh(t, other.tokens[2])).status, 401, 'and its reuse ended the session');
    });
  });
}
