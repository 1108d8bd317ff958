import { decodeJwt } from 'jose';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { as, checkToken, login, msUntilRefused } from './support/auth-helpers';
import { registeredSession } from './support/fixtures';
import { freePort } from './support/free-port';
import { findRedisServer, startTestRedis, TestRedis } from './support/redis';
import { startTestApp, TestApp, testDatabases } from './support/test-app';

/** The log is read once a minute: within a test, only Redis (or the catch-up read after it returns) can deliver. */
const SLOW_POLL = { REVOCATION_POLL_MS: '60000' };
const redisServer = findRedisServer();

/** Waits until /health of each instance reports Redis in that state. */
async function redisReported(state: 'up' | 'down', ...instances: TestApp[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (const instance of instances) {
    for (;;) {
      const health = await instance.http().get('/health');
      assert.equal(health.status, 200, 'Redis is never a reason to be unhealthy');
      if (health.body.data.redis === state) break;
      assert.ok(Date.now() < deadline, `redis still ${health.body.data.redis}, expected ${state}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Kicks a fresh session out through `t`: the milliseconds until `other` refuses its token, or undefined past a second. */
async function kickOutAndWatch(t: TestApp, other: TestApp, admin: ReturnType<typeof as>): Promise<number | undefined> {
  const session = await registeredSession(t);
  assert.equal((await checkToken(other, session.accessToken)).status, 204);
  const started = Date.now();
  assert.equal((await admin.delete(`/session/${decodeJwt(session.accessToken).sid}`)).status, 200);
  return msUntilRefused(other, session.accessToken, started, 1000);
}

for (const database of testDatabases()) {
  describe(
    `revocations through Redis on ${database.name}`,
    { skip: redisServer ? false : 'no redis-server installed (Debian: apt-get install redis-server)' },
    () => {
      let redis: TestRedis;
      before(async () => {
        redis = await startTestRedis(redisServer!);
      });
      after(async () => {
        await redis?.close();
      });

      it('carries a kick-out and a disable to another instance at once, without reading the log', async () => {
        const t = await startTestApp(database, { REDIS_URL: redis.url, ...SLOW_POLL });
        try {
          const other = await t.restart();
          await redisReported('up', t, other);
          const admin = as(t, (await login(t)).accessToken);

          assert.ok((await kickOutAndWatch(t, other, admin)) !== undefined, 'the other instance refused the kicked-out token within a second');

          const victim = await registeredSession(t);
          assert.equal((await checkToken(other, victim.accessToken)).status, 204);
          const disabledAt = Date.now();
          assert.equal((await admin.post(`/user/${victim.userId}/disable`)).status, 200);
          assert.ok((await msUntilRefused(other, victim.accessToken, disabledAt, 1000)) !== undefined, 'the disabled user’s token is refused within a second');
        } finally {
          await t.close();
        }
      });

      it('reads the log at once when Redis comes back, and uses Redis again', async () => {
        const t = await startTestApp(database, { REDIS_URL: redis.url, ...SLOW_POLL });
        try {
          const other = await t.restart();
          await redisReported('up', t, other);
          const admin = as(t, (await login(t)).accessToken);
          const missed = await registeredSession(t);
          const later = await registeredSession(t);

          await redis.stop();
          await redisReported('down', t, other);
          // Acknowledged while Redis is away: the log has it, the channel could not carry it.
          assert.equal((await admin.delete(`/session/${decodeJwt(missed.accessToken).sid}`)).status, 200);
          assert.equal((await checkToken(t, missed.accessToken)).status, 401);

          await redis.start();
          const back = Date.now();
          await redisReported('up', other);
          assert.ok((await msUntilRefused(other, missed.accessToken, back, 2000)) !== undefined, 'caught up from the log after Redis returned');

          await redisReported('up', t);
          assert.equal((await checkToken(other, later.accessToken)).status, 204);
          const started = Date.now();
          assert.equal((await admin.delete(`/session/${decodeJwt(later.accessToken).sid}`)).status, 200);
          assert.ok((await msUntilRefused(other, later.accessToken, started, 1000)) !== undefined, 'carried by Redis again');
        } finally {
          await t.close();
        }
      });

      it('starts without a reachable Redis and revokes through the log', async () => {
        const nowhere = `redis://127.0.0.1:${await freePort()}`;
        const t = await startTestApp(database, { REDIS_URL: nowhere, REVOCATION_POLL_MS: '200' });
        try {
          const other = await t.restart();
          await redisReported('down', t, other);
          const admin = as(t, (await login(t)).accessToken);
          assert.ok((await kickOutAndWatch(t, other, admin)) !== undefined, 'refused within a second through the log');
        } finally {
          await t.close();
        }
      });
    },
  );
}
