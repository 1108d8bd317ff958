import { decodeJwt, decodeProtectedHeader } from 'jose';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import request, { type Response } from 'supertest';
import { as, assertEnvelope, checkToken, login, refresh } from './support/auth-helpers';
import { startSmsWebhook, uniquePhone } from './support/code-inbox';
import { register, registeredSession, USER_PASSWORD } from './support/fixtures';
import { findRedisServer, startTestRedis, type TestRedis } from './support/redis';
import { startRoundRobinProxy, type RoundRobinProxy } from './support/round-robin-proxy';
import { startServerProcess, type ServerProcess } from './support/server-process';
import { assertRefusalPage, codeOf, createPartner, documentClaims, exchange, signHs256, tokenLogin, userWithContacts } from './support/sso';
import { ADMIN_PASSWORD, createStorage, type HttpTarget, NO_ADDRESS_LIMITS, type Storage } from './support/test-app';
import { uniqueName } from './support/users';

/*
 * The topology of docker-compose.yml's `scaled` profile without Docker: three processes of the bundled server
 * (what `npm start` runs) on one MySQL-compatible database, with or without one Redis, behind a round-robin
 * proxy. Each case makes a decision on one instance and checks that the others decide the same, at once or
 * within the bound the README gives for that piece of shared state.
 */

const REVOCATION_POLL_MS = 500;
const READ_CACHE_TTL_MS = 1000;
const LOGIN_MAX_FAILURES = 4;
/** Instances reload the signing keys every 10 s (KeyService): a rotated-in key must wait longer than that to sign. */
const KEY_ACTIVATION_DELAY_SECONDS = 12;
/** What a client's polling adds to a measured propagation time: a request on a busy 2-core machine. */
const POLL_SLACK_MS = 250;

const redisServer = findRedisServer();
const mysqlSkip = process.env.TEST_DATABASE_URL ? false : 'no MySQL/MariaDB server (npm test starts one when mariadbd or mysqld is installed)';

interface Cluster {
  instances: ServerProcess[];
  /** Every request to it goes to the next instance in turn. */
  proxy: RoundRobinProxy & HttpTarget;
  sms: Awaited<ReturnType<typeof startSmsWebhook>>;
  close(): Promise<void>;
}

/** Three instances started at once on an empty database, as a deployment's first start does. */
async function startCluster(redisUrl?: string): Promise<Cluster> {
  const storage: Storage = await createStorage({ name: 'mysql' });
  const sms = await startSmsWebhook();
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DOCS_ENABLED: 'false',
    BCRYPT_ROUNDS: '4',
    // The same keys everywhere: the secret (HS256, code HMACs, the private keys' encryption) and ES256 key pairs.
    JWT_SECRET: randomBytes(48).toString('base64url'),
    JWT_ALG: 'ES256',
    KEY_ACTIVATION_DELAY: String(KEY_ACTIVATION_DELAY_SECONDS),
    ADMIN_PASSWORD,
    // One proxy in front: the client's address is the last one it appended to X-Forwarded-For.
    TRUST_PROXY: '1',
    REFRESH_REUSE_GRACE: '0',
    REVOCATION_POLL_MS: String(REVOCATION_POLL_MS),
    READ_CACHE_TTL_MS: String(READ_CACHE_TTL_MS),
    SMS_WEBHOOK_URL: sms.url,
    ...NO_ADDRESS_LIMITS,
    LOGIN_MAX_FAILURES: String(LOGIN_MAX_FAILURES),
    ...storage.env,
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
  };
  const started = await Promise.allSettled(['a', 'b', 'c'].map((name) => startServerProcess(`instance ${name}`, env)));
  const instances = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const cleanUp = async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await sms.close();
    await storage.drop();
  };
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await cleanUp();
    throw failed.reason;
  }
  const proxy = await startRoundRobinProxy(instances.map((instance) => instance.url));
  return {
    instances,
    proxy: Object.assign(proxy, { http: () => request(proxy.url) }),
    sms,
    close: async () => {
      await proxy.close();
      const codes = await Promise.all(instances.map((instance) => instance.stop()));
      await cleanUp();
      // Each drained and exited 0; nothing was logged as an error on the way.
      for (const [i, instance] of instances.entries()) {
        assert.equal(codes[i], 0, `${instance.name} exited ${codes[i]}:\n${instance.output()}`);
        assert.doesNotMatch(instance.output(), /"level":50/, `${instance.name} logged an error:\n${instance.output()}`);
      }
    },
  };
}

/** Waits until every instance's /health reports the Redis subscription in that state. */
async function redisUp(instances: ServerProcess[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (const instance of instances) {
    for (;;) {
      const health = await instance.http().get('/health');
      if (health.status === 200 && health.body.data.redis === 'up') break;
      assert.ok(Date.now() < deadline, `${instance.name}: redis ${health.body.data?.redis}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Milliseconds from `since` until `holds()` is true (asked every 25 ms), or undefined if it is still false after limitMs. */
async function msUntil(holds: () => Promise<boolean>, since: number, limitMs = 5000): Promise<number | undefined> {
  for (;;) {
    if (await holds()) return Date.now() - since;
    if (Date.now() - since >= limitMs) return undefined;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The tokens of a 204 from POST /auth/session. */
function rotatedTokens(response: Response): { accessToken: string; refreshToken: string } {
  assert.equal(response.status, 204, JSON.stringify(response.body));
  return { accessToken: String(response.headers.authorization).slice('Bearer '.length), refreshToken: String(response.headers['x-refresh-token']) };
}

/** The status each instance answers, in the order of the instances. */
function statusesOf(instances: ServerProcess[], send: (instance: ServerProcess) => Promise<Response>): Promise<number[]> {
  return Promise.all(instances.map(async (instance) => (await send(instance)).status));
}

/** The proxy sent the requests since `sent` evenly over the instances. */
function assertSpread(proxy: RoundRobinProxy, sent: readonly number[], total: number): void {
  const spread = proxy.forwarded.map((count, i) => count - sent[i]);
  assert.equal(
    spread.reduce((sum, n) => sum + n, 0),
    total,
  );
  assert.ok(Math.max(...spread) - Math.min(...spread) <= 1, `requests per instance: ${spread.join(', ')}`);
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];

const variants = [
  { label: 'MySQL', redis: false, skip: mysqlSkip },
  { label: 'MySQL and Redis', redis: true, skip: mysqlSkip || (redisServer ? false : 'no redis-server installed (Debian: apt-get install redis-server)') },
];

for (const variant of variants) {
  describe(`three instances behind a round-robin proxy on ${variant.label}`, { skip: variant.skip }, () => {
    /** How long a revocation may take to reach another instance: Redis delivers in milliseconds, the log is read every REVOCATION_POLL_MS. */
    const revocationBoundMs = variant.redis ? 500 : 2 * REVOCATION_POLL_MS;
    let redis: TestRedis | undefined;
    let cluster: Cluster;
    let a: ServerProcess;
    let b: ServerProcess;
    let c: ServerProcess;

    before(async () => {
      if (variant.redis) redis = await startTestRedis(redisServer!);
      cluster = await startCluster(redis?.url);
      [a, b, c] = cluster.instances;
      if (variant.redis) await redisUp(cluster.instances);
    });
    after(async () => {
      try {
        await cluster?.close();
      } finally {
        await redis?.close();
      }
    });

    it('a refresh token issued by one instance rotates on another; its reuse on a third ends the session everywhere', async (t) => {
      const user = await register(cluster.proxy);
      const first = await login(a, user.username, user.password);
      const second = rotatedTokens(await refresh(b, first.refreshToken));
      assert.deepEqual(await statusesOf(cluster.instances, (i) => checkToken(i, second.accessToken)), [204, 204, 204]);
      assert.deepEqual(await statusesOf(cluster.instances, (i) => checkToken(i, first.accessToken)), [204, 204, 204], 'rotation does not end access tokens');

      const reused = await refresh(c, first.refreshToken);
      assertEnvelope(reused.body, 401);
      assert.match(reused.body.message, /重复使用/, 'judged as reuse, not as a lost race');
      const revokedAt = Date.now();
      assert.deepEqual(await statusesOf(cluster.instances, (i) => refresh(i, second.refreshToken)), [401, 401, 401], 'the winner’s refresh token is dead too');
      const refusedAfter = await Promise.all([a, b].map((i) => msUntil(async () => (await checkToken(i, second.accessToken)).status === 401, revokedAt, 5000)));
      for (const ms of refusedAfter) assert.ok(ms !== undefined && ms <= revocationBoundMs + POLL_SLACK_MS, `refused after ${refusedAfter.join(', ')} ms`);
      assert.equal((await checkToken(c, second.accessToken)).status, 401, 'at once where the reuse was seen');
      t.diagnostic(`reuse on c: the session's access token refused by a and b after ${refusedAfter.join(' and ')} ms (bound ${revocationBoundMs} ms)`);

      // A session refreshed through the proxy: every rotation on the next instance, every one accepted.
      const sent = [...cluster.proxy.forwarded];
      let current = await login(cluster.proxy, user.username, user.password);
      for (let i = 0; i < 6; i++) {
        const next = rotatedTokens(await refresh(cluster.proxy, current.refreshToken));
        assert.equal((await checkToken(cluster.proxy, next.accessToken)).status, 204);
        current = { ...current, ...next };
      }
      assertSpread(cluster.proxy, sent, 13);
    });

    it('a partner token used on one instance is a replay on the others; its one-time code trades on another, once', async () => {
      const admin = as(cluster.proxy, (await login(cluster.proxy)).accessToken);
      const partner = await createPartner(admin);
      const user = await userWithContacts(cluster.proxy, admin);
      const token = signHs256(partner.secret!, documentClaims(user.email));
      const code = codeOf(await tokenLogin(a, token));
      for (const other of [b, c]) assertRefusalPage(await tokenLogin(other, token), 401);

      const traded = await exchange(b, code);
      assertEnvelope(traded.body, 200);
      assert.equal(traded.body.data.userId, user.id);
      assert.deepEqual(await statusesOf(cluster.instances, (i) => checkToken(i, traded.body.data.token)), [204, 204, 204]);
      assert.deepEqual(await statusesOf([c, a, b], (i) => exchange(i, code)), [401, 401, 401], 'spent, wherever it is presented again');

      // At the same moment on all three: the database lets exactly one of them accept the token, then the code.
      const racing = signHs256(partner.secret!, documentClaims(user.email, Date.now() + 1));
      const signIns = await Promise.all(cluster.instances.map((i) => tokenLogin(i, racing)));
      assert.deepEqual(signIns.map((r) => r.status).sort(), [302, 401, 401]);
      const racingCode = codeOf(signIns.find((r) => r.status === 302)!);
      const trades = await Promise.all(cluster.instances.map((i) => exchange(i, racingCode)));
      assert.deepEqual(trades.map((r) => r.status).sort(), [200, 401, 401]);
    });

    it('a session ended through one instance is refused by the other two within the revocation bound', async (t) => {
      const adminToken = (await login(cluster.proxy)).accessToken;
      const measured: number[] = [];
      for (let round = 0; round < 6; round++) {
        const revoker = cluster.instances[round % 3];
        const others = cluster.instances.filter((i) => i !== revoker);
        const session = await registeredSession(cluster.proxy);
        assert.deepEqual(await statusesOf(cluster.instances, (i) => checkToken(i, session.accessToken)), [204, 204, 204]);
        const started = Date.now();
        if (round < 3) {
          assert.equal((await as(revoker, adminToken).delete(`/session/${decodeJwt(session.accessToken).sid}`)).status, 200);
        } else {
          assert.equal((await as(revoker, adminToken).post(`/user/${session.userId}/disable`)).status, 200, 'a user-wide revocation');
        }
        assert.equal((await checkToken(revoker, session.accessToken)).status, 401, 'at once on the instance that revoked');
        const times = await Promise.all(others.map((i) => msUntil(async () => (await checkToken(i, session.accessToken)).status === 401, started, 5000)));
        assert.ok(
          times.every((ms) => ms !== undefined),
          `still accepted after 5 s: ${times.join(', ')}`,
        );
        measured.push(...(times as number[]));
        assert.deepEqual(await statusesOf(cluster.instances, (i) => refresh(i, session.refreshToken)), [401, 401, 401]);
      }
      t.diagnostic(`revocation reached the other instances in median ${median(measured)} ms, max ${Math.max(...measured)} ms (bound ${revocationBoundMs} ms)`);
      assert.ok(Math.max(...measured) <= revocationBoundMs + POLL_SLACK_MS, `times: ${measured.join(', ')} ms`);
    });

    it('after a key rotation on one instance every JWKS lists the new key, and its tokens are accepted everywhere', async (t) => {
      const oldToken = (await login(a)).accessToken;
      const oldKid = decodeProtectedHeader(oldToken).kid;
      const jwksKids = async (i: ServerProcess) => {
        const jwks = await i.http().get('/.well-known/jwks.json');
        assert.equal(jwks.status, 200);
        return (jwks.body.keys as Array<{ kid: string }>).map((key) => key.kid).sort();
      };
      const listed = await Promise.all(cluster.instances.map(jwksKids));
      assert.ok(listed.every((kids) => kids.includes(oldKid!)));
      assert.equal(new Set(listed.map((kids) => kids.join())).size, 1, 'one JWKS whichever instance answers');

      const rotated = await as(a, oldToken).post('/keys/rotate');
      assertEnvelope(rotated.body, 200);
      const { kid, activatesAt } = rotated.body.data as { kid: string; activatesAt: string };
      const published = await Promise.all(cluster.instances.map(jwksKids));
      for (const kids of published) assert.deepEqual(kids, [...listed[0], kid].sort(), 'published at once: every JWKS is read from the database');
      assert.deepEqual(
        await statusesOf(cluster.instances, async (i) =>
          i
            .http()
            .get('/test')
            .set('Authorization', `Bearer ${(await login(i)).accessToken}`),
        ),
        [204, 204, 204],
      );
      const stillOld = await Promise.all(cluster.instances.map(async (i) => decodeProtectedHeader((await login(i)).accessToken).kid));
      assert.deepEqual(stillOld, [oldKid, oldKid, oldKid], 'nobody signs with it before KEY_ACTIVATION_DELAY');

      await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(activatesAt) - Date.now() + 100)));
      const fresh = await Promise.all(cluster.instances.map(async (i) => (await login(i)).accessToken));
      assert.deepEqual(
        fresh.map((token) => decodeProtectedHeader(token).kid),
        [kid, kid, kid],
        'every instance signs with the new key once it is active',
      );
      for (const token of [...fresh, oldToken]) assert.deepEqual(await statusesOf(cluster.instances, (i) => checkToken(i, token)), [204, 204, 204]);
      t.diagnostic(`key ${kid} listed by every JWKS at once; signing on every instance ${KEY_ACTIVATION_DELAY_SECONDS} s after the rotation`);
    });

    it('wrong logins spread round-robin get no more password checks in total than LOGIN_MAX_FAILURES, whatever X-Forwarded-For says', async () => {
      const user = await register(cluster.proxy);
      const sent = [...cluster.proxy.forwarded];
      const statuses: number[] = [];
      for (let round = 0; round < 4; round++) {
        const burst = await Promise.all(
          [1, 2, 3].map((k) =>
            cluster.proxy
              .http()
              .post('/auth/login')
              // Forged: the instances take the address the proxy appended, so every guess counts on one pair.
              .set('X-Forwarded-For', `203.0.113.${round * 3 + k}`)
              .send({ username: user.username, password: 'not-the-password-1' }),
          ),
        );
        for (const response of burst) {
          assert.ok(response.status === 401 || response.status === 429, JSON.stringify(response.body));
          if (response.status === 429) assert.ok(Number(response.headers['retry-after']) > 0);
          statuses.push(response.status);
        }
      }
      assertSpread(cluster.proxy, sent, 12);
      assert.equal(statuses.filter((status) => status !== 429).length, LOGIN_MAX_FAILURES, `answers: ${statuses.join(' ')}`);
      const right = () => ({ username: user.username, password: USER_PASSWORD });
      assert.deepEqual(
        await statusesOf(cluster.instances, (i) => i.http().post('/auth/login').send(right())),
        [429, 429, 429],
        'the pair is spent on every instance',
      );
    });

    it('a verification code sent through one instance is used on another, once; its resend interval and tries are shared', async () => {
      const phone = uniquePhone();
      assert.equal((await a.http().post('/api/v2/verifycodes').send({ phone })).status, 200);
      const { code } = await cluster.sms.inbox.next(phone);
      assert.deepEqual(
        await statusesOf([b, c], (i) => i.http().post('/api/v2/verifycodes').send({ phone })),
        [429, 429],
        'one send per interval, whoever asks',
      );

      const name = uniqueName();
      const registered = await b.http().post('/api/v2/users').send({ phone, name, password: USER_PASSWORD, verifiableType: 'sms', verifiableCode: code });
      assert.equal(registered.status, 200, JSON.stringify(registered.body));
      const reused = await c.http().post('/api/v2/auth/login').send({ login: phone, verifiable_code: code });
      assert.equal(reused.status, 401, 'the code was used up on b');

      // The api/v2 refresh revokes the token it replaces by its jti: on every instance.
      const first = registered.body.access_token as string;
      const renewed = await c.http().post('/api/v2/auth/refresh').set('Authorization', `Bearer ${first}`);
      assert.equal(renewed.status, 200, JSON.stringify(renewed.body));
      const renewedAt = Date.now();
      const times = await Promise.all([a, b].map((i) => msUntil(async () => (await checkToken(i, first)).status === 401, renewedAt, 5000)));
      assert.ok(
        times.every((ms) => ms !== undefined && ms <= revocationBoundMs + POLL_SLACK_MS),
        `the replaced token refused after ${times.join(', ')} ms`,
      );
      assert.deepEqual(await statusesOf(cluster.instances, (i) => checkToken(i, renewed.body.access_token)), [204, 204, 204]);

      // Wrong tries through the proxy, on every instance in turn: the fifth kills the code for all of them.
      const other = uniquePhone();
      assert.equal((await c.http().post('/api/v2/verifycodes').send({ phone: other })).status, 200);
      const right = (await cluster.sms.inbox.next(other)).code;
      const wrong = right === '000000' ? '111111' : '000000';
      const attempt = (i: HttpTarget, verifiableCode: string) =>
        i.http().post('/api/v2/users').send({ phone: other, name: uniqueName(), password: USER_PASSWORD, verifiableType: 'sms', verifiableCode });
      for (let i = 0; i < 5; i++) assert.equal((await attempt(cluster.proxy, wrong)).status, 422);
      assert.deepEqual(await statusesOf(cluster.instances, (i) => attempt(i, right)), [422, 422, 422], 'dead after five wrong tries, wherever they were made');
    });

    it('a role change on one instance reaches the others’ new tokens and permission answers within READ_CACHE_TTL_MS', async (t) => {
      const admin = as(a, (await login(a)).accessToken);
      const created = await admin.post('/role', { role_name: 'Scaled', role_key: uniqueName('role'), role_sort: 5 });
      assertEnvelope(created.body, 200);
      const roleId = created.body.data.roleId as number;
      const user = await register(cluster.proxy);
      assert.equal((await admin.post(`/user/${user.id}/bind`, [roleId])).status, 200);
      let session = await login(b, user.username, user.password);
      const permissionsOn = async (i: ServerProcess) => {
        const info = await as(i, session.accessToken).get('/user/info');
        assert.equal(info.status, 200, JSON.stringify(info.body));
        return info.body.data.user.permissions as string[];
      };
      // Cached on b and c from now on.
      assert.deepEqual(await Promise.all([b, c].map(permissionsOn)), [[], []]);

      const measure = async (change: () => Promise<Response>, instances: ServerProcess[], expected: string[]) => {
        const response = await change();
        assertEnvelope(response.body, 200);
        const changedAt = Date.now();
        const times = await Promise.all(
          instances.map((i) => msUntil(async () => JSON.stringify(await permissionsOn(i)) === JSON.stringify(expected), changedAt, 5000)),
        );
        assert.ok(
          times.every((ms) => ms !== undefined && ms <= READ_CACHE_TTL_MS + POLL_SLACK_MS),
          `seen after ${times.join(', ')} ms`,
        );
        return times as number[];
      };
      const granted = await measure(() => admin.put('/perm', { roleId, permissions: ['searchSession'] }), [b, c], ['searchSession']);
      // Any instance's refresh now signs the scope, and every instance's guard accepts it.
      session = { ...session, ...rotatedTokens(await refresh(c, session.refreshToken)) };
      assert.deepEqual(decodeJwt(session.accessToken).scope, ['searchSession']);
      assert.deepEqual(await statusesOf(cluster.instances, (i) => as(i, session.accessToken).get(`/session?userId=${user.id}`)), [200, 200, 200]);

      const adminOnB = as(b, (await login(b)).accessToken);
      const taken = await measure(() => adminOnB.put('/perm', { roleId, permissions: [] }), [a, c], []);
      session = { ...session, ...rotatedTokens(await refresh(a, session.refreshToken)) };
      assert.deepEqual(decodeJwt(session.accessToken).scope, []);
      assert.deepEqual(await statusesOf(cluster.instances, (i) => as(i, session.accessToken).get(`/session?userId=${user.id}`)), [403, 403, 403]);
      t.diagnostic(`role change seen by the other instances after ${[...granted, ...taken].join(', ')} ms (READ_CACHE_TTL_MS ${READ_CACHE_TTL_MS})`);
    });
  });
}
